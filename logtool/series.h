/* SPDX-License-Identifier: MIT */
/*
 * series.h - what verify learns about a log series from the file system
 * rather than from the bytes: whether a writer still holds the last file,
 * and which rotated neighbours (FILE.N) exist on disk.
 *
 * The writer's lock: the amberfs daemon holds flock(LOCK_SH) on the log
 * file it writes, from opening it until after its final stop record is
 * written and flushed, and on rotation locks the new file before it
 * releases the old one.  So a file nobody else holds a lock on is finished:
 * whoever wrote it stopped, cleanly (stop record) or not (crash, SIGKILL).
 * The reader tests that with flock(LOCK_EX | LOCK_NB) on a read-only
 * descriptor of its own and lets go at once; it never waits holding a lock,
 * so it can delay a daemon that opens the file at that instant by a few
 * microseconds at most, never block it.
 *
 * Rotation names: log_max_size rotation renames FILE.(K-1) -> FILE.K ...
 * FILE -> FILE.1 and starts a new FILE; FILE.K, the oldest kept, is
 * overwritten (log_keep).  These helpers only compute and test names.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1 when some other open file holds a lock on path (a writer is active),
 * 0 when none does, -errno when path cannot be opened or tested. */
int series_writer_active(const char *path);

/* Polls series_writer_active() until no writer holds path, for at most
 * timeout_ms (says once on stderr that it waits, and why).  Returns 0 when
 * no writer holds it (or the file does not exist), -ETIMEDOUT when one
 * still does at the deadline, another -errno when it cannot be tested. */
int series_wait_writer(const char *path, uint64_t timeout_ms);

/* The name rotation gives the file before / after path in its series:
 * FILE.N -> FILE.(N+1) / FILE.(N-1), FILE.1 -> FILE.2 / FILE, FILE ->
 * FILE.1 / none.  A malloc'ed string, or NULL (none, or out of memory). */
char *series_older_name(const char *path);
char *series_newer_name(const char *path);

/* True when path names an existing regular file that is not one of the n
 * files (compared by device and inode, so another spelling of a given file
 * is not "another file"). */
bool series_other_file_exists(const char *path, char *const *files, size_t n);
