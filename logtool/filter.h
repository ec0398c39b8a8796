/* SPDX-License-Identifier: MIT */
/*
 * filter.h - the record filters of show and export (--pid --name --exe --uid
 * --action --path --since --until).  Each option may be repeated: values of
 * one option are OR-ed, different options AND-ed.  --name, --exe and --path
 * are fnmatch(3) globs without FNM_PATHNAME, so "/etc/" followed by "*" matches every path
 * below /etc; --path also matches a rename/link destination, and a name that
 * is not UTF-8 both as logged (U+FFFD) and by its exact bytes (path_hex).
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "record.h"

#define FILTER_MAX_VALUES 32

enum {
	FILTER_OPT_PID = 0x1000,
	FILTER_OPT_NAME,
	FILTER_OPT_EXE,
	FILTER_OPT_UID,
	FILTER_OPT_ACTION,
	FILTER_OPT_PATH,
	FILTER_OPT_SINCE,
	FILTER_OPT_UNTIL,
};

#define FILTER_LONG_OPTIONS                                              \
	{ "pid", required_argument, NULL, FILTER_OPT_PID },              \
	{ "name", required_argument, NULL, FILTER_OPT_NAME },            \
	{ "exe", required_argument, NULL, FILTER_OPT_EXE },              \
	{ "uid", required_argument, NULL, FILTER_OPT_UID },              \
	{ "action", required_argument, NULL, FILTER_OPT_ACTION },        \
	{ "path", required_argument, NULL, FILTER_OPT_PATH },            \
	{ "since", required_argument, NULL, FILTER_OPT_SINCE },          \
	{ "until", required_argument, NULL, FILTER_OPT_UNTIL }

#define FILTER_HELP                                                                         \
	"Filters (repeat an option to accept several values):\n"                            \
	"  --pid PID        process id (tgid)\n"                                              \
	"  --name GLOB      process name (comm)\n"                                            \
	"  --exe GLOB       executable path\n"                                                \
	"  --uid UID        fsuid of the request\n"                                           \
	"  --action ACTION  open_write, unlink, rename, chmod, ... (see docs)\n"              \
	"  --path GLOB      file path or rename/link destination; '*' also matches '/'\n"    \
	"  --since TIME     RFC 3339, e.g. 2026-11-29T06:12:03Z or 2026-11-29 (UTC)\n"       \
	"  --until TIME     inclusive\n"

struct filter {
	int64_t pids[FILTER_MAX_VALUES], uids[FILTER_MAX_VALUES];
	const char *names[FILTER_MAX_VALUES], *exes[FILTER_MAX_VALUES];
	const char *actions[FILTER_MAX_VALUES], *paths[FILTER_MAX_VALUES];
	unsigned n_pids, n_uids, n_names, n_exes, n_actions, n_paths;
	bool has_since, has_until;
	struct timespec since, until;
};

/* Returns 1 when opt was a filter option and was stored, 0 when opt is not
 * a filter option, -EINVAL (after printing why) for a bad value. */
int filter_option(struct filter *f, int opt, const char *arg);
/* True when a filter on the event fields (not just time) is set. */
bool filter_wants_events_only(const struct filter *f);
bool filter_match(const struct filter *f, const struct record *r);
