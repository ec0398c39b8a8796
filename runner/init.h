/* SPDX-License-Identifier: MIT */
/*
 * init.h - the container's PID 1.
 *
 * It waits in waitloop_run() (waitloop.h): SIGCHLD reaps every exited
 * child, so orphans reparented to PID 1 never linger as zombies; SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH are forwarded to the
 * command -- except those the kernel raised for a terminal (si_code
 * SI_KERNEL), which already reached the command's process group.  When the
 * command exits, init returns its status as an exit code: the code, or
 * 128+N for a signal N (exitcode.h).
 */
#pragma once

#include <sys/types.h>

/* Runs until `child` exits; returns its exit code.  A SIGTERM reaches the
 * child as term_as when that is not 0 (an image's StopSignal). */
int init_run(pid_t child, int term_as);
