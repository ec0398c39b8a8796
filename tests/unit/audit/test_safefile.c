/* SPDX-License-Identifier: MIT */
/*
 * test_safefile.c - fs/safefile.c: what may stand under the log's or the
 * pidfile's name (a symlink, a FIFO, a hard link, another user's file) and
 * what amberfs does with it.  Run as root, the other user is uid 65534
 * (skipped otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"

static char dir[64], target[PATH_MAX], name_path[PATH_MAX];
static int dirfd = -1;

static int setup(void **state)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/amber-safefile.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(name_path, sizeof(name_path), "%s/log", dir);
	f = fopen(target, "we");
	if (!f)
		return -1;
	fputs("precious\n", f);
	fclose(f);
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return dirfd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	close(dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void assert_target_untouched(void)
{
	char buf[64] = "";
	FILE *f = fopen(target, "re");

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_null(fgets(buf + strlen(buf), sizeof(buf) - strlen(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
}

static void test_open_dir(void **state)
{
	char *name = NULL, *abs = NULL;
	int fd = -1;

	assert_int_equal(safefile_open_dir(name_path, &fd, &name), 0);
	assert_string_equal(name, "log");
	assert_int_equal(safefile_abs_path(fd, name, &abs), 0);
	assert_string_equal(abs, name_path);
	close(fd);
	free(name);
	free(abs);
	assert_int_equal(safefile_open_dir("/tmp/", &fd, &name), -EINVAL);
	assert_int_equal(safefile_open_dir("/tmp/..", &fd, &name), -EINVAL);
	assert_int_equal(safefile_open_dir("", &fd, &name), -EINVAL);
	assert_int_equal(safefile_open_dir("/nonexistent-dir/x", &fd, &name), -ENOENT);
}

static void test_regular(void **state)
{
	struct stat st;
	int fd = -1;

	assert_int_equal(safefile_open_log(dirfd, "log", O_WRONLY, &fd), 0); /* created */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND), O_APPEND);
	close(fd);
	assert_int_equal(safefile_open_log(dirfd, "log", O_RDWR, &fd), 0); /* existing */
	close(fd);
	assert_int_equal(mkdirat(dirfd, "d", 0700), 0);
	assert_int_equal(safefile_open_log(dirfd, "d", O_WRONLY, &fd), -EISDIR);
}

static void test_refused(void **state)
{
	int fd = -1;

	assert_int_equal(symlink(target, name_path), 0);
	assert_int_equal(safefile_open_log(dirfd, "log", O_WRONLY, &fd), -ELOOP);
	assert_int_equal(unlink(name_path), 0);
	assert_int_equal(symlink("/nonexistent/dangling", name_path), 0);
	assert_int_equal(safefile_open_log(dirfd, "log", O_WRONLY, &fd), -ELOOP);
	assert_int_equal(access("/nonexistent/dangling", F_OK), -1);
	assert_int_equal(unlink(name_path), 0);

	assert_int_equal(mkfifo(name_path, 0666), 0); /* must not block */
	assert_int_equal(safefile_open_log(dirfd, "log", O_WRONLY, &fd), -EINVAL);
	assert_int_equal(safefile_open_log(dirfd, "log", O_RDWR, &fd), -EINVAL);
	assert_int_equal(unlink(name_path), 0);

	assert_int_equal(link(target, name_path), 0);
	assert_int_equal(safefile_open_log(dirfd, "log", O_WRONLY, &fd), -EMLINK);
	assert_int_equal(unlink(name_path), 0);
	assert_target_untouched();
	assert_non_null(safefile_refusal(-ELOOP));
	assert_non_null(safefile_refusal(-EMLINK));
	assert_null(safefile_refusal(-ENOSPC));
}

static void test_other_owner(void **state)
{
	int fd;

	if (geteuid() != 0)
		skip();
	fd = open(name_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(name_path, 65534, 65534), 0);
	fd = -1;
	assert_int_equal(safefile_open_log(dirfd, "log", O_WRONLY, &fd), -EPERM);
	assert_int_equal(fd, -1);
}

/* The pidfile replaces whatever has its name, and is removed only while it
 * is still the file we wrote. */
static void test_pidfile(void **state)
{
	struct pidfile *p = NULL;
	char buf[32] = "";
	struct stat st;
	FILE *f;

	assert_int_equal(symlink(target, name_path), 0);
	assert_int_equal(pidfile_write(name_path, 4242, &p), 0);
	assert_int_equal(lstat(name_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	f = fopen(name_path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "4242\n");
	assert_target_untouched();
	p = pidfile_remove(p);
	assert_null(p);
	assert_int_equal(access(name_path, F_OK), -1);

	/* A later daemon's pidfile under the same name stays. */
	assert_int_equal(pidfile_write(name_path, 1, &p), 0);
	assert_int_equal(unlink(name_path), 0);
	f = fopen(name_path, "we");
	assert_non_null(f);
	fputs("99\n", f);
	fclose(f);
	p = pidfile_remove(p);
	assert_int_equal(access(name_path, F_OK), 0);
	assert_null(pidfile_remove(NULL));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_dir), T(test_regular), T(test_refused), T(test_other_owner),
		T(test_pidfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
