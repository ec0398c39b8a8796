/* SPDX-License-Identifier: MIT */
/*
 * filelist.h - the verification manifest of one unpacked layer: what each
 * file must be, written at import, re-checked by `amber-image verify`.
 *
 * One JSON object per line (files.jsonl beside the layer's tree):
 *   {"path":"usr/bin/env","type":"reg","mode":"0755","uid":0,"gid":0,
 *    "size":43,"sha256":"sha256:...","target":null}
 * type is reg, dir, symlink, char, block or fifo; mode holds the twelve
 * permission bits in octal (setuid, setgid and sticky included); "rdev"
 * ("MAJ:MIN") is present for devices, "target" for symlinks, "link" (the
 * earlier entry) for hard links, "implicit":true for a parent directory
 * the archive did not list.  A path or target that is not valid UTF-8 is
 * also given as "path_hex"/"target_hex", which readers prefer.  "." is
 * the layer root.  The values are the image's intent (its owners and
 * modes), not what an unprivileged import could store on disk; verify
 * reads those back through the override xattr where one was written.
 *
 * Functions return 0 or -errno; filelist_load() logs what it cannot parse.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "digest.h"

struct filelist_entry {
	char *path;
	mode_t type; /* S_IFREG, S_IFDIR, ... */
	mode_t mode; /* 07777 */
	uid_t uid;
	gid_t gid;
	uint64_t size;
	dev_t rdev;
	char sha256[DIGEST_STR_MAX]; /* "" unless a regular file */
	char *target;                /* symlink target */
	char *link;                  /* hard link: the entry it links to */
	bool implicit;
};

/* A loaded manifest: entries plus a path index. */
struct filelist;

int filelist_write(FILE *f, const struct filelist_entry *e);
void filelist_entry_done(struct filelist_entry *e);

/* Reads files.jsonl from dirfd/name. */
int filelist_load(int dirfd, const char *name, struct filelist **ret);
struct filelist *filelist_free(struct filelist *fl);
size_t filelist_size(const struct filelist *fl);
/* NULL when absent. */
const struct filelist_entry *filelist_find(const struct filelist *fl, const char *path);
const struct filelist_entry *filelist_at(const struct filelist *fl, size_t i);

/* "reg", "dir", ... for S_IF* (NULL for others) and back (0 for unknown). */
const char *filelist_type_name(mode_t type);
mode_t filelist_type_from_name(const char *name);
