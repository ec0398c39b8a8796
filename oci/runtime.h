/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - the real OCI runtime that amber-oci wraps (crun or runc).
 *
 * Which one: --runtime-binary, else $AMBER_OCI_RUNTIME, else crun when it
 * is installed and the cgroup layout is one it accepts (crun refuses the
 * hybrid v1+v2 layout), else runc.  A bare name is looked up in PATH and
 * then in the sbin and bin directories, which an engine's PATH may lack.
 *
 * Every command line handed to it is: RUNTIME GLOBALS... COMMAND ARGS...,
 * the globals being the caller's, unchanged (see args.h).  runtime_exec()
 * replaces amber-oci (no process in between: signals, fds, the exit
 * status are the runtime's own); runtime_run() waits for it and returns its
 * exit status (128+N after signal N); runtime_capture() also collects its
 * stdout.  Strings are borrowed; nothing is freed by the callee.
 */
#pragma once

#include <stddef.h>

#include "args.h"

/* The runtime's path (static storage, or g->runtime / the environment's). */
const char *runtime_pick(const struct oci_globals *g);

/* argv for RUNTIME GLOBALS... CMD ARGS...; free() the array only. */
int runtime_argv(const struct oci_globals *g, const char *cmd, char *const *args, size_t n_args,
		 char ***ret);

/* Does not return on success. */
int runtime_exec(char **argv);
/* Exit status (>= 0), or -errno when it could not be started. */
int runtime_run(char **argv);
/* Same, with stdout collected into *ret_out (NUL-terminated, free()). */
int runtime_capture(char **argv, char **ret_out);
