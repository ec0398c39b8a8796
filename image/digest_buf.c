/* SPDX-License-Identifier: MIT */
/*
 * digest_buf.c - digests of buffers, and what a digest looks like (see
 * digest.h).  No libcrypto here: see sha256.h.
 */
#include "digest.h"

#include <errno.h>
#include <string.h>

#include "sha256.h"

void digest_format(const unsigned char md[DIGEST_HEX_LEN / 2], char out[DIGEST_STR_MAX])
{
	static const char hex[] = "0123456789abcdef";
	char *p = stpcpy(out, DIGEST_ALGO ":");

	for (size_t i = 0; i < DIGEST_HEX_LEN / 2; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

int digest_buf(const void *buf, size_t len, char out[DIGEST_STR_MAX])
{
	uint8_t md[SHA256_LEN];

	sha256_buf(buf, len, md);
	digest_format(md, out);
	return 0;
}

bool digest_is_hex(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

int digest_parse(const char *s, const char **ret_hex)
{
	const size_t plen = strlen(DIGEST_ALGO ":");

	if (!s || strncmp(s, DIGEST_ALGO ":", plen) != 0 || !digest_is_hex(s + plen))
		return -EINVAL;
	if (ret_hex)
		*ret_hex = s + plen;
	return 0;
}
