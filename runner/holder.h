/* SPDX-License-Identifier: MIT */
/*
 * holder.h - the holder process of a run (run.h names all three).
 *
 * It enters the container's namespaces, starts amberfs there, forks the
 * container's init into a new pid namespace, and then watches until init
 * has exited:
 *   - the runner.  The runner keeps its end of sync_down open all its
 *     life: EOF there means it was killed (SIGKILL), and the holder kills
 *     the container at once and cleans up after it.  PR_SET_PDEATHSIG
 *     (SIGTERM) covers the start-up, before this loop runs.
 *   - amberfs.  A daemon that dies while the container runs leaves it a
 *     dead root (ENOTCONN, SIGBUS): the holder kills the container and
 *     exits EXIT_RUNNER, saying how the daemon died.
 *   - init's "ready" byte, sent once init has pivoted into the root.  The
 *     holder then detaches the root from its own mount namespace, so the
 *     container's namespace holds the only reference to the mount: when
 *     the container ends, however it ends, the FUSE connection goes with
 *     it and the daemon's loop ends (it writes its stop record and exits),
 *     even if the runner and the holder were both killed.  The state
 *     directory, which the container no longer needs, is removed then too.
 * Signals the runner forwards go on to init.  init itself dies with the
 * holder (PR_SET_PDEATHSIG, SIGKILL), which takes its pid namespace along.
 */
#pragma once

#include <sys/types.h>

#include "prepare.h"

/* Runs in the child of the runner (whose pid is runner); never returns:
 * exits with init's exit code, or EXIT_RUNNER. */
_Noreturn void holder_main(struct run_state *s, pid_t runner);
