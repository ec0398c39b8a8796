/* SPDX-License-Identifier: MIT */
/*
 * init.h - the container's PID 1.
 *
 * It waits for signals synchronously (they are blocked, then taken with
 * sigwaitinfo): SIGCHLD reaps every exited child, so orphans reparented to
 * PID 1 never linger as zombies; SIGTERM, SIGINT, SIGHUP, SIGQUIT,
 * SIGUSR1/2 and SIGWINCH are forwarded to the command -- except those the
 * kernel raised for a terminal (si_code SI_KERNEL), which already reached
 * the command's process group.  When the command exits, init returns its
 * status as an exit code: the code, or 128+N for a signal N.
 */
#pragma once

#include <signal.h>
#include <sys/types.h>

/* The signals init forwards (and the runner blocks before forking). */
void init_forward_set(sigset_t *ret);
/* The exit code that status (from waitpid) stands for. */
int init_exit_code(int status);
/* Runs until `child` exits; returns its exit code. */
int init_run(pid_t child);
