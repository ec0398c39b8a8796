/* SPDX-License-Identifier: MIT */
/*
 * procinfo.h - who is calling: process facts from /proc/<tid>, for the
 * audit record's "process" object.
 *
 * Read on the FUSE worker thread *before* the reply: the caller is blocked
 * in the syscall until then, so the tid cannot be reused underneath us.
 * /proc/<tid>/stat is read every time (it gives the thread's start time,
 * comm and ppid; a cached thread's through the file opened for it, which
 * fails once that thread is gone), and so is cwd; the costlier facts (Tgid,
 * exe, cmdline, the process start time) are cached per (tid, thread start
 * time) in a fixed-size table, and
 * refreshed when comm changes (exec) or the entry is older than a second, so a
 * stale argv can outlive an exec that kept the same comm by at most that.
 * What cannot be read is never guessed: the field is null and "error" says
 * which read failed and why.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "audit_fmt.h"

struct procinfo_cache;

/* slots: number of cached processes (0: default 256). */
int procinfo_cache_new(size_t slots, struct procinfo_cache **ret);
struct procinfo_cache *procinfo_cache_free(struct procinfo_cache *c);

/* Forks a helper process that reads /proc/<pid>/exe and /proc/<pid>/cwd on
 * request, for when the caller is about to confine itself with Landlock
 * (whose ptrace check then refuses those two links of other processes).
 * Call it before confining; the helper exits when the cache is freed or the
 * caller dies.  Without it, those fields are null with an "error" saying so. */
int procinfo_start_helper(struct procinfo_cache *c);

/* Appends the JSON object {"pid","tid","ppid","name","executable","args",
 * "cwd","start_time"[,"error"]} for thread tid to b (as a value: call
 * afmt_key() first).  When /proc/<tid> cannot be read at all the object is
 * {"pid":null,"tid":T,"error":"..."}.  *ret_pid gets the thread group id,
 * or -1 when it is unknown.  Thread-safe. */
void procinfo_render(struct procinfo_cache *c, pid_t tid, struct afmt_buf *b, pid_t *ret_pid);

/* Lookup statistics, for tests. */
void procinfo_stats(struct procinfo_cache *c, unsigned long *ret_hits, unsigned long *ret_misses);
