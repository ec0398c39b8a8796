/* SPDX-License-Identifier: MIT */
/* Unit tests: changeset.c (net effects: folding, renames, replaced entries). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "changeset.h"

static void test_create_then_delete_is_nothing(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_create(cs, "/tmp/x", 'f', 0644, 0, 0, NULL, 1);
	cs_chmod(cs, "/tmp/x", -1, 0600, 2);
	cs_delete(cs, "/tmp/x", 3);
	assert_int_equal(changeset_size(cs), 0);
	changeset_free(cs);
}

static void test_delete_then_create_is_replaced(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_delete(cs, "/etc/passwd", 1);
	cs_create(cs, "/etc/passwd", 'f', 0644, 0, 0, NULL, 2);
	assert_int_equal(changeset_flags(cs, "/etc/passwd"), CS_CREATED | CS_DELETED);
	changeset_free(cs);
}

static void test_rename_chain_and_back(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_chmod(cs, "/a", 0644, 0600, 1);
	cs_rename(cs, "/a", "/b", false, false, 2);
	cs_rename(cs, "/b", "/c", false, false, 3);
	assert_int_equal(changeset_flags(cs, "/a"), 0);
	assert_int_equal(changeset_flags(cs, "/c"), CS_RENAMED | CS_CHMOD);
	assert_string_equal(changeset_from(cs, "/c"), "/a");
	cs_rename(cs, "/c", "/a", false, false, 4);
	assert_int_equal(changeset_flags(cs, "/a"), CS_CHMOD);
	assert_null(changeset_from(cs, "/a"));
	changeset_free(cs);
}

static void test_rename_created_is_created(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_create(cs, "/tmp/new", 'f', 0644, 0, 0, NULL, 1);
	cs_rename(cs, "/tmp/new", "/etc/conf", false, true, 2);
	assert_int_equal(changeset_flags(cs, "/tmp/new"), 0);
	/* created over an existing file: shown as created, replacing it */
	assert_true(changeset_flags(cs, "/etc/conf") & CS_CREATED);
	assert_true(changeset_flags(cs, "/etc/conf") & CS_REPLACED);
	changeset_free(cs);
}

static void test_directory_rename_moves_children(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_create(cs, "/d/new", 'f', 0644, 0, 0, NULL, 1);
	cs_delete(cs, "/d/old", 2);
	cs_rename(cs, "/d", "/e", false, false, 3);
	assert_int_equal(changeset_flags(cs, "/e/new"), CS_CREATED);
	assert_int_equal(changeset_flags(cs, "/e/old"), CS_DELETED);
	assert_int_equal(changeset_flags(cs, "/d/new"), 0);
	assert_true(changeset_flags(cs, "/e") & CS_RENAMED);
	changeset_free(cs);
}

static void test_renamed_then_deleted(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_rename(cs, "/a", "/b", false, false, 1);
	cs_delete(cs, "/b", 2);
	assert_int_equal(changeset_flags(cs, "/b"), 0);
	assert_int_equal(changeset_flags(cs, "/a"), CS_DELETED);
	changeset_free(cs);
}

static void test_exchange(void **state)
{
	struct changeset *cs = changeset_new();

	(void)state;
	cs_rename(cs, "/x", "/y", true, true, 1);
	assert_true(changeset_flags(cs, "/x") & CS_RENAMED);
	assert_true(changeset_flags(cs, "/y") & CS_RENAMED);
	assert_string_equal(changeset_from(cs, "/x"), "/y");
	assert_string_equal(changeset_from(cs, "/y"), "/x");
	changeset_free(cs);
}

static void test_unknown_content_marks(void **state)
{
	struct changeset *cs = changeset_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	cs_mark(cs, "/etc/hosts", CS_OPENED_WRITE, NULL, 1);
	cs_mark(cs, "/etc/passwd", CS_WOULD_TRUNCATE, NULL, 2);
	cs_xattr(cs, "/bin/sh", "security.capability", false, 3);
	cs_truncate(cs, "/var/log/x", 100, 0, 4);
	changeset_print(cs, f, false);
	fclose(f);
	assert_non_null(strstr(buf, "opened for writing    /etc/hosts"));
	assert_non_null(strstr(buf, "would have truncated  /etc/passwd"));
	assert_non_null(strstr(buf, "xattr-changed         /bin/sh  (security.capability set (value unknown))"));
	assert_non_null(strstr(buf, "truncated             /var/log/x  (100 -> 0 bytes)"));
	/* sorted by path */
	assert_true(strstr(buf, "/bin/sh") < strstr(buf, "/etc/hosts"));
	free(buf);
	changeset_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_then_delete_is_nothing),
		cmocka_unit_test(test_delete_then_create_is_replaced),
		cmocka_unit_test(test_rename_chain_and_back),
		cmocka_unit_test(test_rename_created_is_created),
		cmocka_unit_test(test_directory_rename_moves_children),
		cmocka_unit_test(test_renamed_then_deleted),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_unknown_content_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
