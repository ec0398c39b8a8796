/* SPDX-License-Identifier: MIT */
/*
 * userns.c - uid/gid maps for the rootless case (see userns.h).
 * newuidmap/newgidmap are setuid helpers from the "uidmap" package that
 * check /etc/subuid for us; without them only the caller's own id maps.
 */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exitcode.h"
#include "input.h"
#include "log.h"
#include "subid.h"

static bool have_prog(const char *p)
{
	return access(p, X_OK) == 0;
}

void userns_plan(struct idmap *ret)
{
	struct passwd *pw = getpwuid(getuid());
	const char *name = pw ? pw->pw_name : NULL;
	struct idmap m = { .uid = getuid(), .gid = getgid() };

	if (have_prog("/usr/bin/newuidmap") && have_prog("/usr/bin/newgidmap") &&
	    subid_lookup("/etc/subuid", name, m.uid, &m.sub_uid, &m.n_uid) &&
	    subid_lookup("/etc/subgid", name, m.uid, &m.sub_gid, &m.n_gid)) {
		/* both ranges */
	} else {
		m.n_uid = m.n_gid = 0;
	}
	*ret = m;
}

static int write_file(pid_t pid, const char *name, const char *content)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(content);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len)
		return -errno;
	return 0;
}

int userns_write_maps(pid_t pid, const struct idmap *m)
{
	char buf[64];
	bool uid_done = false;
	int r;

	if (m->n_uid > 0 && m->n_gid > 0) {
		r = subid_write_map("/usr/bin/newuidmap", pid, m->uid, m->sub_uid, m->n_uid);
		if (r == 0) {
			uid_done = true;
			r = subid_write_map("/usr/bin/newgidmap", pid, m->gid, m->sub_gid, m->n_gid);
			if (r == 0)
				return 0;
		}
		log_warning("newuidmap/newgidmap failed; mapping only uid %u and gid %u", (unsigned)m->uid,
			    (unsigned)m->gid);
	}
	if (!uid_done) {
		snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)m->uid);
		r = write_file(pid, "uid_map", buf);
		if (r < 0)
			return log_error_errno(r, "cannot write the uid map of pid %d: %m", (int)pid);
	}
	r = write_file(pid, "setgroups", "deny");
	if (r < 0 && r != -ENOENT)
		return log_error_errno(r, "cannot write /proc/%d/setgroups: %m", (int)pid);
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)m->gid);
	r = write_file(pid, "gid_map", buf);
	if (r < 0)
		return log_error_errno(r, "cannot write the gid map of pid %d: %m", (int)pid);
	return 0;
}
