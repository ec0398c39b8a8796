/* SPDX-License-Identifier: MIT */
/*
 * jsonw.h - a minimal JSON writer into a growing buffer, for output that is
 * produced a million times (export): no tree, no allocation per value.
 * Commas are placed automatically; the caller opens and closes objects and
 * arrays in order.  Strings are escaped as JSON requires (", \, control
 * characters); other bytes are copied as they are.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw {
	char *buf;
	size_t len, cap;
	bool need_comma;
	bool oom;
};

void jw_reset(struct jsonw *w);
void jw_free(struct jsonw *w);
void jw_obj(struct jsonw *w);                 /* { */
void jw_arr(struct jsonw *w);                 /* [ */
void jw_end_obj(struct jsonw *w);             /* } */
void jw_end_arr(struct jsonw *w);             /* ] */
void jw_key(struct jsonw *w, const char *key);  /* "key": (key is not escaped: ASCII literals only) */
void jw_str(struct jsonw *w, const char *s);    /* "s", or null for NULL */
void jw_strn(struct jsonw *w, const char *s, size_t n);
void jw_int(struct jsonw *w, int64_t v);
void jw_raw(struct jsonw *w, const char *json, size_t n); /* a JSON value copied as is */
/* Shorthands: key + value. */
void jw_kstr(struct jsonw *w, const char *key, const char *s);
void jw_kint(struct jsonw *w, const char *key, int64_t v);
/* Writes the buffer and a newline to f; returns -errno on a write error. */
int jw_flush_line(struct jsonw *w, FILE *f);
