/* SPDX-License-Identifier: MIT */
/*
 * verify.h - re-checks an unpacked layer against its manifest (filelist.h).
 *
 * Walks the whole tree below the layer root (never following a symlink,
 * never crossing into another file system's mount), hashes every regular
 * file, and compares path, type, mode, owner, size, content hash, symlink
 * target and device number with the manifest.  Where the layer was written
 * with override xattrs, the owner, mode and type come from the xattr (a
 * missing or rewritten xattr is drift too).  Every difference is reported:
 * changed (with the fields), added (on disk, not in the manifest) and
 * removed (in the manifest, not on disk).  Read-only; not thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "filelist.h"
#include "unpack.h"

enum verify_kind {
	VERIFY_CHANGED,
	VERIFY_ADDED,
	VERIFY_REMOVED,
	_VERIFY_KIND_MAX,
	_VERIFY_KIND_INVALID = -EINVAL,
};

struct verify_item {
	enum verify_kind kind;
	char *path;
	char *fields; /* CHANGED: "mode,sha256" ...; else NULL */
};

struct verify_report {
	struct verify_item *items;
	size_t n_items, cap;
	size_t n_checked;
};

/* Compares root_fd's tree with fl; 0 (drift or not: see n_items) or -errno
 * when the walk itself failed. */
int verify_layer(int root_fd, const struct filelist *fl, enum unpack_owners owners, struct verify_report *rep);
void verify_report_done(struct verify_report *rep);
const char *verify_kind_name(enum verify_kind k);
