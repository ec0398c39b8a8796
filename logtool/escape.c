/* SPDX-License-Identifier: MIT */
/*
 * escape.c - terminal-safe text; see escape.h for the rules.
 *
 * One small UTF-8 decoder (RFC 3629 table 3-7) serves the escaper, the
 * validity check and the lossy copy, so the three never disagree about
 * which bytes are valid.
 */
#include "escape.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const char hexdig[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at p (n > 0 bytes left) and its code
 * point in *ret_cp, or 0 when the byte at p does not start one. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;
	uint32_t cp;

	if (c < 0x80) {
		*ret_cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* <= U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*ret_cp = cp;
	return len;
}

/* Code points a terminal may act on, or that reorder what is shown. */
static bool cp_needs_escape(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||     /* C1 controls (CSI, OSC, ...) */
	       cp == 0x061c ||                   /* arabic letter mark */
	       cp == 0x200e || cp == 0x200f ||   /* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* separators, LRE RLE PDF LRO RLO */
	       (cp >= 0x2066 && cp <= 0x2069);   /* LRI RLI FSI PDI */
}

size_t esc_unit(const char *s, size_t n, char out[ESC_UNIT_MAX], size_t *ret_len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t k = utf8_decode(p, n, &cp);

	if (k == 0 || (k == 1 && (cp < 0x20 || cp == 0x7f))) {
		/* a byte that is not UTF-8, or a C0 control / DEL */
		const char *named = NULL;
		if (k == 1)
			named = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : NULL;
		if (named) {
			memcpy(out, named, 3);
			*ret_len = 2;
		} else {
			out[0] = '\\';
			out[1] = 'x';
			out[2] = hexdig[p[0] >> 4];
			out[3] = hexdig[p[0] & 0xf];
			out[4] = '\0';
			*ret_len = 4;
		}
		return 1;
	}
	if (k == 1 && cp == '\\') {
		memcpy(out, "\\\\", 3);
		*ret_len = 2;
		return 1;
	}
	if (cp_needs_escape(cp)) {
		out[0] = '\\';
		out[1] = 'u';
		for (int i = 0; i < 4; i++)
			out[2 + i] = hexdig[(cp >> (12 - 4 * i)) & 0xf];
		out[6] = '\0';
		*ret_len = 6;
		return k;
	}
	memcpy(out, s, k);
	out[k] = '\0';
	*ret_len = k;
	return k;
}

/* Columns a unit takes: an escape is ASCII, a character is one. */
static size_t unit_cells(const char *u, size_t len)
{
	return (unsigned char)u[0] >= 0x80 ? 1 : len;
}

/* Printable ASCII other than '\\': shown as it is. */
static bool plain(char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

void esc_write(FILE *f, const char *s, size_t n)
{
	char u[ESC_UNIT_MAX];
	size_t len;

	while (n > 0) {
		size_t k = 0;
		while (k < n && plain(s[k]))
			k++;
		if (k) { /* the common case, in one call */
			fwrite(s, 1, k, f);
		} else {
			k = esc_unit(s, n, u, &len);
			fwrite(u, 1, len, f);
		}
		s += k;
		n -= k;
	}
}

void esc_puts(FILE *f, const char *s)
{
	if (s)
		esc_write(f, s, strlen(s));
}

void esc_column(FILE *f, const char *s, size_t width, bool cut)
{
	char u[ESC_UNIT_MAX];
	size_t n = s ? strlen(s) : 0, used = 0, len;

	while (n > 0) {
		size_t k = esc_unit(s, n, u, &len), cells = unit_cells(u, len);
		if (cut && used + cells > width)
			break;
		fwrite(u, 1, len, f);
		used += cells;
		s += k;
		n -= k;
	}
	for (; used < width; used++)
		fputc(' ', f);
}

char *esc_strdup(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	esc_puts(f, s);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

bool esc_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_decode(p + i, n - i, &cp);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

int esc_json_add_bytes(struct json_object *o, const char *key, const char *s)
{
	_cleanup_free_ char *lossy = NULL, *hex = NULL, *hkey = NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k = 0;
	uint32_t cp;

	if (!s || esc_utf8_valid(s, n = strlen(s)))
		return json_object_object_add(o, key, s ? json_object_new_string(s) : NULL) < 0 ? -ENOMEM : 0;
	/* 3 bytes of U+FFFD per bad byte at most; 2 hex digits per byte */
	lossy = malloc(3 * n + 1);
	hex = malloc(2 * n + 1);
	if (!lossy || !hex || asprintf(&hkey, "%s_hex", key) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			memcpy(lossy + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		} else {
			memcpy(lossy + k, p + i, len);
			k += len;
			i += len;
		}
	}
	lossy[k] = '\0';
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = hexdig[p[i] >> 4];
		hex[2 * i + 1] = hexdig[p[i] & 0xf];
	}
	hex[2 * n] = '\0';
	if (json_object_object_add(o, key, json_object_new_string(lossy)) < 0 ||
	    json_object_object_add(o, hkey, json_object_new_string(hex)) < 0)
		return -ENOMEM;
	return 0;
}
