/* SPDX-License-Identifier: MIT */
/* test_whiteout.c - table-driven tests of the whiteout/opaque predicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "whiteout.h"

static void test_oci_names(void **state)
{
	static const struct {
		const char *name;
		const char *target; /* NULL: not an OCI whiteout */
		bool opaque, internal;
	} cases[] = {
		{ ".wh.foo", "foo", false, true },
		{ ".wh..wh..opq", NULL, true, true },
		{ ".wh.", NULL, false, true },
		{ ".wh..", NULL, false, true },
		{ ".wh...", NULL, false, true },
		{ ".wh..hidden", ".hidden", false, true },
		{ ".wh.a b\tc", "a b\tc", false, true },
		{ "foo", NULL, false, false },
		{ ".whfoo", NULL, false, false },
		{ "x.wh.foo", NULL, false, false },
		{ ".WH.foo", NULL, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = whiteout_oci_target(cases[i].name);

		if (cases[i].target) {
			assert_non_null(t);
			assert_string_equal(t, cases[i].target);
		} else {
			assert_null(t);
		}
		assert_int_equal(whiteout_is_oci_opaque(cases[i].name), cases[i].opaque);
		assert_int_equal(whiteout_is_internal_name(cases[i].name), cases[i].internal);
	}
}

static void test_chardev(void **state)
{
	static const struct {
		mode_t mode;
		unsigned maj, min;
		off_t size;
		bool chardev, maybe_xattr;
	} cases[] = {
		{ S_IFCHR | 0600, 0, 0, 0, true, false },
		{ S_IFCHR | 0000, 0, 0, 0, true, false },
		{ S_IFCHR | 0600, 1, 3, 0, false, false },
		{ S_IFCHR | 0600, 0, 1, 0, false, false },
		{ S_IFBLK | 0600, 0, 0, 0, false, false },
		{ S_IFREG | 0644, 0, 0, 0, false, true },
		{ S_IFREG | 0644, 0, 0, 1, false, false },
		{ S_IFDIR | 0755, 0, 0, 0, false, false },
		{ S_IFLNK | 0777, 0, 0, 0, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stat st = { .st_mode = cases[i].mode, .st_size = cases[i].size,
				   .st_rdev = makedev(cases[i].maj, cases[i].min) };

		assert_int_equal(whiteout_is_chardev(&st), cases[i].chardev);
		assert_int_equal(whiteout_maybe_xattr(&st), cases[i].maybe_xattr);
	}
}

static void test_opaque_value(void **state)
{
	assert_true(whiteout_opaque_value("y", 1));
	assert_false(whiteout_opaque_value("x", 1));
	assert_false(whiteout_opaque_value("n", 1));
	assert_false(whiteout_opaque_value("yes", 3));
	assert_false(whiteout_opaque_value("", 0));
}

static void test_internal_xattr(void **state)
{
	assert_true(whiteout_is_internal_xattr("trusted.overlay.opaque"));
	assert_true(whiteout_is_internal_xattr("trusted.overlay.whiteout"));
	assert_true(whiteout_is_internal_xattr("user.overlay.origin"));
	assert_false(whiteout_is_internal_xattr("user.foo"));
	assert_false(whiteout_is_internal_xattr("trusted.overlayx"));
	assert_false(whiteout_is_internal_xattr("security.selinux"));
	assert_false(whiteout_is_internal_xattr("user.overlay"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_names),
		cmocka_unit_test(test_chardev),
		cmocka_unit_test(test_opaque_value),
		cmocka_unit_test(test_internal_xattr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
