/* SPDX-License-Identifier: MIT */
/*
 * strv.h - the project's one string vector: a growable list of owned
 * strings.
 *
 * { 0 } is an empty vector.  Once something was pushed, v[n] is NULL, so v
 * can go as it is to execv() or to any API that takes a NULL-terminated
 * char **.  Every string belongs to the vector; strv_free() frees them and
 * leaves an empty vector.  Not thread-safe; nothing here logs.
 */
#pragma once

#include <stddef.h>

struct strv {
	char **v;
	size_t n;
};

/* Appends a copy of str.  Returns 0 or -ENOMEM (s is unchanged then). */
int strv_push(struct strv *s, const char *str);
/* Frees every string and the array; s is { 0 } afterwards.  NULL-safe. */
void strv_free(struct strv *s);
