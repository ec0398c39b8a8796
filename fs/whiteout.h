/* SPDX-License-Identifier: MIT */
/*
 * whiteout.h - the only module that knows how layers mark deletions.
 *
 * Three whiteout forms are accepted in any layer and may be mixed freely:
 *   - a character device 0/0 (overlayfs),
 *   - a zero-size regular file carrying trusted.overlay.whiteout or
 *     user.overlay.whiteout (overlayfs "xwhiteouts"),
 *   - an OCI ".wh.NAME" entry that hides NAME in lower layers.
 * Opaque directories: trusted.overlay.opaque / user.overlay.opaque = "y", or
 * an OCI ".wh..wh..opq" entry.  The value "x" only says the directory holds
 * xattr whiteouts; it is not opaque.
 *
 * Everything here is a pure predicate on names, stat data or xattr values;
 * the syscalls that fetch those live in index.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define WHITEOUT_OCI_PREFIX ".wh."
#define WHITEOUT_OCI_PREFIX_LEN 4
#define WHITEOUT_OCI_OPAQUE ".wh..wh..opq"

extern const char *const whiteout_xattr_names[2];
extern const char *const whiteout_opaque_xattr_names[2];

/* ".wh..wh..opq" */
bool whiteout_is_oci_opaque(const char *name);
/* ".wh.NAME" other than the opaque marker; returns NAME or NULL. */
const char *whiteout_oci_target(const char *name);
/* Any name that must never be visible in the merged tree. */
bool whiteout_is_internal_name(const char *name);
/* Character device 0/0. */
bool whiteout_is_chardev(const struct stat *st);
/* Candidate for an xattr whiteout: zero-size regular file. */
bool whiteout_maybe_xattr(const struct stat *st);
/* Value of an *.overlay.opaque xattr: true only for "y". */
bool whiteout_opaque_value(const char *value, size_t len);
/* trusted.overlay.* and user.overlay.*: hidden from getxattr/listxattr. */
bool whiteout_is_internal_xattr(const char *name);
