/* spawn.c: mount time, measured as a user sees it: from starting the mount
 * command until stat() of a file that exists only in the stack answers.
 *
 * The command runs as a child with stdout/stderr sent to a log file (a
 * foreground daemon must not hold the caller's pipe open).  If it is still
 * running when the probe answers (a FUSE daemon run with -f), its pid is
 * returned so the caller can end it by pid; if it exited 0 (mount(8), a
 * daemonizing helper; with wait_exit it is waited for) the pid returned is 0.  On failure or timeout the
 * child is killed and reaped here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static pid_t start_child(char **argv, const char *logfile)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(125);
	execvp(argv[0], argv);
	_exit(127);
}

static int kill_child(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

static void write_pid(const char *file, pid_t pid)
{
	FILE *f = file ? fopen(file, "we") : NULL;

	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
}

int spawn_mount(char **argv, const char *probe, const char *logfile, const char *pidfile, double timeout_s,
		bool wait_exit, struct result *ret, int *ret_pid)
{
	const struct timespec nap = { .tv_nsec = 20000 };
	uint64_t t0 = now_ns(), limit = (uint64_t)(timeout_s * 1e9);
	bool exited = false;
	struct stat st;
	int status;
	pid_t pid = start_child(argv, logfile);

	if (pid < 0)
		return -errno;
	/* at once, so the caller can end it by pid even if we are killed */
	write_pid(pidfile, pid);
	for (;;) {
		if (stat(probe, &st) == 0)
			break;
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				return -ECHILD;
			continue; /* mounted and returned: the next stat decides */
		}
		if (exited || now_ns() - t0 > limit) {
			if (!exited)
				kill_child(pid);
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
	}
	ret->ns = now_ns() - t0;
	ret->ops = 1;
	if (!exited && wait_exit) {
		/* mount(8) answered: let it finish so no pid is left over. */
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return -ECHILD;
		exited = true;
	}
	*ret_pid = exited ? 0 : pid;
	return 0;
}
