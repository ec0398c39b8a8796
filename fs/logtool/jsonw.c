/* SPDX-License-Identifier: MIT */
/* jsonw.c - see jsonw.h. */
#include "jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void jw_reset(struct jsonw *w)
{
	w->len = 0;
	w->need_comma = false;
	w->oom = false;
}

void jw_free(struct jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static bool room(struct jsonw *w, size_t n)
{
	if (w->len + n + 1 <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + n + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (!b) {
		w->oom = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void comma(struct jsonw *w)
{
	if (w->need_comma)
		put(w, ",", 1);
}

void jw_obj(struct jsonw *w)
{
	comma(w);
	put(w, "{", 1);
	w->need_comma = false;
}

void jw_arr(struct jsonw *w)
{
	comma(w);
	put(w, "[", 1);
	w->need_comma = false;
}

void jw_end_obj(struct jsonw *w)
{
	put(w, "}", 1);
	w->need_comma = true;
}

void jw_end_arr(struct jsonw *w)
{
	put(w, "]", 1);
	w->need_comma = true;
}

void jw_key(struct jsonw *w, const char *key)
{
	comma(w);
	put(w, "\"", 1);
	put(w, key, strlen(key));
	put(w, "\":", 2);
	w->need_comma = false;
}

void jw_strn(struct jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	comma(w);
	w->need_comma = true;
	if (!s) {
		put(w, "null", 4);
		return;
	}
	if (!room(w, n + 2))
		return;
	w->buf[w->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(w, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			if (c == '\n')
				put(w, "\\n", 2);
			else if (c == '\t')
				put(w, "\\t", 2);
			else
				put(w, e, 6);
		} else if (room(w, 1)) {
			w->buf[w->len++] = (char)c;
		}
	}
	put(w, "\"", 1);
}

void jw_str(struct jsonw *w, const char *s)
{
	jw_strn(w, s, s ? strlen(s) : 0);
}

void jw_int(struct jsonw *w, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	comma(w);
	put(w, b, (size_t)n);
	w->need_comma = true;
}

void jw_raw(struct jsonw *w, const char *json, size_t n)
{
	comma(w);
	put(w, json, n);
	w->need_comma = true;
}

void jw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

int jw_flush_line(struct jsonw *w, FILE *f)
{
	if (w->oom)
		return -ENOMEM;
	put(w, "\n", 1);
	if (fwrite(w->buf, 1, w->len, f) != w->len)
		return -errno;
	return 0;
}
