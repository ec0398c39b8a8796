/* SPDX-License-Identifier: MIT */
/*
 * container.c - PID 1 of the container (see container.h).
 *
 * Why a second mount namespace here: pivot_root moves the root of every
 * process of the namespace whose root is the old one, which would include
 * the amberfs daemon and the runner.  unshare(CLONE_NEWNS) gives this
 * process a private copy, so the pivot and all container mounts stay in
 * it and vanish with it.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "exitcode.h"
#include "init.h"
#include "log.h"
#include "mounts.h"
#include "seccomp_filter.h"

int fd_send(int sock, int fd)
{
	char byte = 'T';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = { 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int fd_recv(int sock, int *ret)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENODATA;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(ret, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* Opens a pty pair on the container's devpts; the master goes to the
 * runner, which relays it to its own terminal. */
static int make_pty(int ctl_fd, int *ret_slave)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[64];
	int unlock = 0, slave;

	if (master < 0)
		return log_error_errno(-errno, "cannot open /dev/ptmx in the container: %m");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return log_error_errno(-errno, "cannot unlock the pty: %m");
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return log_error_errno(-errno, "cannot open '%s': %m", name);
	if (fd_send(ctl_fd, master) < 0) {
		close(slave);
		return log_error_errno(-errno, "cannot pass the pty to the runner: %m");
	}
	*ret_slave = slave;
	return 0;
}

static char **env_with_home(char **env, const char *home)
{
	size_t n = 0;
	char **out;

	for (; env[n]; n++)
		if (strncmp(env[n], "HOME=", 5) == 0)
			return env;
	out = calloc(n + 2, sizeof(char *));
	if (!out || asprintf(&out[n], "HOME=%s", home) < 0)
		return env;
	memcpy(out, env, n * sizeof(char *));
	return out;
}

static int prepare(const struct container_config *c)
{
	int r;

	if (unshare(CLONE_NEWNS) < 0)
		return log_error_errno(-errno, "unshare(CLONE_NEWNS): %m");
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return log_error_errno(-errno, "sethostname '%s': %m", c->hostname);
	if ((r = mounts_apply(c->spec, c->root)) < 0 || (r = mounts_pivot(c->root)) < 0 ||
	    (r = mounts_finish()) < 0)
		return r;
	return 0;
}

_Noreturn void container_main(const struct container_config *c)
{
	struct exec_user user;
	struct exec_config ec;
	int tty_fd = -1;
	pid_t child;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_NAME, "amber-init");
	if (prepare(c) < 0)
		_exit(EXIT_RUNNER);
	/* Pivoted: nothing on the host side is needed any more (holder.h). */
	if (c->ready_fd >= 0) {
		if (write(c->ready_fd, "r", 1) != 1)
			log_debug_errno(-errno, "cannot tell the holder that the root is ready: %m");
		close(c->ready_fd);
	}
	if (exec_user_resolve(c->opts->user, "/etc/passwd", "/etc/group", &user) < 0)
		_exit(EXIT_RUNNER);
	if (c->opts->tty && make_pty(c->ctl_fd, &tty_fd) < 0)
		_exit(EXIT_RUNNER);
	if (c->ctl_fd >= 0)
		close(c->ctl_fd);
	ec = (struct exec_config){
		.argv = c->opts->argv.v,
		.env = env_with_home(c->env, user.home),
		.workdir = c->opts->workdir ? c->opts->workdir : "/",
		.user = &user,
		.caps = c->caps,
		.seccomp = c->seccomp,
		.tty_fd = tty_fd,
	};
	if (c->opts->no_init)
		exec_command(&ec);
	child = fork();
	if (child < 0) {
		log_error_errno(-errno, "fork: %m");
		_exit(EXIT_RUNNER);
	}
	if (child == 0)
		exec_command(&ec);
	if (tty_fd >= 0)
		close(tty_fd);
	_exit(init_run(child, c->opts->stop_signal));
}
