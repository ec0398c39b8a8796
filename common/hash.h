/* SPDX-License-Identifier: MIT */
/*
 * hash.h - the one hash the project uses for its audit chain and digests:
 * XXH3-128, printed as 32 lowercase hex digits in xxhash's canonical
 * (big-endian) byte order.  Writer (fs/audit.c) and verifier (amber-log)
 * both call this, so the two can never disagree on the encoding.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HASH_HEX_LEN 32

/* Writes HASH_HEX_LEN hex digits and a NUL to out. */
void hash128_hex(const void *buf, size_t len, char out[HASH_HEX_LEN + 1]);

/* Streaming form for data that arrives in pieces. */
struct hash128_state;
struct hash128_state *hash128_new(void);
void hash128_update(struct hash128_state *s, const void *buf, size_t len);
/* Writes the digest and frees the state. */
void hash128_final_hex(struct hash128_state *s, char out[HASH_HEX_LEN + 1]);

/* 64-bit hash for in-memory tables. */
uint64_t hash64(const void *buf, size_t len);
