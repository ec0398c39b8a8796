/* SPDX-License-Identifier: MIT */
/*
 * test_log.c - common/log: %m prints the error given, never "Success", and a
 * debug build aborts on a %m that has no error (log_error() and the like).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

static char last[4096];

static void sink(enum log_level level, const char *msg)
{
	(void)level;
	snprintf(last, sizeof(last), "%s", msg);
}

static int setup(void **state)
{
	(void)state;
	log_init("test_log");
	log_set_level(LOG_LEVEL_DEBUG);
	log_set_sink(sink);
	last[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_sink(NULL);
	return 0;
}

static void test_errno_formats_err(void **state)
{
	(void)state;
	errno = EPERM; /* what errno is now does not matter */
	assert_int_equal(log_error_errno(-ENOENT, "open 'x': %m"), -ENOENT);
	assert_string_equal(last, "open 'x': No such file or directory");
	assert_int_equal(errno, EPERM); /* and it is left as it was */
	/* a positive error is taken as well, and returned negated */
	assert_int_equal(log_warning_errno(EACCES, "%m"), -EACCES);
	assert_string_equal(last, "Permission denied");
	(void)log_debug_errno(-EIO, "debug: %m");
	assert_string_equal(last, "debug: Input/output error");
}

static void test_no_percent_m(void **state)
{
	(void)state;
	log_error("plain %s, 100%%m done", "text");
	assert_string_equal(last, "plain text, 100%m done");
	log_info("%d%%", 5);
	assert_string_equal(last, "5%");
}

/*
 * Runs fn in a child and returns how it ended: the signal that killed it, or
 * 0 when it exited normally.  No core file: the abort is expected.
 */
static int child_signal(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };

		(void)setrlimit(RLIMIT_CORE, &none);
		log_set_sink(NULL);
		/* stderr carries the assertion's message; keep the test's
		 * output readable by sending the child's elsewhere. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

static void call_error_m(void)
{
	errno = ENOENT;
	log_error("open 'x': %m");
}

static void call_warning_m(void)
{
	log_warning("cannot remove '%s': %m", "x");
}

static void call_info_m(void)
{
	log_info("%-5m");
}

static void call_debug_m(void)
{
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("hidden or not: %m");
}

static void call_hidden_m(void)
{
	/* below the level: not printed, still refused */
	log_set_level(LOG_LEVEL_ERROR);
	log_warning("%m");
}

static void call_allowed(void)
{
	log_error("no conversion: %%m");
	log_error_errno(-ENOENT, "with the error: %m");
	log_error_errno(0, "an error of 0 without %%m is fine");
}

static void test_percent_m_without_error_aborts(void **state)
{
	(void)state;
#ifdef NDEBUG
	skip(); /* the assertion exists only in debug builds */
#else
	assert_int_equal(child_signal(call_error_m), SIGABRT);
	assert_int_equal(child_signal(call_warning_m), SIGABRT);
	assert_int_equal(child_signal(call_info_m), SIGABRT);
	assert_int_equal(child_signal(call_debug_m), SIGABRT);
	assert_int_equal(child_signal(call_hidden_m), SIGABRT);
	assert_int_equal(child_signal(call_allowed), 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errno_formats_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_percent_m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_percent_m_without_error_aborts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
