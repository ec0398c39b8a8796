/* SPDX-License-Identifier: MIT */
/*
 * digest.h - the content digests of OCI images: "sha256:" and 64 lowercase
 * hex digits, computed with OpenSSL's libcrypto (EVP) for streams
 * (digest.c), with sha256.h for buffers (digest_buf.c: no libcrypto, so
 * that amber-run neither loads nor initialises it).
 *
 * Blobs, diff_ids and the file hashes of the verification manifests all use
 * this one encoding.  digest_parse() is the only place that decides what a
 * well-formed digest is: image files name blobs by digest, so a digest that
 * reaches a path must have passed it (no '/', no "..", fixed length).
 * A struct digest is owned by its creator; nothing here logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_ALGO "sha256"
#define DIGEST_HEX_LEN 64
/* "sha256:" + hex + NUL */
#define DIGEST_STR_MAX (sizeof(DIGEST_ALGO) + DIGEST_HEX_LEN + 1)

struct digest;

/* NULL when out of memory. */
struct digest *digest_new(void);
void digest_update(struct digest *d, const void *buf, size_t len);
/* Writes "sha256:<hex>" and resets d for reuse. */
void digest_final(struct digest *d, char out[DIGEST_STR_MAX]);
struct digest *digest_free(struct digest *d);

/* The digest of a buffer in one call.  Returns 0 (an int for the callers
 * that used to see -ENOMEM). */
int digest_buf(const void *buf, size_t len, char out[DIGEST_STR_MAX]);
/* "sha256:" and the hex of the 32 bytes of md. */
void digest_format(const unsigned char md[DIGEST_HEX_LEN / 2], char out[DIGEST_STR_MAX]);

/*
 * Accepts exactly "sha256:" followed by 64 lowercase hex digits.  On success
 * *ret_hex (optional) points at the hex part inside s.  -EINVAL otherwise
 * (other algorithms included: this store keys everything by SHA-256).
 */
int digest_parse(const char *s, const char **ret_hex);
/* 64 lowercase hex digits and nothing else. */
bool digest_is_hex(const char *s);

static inline void digest_freep(struct digest **d)
{
	if (*d)
		digest_free(*d);
}
