/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the OCI runtime commands that amber-oci handles itself.
 *
 * create  mounts amberfs on the bundle's root, writes the private bundle,
 *         runs the runtime's create on it; on any failure nothing is left.
 * delete  runs the runtime's delete, then (unless the runtime still has the
 *         container) unmounts, ends the daemon and removes the private
 *         bundle.  Idempotent: a second delete, or one after a crash of
 *         create, of the engine or of the daemon, cleans what is left.
 * state   the runtime's state, with "bundle" set back to the caller's.
 * Every other command is the runtime's (main.c execs it).
 *
 * Each takes args = the words after the command name and returns the exit
 * status for main() (the runtime's, when it ran), or -errno after logging.
 */
#pragma once

#include <stddef.h>

#include "args.h"

int cmd_create(const struct oci_globals *g, char **args, size_t n);
int cmd_delete(const struct oci_globals *g, char **args, size_t n);
int cmd_state(const struct oci_globals *g, char **args, size_t n);

/* Shared by create.c and delete.c.  oci_cleanup() unmounts, ends the
 * daemon and removes the state directory; what is already gone is fine. */
#include <sys/types.h>
void oci_cleanup(const char *dir);
int oci_mkdir_p(const char *path, mode_t mode);
