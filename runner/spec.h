/* SPDX-License-Identifier: MIT */
/*
 * spec.h - the declarative mount list of one container.
 *
 * The options become a list of mount operations (struct mount_op) before
 * anything is mounted; spec_validate() checks the list against a whitelist
 * (which kinds may go where, which tmpfs options are allowed, that sources
 * exist, that no destination escapes the root or lands in /proc or /dev).
 * mounts.c then carries the list out in order: it never decides policy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "opts.h"

enum mount_kind {
	MOUNT_ROOTFS,    /* amberfs at "/" */
	MOUNT_PROC,      /* a new procfs at /proc */
	MOUNT_DEV,       /* minimal /dev: tmpfs, host device binds, pts, shm */
	MOUNT_SYSFS,     /* read-only /sys (a new sysfs, or the host's, bound) */
	MOUNT_TMPFS,     /* --tmpfs */
	MOUNT_BIND,      /* -v / --ro-bind */
	MOUNT_ETC_FILE,  /* generated /etc/hosts, /etc/hostname, /etc/resolv.conf */
	_MOUNT_KIND_MAX,
	_MOUNT_KIND_INVALID = -22,
};

struct mount_op {
	enum mount_kind kind;
	char *src;           /* host path (BIND, ETC_FILE), absolute */
	char *dst;           /* container path: absolute, lexically clean */
	char *data;          /* tmpfs: "mode=1777,size=64m,..." */
	unsigned long flags; /* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC */
	bool optional;       /* ETC_FILE: only when the image has the path */
	bool src_is_dir;     /* BIND */
};

struct spec {
	struct mount_op *ops;
	size_t n;
};

#define TMPFS_DEFAULT_SIZE "64m"

const char *mount_kind_to_string(enum mount_kind k);

/* "/a//b/./c/../d" -> "/a/b/d".  -EINVAL: not absolute or empty;
 * -EXDEV: ".." climbs above "/". */
int path_clean(const char *in, char **ret);

/* "DST[:opt,opt...]" -> MOUNT_TMPFS op.  Logs and returns -EINVAL.
 * Numbers are checked for overflow and passed on in decimal (mode in
 * octal); size=0 and nr_inodes=0, which tmpfs reads as "no limit", and
 * sizes that do not fit are refused. */
int spec_parse_tmpfs(const char *arg, struct mount_op *ret);
/* "SRC:DST[:ro|rw]" (or "SRC:DST" with force_ro) -> MOUNT_BIND op.  The
 * source is made absolute against the cwd but not checked here. */
int spec_parse_volume(const char *arg, bool force_ro, struct mount_op *ret);

/* Builds the whole list: root, /proc, /dev, /sys, user mounts sorted parents
 * first, then the /etc files from etc_dir (NULL: none). */
int spec_build(const struct run_opts *o, const char *etc_dir, struct spec *ret);
/* Appends the generated /etc files (hosts, hostname, resolv.conf) from
 * etc_dir, except where a volume already provides one. */
int spec_add_etc_files(struct spec *s, const char *etc_dir);
/* Whitelist check; with check_sources, also that bind sources exist. */
int spec_validate(struct spec *s, bool check_sources);
/* The directories amberfs must synthesize when the image lacks them. */
int spec_synthdirs(const struct spec *s, struct strv *ret);
void mount_op_free(struct mount_op *op);
void spec_free(struct spec *s);
