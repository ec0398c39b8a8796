/* SPDX-License-Identifier: MIT */
/*
 * audit_fmt.c - JSON writer, timestamps and UTF-8 checks; see audit_fmt.h.
 * No global state: safe from any thread.
 */
#include "audit_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void afmt_free(struct afmt_buf *b)
{
	free(b->data);
	*b = (struct afmt_buf)AFMT_BUF_INIT;
}

void afmt_reset(struct afmt_buf *b)
{
	b->len = 0;
	b->failed = false;
	b->after_key = false;
	b->depth = 0;
	b->nonempty = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static bool reserve(struct afmt_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return false;
	if (n > SIZE_MAX / 2 - b->len - 1)
		goto fail;
	want = b->len + n + 1;
	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return true;
fail:
	b->failed = true;
	return false;
}

void afmt_raw(struct afmt_buf *b, const void *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* One byte: the quotes, commas and brackets around every value. */
static void put_char(struct afmt_buf *b, char c)
{
	if (b->len + 1 < b->cap && !b->failed) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return;
	}
	afmt_raw(b, &c, 1);
}

void afmt_rawz(struct afmt_buf *b, const char *s)
{
	afmt_raw(b, s, strlen(s));
}

void afmt_printf(struct afmt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* Called before every value and key: the comma between siblings. */
static void separator(struct afmt_buf *b)
{
	if (b->after_key) {
		b->after_key = false;
		return;
	}
	if (b->nonempty & (1u << b->depth))
		put_char(b, ',');
	b->nonempty |= 1u << b->depth;
}

static void open_container(struct afmt_buf *b, char c)
{
	separator(b);
	if (b->depth + 1 >= AFMT_MAX_DEPTH) {
		b->failed = true;
		return;
	}
	put_char(b, c);
	b->depth++;
	b->nonempty &= ~(1u << b->depth);
}

static void close_container(struct afmt_buf *b, char c)
{
	if (b->depth == 0) {
		b->failed = true;
		return;
	}
	put_char(b, c);
	b->depth--;
}

void afmt_obj_begin(struct afmt_buf *b)
{
	open_container(b, '{');
}

void afmt_obj_end(struct afmt_buf *b)
{
	close_container(b, '}');
}

void afmt_arr_begin(struct afmt_buf *b)
{
	open_container(b, '[');
}

void afmt_arr_end(struct afmt_buf *b)
{
	close_container(b, ']');
}

void afmt_key(struct afmt_buf *b, const char *key)
{
	separator(b);
	put_char(b, '"');
	afmt_rawz(b, key);
	afmt_raw(b, "\":", 2);
	b->after_key = true;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlongs */
		unsigned char hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */

		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf; /* <= U+10FFFF */

		if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

bool afmt_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

static void escape_into(struct afmt_buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0; /* run: bytes copied verbatim, pending */

	while (i < n) {
		unsigned char c = p[i];
		size_t k;
		char esc[7];
		const char *out = NULL;
		size_t outlen = 2;

		/* Printable ASCII, the common case, without the UTF-8 decoder. */
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		k = utf8_seq(p + i, n - i);
		if (k > 1) {
			i += k;
			run += k;
			continue;
		}
		afmt_raw(b, p + i - run, run);
		run = 0;
		if (k == 0) {
			out = "\\ufffd";
			outlen = 6;
		} else if (c == '"') {
			out = "\\\"";
		} else if (c == '\\') {
			out = "\\\\";
		} else if (c == '\n') {
			out = "\\n";
		} else if (c == '\r') {
			out = "\\r";
		} else if (c == '\t') {
			out = "\\t";
		} else if (c == '\b') {
			out = "\\b";
		} else if (c == '\f') {
			out = "\\f";
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			out = esc;
			outlen = 6;
		}
		afmt_raw(b, out, outlen);
		i++;
	}
	afmt_raw(b, p + n - run, run);
}

void afmt_str(struct afmt_buf *b, const char *s, size_t n)
{
	separator(b);
	/* Worst case 6 bytes out per byte in: reserve once. */
	if (n < SIZE_MAX / 8 && !reserve(b, n + 2))
		return;
	put_char(b, '"');
	escape_into(b, (const unsigned char *)s, n);
	put_char(b, '"');
}

void afmt_strz(struct afmt_buf *b, const char *s)
{
	if (!s)
		afmt_null(b);
	else
		afmt_str(b, s, strlen(s));
}

void afmt_hexstr(struct afmt_buf *b, const void *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;

	separator(b);
	if (n > SIZE_MAX / 4 || !reserve(b, 2 * n + 2))
		return;
	b->data[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		b->data[b->len++] = hex[p[i] >> 4];
		b->data[b->len++] = hex[p[i] & 0xf];
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

void afmt_u64(struct afmt_buf *b, uint64_t v)
{
	separator(b);
	afmt_printf(b, "%" PRIu64, v);
}

void afmt_i64(struct afmt_buf *b, int64_t v)
{
	separator(b);
	afmt_printf(b, "%" PRId64, v);
}

void afmt_bool(struct afmt_buf *b, bool v)
{
	separator(b);
	afmt_rawz(b, v ? "true" : "false");
}

void afmt_null(struct afmt_buf *b)
{
	separator(b);
	afmt_raw(b, "null", 4);
}

void afmt_json(struct afmt_buf *b, const char *json, size_t n)
{
	separator(b);
	afmt_raw(b, json, n);
}

void afmt_kv_str(struct afmt_buf *b, const char *key, const char *s, size_t n)
{
	afmt_key(b, key);
	afmt_str(b, s, n);
}

void afmt_kv_strz(struct afmt_buf *b, const char *key, const char *s)
{
	afmt_key(b, key);
	afmt_strz(b, s);
}

void afmt_kv_u64(struct afmt_buf *b, const char *key, uint64_t v)
{
	afmt_key(b, key);
	afmt_u64(b, v);
}

void afmt_kv_i64(struct afmt_buf *b, const char *key, int64_t v)
{
	afmt_key(b, key);
	afmt_i64(b, v);
}

void afmt_kv_null(struct afmt_buf *b, const char *key)
{
	afmt_key(b, key);
	afmt_null(b);
}

void afmt_kv_ts(struct afmt_buf *b, const char *key, const struct timespec *ts)
{
	char s[AFMT_TS_LEN + 1];
	size_t n = afmt_ts(ts, s);

	afmt_key(b, key);
	if (n == 0)
		afmt_null(b);
	else
		afmt_str(b, s, n);
}

size_t afmt_ts(const struct timespec *ts, char out[AFMT_TS_LEN + 1])
{
	struct tm tm;
	time_t t = ts->tv_sec;
	long ns = ts->tv_nsec;
	int n;

	if (ns < 0 || ns >= 1000000000L || !gmtime_r(&t, &tm))
		return 0;
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return 0;
	n = snprintf(out, AFMT_TS_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
	if (n != AFMT_TS_LEN)
		return 0;
	return (size_t)n;
}
