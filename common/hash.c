/* SPDX-License-Identifier: MIT */
/* hash.c - thin wrapper over xxhash; see hash.h. */
#include "hash.h"

#include <stdio.h>
#include <xxhash.h>

static void canonical_hex(XXH128_hash_t h, char out[HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, h);
	for (size_t i = 0; i < sizeof(c.digest); i++) {
		out[2 * i] = digits[c.digest[i] >> 4];
		out[2 * i + 1] = digits[c.digest[i] & 0xf];
	}
	out[HASH_HEX_LEN] = '\0';
}

void hash128_hex(const void *buf, size_t len, char out[HASH_HEX_LEN + 1])
{
	canonical_hex(XXH3_128bits(buf, len), out);
}

struct hash128_state *hash128_new(void)
{
	XXH3_state_t *s = XXH3_createState();

	if (s)
		XXH3_128bits_reset(s);
	return (struct hash128_state *)s;
}

void hash128_update(struct hash128_state *s, const void *buf, size_t len)
{
	XXH3_128bits_update((XXH3_state_t *)s, buf, len);
}

void hash128_final_hex(struct hash128_state *s, char out[HASH_HEX_LEN + 1])
{
	canonical_hex(XXH3_128bits_digest((XXH3_state_t *)s), out);
	XXH3_freeState((XXH3_state_t *)s);
}

uint64_t hash64(const void *buf, size_t len)
{
	return XXH3_64bits(buf, len);
}
