/* SPDX-License-Identifier: MIT */
/*
 * args.h - amber-oci's command line: runc's interface.
 *
 *   amber-oci [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS] [ID] ...
 *
 * The global options are those of runc and crun (--root, --log,
 * --log-format, --systemd-cgroup, --rootless, --debug, --cgroup-manager,
 * ...).  Every one is kept, as given, to be passed on to the real runtime;
 * the few that amber-oci reads itself are also picked out.  One option is
 * amber-oci's own and is not passed on: --runtime-binary PATH.
 * Both "--opt VALUE" and "--opt=VALUE" are accepted, with one or two
 * dashes, as urfave/cli (runc) does.
 *
 * Nothing here allocates: every string points into argv.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct oci_globals {
	const char **fwd; /* the global options to pass on, as given */
	size_t n_fwd;
	const char *root;       /* --root, or NULL */
	const char *log;        /* --log, or NULL */
	const char *log_format; /* --log-format, or NULL (text) */
	const char *rootless;   /* --rootless VALUE, or NULL */
	const char *runtime;    /* --runtime-binary, or NULL */
	bool debug;
	bool version, help;     /* -v/--version, -h/--help before the command */
};

/*
 * Splits argv into the global options and the command.  fwd must have room
 * for argc entries.  On success *ret_cmd is the index of the command in
 * argv (argc when there is none).  -EINVAL when an option lacks its value.
 */
int args_globals(int argc, char **argv, const char **fwd, struct oci_globals *g, int *ret_cmd);

/* Whether a command option takes a value ("--pid-file F"): for the
 * commands amber-oci reads (create, run, delete, state). */
bool args_cmd_takes_value(const char *opt);

/* The option's name without dashes and "=VALUE": "--pid-file=F" -> "pid-file"
 * (in buf, of size n).  NULL for a non-option. */
const char *args_opt_name(const char *arg, char *buf, size_t n);
