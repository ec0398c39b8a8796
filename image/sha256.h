/* SPDX-License-Identifier: MIT */
/*
 * sha256.h - SHA-256 (FIPS 180-4) of a buffer in one call, without
 * libcrypto.
 *
 * For the small blobs that amber-run checks on every start (an image's
 * config): loading and initialising OpenSSL costs it more than a
 * millisecond, hashing a few kilobytes here some microseconds.  Layers
 * and large blobs are hashed as streams through digest.h (libcrypto).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN]);
