/* SPDX-License-Identifier: MIT */
/*
 * test_progpath.c - common/progpath: $ENV first, then the program built in
 * the same build tree (this test runs from the build tree), then the one
 * next to the caller, the install directory, the bare name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progpath.h"

static char dir[] = "/tmp/amber-progpath-XXXXXX";
static char built[PATH_MAX], plain[PATH_MAX], sibling[PATH_MAX + 32];

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	char self[PATH_MAX];
	ssize_t n;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(built, sizeof(built), "%s/built-prog", dir);
	snprintf(plain, sizeof(plain), "%s/not-executable", dir);
	make_file(built, 0755);
	make_file(plain, 0644);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(sibling, sizeof(sibling), "%s/amber-progpath-sibling", self);
	unsetenv("AMBER_PROGPATH_TEST");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(sibling);
	unlink(built);
	unlink(plain);
	rmdir(dir);
	return 0;
}

static void test_env_first(void **state)
{
	(void)state;
	setenv("AMBER_PROGPATH_TEST", "/from/env", 1);
	assert_string_equal(progpath_find("x", "AMBER_PROGPATH_TEST", built), "/from/env");
	setenv("AMBER_PROGPATH_TEST", "", 1); /* empty: not set */
	assert_string_equal(progpath_find("x", "AMBER_PROGPATH_TEST", built), built);
	unsetenv("AMBER_PROGPATH_TEST");
}

static void test_build_tree(void **state)
{
	(void)state;
	/* this test runs from the build tree: the program built with it */
	assert_string_equal(progpath_find("x", "AMBER_PROGPATH_TEST", built), built);
	assert_string_equal(progpath_find("x", NULL, built), built);
	/* only an executable one */
	assert_string_equal(progpath_find("amber-progpath-none", NULL, plain), "amber-progpath-none");
}

static void test_sibling_then_name(void **state)
{
	(void)state;
	assert_string_equal(progpath_find("amber-progpath-sibling", NULL, ""), "amber-progpath-sibling");
	make_file(sibling, 0755);
	assert_string_equal(progpath_find("amber-progpath-sibling", NULL, ""), sibling);
	assert_string_equal(progpath_find("amber-progpath-sibling", NULL, plain), sibling);
	unlink(sibling);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_first),
		cmocka_unit_test(test_build_tree),
		cmocka_unit_test(test_sibling_then_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
