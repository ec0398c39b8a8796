/* SPDX-License-Identifier: MIT */
/* parse.c - strict number and size parsing; see parse.h. */
#include "parse.h"

#include <errno.h>
#include <stdbool.h>

/*
 * Leading decimal digits of s into *ret; *ret_end points past them.  strtoull
 * is not used: it skips white space, takes a sign (and negates "-1" into
 * UINT64_MAX) and reports overflow only through errno.
 */
static int parse_digits(const char *s, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	bool overflow = false;
	const char *p = s;

	if (!s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = *p - '0';

		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (p == s)
		return -EINVAL;
	*ret = v;
	*ret_end = p;
	/* "99999999999999999999x" is garbage first, too big second */
	return overflow ? -ERANGE : 0;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -EINVAL;
	}
}

int parse_size(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r, shift = 0;

	r = parse_digits(s, &v, &end);
	if (r == -EINVAL)
		return r;
	if (*end) {
		shift = suffix_shift(*end);
		if (shift < 0 || end[1])
			return -EINVAL;
	}
	if (r < 0)
		return r;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

int parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r;

	r = parse_digits(s, &v, &end);
	if (r == -EINVAL || *end)
		return -EINVAL;
	if (r < 0 || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}
