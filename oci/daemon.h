/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - the amberfs daemon that serves one container's root.
 *
 * daemon_start() runs "amberfs -o lowerdir=ROOT,log=LOG,pidfile=...,
 * synthdir=...,meta.KEY=VALUE,... MOUNTPOINT" and returns once the mount
 * is live (amberfs daemonizes: its foreground process exits then), with the
 * daemon's pid read from the pid file.  Which amberfs: progpath_find()
 * (common/progpath.h), $AMBERFS first.  The daemon belongs to the
 * container, not to amber-oci: it outlives create, it inherits none of our
 * file descriptors (an engine's sync pipes must see EOF when the runtime
 * is done), and delete ends it.
 *
 * daemon_stop() unmounts (lazily when busy), waits for the daemon to end
 * by itself (it writes its "stop" record when its mount goes away), then
 * SIGTERM, then SIGKILL.  It signals only the process whose start time
 * matches (see cstate.h): after a crash the pid may belong to another.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "strv.h"

struct daemon_config {
	const char *layer;       /* absolute */
	const char *log;         /* absolute */
	const char *pidfile;     /* absolute */
	const char *mountpoint;  /* absolute, an empty directory */
	const struct strv *synthdirs;
	const struct strv *meta; /* "KEY=VALUE" (KEY already checked) */
};

/* The -o string, every value escaped as common/optlist.h says. */
int daemon_options(const struct daemon_config *c, char **ret);

int daemon_start(const struct daemon_config *c, pid_t *ret_pid);
/* Returns 0, or -EBUSY when the mountpoint is still mounted afterwards. */
int daemon_stop(const char *mountpoint, pid_t pid, unsigned long long start);
