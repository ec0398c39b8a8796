/* SPDX-License-Identifier: MIT */
/* optlist.c - split and escape ':' lists; see optlist.h for the rule. */
#include "optlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

int optlist_split(const char *s, struct strv *ret, size_t *ret_bad)
{
	_cleanup_free_ char *cur = malloc(strlen(s) + 1);
	struct strv v = { 0 };
	size_t len = 0;
	int r;

	if (!cur)
		return -ENOMEM;
	for (const char *p = s;; p++) {
		if (p[0] == '\\' && p[1] != '\0') {
			cur[len++] = *++p;
			continue;
		}
		if (*p != ':' && *p != '\0') {
			cur[len++] = *p;
			continue;
		}
		if (len == 0) {
			if (ret_bad)
				*ret_bad = v.n + 1;
			strv_free(&v);
			return -EINVAL;
		}
		cur[len] = '\0';
		r = strv_push(&v, cur);
		if (r < 0) {
			strv_free(&v);
			return r;
		}
		len = 0;
		if (*p == '\0')
			break;
	}
	*ret = v;
	return 0;
}

/* Writes s escaped to out (room for 2 * strlen(s) + 1); returns the end. */
static char *escape_to(char *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ':' || *s == '\\' || *s == ',')
			*out++ = '\\';
		*out++ = *s;
	}
	*out = '\0';
	return out;
}

int optlist_escape(const char *s, char **ret)
{
	char *out = malloc(2 * strlen(s) + 1);

	if (!out)
		return -ENOMEM;
	escape_to(out, s);
	*ret = out;
	return 0;
}

int optlist_join(char *const *v, size_t n, char **ret)
{
	size_t size = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		size += 2 * strlen(v[i]) + 1;
	out = p = malloc(size);
	if (!out)
		return -ENOMEM;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ':';
		p = escape_to(p, v[i]);
	}
	*ret = out;
	return 0;
}

int optlist_append(char **s, const char *key, const char *value)
{
	char *n;

	if (asprintf(&n, "%s%s%s%s", *s ? *s : "", *s ? "," : "", key, value) < 0)
		return -ENOMEM;
	free(*s);
	*s = n;
	return 0;
}

int optlist_append_escaped(char **s, const char *key, const char *value)
{
	_cleanup_free_ char *e = NULL;
	int r = optlist_escape(value, &e);

	return r < 0 ? r : optlist_append(s, key, e);
}
