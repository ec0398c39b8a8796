/* SPDX-License-Identifier: MIT */
/*
 * init.c - reaping and signal forwarding for PID 1 (see init.h).
 */
#include "init.h"

#include <errno.h>
#include <sys/wait.h>

#include "exitcode.h"
#include "log.h"

void init_forward_set(sigset_t *ret)
{
	sigemptyset(ret);
	sigaddset(ret, SIGTERM);
	sigaddset(ret, SIGINT);
	sigaddset(ret, SIGHUP);
	sigaddset(ret, SIGQUIT);
	sigaddset(ret, SIGUSR1);
	sigaddset(ret, SIGUSR2);
	sigaddset(ret, SIGWINCH);
}

int init_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RUNNER;
}

int init_run(pid_t child)
{
	sigset_t set;

	init_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si), status;
		pid_t p;

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			log_error_errno(-errno, "init: sigwaitinfo: %m");
			return EXIT_RUNNER;
		}
		if (sig != SIGCHLD) {
			if (si.si_code != SI_KERNEL)
				(void)kill(child, sig);
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == child)
				return init_exit_code(status);
	}
}
