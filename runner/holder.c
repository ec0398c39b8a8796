/* SPDX-License-Identifier: MIT */
/*
 * holder.c - namespaces, amberfs and the watch over the container (holder.h).
 */
#include "holder.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "exitcode.h"
#include "fsd.h"
#include "init.h"
#include "log.h"
#include "run.h"

/* How long a daemon that ended normally may precede init's exit: its
 * connection ends when the container's mount namespace goes, a moment
 * before init can be reaped. */
#define DAEMON_EXIT_GRACE_MS 2000

struct holder {
	struct run_state *s;
	struct fsd_config fc;
	pid_t daemon, init;
	int ready_fd; /* init's "ready" pipe, or -1 */
	int sfd;
	bool init_done, runner_gone, failed;
	int code;
};

static int holder_enter(struct run_state *s)
{
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	char b = 0;

	if (s->o->net == NET_NONE)
		flags |= CLONE_NEWNET;
	if (s->rootless)
		flags |= CLONE_NEWUSER;
	if (unshare(flags) < 0)
		return log_error_errno(-errno, "cannot create the container namespaces: %m%s",
				       s->rootless ? " (are unprivileged user namespaces enabled?)" : "");
	if (s->rootless) {
		if (write(s->sync_up[1], "u", 1) != 1 || read(s->sync_down[0], &b, 1) != 1 || b != 'm')
			return log_error_errno(-EIO, "the runner could not set up the user namespace");
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return log_error_errno(-errno, "cannot become root in the user namespace: %m");
	}
	/* (type "none": ignored for a propagation change; valgrind wants one) */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(-errno, "cannot make the mounts private: %m");
	return 0;
}

static void stop_container(struct holder *h)
{
	if (!h->init_done)
		(void)kill(h->init, SIGKILL);
	h->failed = true;
}

/* init has pivoted: the mount and the state directory are its own now. */
static void on_ready(struct holder *h)
{
	char b;

	if (read(h->ready_fd, &b, 1) == 1 && fsd_detach(&h->fc) == 0)
		state_dir_remove(h->s);
	close(h->ready_fd);
	h->ready_fd = -1;
}

static void on_runner_gone(struct holder *h)
{
	char b;

	if (read(h->s->sync_down[0], &b, 1) != 0)
		return;
	log_error("the runner is gone (killed?): stopping the container");
	h->runner_gone = true;
	stop_container(h);
}

/* Waits up to ms for init to exit (SIGCHLD is blocked, so sigtimedwait
 * wakes at once); true if it did. */
static bool wait_init(struct holder *h, long ms)
{
	struct timespec now;
	sigset_t chld;
	long end;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &now);
	end = now.tv_sec * 1000L + now.tv_nsec / 1000000L + ms;
	for (;;) {
		struct timespec left;
		int status;
		long rest;
		pid_t p = waitpid(h->init, &status, WNOHANG);

		if (p == h->init) {
			h->init_done = true;
			h->code = init_exit_code(status);
			return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		rest = end - (now.tv_sec * 1000L + now.tv_nsec / 1000000L);
		if (p < 0 || rest <= 0)
			return false;
		left = (struct timespec){ rest / 1000, (rest % 1000) * 1000000L };
		(void)sigtimedwait(&chld, NULL, &left);
	}
}

static void on_daemon_exit(struct holder *h, pid_t pid, int status)
{
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char how[64];

	/* A clean exit: its connection ended, normally because the
	 * container's namespace is gone and init is (about to be) reaped. */
	if (clean && (h->init_done || wait_init(h, DAEMON_EXIT_GRACE_MS)))
		return;
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	log_error("amberfs (pid %d) died while the container was running: %s; the container's root is gone, "
		  "stopping the container",
		  (int)pid, how);
	stop_container(h);
}

static void on_signal(struct holder *h)
{
	struct signalfd_siginfo si;
	int status, daemon_status = 0;
	pid_t p, daemon = -1;

	if (read(h->sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGCHLD) {
		/* not those a terminal sent to the whole group: init has them */
		if (si.ssi_code != SI_KERNEL && !h->init_done)
			(void)kill(h->init, (int)si.ssi_signo);
		return;
	}
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == h->init) {
			h->init_done = true;
			h->code = init_exit_code(status);
		} else if (p == h->daemon) {
			daemon = p;
			daemon_status = status;
			h->daemon = -1;
		}
	}
	/* After the whole batch: a daemon that died by a signal is a
	 * failure even when init was reaped in the same batch. */
	if (daemon > 0)
		on_daemon_exit(h, daemon, daemon_status);
}

/* Until init has exited. */
static void holder_wait(struct holder *h)
{
	sigset_t set;

	init_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	h->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (h->sfd < 0) {
		log_error_errno(-errno, "signalfd: %m");
		stop_container(h);
		(void)wait_init(h, 10000);
		return;
	}
	while (!h->init_done) {
		struct pollfd p[3] = {
			{ h->sfd, POLLIN, 0 },
			{ h->runner_gone ? -1 : h->s->sync_down[0], POLLIN, 0 },
			{ h->ready_fd, POLLIN, 0 },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error_errno(-errno, "poll: %m");
			stop_container(h);
			(void)wait_init(h, 10000);
			return;
		}
		if (p[2].revents)
			on_ready(h);
		if (p[1].revents)
			on_runner_gone(h);
		if (p[0].revents)
			on_signal(h);
	}
}

static int start_init(struct holder *h)
{
	struct run_state *s = h->s;
	struct container_config cc;
	int ready[2];

	if (unshare(CLONE_NEWPID) < 0)
		return log_error_errno(-errno, "cannot create the pid namespace: %m");
	if (pipe2(ready, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	cc = (struct container_config){
		.opts = s->o, .spec = &s->spec, .root = s->root, .hostname = s->hostname, .env = s->env.v,
		.caps = s->caps, .seccomp = &s->seccomp, .ctl_fd = s->ctl[1], .ready_fd = ready[1],
	};
	h->init = fork();
	if (h->init < 0) {
		close(ready[0]);
		close(ready[1]);
		return log_error_errno(-errno, "fork: %m");
	}
	if (h->init == 0) {
		/* Nothing of the host reaches the container: a directory
		 * descriptor would be a way out of its root. */
		close(s->state_fd);
		close(s->sync_down[0]);
		close(s->sync_up[1]);
		close(ready[0]);
		container_main(&cc);
	}
	close(ready[1]);
	h->ready_fd = ready[0];
	if (s->ctl[1] >= 0) {
		close(s->ctl[1]);
		s->ctl[1] = -1;
	}
	return 0;
}

_Noreturn void holder_main(struct run_state *s, pid_t runner)
{
	struct holder h = { .s = s, .daemon = -1, .init = -1, .ready_fd = -1, .sfd = -1, .code = EXIT_RUNNER };

	/* The runner is single-threaded (the parent-death signal follows the
	 * thread that forked); one that died before this prctl never sends it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != runner)
		_exit(EXIT_RUNNER);
	close(s->sync_up[0]);
	close(s->sync_down[1]);
	if (s->ctl[0] >= 0)
		close(s->ctl[0]);
	h.fc = (struct fsd_config){
		.layers = &s->layers, .synthdirs = &s->synthdirs, .log_path = s->log_path,
		.log_max_size = s->o->log_max_size, .log_keep = s->o->log_keep,
		.pidfile = NULL, /* see find_daemon() in fsd.c */
		.mountpoint = s->root, .squash_root = s->squash_root,
	};
	if (holder_enter(s) < 0) {
		/* nothing mounted, nothing started; the runner may be gone */
		state_dir_remove(s);
		_exit(EXIT_RUNNER);
	}
	/* A change of credentials clears the parent-death signal: again. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* The daemon forks away from amberfs: let it become our child. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (fsd_start(&h.fc, &h.daemon) < 0 || start_init(&h) < 0)
		goto out;
	holder_wait(&h);
	if (h.failed)
		h.code = EXIT_RUNNER;
out:
	fsd_stop(&h.fc, h.daemon);
	state_dir_remove(s);
	_exit(h.code);
}
