/* SPDX-License-Identifier: MIT */
/*
 * escape.h - the one way amber-log puts text it did not write itself (every
 * string of a log: names, paths, argv, timestamps, kinds, reasons, and the
 * parser's snippets of bad lines) on a terminal.
 *
 * The log is written by a daemon on behalf of processes that choose their
 * own names (prctl PR_SET_NAME), argv and file names, and the file may have
 * been edited by anyone: any string in it can hold escape sequences meant
 * for the reader's terminal.  Everything human-readable therefore goes
 * through esc_*(), which prints
 *   - printable ASCII and valid UTF-8 as they are, except:
 *   - '\\' as "\\\\", newline, tab and carriage return as "\\n", "\\t", "\\r";
 *   - other C0 controls and DEL as "\\xNN";
 *   - C1 controls (U+0080..U+009F, e.g. U+009B CSI), the bidirectional
 *     marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F,
 *     U+202A..U+202E, U+2066..U+2069) and the line and paragraph separators
 *     (U+2028, U+2029) as "\\uNNNN";
 *   - each byte that is not part of valid UTF-8 as "\\xNN" (never U+FFFD, so
 *     a name that is not UTF-8 stays distinct from one that holds U+FFFD).
 * Each such escape, or one character, is a unit: a width-limited column is
 * cut between units, never inside one.  A character counts as one column
 * (no wcwidth: amber-log runs in the C locale).
 *
 * Machine formats (--json, export) keep their own JSON escaping; for the
 * JSON amber-log builds itself, esc_json_add_bytes() writes a byte string
 * that may not be UTF-8 the way the log does (U+FFFD plus a hex copy).
 *
 * No function here allocates except esc_strdup() and esc_json_add_bytes();
 * output errors are left to the stream (ferror).
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Longest escape of one unit ("\\u202e"), plus a NUL. */
#define ESC_UNIT_MAX 8

/* Escapes the unit at s (n > 0 bytes left) into out (NUL-terminated);
 * returns the number of input bytes it consumed (>= 1). */
size_t esc_unit(const char *s, size_t n, char out[ESC_UNIT_MAX], size_t *ret_len);

/* Writes n bytes of s, escaped. */
void esc_write(FILE *f, const char *s, size_t n);
/* Writes the NUL-terminated s, escaped; nothing for NULL. */
void esc_puts(FILE *f, const char *s);
/* Writes s escaped in a column of at least width characters (padded with
 * spaces); when cut is true, also at most width: whole units only, so an
 * escape is never cut in half. */
void esc_column(FILE *f, const char *s, size_t width, bool cut);
/* A malloc'ed escaped copy of s (NULL on out of memory; "" for NULL). */
char *esc_strdup(const char *s);

/* Valid UTF-8 (RFC 3629: no overlong forms, surrogates or > U+10FFFF)? */
bool esc_utf8_valid(const char *s, size_t n);
/* Adds key to the JSON object o: s as a string, with U+FFFD for each byte
 * that is not valid UTF-8, and then key_hex with the exact bytes in hex
 * when there was such a byte (the log's own convention for file names).
 * NULL s adds null.  Returns 0 or -ENOMEM. */
int esc_json_add_bytes(struct json_object *o, const char *key, const char *s);
