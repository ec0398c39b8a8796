/* SPDX-License-Identifier: MIT */
/*
 * run.h - one container run, from parsed options to exit code.
 *
 * Three processes:
 *   runner   (host namespaces) writes the id maps, relays the pty and
 *            forwards signals, cleans up the state directory and prints
 *            the "writes blocked" line;
 *   holder   (user + mount [+ net, uts, ipc] namespaces) mounts amberfs,
 *            is the daemon's subreaper, unshares the pid namespace and
 *            at the end unmounts and stops the daemon;
 *   init     (PID 1 of the new pid namespace) see container.h.
 * Exit codes: the command's, 128+N, 125 runner error, 126, 127.
 */
#pragma once

#include "opts.h"

#define EXIT_RUNNER 125

int run_container(const struct run_opts *o);
