/* SPDX-License-Identifier: MIT */
/*
 * sysprobe.c - runs inside a container (static, so the busybox image can
 * execute it) and reports whether one system call got past the seccomp
 * filter.  Each probe is built so that, without a filter, the kernel
 * answers something other than EPERM (a bad command gives EINVAL or
 * EOPNOTSUPP, a nested user namespace or ptrace of a grandchild succeeds),
 * so EPERM means "filtered".  Prints "NAME allowed|blocked (errno)" and
 * exits 0 (allowed), 1 (blocked) or 2 (usage).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int probe_ptrace(void)
{
	int p[2], r, saved;
	pid_t child, grandchild;

	if (pipe(p) < 0)
		return -errno;
	child = fork();
	if (child == 0) {
		grandchild = fork();
		if (grandchild == 0) {
			pause();
			_exit(0);
		}
		if (write(p[1], &grandchild, sizeof(grandchild)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(p[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild))
		return -EIO;
	/* The grandchild is not our child: what "ptrace of a non-child" means. */
	r = ptrace(PTRACE_SEIZE, grandchild, 0, 0);
	saved = errno;
	kill(grandchild, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return r < 0 ? -saved : 0;
}

static int run(const char *name)
{
	long r;

	errno = 0;
	if (strcmp(name, "mount") == 0)
		r = mount("none", "/", "tmpfs", MS_NOUSER, NULL); /* MS_NOUSER: EINVAL */
	else if (strcmp(name, "unshare-user") == 0)
		r = unshare(CLONE_NEWUSER);
	else if (strcmp(name, "keyctl") == 0)
		r = syscall(SYS_keyctl, 99999, 0, 0, 0, 0); /* bad op: EOPNOTSUPP */
	else if (strcmp(name, "bpf") == 0) {
		char attr[128] = { 0 };

		r = syscall(SYS_bpf, 99999, attr, sizeof(attr)); /* bad cmd: EINVAL */
	} else if (strcmp(name, "ptrace") == 0) {
		int e = probe_ptrace();

		errno = -e;
		r = e < 0 ? -1 : 0;
	} else
		return -1000;
	return r < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: sysprobe mount|unshare-user|keyctl|bpf|ptrace\n");
		return 2;
	}
	r = run(argv[1]);
	if (r == -1000) {
		fprintf(stderr, "sysprobe: unknown probe '%s'\n", argv[1]);
		return 2;
	}
	if (r == -EPERM) {
		printf("%s blocked (EPERM)\n", argv[1]);
		return 1;
	}
	printf("%s allowed (%s)\n", argv[1], r ? strerror(-r) : "success");
	return 0;
}
