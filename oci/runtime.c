/* SPDX-License-Identifier: MIT */
/* runtime.c - picking and running the wrapped runtime; see runtime.h. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Where runtimes live when PATH does not say (a shim's PATH may be short). */
static const char *const fallback_dirs[] = {
	"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
};

static const char *find_in(const char *dir, size_t dl, const char *name)
{
	static char buf[4096];

	if (dl == 0 || (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)dl, dir, name) >= sizeof(buf))
		return NULL;
	return access(buf, X_OK) == 0 ? buf : NULL;
}

static const char *find_binary(const char *name)
{
	const char *path = getenv("PATH"), *found;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? name : NULL;
	for (const char *p = path; p && *p;) {
		size_t l = strcspn(p, ":");

		if ((found = find_in(p, l, name)))
			return found;
		p += l + (p[l] == ':');
	}
	for (size_t i = 0; i < ELEMENTSOF(fallback_dirs); i++)
		if ((found = find_in(fallback_dirs[i], strlen(fallback_dirs[i]), name)))
			return found;
	return NULL;
}

/* cgroup v1 controllers with a v2 hierarchy at /sys/fs/cgroup/unified. */
static bool cgroup_hybrid(void)
{
	struct statfs st;

	if (statfs("/sys/fs/cgroup", &st) < 0 || st.f_type != TMPFS_MAGIC)
		return false;
	return statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

const char *runtime_pick(const struct oci_globals *g)
{
	static char chosen[4096];
	const char *want = g->runtime, *p;

	if (!want || !*want)
		want = getenv("AMBER_OCI_RUNTIME");
	if (want && *want) {
		p = find_binary(want);
		return p ? strncpy(chosen, p, sizeof(chosen) - 1) : want;
	}
	if (!cgroup_hybrid() && (p = find_binary("crun")))
		return strncpy(chosen, p, sizeof(chosen) - 1);
	if ((p = find_binary("runc")))
		return strncpy(chosen, p, sizeof(chosen) - 1);
	return "crun";
}

int runtime_argv(const struct oci_globals *g, const char *cmd, char *const *args, size_t n_args, char ***ret)
{
	char **v = calloc(g->n_fwd + n_args + 3, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	v[k++] = (char *)runtime_pick(g);
	for (size_t i = 0; i < g->n_fwd; i++)
		v[k++] = (char *)g->fwd[i];
	if (cmd)
		v[k++] = (char *)cmd;
	for (size_t i = 0; i < n_args; i++)
		v[k++] = args[i];
	*ret = v;
	return 0;
}

int runtime_exec(char **argv)
{
	execv(argv[0], argv);
	return log_error_errno(-errno, "cannot execute the OCI runtime '%s': %m (set --runtime-binary or $AMBER_OCI_RUNTIME)",
			       argv[0]);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "waitpid(%s): %m", "runtime");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int spawn(char **argv, int out_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		log_error_errno(-errno, "cannot execute the OCI runtime '%s': %m (set --runtime-binary or $AMBER_OCI_RUNTIME)",
				argv[0]);
		_exit(127);
	}
	return pid;
}

int runtime_run(char **argv)
{
	int pid = spawn(argv, -1);

	return pid < 0 ? pid : wait_status(pid);
}

int runtime_capture(char **argv, char **ret_out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int p[2], pid, r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	pid = spawn(argv, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return pid;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		n = read(p[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(p[0]);
	r = wait_status(pid);
	if (r < 0)
		return r;
	if (!buf)
		return log_error_errno(-ENOMEM, "out of memory");
	buf[len] = '\0';
	*ret_out = TAKE_PTR(buf);
	return r;
}
