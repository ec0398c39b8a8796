/* SPDX-License-Identifier: MIT */
/*
 * logsum.h - what the audit log says about one run: amber-run's exit line.
 *
 * logsum_mark() notes where the log stands before the run (which file,
 * how long); logsum_read() then reads this run's session back.  Normally
 * the last line is the session's "stop" record: totals.attempts is the
 * number of refused writes and totals.lost how many of them the log could
 * not record; the session's "loss" records say why (disk full, ...).
 * Without a stop record (amberfs was killed, or the disk was too full to
 * take even that line) the session is counted from its records instead,
 * walking back through rotated files (FILE.1 ... FILE.keep) to its
 * "start" record.  The lines are parsed with amber-log's record parser
 * (logtool/record.h); the kinds and reasons are common/audit_schema.h's.
 * Files are opened with O_NONBLOCK and must be regular; lines are read
 * through a fixed buffer, so neither a huge log nor a FIFO in its place can
 * hang the exit.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct log_mark {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
};

/* Why records were lost (bits of log_totals.reasons). */
enum {
	LOSS_DISK_FULL = 1 << 0,   /* write_error:ENOSPC */
	LOSS_QUOTA = 1 << 1,       /* write_error:EDQUOT */
	LOSS_FILE_SIZE = 1 << 2,   /* write_error:EFBIG (RLIMIT_FSIZE) */
	LOSS_WRITE_ERROR = 1 << 3, /* any other write_error:ERRNO */
	LOSS_OVERLOAD = 1 << 4,    /* queue_full, queue_timeout */
};

struct log_totals {
	bool wrote;        /* the run added anything to the log */
	bool have_stop;    /* the session's stop record was read */
	bool complete;     /* without it: the walk reached the session's start */
	uint64_t attempts; /* stop: totals.attempts; else attempts + summaries in the log */
	uint64_t lost;     /* stop: totals.lost; else the sum of the loss records */
	unsigned reasons;  /* LOSS_* of the session's loss records */
};

void logsum_mark(const char *path, struct log_mark *ret);
/* keep: how many rotated files (FILE.N) may hold the session (0: none). */
int logsum_read(const char *path, const struct log_mark *before, unsigned keep, struct log_totals *ret);
/* The exit line without "amber-run: " and the newline, e.g.
 *   "20000 writes blocked (18100 not recorded: log disk full); log: PATH"
 * NULL when out of memory. */
char *logsum_format(const struct log_totals *t, const char *path);
