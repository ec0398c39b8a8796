/* SPDX-License-Identifier: MIT */
/*
 * waitloop.h - the one wait loop of amber-run's processes.  The runner,
 * the holder and the container's init (run.h names all three) each block
 * their signals and wait here, for a signal or for one of their
 * descriptors; fsd.c and the holder wait here, bounded, for one child.
 *
 * waitloop_run():
 *   - a signal of waitloop_forward_set() goes on to forward_to, except one
 *     the kernel raised for a terminal (si_code SI_KERNEL), which already
 *     reached that process group, and keep_signal, which on_signal()
 *     handles instead (the runner resizes its pty on SIGWINCH);
 *   - SIGCHLD reaps every child that has exited: on_child() for each,
 *     then reaped() once, so orphans never linger as zombies;
 *   - descriptors come before signals, in the order of fds[]; one is
 *     watched when it has a ready() callback and fd >= 0, so { 0 } has
 *     none; a callback may change forward_to and the descriptors;
 *   - it returns once done() is true, checked before each wait.
 * The caller blocks waitloop_forward_set() and SIGCHLD before it forks,
 * so nothing is lost in between; exec_command() unblocks them again.
 * Single-threaded, like every amber-run process.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define WAITLOOP_FDS 4

struct waitloop {
	int sfd;          /* waitloop_signalfd() */
	pid_t forward_to; /* where forwarded signals go; <= 0: nowhere */
	int keep_signal;  /* 0, or a forwarded signal for on_signal() instead */
	int term_as;      /* 0, or the signal SIGTERM is forwarded as (an image's StopSignal) */
	struct {
		int fd;                  /* < 0: not watched */
		void (*ready)(void *ud); /* POLLIN, POLLHUP or POLLERR; NULL: not watched */
	} fds[WAITLOOP_FDS];
	void (*on_signal)(void *ud, int sig);              /* keep_signal; may be NULL */
	void (*on_child)(void *ud, pid_t pid, int status); /* each child reaped */
	void (*reaped)(void *ud);                          /* after each batch; may be NULL */
	bool (*done)(void *ud);
	void *ud;
};

/* The signals forwarded: SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2 and SIGWINCH. */
void waitloop_forward_set(sigset_t *ret);
/* A close-on-exec signalfd of those and SIGCHLD, which the caller has
 * blocked.  Returns the fd or -errno. */
int waitloop_signalfd(void);
/* Runs until done().  0, or -errno when it cannot wait any more (poll or
 * reading the signalfd failed); the caller says so. */
int waitloop_run(struct waitloop *l);

/*
 * Waits up to timeout_ms for the child pid to exit and reaps it (*ret_status
 * gets its status, if not NULL); pid -1 reaps every child until none is
 * left.  SIGCHLD must be blocked: the wait wakes the moment a child exits.
 * A signal of stop (NULL: none; blocked by the caller as well) ends it
 * early.  Returns 0, -ETIMEDOUT, -ECHILD (pid is no child of ours, or was
 * reaped already), another -errno of waitpid(), or the stop signal's number.
 */
int waitloop_child(pid_t pid, int timeout_ms, const sigset_t *stop, int *ret_status);
