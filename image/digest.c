/* SPDX-License-Identifier: MIT */
/*
 * digest.c - SHA-256 through libcrypto's EVP interface (see digest.h).
 */
#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest {
	EVP_MD_CTX *ctx;
};

struct digest *digest_new(void)
{
	struct digest *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
		return digest_free(d);
	return d;
}

void digest_update(struct digest *d, const void *buf, size_t len)
{
	if (len > 0)
		EVP_DigestUpdate(d->ctx, buf, len);
}

void digest_final(struct digest *d, char out[DIGEST_STR_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *p;

	EVP_DigestFinal_ex(d->ctx, md, &n);
	p = stpcpy(out, DIGEST_ALGO ":");
	for (unsigned int i = 0; i < n && i < DIGEST_HEX_LEN / 2; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
	EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL);
}

struct digest *digest_free(struct digest *d)
{
	if (d) {
		EVP_MD_CTX_free(d->ctx);
		free(d);
	}
	return NULL;
}

int digest_buf(const void *buf, size_t len, char out[DIGEST_STR_MAX])
{
	struct digest *d = digest_new();

	if (!d)
		return -ENOMEM;
	digest_update(d, buf, len);
	digest_final(d, out);
	digest_free(d);
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
