/* SPDX-License-Identifier: MIT */
/*
 * container.h - the container's first process (PID 1 of its pid
 * namespace): it takes a private copy of the mount namespace, mounts the
 * spec around the amberfs root, pivots, masks /proc, prepares the command
 * (user, seccomp filter, pty) and then either execs it (--no-init) or
 * forks it and becomes its init.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "opts.h"
#include "seccomp_filter.h"
#include "spec.h"

struct container_config {
	const struct run_opts *opts;
	const struct spec *spec;
	const char *root;     /* host path of the amberfs mount */
	const char *hostname;
	char **env;           /* "KEY=VAL", NULL-terminated; HOME is added */
	uint64_t caps;
	const struct seccomp_prog *seccomp;
	int ctl_fd;           /* socket to the runner: the pty master goes there */
	int ready_fd;         /* pipe to the holder: one byte once pivoted, or -1 */
};

_Noreturn void container_main(const struct container_config *c);

/* Sends / receives one file descriptor over a unix socket. */
int fd_send(int sock, int fd);
int fd_recv(int sock, int *ret);
