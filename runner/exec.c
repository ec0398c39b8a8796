/* SPDX-License-Identifier: MIT */
/*
 * exec.c - user switch, capabilities, no_new_privs, seccomp and execve in
 * the command's process (see exec.h).
 *
 * Order matters: the bounding set is cut while we still hold CAP_SETPCAP;
 * the uid switch then clears the permitted set for a non-root user, as for
 * any setuid() away from 0; no_new_privs comes before seccomp (the kernel
 * requires it for an unprivileged filter) and seccomp comes last, so the
 * filter only has to allow execve and what follows.
 */
#include "exec.h"

#include <errno.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "exitcode.h"
#include "input.h"
#include "log.h"

/* Field n (0-based) of a colon-separated line, copied into buf. */
static const char *field(const char *line, int n, char *buf, size_t size)
{
	const char *p = line, *e;

	for (int i = 0; i < n; i++) {
		p = strchr(p, ':');
		if (!p)
			return NULL;
		p++;
	}
	e = strchrnul(p, ':');
	if ((size_t)(e - p) >= size)
		return NULL;
	memcpy(buf, p, e - p);
	buf[e - p] = '\0';
	return buf;
}

static bool parse_id(const char *s, unsigned long *ret)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *ret < 0xffffffffUL;
}

/* Finds the line whose field key_field equals key; returns a copy in *ret.
 * The image's files are input like any other: bounded, regular files only. */
static bool db_find(const char *path, const char *key, int key_field, char **ret)
{
	_cleanup_free_ char *text = NULL;
	char *cursor, *line, buf[256];

	if (input_read(NULL, path, INPUT_MAX_IMAGE_DB, &text, NULL) < 0)
		return false;
	cursor = text;
	while ((line = input_next_line(&cursor)))
		if (field(line, key_field, buf, sizeof(buf)) && strcmp(buf, key) == 0)
			return (*ret = strdup(line)) != NULL;
	return false;
}

static void collect_groups(const char *group, struct exec_user *u)
{
	_cleanup_free_ char *text = NULL;
	size_t nl = u->name ? strlen(u->name) : 0;
	char *cursor, *line, gid[32];

	u->groups[0] = u->gid;
	u->n_groups = 1;
	if (!u->name || input_read(NULL, group, INPUT_MAX_IMAGE_DB, &text, NULL) < 0)
		return;
	cursor = text;
	while ((line = input_next_line(&cursor)) && u->n_groups < (int)ELEMENTSOF(u->groups)) {
		const char *members = line;
		unsigned long g;

		for (int i = 0; i < 3 && members; i++)
			members = strchr(members, ':') ? strchr(members, ':') + 1 : NULL;
		if (!members || !field(line, 2, gid, sizeof(gid)) || !parse_id(gid, &g) || g == u->gid)
			continue;
		for (const char *p = members; (p = strstr(p, u->name)); p += nl)
			if ((p == members || p[-1] == ',') && (p[nl] == ',' || p[nl] == '\0')) {
				u->groups[u->n_groups++] = (gid_t)g;
				break;
			}
	}
}

int exec_user_resolve(const char *spec, const char *passwd, const char *group, struct exec_user *ret)
{
	_cleanup_free_ char *copy = strdup(spec ? spec : "0");
	_cleanup_free_ char *pwline = NULL, *grline = NULL;
	struct exec_user u = { 0 };
	char *colon, buf[4096];
	unsigned long id;

	if (!copy)
		return -ENOMEM;
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (parse_id(copy, &id)) {
		u.uid = id;
		db_find(passwd, copy, 2, &pwline);
	} else if (db_find(passwd, copy, 0, &pwline) && field(pwline, 2, buf, sizeof(buf)) && parse_id(buf, &id)) {
		u.uid = id;
	} else {
		return log_error_errno(-ESRCH, "user '%s' not found in the image's /etc/passwd", copy);
	}
	/* Docker's rule: without a passwd entry the group is 0. */
	if (pwline && field(pwline, 3, buf, sizeof(buf)) && parse_id(buf, &id))
		u.gid = id;
	if (pwline && field(pwline, 0, buf, sizeof(buf)))
		u.name = strdup(buf);
	u.home = strdup(pwline && field(pwline, 5, buf, sizeof(buf)) && buf[0] ? buf : u.uid == 0 ? "/root" : "/");
	if (colon) {
		if (parse_id(colon, &id))
			u.gid = id;
		else if (db_find(group, colon, 0, &grline) && field(grline, 2, buf, sizeof(buf)) && parse_id(buf, &id))
			u.gid = id;
		else {
			exec_user_free(&u);
			return log_error_errno(-ESRCH, "group '%s' not found in the image's /etc/group", colon);
		}
	}
	collect_groups(group, &u);
	*ret = u;
	return 0;
}

void exec_user_free(struct exec_user *u)
{
	free(u->home);
	free(u->name);
	*u = (struct exec_user){ 0 };
}

static _Noreturn void fail(int code, int err, const char *what, const char *arg)
{
	log_error_errno(err, "%s '%s': %m", what, arg);
	_exit(code);
}

static void setup_tty(int fd)
{
	if (fd < 0)
		return;
	if (setsid() < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		fail(EXIT_RUNNER, -errno, "cannot make the terminal controlling", "pty");
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			fail(EXIT_RUNNER, -errno, "dup2", "pty");
	if (fd > 2)
		close(fd);
}

static void switch_user(const struct exec_user *u)
{
	char id[32];

	snprintf(id, sizeof(id), "%u:%u", (unsigned)u->uid, (unsigned)u->gid);
	/* EPERM: a single-id user namespace denies setgroups; nothing to clear. */
	if (setgroups(u->n_groups, u->groups) < 0 && errno != EPERM)
		fail(EXIT_RUNNER, -errno, "setgroups for user", id);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		fail(EXIT_RUNNER, -errno, errno == EINVAL ? "gid not mapped in the user namespace (no /etc/subgid range?)"
						  : "setgid",
		     id);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		fail(EXIT_RUNNER, -errno, errno == EINVAL ? "uid not mapped in the user namespace (no /etc/subuid range?)"
						  : "setuid",
		     id);
}

_Noreturn void exec_command(const struct exec_config *c)
{
	extern char **environ;
	sigset_t none;
	int r;

	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setup_tty(c->tty_fd);
	r = caps_bounding_apply(c->caps);
	if (r < 0)
		fail(EXIT_RUNNER, r, "cannot drop capabilities", "bounding set");
	/* Keep the capability sets across a uid switch only for root. */
	switch_user(c->user);
	/* A uid change cleared the parent-death signal: as PID 1 (--no-init)
	 * this process must still die with the holder. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (c->user->uid == 0 && (r = caps_set(c->caps)) < 0) {
		int cap = caps_first_unheld(c->caps);

		if (cap >= 0 && cap_to_name(cap)) {
			log_error_errno(r, "cannot set capability '%s': %m (not in the permitted set)", cap_to_name(cap));
			_exit(EXIT_RUNNER);
		}
		fail(EXIT_RUNNER, r, "cannot set capabilities", "capset");
	}
	if (chdir(c->workdir) < 0)
		fail(EXIT_RUNNER, -errno, "cannot change to the working directory", c->workdir);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(EXIT_RUNNER, -errno, "prctl", "no_new_privs");
	/* Only stdin, stdout and stderr reach the command: descriptors the
	 * caller leaked to amber-run must not leak into the container. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail(EXIT_RUNNER, -errno, "close_range", "3..");
	environ = c->env; /* execvp searches this PATH */
	r = seccomp_prog_load(c->seccomp);
	if (r < 0)
		fail(EXIT_RUNNER, r, "cannot load the seccomp filter", "seccomp");
	execvp(c->argv[0], c->argv);
	r = errno;
	fail(r == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, -r, r == ENOENT ? "command not found" : "cannot execute", c->argv[0]);
}
