/* SPDX-License-Identifier: MIT */
/*
 * logtool.h - what the amber-log commands share: the series scanner (reader
 * + parser + named warnings for bad lines + progress), output helpers, and
 * the command entry points called by main.c.  Text from a log reaches the
 * terminal only through escape.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "escape.h"
#include "reader.h"
#include "record.h"

/* Exit codes of every command. */
enum {
	EXIT_CLEAN = 0,      /* done; input had no problem */
	EXIT_PROBLEMS = 1,   /* done, but the input had problems (named on stderr) / verify failed */
	EXIT_USAGE = 2,      /* bad command line or a fatal error */
	EXIT_OPEN = 3,       /* verify: intact so far, but a writer still holds the last file (no stop yet) */
};

struct scan_stats {
	uint64_t lines, records, events, bad_lines, file_errors, truncated;
};

/* Called for every well-formed record; a negative return stops the scan. */
typedef int (*scan_cb)(void *ud, const struct reader_line *line, const struct record *rec);

/* Reads the series, calling cb on each good record and naming each bad line
 * (file:line: why) on stderr.  Returns 0, or the callback's negative value,
 * or -ENOMEM; *ret_stats (may be NULL) is written only on success. */
int scan_series(char *const *files, size_t n_files, scan_cb cb, void *ud, struct scan_stats *ret_stats);

/* Progress on stderr, only when stderr is a terminal and the input is big. */
struct progress {
	bool on;
	uint64_t total, ticks;
	struct timespec last;
};
void progress_init(struct progress *p, uint64_t total_bytes);
void progress_tick(struct progress *p, uint64_t done_bytes, uint64_t records);
void progress_done(struct progress *p);

/* The first 23 columns of a log timestamp, 'T' shown as ' '
 * ("2026-11-29 06:12:03.123"), escaped, padded to 23. */
void print_ts_column(FILE *f, const char *ts);
/* "-" for NULL. */
static inline const char *str_or_dash(const char *s)
{
	return s ? s : "-";
}

int cmd_verify(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_schema(int argc, char **argv);
