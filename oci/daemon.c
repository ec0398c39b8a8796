/* SPDX-License-Identifier: MIT */
/* daemon.c - start and stop one container's amberfs; see daemon.h. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cstate.h"
#include "detach.h"
#include "log.h"
#include "optlist.h"
#include "progpath.h"

/* The amberfs built with us (oci/meson.build). */
#ifndef AMBERFS_BUILD_PATH
#define AMBERFS_BUILD_PATH ""
#endif

int daemon_options(const struct daemon_config *c, char **ret)
{
	_cleanup_free_ char *o = NULL, *synth = NULL;
	int r;

	if ((r = optlist_append_escaped(&o, "lowerdir=", c->layer)) < 0 || (r = optlist_append_escaped(&o, "log=", c->log)) < 0 ||
	    (r = optlist_append_escaped(&o, "pidfile=", c->pidfile)) < 0)
		return r;
	if (c->synthdirs && c->synthdirs->n > 0 &&
	    ((r = optlist_join(c->synthdirs->v, c->synthdirs->n, &synth)) < 0 ||
	     (r = optlist_append(&o, "synthdir=", synth)) < 0))
		return r;
	for (size_t i = 0; c->meta && i < c->meta->n; i++)
		if ((r = optlist_append_escaped(&o, "meta.", c->meta->v[i])) < 0)
			return r;
	*ret = TAKE_PTR(o);
	return 0;
}

static int read_pidfile(const char *path, pid_t *ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int pid;

	if (!f)
		return -errno;
	if (fscanf(f, "%d", &pid) != 1 || pid <= 0)
		return -EBADMSG;
	*ret = pid;
	return 0;
}

int daemon_start(const struct daemon_config *c, pid_t *ret_pid)
{
	_cleanup_free_ char *opts = NULL;
	const char *bin = progpath_find("amberfs", "AMBERFS", AMBERFS_BUILD_PATH);
	int status, r;
	pid_t pid;

	r = daemon_options(c, &opts);
	if (r < 0)
		return r;
	log_debug("starting %s -o %s %s", bin, opts, c->mountpoint);
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		/* Nothing of the engine's (sync pipes, console socket, the
		 * container's stdio) may stay open in the daemon; its stderr
		 * stays, so amberfs's messages reach the engine's log. */
		(void)detach_stdio(-1, true);
		(void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execlp(bin, "amberfs", "-o", opts, c->mountpoint, (char *)NULL);
		log_error_errno(-errno, "cannot execute amberfs '%s': %m (install it, or set AMBERFS=/path/to/amberfs)", bin);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "waitpid(amberfs): %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(-EIO, "amberfs could not mount '%s' (exit status %d)", c->layer,
				       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	r = read_pidfile(c->pidfile, ret_pid);
	if (r < 0)
		return log_error_errno(r, "amberfs mounted '%s' but its pid file '%s' cannot be read: %m",
				       c->mountpoint, c->pidfile);
	return 0;
}

static bool same_process(pid_t pid, unsigned long long start)
{
	unsigned long long now = cstate_proc_start(pid);

	return now != 0 && (start == 0 || now == start);
}

/*
 * Waits up to ms for the process to be gone.  It is not our child: a
 * pidfd becomes readable the moment it exits (no polling delay); where
 * pidfd_open() is missing (Linux < 5.3), /proc is polled every 10 ms.
 */
static bool wait_gone(pid_t pid, unsigned long long start, int ms)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0 && same_process(pid, start)) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };

		while (poll(&p, 1, ms) < 0 && errno == EINTR)
			;
		return !same_process(pid, start);
	}
	for (int waited = 0; same_process(pid, start); waited += 10) {
		if (waited >= ms)
			return false;
		nanosleep(&step, NULL);
	}
	return true;
}

/* Without CAP_SYS_ADMIN over the mount (amberfs mounted through
 * fusermount3 by an unprivileged user): the setuid helper unmounts it. */
static int fusermount_detach(const char *mountpoint)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "--", mountpoint, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "waitpid(fusermount3): %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(-EPERM, "cannot unmount '%s' (umount: EPERM, fusermount3 -u failed)", mountpoint);
	return 0;
}

int daemon_stop(const char *mountpoint, pid_t pid, unsigned long long start)
{
	int r = 0;

	if (umount2(mountpoint, 0) < 0 && errno != EINVAL && errno != ENOENT) {
		int e;

		log_debug_errno(-errno, "umount '%s': %m; detaching it", mountpoint);
		e = umount2(mountpoint, MNT_DETACH) < 0 ? errno : 0;
		if (e == EPERM)
			r = fusermount_detach(mountpoint);
		else if (e != 0 && e != EINVAL && e != ENOENT)
			r = log_error_errno(-e, "cannot unmount '%s': %m", mountpoint);
	}
	if (pid <= 0 || !same_process(pid, start))
		return r;
	/* The unmount ends its loop; it writes "stop" and exits. */
	if (wait_gone(pid, start, 5000))
		return r;
	log_warning("amberfs (pid %d) still runs 5 s after its unmount; sending SIGTERM", (int)pid);
	kill(pid, SIGTERM);
	if (wait_gone(pid, start, 5000))
		return r;
	log_warning("amberfs (pid %d) did not exit after SIGTERM; killing it", (int)pid);
	kill(pid, SIGKILL);
	(void)wait_gone(pid, start, 2000);
	return r;
}
