/* SPDX-License-Identifier: MIT */
/*
 * parse.h - strict parsing of numbers and sizes given on a command line.
 *
 * Shared by every program that takes a number from the user (amberfs -o
 * options, amber-run's --tmpfs size=).  The rules are the same everywhere:
 *   - plain decimal digits only: no sign, no space, no "0x", no empty string;
 *   - a value that does not fit is -ERANGE, never silently wrapped or clipped;
 *   - anything else, NULL included, is -EINVAL.
 * *ret is written only on success.  No function here logs: the caller names
 * the option in its one error message.  Pure functions, thread-safe.
 */
#pragma once

#include <stdint.h>

/*
 * A size in bytes: decimal digits with an optional binary suffix,
 * K/k (2^10), M/m (2^20), G/g (2^30) or T/t (2^40), and nothing after it.
 * "0" is valid.  Returns 0, -EINVAL (garbage) or -ERANGE (more than
 * UINT64_MAX bytes).
 */
int parse_size(const char *s, uint64_t *ret);

/*
 * A plain decimal number from 0 to max (inclusive), no suffix.  Returns 0,
 * -EINVAL (garbage) or -ERANGE (greater than max).
 */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);
