/* SPDX-License-Identifier: MIT */
/*
 * fsd.c - start, stop and read back the amberfs daemon (see fsd.h).
 */
#include "fsd.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exitcode.h"
#include "log.h"
#include "optlist.h"
#include "progpath.h"
#include "waitloop.h"

/* The amberfs built with us (runner/meson.build). */
#ifndef AMBERFS_BUILD_PATH
#define AMBERFS_BUILD_PATH ""
#endif
#define FSD_START_TIMEOUT_S 30

/* *s += [","] key and the paths as one escaped ':' list. */
static int append_list(char **s, const char *key, const struct strv *v)
{
	_cleanup_free_ char *e = NULL;
	int r;

	r = optlist_join(v->v, v->n, &e);
	return r < 0 ? r : optlist_append(s, key, e);
}

int fsd_options(const struct fsd_config *c, char **ret)
{
	_cleanup_free_ char *o = NULL;
	char n[32];
	int r;

	if ((r = append_list(&o, "lowerdir=", c->layers)) < 0)
		return r;
	if (c->synthdirs && c->synthdirs->n > 0 && (r = append_list(&o, "synthdir=", c->synthdirs)) < 0)
		return r;
	if (c->log_path && (r = optlist_append_escaped(&o, "log=", c->log_path)) < 0)
		return r;
	if (c->log_path && c->log_max_size > 0) {
		snprintf(n, sizeof(n), "%" PRIu64, c->log_max_size);
		if ((r = optlist_append(&o, "log_max_size=", n)) < 0)
			return r;
		snprintf(n, sizeof(n), "%u", c->log_keep);
		if ((r = optlist_append(&o, "log_keep=", n)) < 0)
			return r;
	}
	if (c->pidfile && (r = optlist_append_escaped(&o, "pidfile=", c->pidfile)) < 0)
		return r;
	if (c->squash_root && (r = optlist_append(&o, "squash_to_root", "")) < 0)
		return r;
	for (size_t i = 0; c->extra && i < c->extra->n; i++)
		if ((r = optlist_append(&o, c->extra->v[i], "")) < 0)
			return r;
	*ret = TAKE_PTR(o);
	return 0;
}

/*
 * The daemon's pid.  amberfs daemonizes; we are a child subreaper, so once
 * the foreground amberfs has exited the daemon is our only child (its own
 * unmount helper is its child, not ours).  This needs no pid file, which a
 * confined daemon may not be allowed to write where we would want it.
 */
static int find_daemon(pid_t *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64];
	int pid, n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		*ret = pid;
		n++;
	}
	return n == 1 ? 0 : -ESRCH;
}

/*
 * Debugging aid, not a feature: AMBER_RUN_DEBUG_BIND_ROOT=1 binds the top
 * layer read-only as the root instead of starting amberfs (no merge, no
 * log, no synthesized mountpoints), to work on the namespace code alone.
 */
static int debug_bind_root(const struct fsd_config *c, pid_t *ret_pid)
{
	log_warning("AMBER_RUN_DEBUG_BIND_ROOT: binding '%s' read-only instead of amberfs", c->layers->v[0]);
	if (mount(c->layers->v[0], c->mountpoint, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount("none", c->mountpoint, "none", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL) < 0)
		return log_error_errno(-errno, "debug bind of '%s': %m", c->layers->v[0]);
	*ret_pid = -1;
	return 0;
}

/* SIGKILLs every child we have now. */
static void kill_listed_children(void)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64];
	int pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	while (f && fscanf(f, "%d", &pid) == 1)
		(void)kill(pid, SIGKILL);
}

/*
 * Kills and reaps whatever amberfs left as our children: the amberfs we
 * started, and a daemon it forked, which becomes our child only once that
 * amberfs is gone (we are a subreaper).  So the list is read again after
 * each reaped child, until there is none: killing only a lone child and
 * then waiting for all would wait forever for a daemon reparented later.
 */
static void kill_children(void)
{
	do
		kill_listed_children();
	while (waitpid(-1, NULL, 0) > 0);
}

/*
 * Waits for the foreground amberfs, which exits once the mount is live.
 * Bounded (a daemon that never answers the kernel's INIT would hang us),
 * and SIGTERM/SIGINT/SIGHUP/SIGQUIT (blocked since run.c's preparation;
 * the holder gets SIGTERM when the runner dies) abort it.
 */
static int wait_mounted(pid_t pid, int *ret_status)
{
	sigset_t stop;
	int r;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGQUIT);
	r = waitloop_child(pid, FSD_START_TIMEOUT_S * 1000, &stop, ret_status);
	if (r == 0)
		return 0;
	if (r != -ETIMEDOUT && r < 0)
		return log_error_errno(r, "waitpid(amberfs): %m");
	if (r == -ETIMEDOUT)
		log_error("amberfs did not finish mounting within %d s; killing it", FSD_START_TIMEOUT_S);
	kill(pid, SIGKILL);
	kill_children();
	if (r == -ETIMEDOUT)
		return r;
	return log_error_errno(-EINTR, "interrupted by signal %d while amberfs was mounting", r);
}

int fsd_start(const struct fsd_config *c, pid_t *ret_pid)
{
	_cleanup_free_ char *opts = NULL;
	const char *bin = progpath_find("amberfs", "AMBERFS", AMBERFS_BUILD_PATH);
	int status, r;
	pid_t pid;

	if (getenv("AMBER_RUN_DEBUG_BIND_ROOT"))
		return debug_bind_root(c, ret_pid);
	r = fsd_options(c, &opts);
	if (r < 0)
		return r;
	log_debug("starting %s -o %s %s", bin, opts, c->mountpoint);
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		(void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC); /* nothing of ours for amberfs */
		execlp(bin, "amberfs", "-o", opts, c->mountpoint, (char *)NULL);
		r = -errno;
		log_error_errno(r, "cannot execute amberfs '%s': %m (build it, or set AMBERFS=/path/to/amberfs)", bin);
		_exit(r == -ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
	}
	r = wait_mounted(pid, &status);
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(-EIO, "amberfs could not mount the image (exit status %d); see its message above",
				       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	r = find_daemon(ret_pid);
	if (r < 0)
		return log_error_errno(r, "amberfs mounted but its daemon process cannot be found: %m");
	return 0;
}

/* Waits up to timeout_ms for child `pid` (or, with pid = -1, for every
 * child) to exit; true if it did (or is no child of ours any more). */
static bool wait_child(pid_t pid, int timeout_ms)
{
	int r = waitloop_child(pid, timeout_ms, NULL, NULL);

	return r == 0 || r == -ECHILD;
}

int fsd_detach(const struct fsd_config *c)
{
	if (umount2(c->mountpoint, MNT_DETACH) < 0)
		return log_error_errno(-errno, "cannot detach '%s': %m", c->mountpoint);
	return 0;
}

void fsd_stop(const struct fsd_config *c, pid_t pid)
{
	/* EINVAL: not mounted here (any more): fsd_detach() left the mount
	 * to the container, whose end ends the daemon's loop. */
	bool unmounted = umount2(c->mountpoint, 0) == 0 || errno == EINVAL || errno == ENOENT;

	if (!unmounted && umount2(c->mountpoint, MNT_DETACH) < 0 && errno != EINVAL)
		log_warning_errno(-errno, "cannot unmount '%s': %m", c->mountpoint);
	/*
	 * The unmount ends the daemon's loop and it writes its "stop" record.
	 * A SIGTERM sent now could land after libfuse restored the default
	 * handler and kill it before that record: wait first (5 s), signal
	 * only a daemon that does not go away, then give it 10 s more.
	 */
	if (pid > 0 && (!unmounted || !wait_child(pid, 5000))) {
		if (kill(pid, SIGTERM) == 0 && !wait_child(pid, 10000)) {
			log_warning("amberfs (pid %d) did not exit after SIGTERM; killing it", (int)pid);
			kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
		}
	}
	/* Its unmount helper becomes our child when the daemon exits: wait
	 * for it too (bounded), so nothing of the container outlives us. */
	(void)wait_child(-1, 2000);
}
