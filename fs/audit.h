/* SPDX-License-Identifier: MIT */
/*
 * audit.h - the audit log writer: every refused mutation is accounted for, in
 * its own attempt record, in a summary of exact repeats, or in a loss record.
 *
 * fs/gate.c turns each refused FUSE request into a struct audit_event and
 * calls audit_submit() on the FUSE worker thread, before replying.  That call
 * reads the caller's /proc facts, coalesces identical repeats and hands a
 * rendered record to a bounded queue; one writer thread numbers, chains and
 * appends the records (JSON Lines, schema in docs/audit-log.md), rotates by
 * size, reopens on SIGHUP and accounts for everything it could not write.
 * Memory is bounded whatever the flood: a fixed ring of slots with a byte
 * budget, a fixed coalescing table, a fixed /proc cache.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "audit_schema.h" /* enum audit_action, the names of the records */

enum { /* bits of audit_args.has */
	AUDIT_ARG_FLAGS = 1 << 0,
	AUDIT_ARG_MODE = 1 << 1,
	AUDIT_ARG_UID = 1 << 2,
	AUDIT_ARG_GID = 1 << 3,
	AUDIT_ARG_SIZE = 1 << 4,
	AUDIT_ARG_OFFSET = 1 << 5,
	AUDIT_ARG_LENGTH = 1 << 6,
	AUDIT_ARG_NAME = 1 << 7,
	AUDIT_ARG_CMD = 1 << 8,
	AUDIT_ARG_RDEV = 1 << 9,
	AUDIT_ARG_TARGET = 1 << 10,
	AUDIT_ARG_RENAME_FLAGS = 1 << 11,
	AUDIT_ARG_ATIME = 1 << 12,
	AUDIT_ARG_MTIME = 1 << 13,
	AUDIT_ARG_VALUE = 1 << 14,
};

struct audit_args {
	unsigned has;
	int flags; /* open(2) flags */
	mode_t mode;
	uid_t uid; /* chown target (uid_t)-1 = unchanged */
	gid_t gid;
	uint64_t size, offset, length;
	const char *name; /* xattr name */
	const void *value; /* xattr value, `length` bytes: the record shows its digest */
	unsigned long cmd; /* ioctl */
	dev_t rdev;
	const char *target;           /* symlink target */
	unsigned rename_flags;        /* RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT */
	struct timespec atime, mtime; /* tv_nsec == UTIME_NOW means "now" */
};

struct audit_event {
	enum audit_action action;
	int err;          /* positive errno that the caller gets (EROFS by default) */
	const char *path; /* merged-tree path, starts with '/', raw bytes (maybe not UTF-8) */
	size_t path_len;
	const char *new_path; /* rename/link destination, symlink's link path; NULL otherwise */
	size_t new_path_len;
	int layer; /* layer index of the entry, -1 when there is none */
	struct audit_args args;
	pid_t tid; /* fuse_req_ctx()->pid: the calling thread */
	uid_t uid; /* fuse_req_ctx()->uid / gid */
	gid_t gid;
	struct timespec ts; /* CLOCK_REALTIME when the request arrived */
};

struct audit_layer {
	const char *path;
	const char *digest;
};

struct audit_config {
	const char *path;       /* NULL: no file, totals are still counted */
	bool policy_drop;       /* false = "block": the offending caller waits (bounded, ~1 s) for space */
	uint64_t max_size;      /* 0: no size rotation */
	unsigned keep;          /* rotated files kept (FILE.1 .. FILE.keep) */
	size_t queue_len;       /* 0: default */
	unsigned coalesce_ms;   /* 0: default 1000 */
	const char *mountpoint;
	const char *options_json; /* a JSON object rendered by the caller, copied into start.options */
	const struct audit_layer *layers;
	size_t n_layers;
};

struct audit_totals {
	uint64_t attempts, written, summarized, lost, records;
	uint64_t by_action[_AUDIT_ACTION_MAX];
	uint64_t lost_by_action[_AUDIT_ACTION_MAX];
	/* Why attempts were lost (lost = lost_queue + lost_write), and how many
	 * of them a `loss` record in the log announces: the rest are known
	 * only to the daemon (its exit message). */
	uint64_t lost_queue;    /* dropped before the writer: queue full, wait timed out, no memory */
	uint64_t lost_write;    /* numbered, but the write failed */
	uint64_t lost_reported; /* announced by loss records that were written */
	int write_err;          /* the last write error (positive errno), 0 if none */
	bool stop_written;      /* set by audit_free(): the stop record is in the log */
};

struct audit;

/* Opens/creates the file (O_APPEND|O_CLOEXEC, 0600), writes `start`, starts
 * the writer thread.  Fails with -errno when the file cannot be opened or
 * written (-EINVAL: not a regular file), logging only at debug level: the
 * caller prints the one error line. */
int audit_new(const struct audit_config *cfg, struct audit **ret);

/* On the FUSE worker thread, before the reply: reads /proc/<tid> (cached per
 * pid+start time), coalesces, enqueues.  Never blocks longer than the
 * bounded wait.  Thread-safe.  Returns 0 or -errno (-EINVAL for a malformed
 * event; a lost event still returns 0: it is counted). */
int audit_submit(struct audit *a, const struct audit_event *ev);

/* Whether audit_submit() would now wait for room (log_policy=block, queue
 * full): the daemon's loop thread then leaves the refusal to a worker. */
bool audit_congested(struct audit *a);

/* Async-signal-safe: ask the writer thread to reopen the file (SIGHUP,
 * logrotate "create"). */
void audit_request_reopen(struct audit *a);

/* An attempt that never became an event (the gate ran out of memory before
 * it could describe it): counted as an attempt and as lost.  Thread-safe. */
void audit_note_lost(struct audit *a, enum audit_action action);

/* Flushes pending summaries and losses, writes `stop` (retrying for a few
 * seconds while the disk refuses it: the unmount waits that long), closes,
 * joins, frees.  NULL is fine.  ret_totals may be NULL. */
void audit_free(struct audit *a, struct audit_totals *ret_totals);

/* Why t->lost attempts were not recorded one by one, in words for the exit
 * message ("the log could not be written (No space left on device)"; and
 * when the log lacks the loss records or the stop record, that too).
 * Writes into buf and returns it. */
const char *audit_loss_reason(const struct audit_totals *t, const char *path, char *buf,
			      size_t size);

/* Not part of the daemon's API: the current totals (a consistent snapshot),
 * and a switch that holds the writer thread still so tests can fill the
 * queue deterministically. */
void audit_get_totals(struct audit *a, struct audit_totals *ret);
void audit_test_pause_writer(struct audit *a, bool pause);
