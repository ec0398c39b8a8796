/* SPDX-License-Identifier: MIT */
/*
 * changeset.h - the net effect of a replay on each path, in git-status
 * terms.  Pure bookkeeping (no file system calls), so it is unit-tested on
 * its own: replay.c applies an attempt to the scratch tree and, when that
 * succeeds, tells the change set what happened.
 *
 * Net effects fold: created then deleted is nothing; a rename chain a->b->c
 * is "renamed a -> c"; a directory rename carries the changes recorded
 * beneath it; renaming back cancels out.  Content is never invented: open
 * for writing, write, fallocate, copy_file_range, setxattr values and ioctl
 * are recorded as what was attempted, not as a new content.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum cs_flag {
	CS_CREATED = 1 << 0,
	CS_DELETED = 1 << 1,
	CS_RENAMED = 1 << 2,       /* from holds the original path */
	CS_REPLACED = 1 << 3,      /* a rename landed on an existing original entry */
	CS_CHMOD = 1 << 4,
	CS_CHOWN = 1 << 5,
	CS_TRUNCATED = 1 << 6,     /* truncate(2)/ftruncate to a known size */
	CS_WOULD_TRUNCATE = 1 << 7,/* opened with O_TRUNC: emptied, later content unknown */
	CS_OPENED_WRITE = 1 << 8,  /* opened for writing: content unknown */
	CS_WRITTEN = 1 << 9,       /* write/fallocate/copy_file_range: content unknown */
	CS_XATTR = 1 << 10,
	CS_TIMES = 1 << 11,
	CS_IOCTL = 1 << 12,
};

struct changeset;

struct changeset *changeset_new(void);
struct changeset *changeset_free(struct changeset *cs);

/* mode < 0 when unknown.  type: 'f' file, 'd' directory, 'l' symlink, 'c'/'b' device, 'p' fifo, 's' socket, 'h' hard link */
void cs_create(struct changeset *cs, const char *path, char type, int64_t mode, int64_t uid, int64_t gid,
	       const char *detail, int64_t seq);
void cs_delete(struct changeset *cs, const char *path, int64_t seq);
/* target_existed: an entry was at new_path before (it is replaced). */
void cs_rename(struct changeset *cs, const char *old_path, const char *new_path, bool exchange,
	       bool target_existed, int64_t seq);
/* old_mode < 0 when unknown. */
void cs_chmod(struct changeset *cs, const char *path, int64_t old_mode, mode_t new_mode, int64_t seq);
void cs_chown(struct changeset *cs, const char *path, int64_t uid, int64_t gid, int64_t seq);
void cs_truncate(struct changeset *cs, const char *path, int64_t old_size, int64_t new_size, int64_t seq);
void cs_mark(struct changeset *cs, const char *path, enum cs_flag flag, const char *note, int64_t seq);
void cs_xattr(struct changeset *cs, const char *path, const char *name, bool removed, int64_t seq);

size_t changeset_size(const struct changeset *cs);
/* One line per (path, kind of change), sorted by path; or one JSON object
 * per path with --json. */
void changeset_print(const struct changeset *cs, FILE *f, bool json);
/* The flags recorded for path (0 when none): for tests. */
unsigned changeset_flags(const struct changeset *cs, const char *path);
const char *changeset_from(const struct changeset *cs, const char *path);
