/* SPDX-License-Identifier: MIT */
/* test_xdg.c - common/xdg: the variables, their fallbacks, relative paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "xdg.h"

static void unset_all(void)
{
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_CACHE_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("HOME");
}

static void expect(enum xdg_dir d, const char *sub, int ret, const char *want)
{
	char *got = NULL;
	int r = xdg_path(d, sub, &got);

	if (r != ret)
		fail_msg("xdg_path(%d, %s) = %d, want %d", (int)d, sub ? sub : "NULL", r, ret);
	if (r == 0)
		assert_string_equal(got, want);
	else
		assert_null(got);
	free(got);
}

static void test_variables(void **state)
{
	(void)state;
	unset_all();
	setenv("XDG_STATE_HOME", "/s", 1);
	setenv("XDG_CACHE_HOME", "/c", 1);
	setenv("XDG_DATA_HOME", "/d", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	setenv("HOME", "/home/u", 1);
	expect(XDG_STATE, "amber-run", 0, "/s/amber-run");
	expect(XDG_CACHE, "amber-run", 0, "/c/amber-run");
	expect(XDG_DATA, "amber", 0, "/d/amber");
	expect(XDG_RUNTIME, "amber-oci", 0, "/run/user/7/amber-oci");
	expect(XDG_STATE, NULL, 0, "/s");
	expect(XDG_STATE, "amber/x.log", 0, "/s/amber/x.log");
	assert_string_equal(xdg_env(XDG_RUNTIME), "/run/user/7");
}

static void test_fallbacks(void **state)
{
	(void)state;
	unset_all();
	setenv("HOME", "/home/u", 1);
	expect(XDG_STATE, "amber-run", 0, "/home/u/.local/state/amber-run");
	expect(XDG_CACHE, "amber-run", 0, "/home/u/.cache/amber-run");
	expect(XDG_DATA, "amber", 0, "/home/u/.local/share/amber");
	expect(XDG_RUNTIME, "amber-oci", -ENOENT, NULL); /* no fallback */
	assert_null(xdg_env(XDG_STATE));
	unsetenv("HOME");
	expect(XDG_STATE, "amber-run", -ENOENT, NULL);
}

/* The specification: a relative path is to be ignored; so is an empty one. */
static void test_relative_ignored(void **state)
{
	(void)state;
	unset_all();
	setenv("XDG_STATE_HOME", "rel/state", 1);
	setenv("XDG_RUNTIME_DIR", "", 1);
	setenv("HOME", "home", 1);
	assert_null(xdg_env(XDG_STATE));
	assert_null(xdg_env(XDG_RUNTIME));
	expect(XDG_STATE, "amber-run", -ENOENT, NULL);
	setenv("HOME", "/h", 1);
	expect(XDG_STATE, "amber-run", 0, "/h/.local/state/amber-run");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_relative_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
