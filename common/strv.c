/* SPDX-License-Identifier: MIT */
/* strv.c - the string vector; see strv.h. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_push(struct strv *s, const char *str)
{
	char *copy = strdup(str);
	char **v;

	if (!copy)
		return -ENOMEM;
	v = realloc(s->v, (s->n + 2) * sizeof(char *));
	if (!v) {
		free(copy);
		return -ENOMEM;
	}
	s->v = v;
	v[s->n++] = copy;
	v[s->n] = NULL;
	return 0;
}

void strv_free(struct strv *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
