/* SPDX-License-Identifier: MIT */
/*
 * fsd.h - the amberfs daemon serving the container's root.
 *
 * fsd_start() runs "amberfs -o lowerdir=...,log=...,synthdir=... ROOT" in
 * the runner's mount namespace and returns once the mount is live, with
 * the daemon's pid (amberfs daemonizes; the caller is a child subreaper,
 * so the daemon becomes its child and can be waited for).  Which amberfs:
 * progpath_find() (common/progpath.h), $AMBERFS first.
 * fsd_detach() drops the mount from the holder's namespace once the
 * container's own namespace holds it (see holder.h): from then on the
 * daemon ends by itself when the container does, whoever else dies.
 * fsd_stop() unmounts (if still mounted here), waits for the daemon to
 * end, SIGTERM after 5 s, so the audit log's "stop" record is on disk
 * when it returns.  logsum.h reads the log back.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "opts.h"

struct fsd_config {
	const struct strv *layers;    /* absolute, top first */
	const struct strv *synthdirs; /* absolute container paths */
	const char *log_path;         /* absolute */
	uint64_t log_max_size;        /* amberfs log_max_size=, 0: no rotation (neither passed) */
	unsigned log_keep;            /* amberfs log_keep=, with log_max_size */
	const char *pidfile;          /* absolute, or NULL: none */
	const char *mountpoint;       /* absolute, an empty directory */
	bool squash_root;             /* amberfs squash_to_root */
	const struct strv *extra;     /* more -o options, as they are (an image's), or NULL */
};

/* Renders "lowerdir=...,synthdir=...,log=...,log_max_size=N,log_keep=K,
 * pidfile=...", every path escaped (common/optlist.h), so that any path,
 * one with ',', ':' or '\\' included, reaches amberfs unchanged. */
int fsd_options(const struct fsd_config *c, char **ret);

/* Returns once the mount is live; SIGTERM, SIGINT, SIGHUP and SIGQUIT
 * (blocked by the caller) abort the wait.  Every signal is unblocked in
 * amberfs before exec. */
int fsd_start(const struct fsd_config *c, pid_t *ret_pid);
/* Lazily unmounts c->mountpoint in this namespace only. */
int fsd_detach(const struct fsd_config *c);
/* Unmounts c->mountpoint here if still mounted, then ends the daemon
 * (pid <= 0: none, or already reaped). */
void fsd_stop(const struct fsd_config *c, pid_t pid);
