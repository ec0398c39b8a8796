/* SPDX-License-Identifier: MIT */
/*
 * fsd.h - the amberfs daemon serving the container's root.
 *
 * fsd_start() runs "amberfs -o lowerdir=...,log=...,synthdir=... ROOT" in
 * the runner's mount namespace and returns once the mount is live, with
 * the daemon's pid (amberfs daemonizes; the caller is a child subreaper,
 * so the daemon becomes its child and can be waited for).
 * fsd_stop() unmounts, sends SIGTERM to that pid and waits until it is
 * gone, so the audit log's "stop" record is on disk when it returns.
 * fsd_blocked_count() reads that record's totals.attempts.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "opts.h"

struct fsd_config {
	const struct strv *layers;    /* absolute, top first */
	const struct strv *synthdirs; /* absolute container paths */
	const char *log_path;         /* absolute */
	const char *pidfile;          /* absolute, or NULL: none */
	const char *mountpoint;       /* absolute, an empty directory */
	bool squash_root;             /* amberfs squash_to_root */
};

/* Which amberfs binary: $AMBERFS, the build tree's, next to amber-run, PATH. */
const char *fsd_binary(void);

/* Renders "lowerdir=...,log=...,synthdir=...,pidfile=..." (checks that no
 * path contains ',', ':' or '\\', which the option syntax cannot carry). */
int fsd_options(const struct fsd_config *c, char **ret);

/* Signals in `unblock` are unblocked in the child before exec. */
int fsd_start(const struct fsd_config *c, pid_t *ret_pid);
/* Unmounts c->mountpoint (in this namespace) and ends the daemon. */
void fsd_stop(const struct fsd_config *c, pid_t pid);

/* totals.attempts of the last "stop" record in the log, or -ENODATA. */
int fsd_blocked_count(const char *log_path, uint64_t *ret);
