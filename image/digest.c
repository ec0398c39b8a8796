/* SPDX-License-Identifier: MIT */
/*
 * digest.c - SHA-256 of streams through libcrypto's EVP interface (see
 * digest.h).  Parsing and buffers are in digest_buf.c, which needs no
 * libcrypto (amber-run links only that one).
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
	unsigned char md[EVP_MAX_MD_SIZE] = { 0 };
	unsigned int n = 0;

	EVP_DigestFinal_ex(d->ctx, md, &n);
	digest_format(md, out);
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
