/* SPDX-License-Identifier: MIT */
/*
 * prepare.h - everything one run needs, worked out before any process,
 * namespace or mount exists.
 *
 * Two steps, so that a run stays interruptible as long as possible:
 *   prepare_inputs()  reads and checks every input (layers, options,
 *                     --env-file, the seccomp profile, ...) and leaves
 *                     nothing on disk but the log directory and the
 *                     seccomp cache: the runner does not block any signal
 *                     yet, so SIGINT or SIGTERM simply end it;
 *   prepare_state()   then creates the private state directory (the
 *                     amberfs mountpoint and the generated /etc files).
 *                     The caller blocks signals first, so that no signal
 *                     can kill it between creating and removing it.
 * The state directory is removed by state_dir_remove(), through the
 * directory descriptor kept in state_fd (so a name that was removed and
 * taken again by another run is never touched), by the holder as soon as
 * the container no longer needs it and by the runner at the end.
 * run_state_free() releases everything else.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "logsum.h"
#include "opts.h"
#include "seccomp_filter.h"
#include "spec.h"
#include "userns.h"

struct run_state {
	const struct run_opts *o;
	struct spec spec;
	struct strv layers; /* absolute */
	struct strv synthdirs;
	struct strv env;
	char *name, *hostname;
	char *state_dir, *root, *log_path;
	int state_fd;       /* O_PATH descriptor of state_dir, or -1 */
	bool rootless;
	bool squash_root;   /* amberfs squash_to_root (--owners, see decide_owners) */
	struct idmap idmap;
	uint64_t caps;
	struct seccomp_prog seccomp;
	struct log_mark log_mark; /* the log before the run: the summary reads what is new */
	/* runner <-> holder: sync_up carries "u" (user namespace made),
	 * sync_down "m" (maps written); the runner keeps its end of
	 * sync_down open all its life, so EOF there tells the holder that
	 * the runner is gone.  ctl: the pty master, with --tty. */
	int sync_up[2], sync_down[2], ctl[2];
};

#define RUN_STATE_INIT(opts) \
	{ .o = (opts), .state_fd = -1, .sync_up = { -1, -1 }, .sync_down = { -1, -1 }, .ctl = { -1, -1 } }

int prepare_inputs(struct run_state *s);
int prepare_state(struct run_state *s);
/* Removes the state directory's files, the mountpoint and the directory
 * (idempotent; the mountpoint must no longer be mounted here). */
void state_dir_remove(const struct run_state *s);
void run_state_free(struct run_state *s);
