/* SPDX-License-Identifier: MIT */
/* test_detach.c - common/detach: stdio on /dev/null after a fork, stderr
 * kept when asked, the descriptor given closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detach.h"

static bool is_devnull(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
}

/* Exit status of the child: bit i set when check i failed. */
static int child(bool keep_stderr, bool give_fd)
{
	int p[2], null = -1, bad = 0;

	/* stdio on a pipe first: something that is not /dev/null */
	if (pipe(p) < 0 || dup2(p[1], STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
	    dup2(p[1], STDERR_FILENO) < 0)
		return 0x80;
	if (give_fd && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return 0x80;
	if (detach_stdio(null, keep_stderr) < 0)
		return 0x40;
	if (!is_devnull(STDIN_FILENO))
		bad |= 1;
	if (!is_devnull(STDOUT_FILENO))
		bad |= 2;
	if (is_devnull(STDERR_FILENO) == keep_stderr)
		bad |= 4;
	if (give_fd && fcntl(null, F_GETFD) >= 0)
		bad |= 8; /* the descriptor given is closed */
	if (fcntl(STDIN_FILENO, F_GETFD) != 0)
		bad |= 16; /* no close-on-exec on a standard descriptor */
	return bad;
}

static int run(bool keep_stderr, bool give_fd)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(keep_stderr, give_fd));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_detach(void **state)
{
	(void)state;
	assert_int_equal(run(false, false), 0);
	assert_int_equal(run(true, false), 0);
	assert_int_equal(run(false, true), 0);
	assert_int_equal(run(true, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
