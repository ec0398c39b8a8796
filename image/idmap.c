/* SPDX-License-Identifier: MIT */
/*
 * idmap.c - enter the import's user namespace (see idmap.h).
 */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "subid.h"
#include "log.h"

#define NEWUIDMAP "/usr/bin/newuidmap"
#define NEWGIDMAP "/usr/bin/newgidmap"

bool image_idmap_plan(struct image_idmap *ret)
{
	struct passwd *pw = getpwuid(getuid());
	struct image_idmap m = { .uid = getuid(), .gid = getgid() };

	if (m.uid == 0 || access(NEWUIDMAP, X_OK) < 0 || access(NEWGIDMAP, X_OK) < 0)
		return false;
	if (!subid_lookup("/etc/subuid", pw ? pw->pw_name : NULL, m.uid, &m.sub_uid, &m.n_uid) ||
	    !subid_lookup("/etc/subgid", pw ? pw->pw_name : NULL, m.uid, &m.sub_gid, &m.n_gid))
		return false;
	*ret = m;
	return true;
}

/* The child: unshare, tell the parent, wait for the maps, become root. */
static void child(int to_parent, int from_parent)
{
	char ok = 0;

	if (unshare(CLONE_NEWUSER) < 0) {
		log_error_errno(-errno, "cannot create a user namespace: %m");
		_exit(125);
	}
	if (write(to_parent, "u", 1) != 1 || read(from_parent, &ok, 1) != 1 || ok != 'm')
		_exit(125);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		log_error_errno(-errno, "cannot become root of the user namespace: %m");
		_exit(125);
	}
	close(to_parent);
	close(from_parent);
}

int image_idmap_enter(const struct image_idmap *m, int *ret_status)
{
	int up[2], down[2], status, r = 0;
	char c;
	pid_t pid;

	if (pipe2(up, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(down, O_CLOEXEC) < 0) {
		r = -errno;
		close(up[0]);
		close(up[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		child(up[1], down[0]);
		return 0;
	}
	close(up[1]);
	close(down[0]);
	up[1] = down[0] = -1;
	if (read(up[0], &c, 1) != 1)
		r = -ECHILD;
	else if ((r = subid_write_map(NEWUIDMAP, pid, m->uid, m->sub_uid, m->n_uid)) < 0 ||
		 (r = subid_write_map(NEWGIDMAP, pid, m->gid, m->sub_gid, m->n_gid)) < 0)
		log_error_errno(r, "newuidmap/newgidmap could not map the subordinate ids: %m");
	else if (write(down[1], "m", 1) != 1)
		r = -errno;
	close(down[1]);
	down[1] = -1;
	/* The child ends on its own once the pipe closes without 'm'. */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = 0;
			break;
		}
	if (r == 0) {
		*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		r = 1;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (up[i] >= 0)
			close(up[i]);
		if (down[i] >= 0)
			close(down[i]);
	}
	return r;
}
