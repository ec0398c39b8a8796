/* SPDX-License-Identifier: MIT */
/*
 * test_audit_schema.c - common/audit_schema.c: every name maps back to its
 * value, unknown names and NULL are refused, the flag tables hold each bit
 * once, and the lookups the readers use (write_error:ERRNO, file types).
 * The names themselves are checked against the contract by
 * tests/integration/logtool/schema_contract.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_schema.h"

static void test_round_trips(void **state)
{
	for (int k = 0; k < _AUDIT_KIND_MAX; k++)
		assert_int_equal(audit_kind_from_string(audit_kind_to_string(k)), k);
	for (int a = 0; a < _AUDIT_ACTION_MAX; a++)
		assert_int_equal(audit_action_from_string(audit_action_to_string(a)), a);
	for (int r = 0; r < _AUDIT_LOSS_REASON_MAX; r++)
		assert_int_equal(audit_loss_reason_from_string(audit_loss_reason_to_string(r), NULL), r);
	for (int r = 0; r < _AUDIT_ROTATE_REASON_MAX; r++)
		assert_int_equal(audit_rotate_reason_from_string(audit_rotate_reason_to_string(r)), r);
	assert_null(audit_kind_to_string(_AUDIT_KIND_MAX));
	assert_null(audit_kind_to_string(_AUDIT_KIND_INVALID));
	assert_null(audit_action_to_string(_AUDIT_ACTION_MAX));
	assert_null(audit_action_to_string(_AUDIT_ACTION_INVALID));
}

static void test_unknown(void **state)
{
	assert_int_equal(audit_kind_from_string(NULL), _AUDIT_KIND_INVALID);
	assert_int_equal(audit_kind_from_string(""), _AUDIT_KIND_INVALID);
	assert_int_equal(audit_kind_from_string("Attempt"), _AUDIT_KIND_INVALID);
	assert_int_equal(audit_action_from_string("open"), _AUDIT_ACTION_INVALID);
	assert_int_equal(audit_action_from_string(NULL), _AUDIT_ACTION_INVALID);
	assert_int_equal(audit_rotate_reason_from_string("sized"), _AUDIT_ROTATE_REASON_INVALID);
	assert_int_equal(audit_loss_reason_from_string("queue_", NULL), _AUDIT_LOSS_REASON_INVALID);
	assert_int_equal(audit_loss_reason_from_string(NULL, NULL), _AUDIT_LOSS_REASON_INVALID);
}

static void test_write_error(void **state)
{
	char reason[64];
	const char *e = NULL;

	snprintf(reason, sizeof(reason), "%s%cENOSPC", audit_loss_reason_to_string(AUDIT_LOSS_WRITE_ERROR),
		 AUDIT_LOSS_ERRNO_SEP);
	assert_int_equal(audit_loss_reason_from_string(reason, &e), AUDIT_LOSS_WRITE_ERROR);
	assert_string_equal(e, "ENOSPC");
	assert_int_equal(audit_loss_reason_from_string(audit_loss_reason_to_string(AUDIT_LOSS_QUEUE_FULL), &e),
			 AUDIT_LOSS_QUEUE_FULL);
	assert_string_equal(e, "");
}

/* Every flag of a table has a name of its own, and the name leads back to
 * it.  (Flags may share bits: O_SYNC holds O_DSYNC's, O_TMPFILE
 * O_DIRECTORY's; the composite one comes first, so it wins.) */
static void check_table(const struct audit_flag_name *t, size_t n, const char *(*name)(unsigned))
{
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		if (!t[i].bit)
			continue;
		assert_non_null(t[i].name);
		assert_string_equal(name(t[i].bit), t[i].name);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(t[j].bit, t[i].bit);
			assert_string_not_equal(t[j].name, t[i].name);
			/* a composite flag precedes the flags it contains */
			assert_int_not_equal(t[i].bit & t[j].bit, t[j].bit);
		}
	}
}

static void test_flags(void **state)
{
	const struct audit_flag_name *t;
	size_t n;

	t = audit_open_flag_table(&n);
	check_table(t, n, audit_open_flag_name);
	t = audit_rename_flag_table(&n);
	check_table(t, n, audit_rename_flag_name);
	assert_non_null(audit_open_flag_name(O_TRUNC));
	assert_null(audit_open_flag_name(0));
	assert_null(audit_rename_flag_name(1u << 30));
	for (unsigned m = 0; m <= 3; m++)
		assert_non_null(audit_open_access_name(m));
	assert_string_not_equal(audit_open_access_name(O_RDONLY), audit_open_access_name(O_WRONLY));
}

static void test_file_types(void **state)
{
	static const mode_t types[] = { S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFLNK };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *s = audit_file_type_to_string(types[i] | 0644);

		assert_non_null(s);
		assert_int_equal(audit_file_type_from_string(s), types[i]);
	}
	while (audit_file_type_name_at(n))
		n++;
	assert_int_equal(n, sizeof(types) / sizeof(types[0]));
	assert_null(audit_file_type_to_string(0));
	assert_int_equal(audit_file_type_from_string(NULL), 0);
	assert_int_equal(audit_file_type_from_string("door"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips), cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_write_error), cmocka_unit_test(test_flags),
		cmocka_unit_test(test_file_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
