/* SPDX-License-Identifier: MIT */
/*
 * cstate.h - what amber-oci keeps per container, between create and delete.
 *
 * One directory per container, STATE_BASE/ID, made by create (mkdir, so
 * two creates of one id cannot both go on) and removed by delete:
 *   state.json     this record (written whole, then renamed into place)
 *   rootfs/        the amberfs mountpoint, the container's root
 *   bundle/        the private bundle: config.json with root.path = rootfs/
 *   amberfs.pid    written by the daemon once the mount is live
 * STATE_BASE is ROOT/amber-oci when the engine gives --root ROOT (next to
 * the runtime's own per-container directories, so one engine's containers
 * stay together), else /run/amber-oci, or $XDG_RUNTIME_DIR/amber-oci when
 * rootless.
 *
 * The daemon is identified by its pid and its start time (field 22 of
 * /proc/PID/stat): a pid reused by another process after a crash is never
 * signalled.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct cstate {
	char *dir;        /* STATE_BASE/ID */
	char *id;
	char *bundle;     /* the caller's bundle, absolute */
	char *mountpoint; /* dir/rootfs */
	char *log;        /* the audit log */
	pid_t daemon_pid; /* 0: not started */
	unsigned long long daemon_start;
};

/* Whether amber-oci runs without real root: --rootless true, a non-zero
 * euid, or a user namespace (rootless podman runs us as uid 0 in one). */
bool cstate_rootless(const char *rootless_opt);

/* STATE_BASE/ID into *ret (the id checked: no '/', not "." or ".."). */
int cstate_dir(const char *root_opt, bool rootless, const char *id, char **ret);

/* Reads dir/state.json; -ENOENT when there is none. */
int cstate_load(const char *dir, struct cstate **ret);
/* Writes dir/state.json atomically. */
int cstate_save(const struct cstate *c);
struct cstate *cstate_free(struct cstate *c);

/* Start time of pid in clock ticks since boot; 0 when it is gone (or a
 * zombie). */
unsigned long long cstate_proc_start(pid_t pid);
