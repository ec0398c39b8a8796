/* SPDX-License-Identifier: MIT */
/*
 * test_audit_fmt.c - the JSON encoder of audit records (common/audit_fmt.c):
 * escaping, control characters, invalid UTF-8, long paths, comma placement,
 * timestamps; and the daemon's symbolic names (fs/audit_render.c), whose
 * bytes are pinned here as the contract spells them.  Every produced document is also fed to json-c, so "valid
 * JSON" is checked by a parser we did not write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_fmt.h"
#include "audit_render.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

/* Renders s as a JSON string and returns the text (static buffer owner: caller frees). */
static char *render_str(const char *s, size_t n)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	char *r;

	afmt_str(&b, s, n);
	assert_false(afmt_failed(&b));
	r = strdup(b.data);
	afmt_free(&b);
	return r;
}

/* Parses json text that must be a string and returns its decoded bytes. */
static char *decode_str(const char *json)
{
	json_object *o = json_tokener_parse(json);
	char *r;

	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_string));
	r = strdup(json_object_get_string(o));
	json_object_put(o);
	return r;
}

static void expect_str(const char *in, size_t n, const char *want)
{
	char *got = render_str(in, n);

	assert_string_equal(got, want);
	free(decode_str(got));
	free(got);
}

static void test_escaping(void **state)
{
	expect_str("plain", 5, "\"plain\"");
	expect_str("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
	expect_str("", 0, "\"\"");
	/* UTF-8 passes through untouched. */
	expect_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		   "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void test_control_chars(void **state)
{
	expect_str("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	expect_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	/* An embedded NUL is data, not the end. */
	expect_str("a\0b", 3, "\"a\\u0000b\"");
}

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
		{ "\xff", 1, "\"\\ufffd\"" },
		{ "a\xfe" "b", 3, "\"a\\ufffdb\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },               /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },     /* surrogate */
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },               /* truncated */
		{ "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
		{ "x\x80", 2, "\"x\\ufffd\"" },                        /* lone continuation */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_str(cases[i].in, cases[i].n, cases[i].want);
		assert_false(afmt_utf8_valid(cases[i].in, cases[i].n));
	}
	assert_true(afmt_utf8_valid("caf\xc3\xa9", 5));
	assert_true(afmt_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	assert_true(afmt_utf8_valid("\xef\xbf\xbd", 3));
	assert_true(afmt_utf8_valid("", 0));
}

static void test_hex(void **state)
{
	struct afmt_buf b = AFMT_BUF_INIT;

	afmt_hexstr(&b, "/a\xff", 3);
	assert_string_equal(b.data, "\"2f61ff\"");
	afmt_free(&b);
}

/* A path far beyond PATH_MAX, full of bytes that need escaping. */
static void test_long_path(void **state)
{
	const size_t n = 200000;
	char *p = malloc(n), *decoded, *json;

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = i % 7 == 0 ? '/' : i % 13 == 0 ? '"' : i % 17 == 0 ? '\n' : 'a' + i % 26;
	json = render_str(p, n);
	decoded = decode_str(json);
	assert_int_equal(strlen(decoded), n);
	assert_memory_equal(decoded, p, n);
	free(decoded);
	free(json);
	free(p);
}

static void test_structure(void **state)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	json_object *o, *v;

	afmt_obj_begin(&b);
	afmt_kv_u64(&b, "a", 1);
	afmt_key(&b, "arr");
	afmt_arr_begin(&b);
	afmt_u64(&b, 1);
	afmt_strz(&b, "x");
	afmt_null(&b);
	afmt_obj_begin(&b);
	afmt_obj_end(&b);
	afmt_arr_begin(&b);
	afmt_arr_end(&b);
	afmt_arr_end(&b);
	afmt_kv_i64(&b, "neg", -5);
	afmt_key(&b, "t");
	afmt_bool(&b, true);
	afmt_kv_strz(&b, "n", NULL);
	afmt_key(&b, "raw");
	afmt_json(&b, "{\"x\":1}", 7);
	afmt_obj_end(&b);
	assert_false(afmt_failed(&b));
	assert_string_equal(b.data, "{\"a\":1,\"arr\":[1,\"x\",null,{},[]],\"neg\":-5,\"t\":true,"
				    "\"n\":null,\"raw\":{\"x\":1}}");
	o = json_tokener_parse(b.data);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "raw", &v));
	json_object_put(o);

	/* Unbalanced closing is an error, not a crash. */
	afmt_reset(&b);
	afmt_obj_end(&b);
	assert_true(afmt_failed(&b));
	afmt_free(&b);
}

static void test_timestamps(void **state)
{
	char s[AFMT_TS_LEN + 1];

	assert_int_equal(afmt_ts(&(struct timespec){ 0, 0 }, s), AFMT_TS_LEN);
	assert_string_equal(s, "1970-01-01T00:00:00.000000000Z");
	assert_int_equal(afmt_ts(&(struct timespec){ 1795932723, 123456789 }, s), AFMT_TS_LEN);
	assert_string_equal(s, "2026-11-29T06:12:03.123456789Z");
	assert_int_equal(afmt_ts(&(struct timespec){ -1, 999999999 }, s), AFMT_TS_LEN);
	assert_string_equal(s, "1969-12-31T23:59:59.999999999Z");
	assert_int_equal(afmt_ts(&(struct timespec){ 0, 1000000000 }, s), 0);
}

static void test_errno_names(void **state)
{
	assert_string_equal(audit_errno_name(EROFS), "EROFS");
	assert_string_equal(audit_errno_name(-EPERM), "EPERM");
	assert_string_equal(audit_errno_name(EACCES), "EACCES");
	assert_string_equal(audit_errno_name(ENOSPC), "ENOSPC");
	assert_null(audit_errno_name(0));
	assert_null(audit_errno_name(100000));
}

static void expect_flags(int flags, const char *want)
{
	struct afmt_buf b = AFMT_BUF_INIT;

	audit_render_open_flags(&b, flags);
	assert_string_equal(b.data, want);
	afmt_free(&b);
}

static void test_open_flags(void **state)
{
	struct afmt_buf b = AFMT_BUF_INIT;

	expect_flags(O_RDONLY, "[\"O_RDONLY\"]");
	expect_flags(O_WRONLY | O_TRUNC | O_CREAT, "[\"O_WRONLY\",\"O_CREAT\",\"O_TRUNC\"]");
	expect_flags(O_RDWR | O_APPEND | O_CLOEXEC, "[\"O_RDWR\",\"O_APPEND\",\"O_CLOEXEC\"]");
	expect_flags(O_WRONLY | O_SYNC, "[\"O_WRONLY\",\"O_SYNC\"]");
	expect_flags(O_RDWR | O_TMPFILE, "[\"O_RDWR\",\"O_TMPFILE\"]");
	expect_flags(O_RDONLY | 0x80000000, "[\"O_RDONLY\",\"0x80000000\"]");
	audit_render_rename_flags(&b, RENAME_EXCHANGE);
	assert_string_equal(b.data, "[\"RENAME_EXCHANGE\"]");
	afmt_reset(&b);
	audit_render_rename_flags(&b, 0);
	assert_string_equal(b.data, "[]");
	afmt_reset(&b);
	audit_render_rename_flags(&b, RENAME_NOREPLACE | RENAME_WHITEOUT | 0x100);
	assert_string_equal(b.data, "[\"RENAME_NOREPLACE\",\"RENAME_WHITEOUT\",\"0x100\"]");
	afmt_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_open_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
