/* SPDX-License-Identifier: MIT */
/*
 * audit_fmt.h - the project's JSON writer, with RFC 3339 timestamps and a
 * UTF-8 check.  It was written for the audit records, hence the name; every
 * program that writes JSON uses it: amberfs (the records), amber-log
 * (export), amber-image (layer metadata, file lists, image records), amber-oci (runc's log
 * format) and the tests' log generator.  What only the daemon's records hold
 * (flag and errno names) is rendered in fs/audit_render.h; the names
 * themselves belong to common/audit_schema.h.
 *
 * It owns three things and nothing else:
 *   - a tiny JSON writer into a growable buffer: commas are inserted by the
 *     writer itself, strings are always valid JSON (control characters are
 *     \u-escaped, bytes that are not valid UTF-8 become U+FFFD, so a caller
 *     holding raw bytes - file names - must add a hex copy; afmt_utf8_valid()
 *     tells when);
 *   - RFC 3339 UTC timestamps with nanoseconds ("2026-11-29T06:12:03.123456789Z");
 *   - the UTF-8 check itself.
 *
 * The buffer keeps its memory across afmt_reset(), so a caller that renders
 * one line after another into the same buffer allocates only while the
 * longest line so far grows.  Allocation failure is sticky: the buffer marks
 * itself failed, later calls do nothing, and afmt_failed() tells the caller
 * once at the end, so the rendering code needs no error check per field.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AFMT_TS_LEN 30 /* "YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ" for years 0000-9999 */
#define AFMT_MAX_DEPTH 32

struct afmt_buf {
	char *data; /* NUL-terminated when !failed and cap > 0 */
	size_t len, cap;
	bool failed;
	bool after_key;    /* a key was written; the next value needs no comma */
	unsigned depth;    /* open objects/arrays */
	uint32_t nonempty; /* bit d: container at depth d already holds an element */
};

#define AFMT_BUF_INIT \
	{             \
		0     \
	}

/* Frees the memory; the buffer is reusable (empty) afterwards. */
void afmt_free(struct afmt_buf *b);
/* Empties the buffer, keeps its memory. */
void afmt_reset(struct afmt_buf *b);
/* True when an allocation failed or the nesting was too deep. */
static inline bool afmt_failed(const struct afmt_buf *b)
{
	return b->failed;
}

/* Appends bytes verbatim (no comma handling). */
void afmt_raw(struct afmt_buf *b, const void *s, size_t n);
void afmt_rawz(struct afmt_buf *b, const char *s);
void afmt_printf(struct afmt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Structured writer.  Values at the top level or in arrays get a comma when
 * needed; inside an object call afmt_key() before each value. */
void afmt_obj_begin(struct afmt_buf *b);
void afmt_obj_end(struct afmt_buf *b);
void afmt_arr_begin(struct afmt_buf *b);
void afmt_arr_end(struct afmt_buf *b);
/* key must be a plain ASCII identifier (it is not escaped). */
void afmt_key(struct afmt_buf *b, const char *key);
/* A JSON string from n raw bytes: escaped, invalid UTF-8 -> \ufffd. */
void afmt_str(struct afmt_buf *b, const char *s, size_t n);
/* Same; NULL becomes JSON null. */
void afmt_strz(struct afmt_buf *b, const char *s);
/* A JSON string holding the lowercase hex of n bytes. */
void afmt_hexstr(struct afmt_buf *b, const void *s, size_t n);
void afmt_u64(struct afmt_buf *b, uint64_t v);
void afmt_i64(struct afmt_buf *b, int64_t v);
void afmt_bool(struct afmt_buf *b, bool v);
void afmt_null(struct afmt_buf *b);
/* A value that is already valid JSON text (e.g. a pre-rendered object). */
void afmt_json(struct afmt_buf *b, const char *json, size_t n);
/* Shorthands for "key":value. */
void afmt_kv_str(struct afmt_buf *b, const char *key, const char *s, size_t n);
void afmt_kv_strz(struct afmt_buf *b, const char *key, const char *s);
void afmt_kv_u64(struct afmt_buf *b, const char *key, uint64_t v);
void afmt_kv_i64(struct afmt_buf *b, const char *key, int64_t v);
void afmt_kv_null(struct afmt_buf *b, const char *key);
void afmt_kv_ts(struct afmt_buf *b, const char *key, const struct timespec *ts);

/* Whether n bytes are well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF).  NUL bytes are valid UTF-8. */
bool afmt_utf8_valid(const char *s, size_t n);

/* Writes an RFC 3339 UTC timestamp with 9 fractional digits and a NUL;
 * returns its length, or 0 if the time cannot be represented. */
size_t afmt_ts(const struct timespec *ts, char out[AFMT_TS_LEN + 1]);
