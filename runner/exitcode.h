/* SPDX-License-Identifier: MIT */
/*
 * exitcode.h - amber-run's exit statuses, those of Docker and the shell:
 * the command's own status, 128+N when a signal N ended it, and these for
 * what went wrong around it.  Every process of a run (runner, holder,
 * init, the command's process before its exec) exits with one of them.
 */
#pragma once

#include <sys/wait.h>

#define EXIT_RUNNER 125      /* amber-run failed: before, around or after the command */
#define EXIT_CANNOT_EXEC 126 /* the command exists but cannot be executed */
#define EXIT_NOT_FOUND 127   /* the command was not found */

/* The exit status that a waitpid() status stands for: the code, 128+N for
 * a signal N, EXIT_RUNNER for anything else. */
static inline int exit_code_from_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RUNNER;
}
