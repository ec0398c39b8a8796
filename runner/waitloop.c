/* SPDX-License-Identifier: MIT */
/*
 * waitloop.c - waiting, forwarding signals and reaping children (see
 * waitloop.h).
 */
#include "waitloop.h"

#include <errno.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void waitloop_forward_set(sigset_t *ret)
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

int waitloop_signalfd(void)
{
	sigset_t set;
	int fd;

	waitloop_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void reap(struct waitloop *l)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0)
		l->on_child(l->ud, p, status);
	if (l->reaped)
		l->reaped(l->ud);
}

/* One signal from the signalfd: forwarded, kept, or SIGCHLD. */
static int on_signal(struct waitloop *l)
{
	struct signalfd_siginfo si;
	ssize_t n = read(l->sfd, &si, sizeof(si));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGCHLD)
		reap(l);
	else if (l->keep_signal && (int)si.ssi_signo == l->keep_signal) {
		if (l->on_signal)
			l->on_signal(l->ud, l->keep_signal);
	} else if (si.ssi_code != SI_KERNEL && l->forward_to > 0)
		(void)kill(l->forward_to, si.ssi_signo == SIGTERM && l->term_as ? l->term_as : (int)si.ssi_signo);
	return 0;
}

int waitloop_run(struct waitloop *l)
{
	while (!l->done(l->ud)) {
		struct pollfd p[WAITLOOP_FDS + 1];
		int r;

		for (size_t i = 0; i < WAITLOOP_FDS; i++)
			p[i] = (struct pollfd){ l->fds[i].ready ? l->fds[i].fd : -1, POLLIN, 0 };
		p[WAITLOOP_FDS] = (struct pollfd){ l->sfd, POLLIN, 0 };
		if (poll(p, WAITLOOP_FDS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (size_t i = 0; i < WAITLOOP_FDS; i++)
			if (p[i].fd >= 0 && p[i].revents && l->fds[i].ready)
				l->fds[i].ready(l->ud);
		if (p[WAITLOOP_FDS].revents && (r = on_signal(l)) < 0)
			return r;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

int waitloop_child(pid_t pid, int timeout_ms, const sigset_t *stop, int *ret_status)
{
	long end = now_ms() + timeout_ms;
	sigset_t set;

	if (stop)
		set = *stop;
	else
		sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		struct timespec left;
		int status, sig;
		long rest;
		pid_t r;

		while ((r = waitpid(pid, &status, WNOHANG)) > 0)
			if (pid > 0) {
				if (ret_status)
					*ret_status = status;
				return 0;
			}
		if (r < 0)
			return pid < 0 && errno == ECHILD ? 0 : -errno;
		rest = end - now_ms();
		if (rest <= 0)
			return -ETIMEDOUT;
		left = (struct timespec){ rest / 1000, (rest % 1000) * 1000000L };
		sig = sigtimedwait(&set, NULL, &left);
		if (sig > 0 && sig != SIGCHLD)
			return sig;
	}
}
