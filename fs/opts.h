/* SPDX-License-Identifier: MIT */
/*
 * opts.h - amberfs's command line, turned into one validated fs_config.
 *
 * A fuse_opt table picks out amberfs's own -o options; everything else is
 * left in the fuse_args for libfuse (which rejects what it does not know).
 * Both "amberfs MOUNTPOINT" and the mount-helper form "amberfs SOURCE
 * MOUNTPOINT" are accepted.  Lists (lowerdir=, synthdir=) follow the rule
 * of common/optlist.h: split on ':', '\' takes the next character as it
 * is, as overlayfs does, and an empty element is refused.
 * meta.KEY=VALUE options (repeatable; a ',' or '\' inside VALUE is escaped
 * with '\', as fuse_opt reads it) land in options_json as "meta":{...}:
 * labels such as a container id that the start record carries verbatim.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "strv.h"

struct fs_config {
	struct strv lowerdirs;
	struct strv synthdirs; /* normalized absolute paths */
	char *source;
	char *mountpoint;
	char *log_path;
	char *pidfile;
	int deny_errno;
	bool kernel_ro;
	bool log_drop;
	bool nosplice;
	bool noopendir; /* FUSE_CAP_NO_OPENDIR_SUPPORT: see the man page */
	bool noconfine;
	bool foreground;
	bool debug;
	bool single_thread;
	uint64_t log_max_size;
	unsigned log_keep;
	unsigned threads;
	/* squash_to_uid=/squash_to_gid= (squash_to_root: both 0); -1 when unset */
	int64_t squash_uid, squash_gid;
	/* xattr_permissions=: the xattr holding "UID:GID:MODE", or NULL */
	const char *override_xattr;
	char *options_json; /* for the audit start record */
};

/* Normalizes an absolute merged-tree path; -EINVAL if it is not one. */
int opts_normalize_abs(const char *in, char **ret);

/*
 * Parses and validates.  Returns 0 to go on, 1 when help or version was
 * printed (exit 0), or -errno after logging one message.
 */
int opts_parse(struct fuse_args *args, struct fs_config *cfg);
void opts_free(struct fs_config *cfg);
