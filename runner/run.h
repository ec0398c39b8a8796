/* SPDX-License-Identifier: MIT */
/*
 * run.h - one container run, from parsed options to exit code.
 *
 * Three processes:
 *   runner   (host namespaces) prepares the run (prepare.h), writes the
 *            id maps, relays the pty and forwards signals, removes the
 *            state directory and prints the "writes blocked" line
 *            (logsum.h);
 *   holder   (user + mount [+ net, uts, ipc] namespaces) mounts amberfs,
 *            is the daemon's subreaper, unshares the pid namespace and
 *            watches the runner, the daemon and init (holder.h);
 *   init     (PID 1 of the new pid namespace) see container.h.
 * Killing any one of them ends the others and the daemon, and leaves no
 * state directory behind once the container has started (holder.h).
 * Exit codes: see exitcode.h.
 */
#pragma once

#include "exitcode.h"
#include "opts.h"

int run_container(const struct run_opts *o);
