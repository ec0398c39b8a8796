/* SPDX-License-Identifier: MIT */
/*
 * caps.h - capability names and the container's capability sets.
 *
 * The default set is Docker's (14 capabilities: CapEff 00000000a80425fb).
 * In the command's process (exec.c), caps_bounding_apply() cuts the
 * bounding set to the final set before the uid switch, and for root
 * caps_set() then sets the permitted and effective sets to it (inheritable
 * empty), just before no_new_privs, seccomp and exec.
 */
#pragma once

#include <stdint.h>

#define CAPS_DEFAULT                                                           \
	((1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) |  \
	 (1ULL << 6) | (1ULL << 7) | (1ULL << 8) | (1ULL << 10) | (1ULL << 13) | \
	 (1ULL << 18) | (1ULL << 27) | (1ULL << 29) | (1ULL << 31))

#define CAPS_ALL (~0ULL)

/* "net_admin", "CAP_NET_ADMIN", "ALL": sets *ret to the bit mask. */
int cap_from_name(const char *name, uint64_t *ret);
const char *cap_to_name(int cap);

/* Default set plus add, minus drop; drop = ALL leaves add alone. */
uint64_t caps_compute(uint64_t add, uint64_t drop);

/* What this process can pass on: its bounding set (PR_CAPBSET_READ),
 * only capabilities this kernel knows. */
uint64_t caps_grantable(void);
/* Every capability this kernel knows (0 .. cap_last_cap): what root of a
 * new user namespace holds, whose bounding set starts full. */
uint64_t caps_known(void);
/*
 * The container's final set: caps_compute(add, drop) cut to grantable.
 * The default set is cut silently and "--cap-add ALL" means every
 * grantable capability; one named in add (not through ALL) that is not
 * grantable is an error: -EPERM, its number in *ret_missing.
 */
int caps_resolve(uint64_t add, uint64_t drop, uint64_t grantable, uint64_t *ret, int *ret_missing);
/* The first capability of want that this process does not hold in its
 * permitted set, or -1 (for the message when caps_set() fails). */
int caps_first_unheld(uint64_t want);

/* Bounding set = want (needs CAP_SETPCAP: call it before a uid switch). */
int caps_bounding_apply(uint64_t want);
/* Effective and permitted = want, inheritable and ambient empty (a uid
 * switch away from 0 would clear them, as for any non-root user). */
int caps_set(uint64_t want);
