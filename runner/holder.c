/* SPDX-License-Identifier: MIT */
/*
 * holder.c - namespaces, amberfs and the watch over the container (holder.h).
 */
#include "holder.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "exitcode.h"
#include "fsd.h"
#include "log.h"
#include "run.h"
#include "waitloop.h"

/* How long a daemon that ended normally may precede init's exit: its
 * connection ends when the container's mount namespace goes, a moment
 * before init can be reaped. */
#define DAEMON_EXIT_GRACE_MS 2000

struct holder {
	struct run_state *s;
	struct fsd_config fc;
	pid_t daemon, init;
	int ready_fd; /* init's "ready" pipe, or -1 */
	bool init_done, runner_gone, failed;
	int code;
	struct waitloop l;
	pid_t daemon_exited; /* reaped in the current batch, or -1 */
	int daemon_status;
};

enum { FD_READY, FD_RUNNER };

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
static void on_ready(void *ud)
{
	struct holder *h = ud;
	char b;

	if (read(h->ready_fd, &b, 1) == 1 && fsd_detach(&h->fc) == 0)
		state_dir_remove(h->s);
	close(h->ready_fd);
	h->ready_fd = h->l.fds[FD_READY].fd = -1;
}

static void on_runner_gone(void *ud)
{
	struct holder *h = ud;
	char b;

	if (read(h->s->sync_down[0], &b, 1) != 0)
		return;
	log_error("the runner is gone (killed?): stopping the container");
	h->runner_gone = true;
	h->l.fds[FD_RUNNER].fd = -1;
	stop_container(h);
}

static void init_exited(struct holder *h, int status)
{
	h->init_done = true;
	h->code = exit_code_from_status(status);
	h->l.forward_to = -1; /* nothing left to forward signals to */
}

/* Waits up to ms for init to exit; true if it did. */
static bool wait_init(struct holder *h, int ms)
{
	int status;

	if (waitloop_child(h->init, ms, NULL, &status) != 0)
		return false;
	init_exited(h, status);
	return true;
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

static void on_child(void *ud, pid_t pid, int status)
{
	struct holder *h = ud;

	if (pid == h->init) {
		init_exited(h, status);
	} else if (pid == h->daemon) {
		h->daemon_exited = pid;
		h->daemon_status = status;
		h->daemon = -1;
	}
}

/* After the whole batch: a daemon that died by a signal is a failure
 * even when init was reaped in the same batch. */
static void on_reaped(void *ud)
{
	struct holder *h = ud;
	pid_t pid = h->daemon_exited;

	h->daemon_exited = -1;
	if (pid > 0)
		on_daemon_exit(h, pid, h->daemon_status);
}

static bool init_gone(void *ud)
{
	const struct holder *h = ud;

	return h->init_done;
}

/* Until init has exited.  Signals the runner forwards go on to init, but
 * not those a terminal sent to the whole group: init has them. */
static void holder_wait(struct holder *h)
{
	int r;

	h->l = (struct waitloop){
		.forward_to = h->init,
		/* With --no-init the command is init: it gets the StopSignal. */
		.term_as = h->s->o->no_init ? h->s->o->stop_signal : 0,
		.fds = { [FD_READY] = { h->ready_fd, on_ready }, [FD_RUNNER] = { h->s->sync_down[0], on_runner_gone } },
		.on_child = on_child, .reaped = on_reaped, .done = init_gone, .ud = h,
	};
	h->l.sfd = r = waitloop_signalfd();
	if (r >= 0) {
		r = waitloop_run(&h->l);
		close(h->l.sfd);
	}
	if (r < 0) {
		log_error_errno(r, "waiting for the container: %m");
		stop_container(h);
		(void)wait_init(h, 10000);
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
	struct holder h = { .s = s, .daemon = -1, .init = -1, .ready_fd = -1, .code = EXIT_RUNNER, .daemon_exited = -1 };

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
		.mountpoint = s->root, .squash_root = s->squash_root, .extra = &s->o->fs_options,
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
