/* SPDX-License-Identifier: MIT */
/* Unit tests: series.c (the writer's lock, rotation names). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "series.h"

static void expect_name(char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void test_rotation_names(void **state)
{
	(void)state;
	expect_name(series_older_name("/var/log/audit.log"), "/var/log/audit.log.1");
	expect_name(series_older_name("/var/log/audit.log.1"), "/var/log/audit.log.2");
	expect_name(series_older_name("audit.log.9"), "audit.log.10");
	expect_name(series_newer_name("/var/log/audit.log.10"), "/var/log/audit.log.9");
	expect_name(series_newer_name("/var/log/audit.log.1"), "/var/log/audit.log");
	expect_name(series_newer_name("/var/log/audit.log"), NULL);
	/* not a rotation suffix: a leading zero, a dot in a directory name, a
	 * hidden file */
	expect_name(series_newer_name("audit.log.01"), NULL);
	expect_name(series_older_name("audit.log.0"), "audit.log.0.1");
	expect_name(series_newer_name("/srv/log.2/audit"), NULL);
	expect_name(series_newer_name("/srv/.5"), NULL);
}

static void test_writer_lock(void **state)
{
	char path[] = "/tmp/test_series_XXXXXX";
	int fd = mkstemp(path), other;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(series_writer_active(path), 0);
	/* a shared lock on another open file, as the daemon holds it */
	other = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_SH), 0);
	assert_int_equal(series_writer_active(path), 1);
	/* bounded: a writer that stays gives -ETIMEDOUT */
	assert_int_equal(series_wait_writer(path, 50), -ETIMEDOUT);
	/* the probe never took the lock away: the writer still holds it */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(other);
	assert_int_equal(series_writer_active(path), 0);
	assert_int_equal(series_wait_writer(path, 0), 0);
	/* no file: nothing to wait for */
	unlink(path);
	assert_int_equal(series_writer_active(path), -ENOENT);
	assert_int_equal(series_wait_writer(path, 1000), 0);
	close(fd);
}

static void test_other_file_exists(void **state)
{
	char path[] = "/tmp/test_series_XXXXXX";
	int fd = mkstemp(path);
	char link[sizeof(path) + 4];
	char *given[] = { path };

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(link, sizeof(link), "%s.ln", path);
	assert_int_equal(symlink(path, link), 0);
	assert_false(series_other_file_exists(path, given, 1));
	assert_false(series_other_file_exists(link, given, 1)); /* another spelling of a given file */
	assert_true(series_other_file_exists(path, given, 0));
	assert_false(series_other_file_exists("/nonexistent/x", given, 1));
	assert_false(series_other_file_exists("/tmp", given, 1)); /* not a regular file */
	unlink(link);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_names),
		cmocka_unit_test(test_writer_lock),
		cmocka_unit_test(test_other_file_exists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
