/* SPDX-License-Identifier: MIT */
/*
 * audit_render.h - the values that only the daemon's records hold, rendered
 * with the project's JSON writer (common/audit_fmt.h): the open(2) and
 * renameat2(2) flags of an attempt as arrays of the names that
 * common/audit_schema.h owns, and errno names (the errno_name of attempts,
 * the write_error reason of losses, process.error).
 *
 * Pure functions: safe from any thread.  A failed allocation is the
 * buffer's sticky failure, as everywhere in audit_fmt.
 */
#pragma once

#include "audit_fmt.h"

/* "EROFS" for 30; NULL for a number the C library has no name for.
 * Accepts negative values (the -errno convention). */
const char *audit_errno_name(int err);
/* Appends a JSON array of O_* names; unknown bits become one "0x..." string. */
void audit_render_open_flags(struct afmt_buf *b, int flags);
/* Appends a JSON array of RENAME_* names; unknown bits become "0x...". */
void audit_render_rename_flags(struct afmt_buf *b, unsigned flags);
