/* SPDX-License-Identifier: MIT */
/* Unit tests: record.c (the line scanner, field extraction, RFC 3339). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "record.h"

#define PREV "\"prev\":\"00000000000000000000000000000000\""

static enum record_status parse(struct record_parser *p, struct record *r, const char *s)
{
	return record_parse(p, s, strlen(s), r);
}

static void test_attempt_fields(void **state)
{
	struct record_parser *p = record_parser_new();
	struct record r = {0};
	const char *line =
		"{\"v\":1,\"seq\":42,\"ts\":\"2026-11-29T06:12:03.123456789Z\",\"kind\":\"attempt\","
		"\"event\":{\"action\":\"open_write\",\"outcome\":\"denied\"},\"errno\":30,\"errno_name\":\"EROFS\","
		"\"file\":{\"path\":\"/etc/p\\u00e4sswd\\n\",\"new_path\":null,\"layer\":2},"
		"\"args\":{\"flags\":[\"O_WRONLY\"],\"mode\":\"0644\",\"uid\":7},"
		"\"process\":{\"pid\":1234,\"tid\":1235,\"ppid\":1,\"name\":\"sh\",\"executable\":\"/bin/busybox\","
		"\"args\":[\"sh\",\"-c\",\"x\"],\"cwd\":\"/\",\"start_time\":99},"
		"\"user\":{\"uid\":1000,\"gid\":100},\"count\":1," PREV "}";

	(void)state;
	assert_int_equal(parse(p, &r, line), RECORD_OK);
	assert_int_equal(r.kind, AUDIT_KIND_ATTEMPT);
	assert_int_equal(r.seq, 42);
	assert_string_equal(r.ts, "2026-11-29T06:12:03.123456789Z");
	assert_string_equal(r.action, "open_write");
	assert_string_equal(r.path, "/etc/p\xc3\xa4sswd\n");
	assert_null(r.new_path);
	assert_int_equal(r.layer, 2);
	assert_int_equal(r.pid, 1234);
	assert_int_equal(r.tid, 1235);
	assert_int_equal(r.ppid, 1);
	assert_int_equal(r.start_time, 99);
	assert_string_equal(r.name, "sh");
	assert_string_equal(r.exe, "/bin/busybox");
	assert_int_equal(r.uid, 1000); /* user.uid, not args.uid */
	assert_int_equal(r.gid, 100);
	assert_int_equal(record_weight(&r), 1);
	/* raw spans for writers that copy members as they are */
	assert_int_equal(r.raw_args.len, strlen("{\"flags\":[\"O_WRONLY\"],\"mode\":\"0644\",\"uid\":7}"));
	assert_memory_equal(r.raw_args.p, "{\"flags\":[\"O_WRONLY\"],\"mode\":\"0644\",\"uid\":7}", r.raw_args.len);
	assert_memory_equal(r.raw_proc_args.p, "[\"sh\",\"-c\",\"x\"]", r.raw_proc_args.len);
	assert_null(r.raw_path_hex.p);
	/* the lazy json-c view sees the rest */
	assert_string_equal(json_get_str(record_obj(&r), "args.mode"), "0644");
	assert_int_equal(json_get_int(record_obj(&r), "args.uid", -1), 7);
	record_clear(&r);
	record_parser_free(p);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *line;
		enum record_status st;
	} cases[] = {
		{ "", RECORD_NOT_JSON },
		{ "hello", RECORD_NOT_JSON },
		{ "[1,2]", RECORD_NOT_JSON },
		{ "{\"v\":1,\"seq\":1", RECORD_NOT_JSON },
		{ "{\"v\":1} trailing", RECORD_NOT_JSON },
		{ "{\"v\":1,\"a\":\"x\\q\"}", RECORD_NOT_JSON },
		{ "{\"v\":1,\"a\":01}", RECORD_NOT_JSON },
		{ "{\"v\":1,\"a\":\"\x01\"}", RECORD_NOT_JSON },
		{ "{\"v\":1,\"a\":tru}", RECORD_NOT_JSON },
		{ "{\"v\":1,,}", RECORD_NOT_JSON },
		{ "{\"seq\":1}", RECORD_BAD_VERSION },
		{ "{\"v\":2,\"seq\":1,\"ts\":\"x\",\"kind\":\"start\"," PREV "}", RECORD_BAD_VERSION },
		{ "{\"v\":\"1\",\"seq\":1}", RECORD_BAD_VERSION },
		{ "{\"v\":1.0,\"seq\":1}", RECORD_BAD_VERSION },
		{ "{\"v\":1,\"seq\":\"1\",\"ts\":\"x\",\"kind\":\"start\"," PREV "}", RECORD_BAD_FIELDS },
		{ "{\"v\":1,\"seq\":1,\"kind\":\"start\"," PREV "}", RECORD_BAD_FIELDS },
		{ "{\"v\":1,\"seq\":1,\"ts\":\"x\",\"kind\":\"start\"}", RECORD_BAD_FIELDS },
		{ "{\"v\":1,\"seq\":1,\"ts\":\"x\",\"kind\":\"whatever\",\"x\":[{\"y\":[]}]," PREV "}", RECORD_OK },
	};
	struct record_parser *p = record_parser_new();
	struct record r = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		enum record_status st = parse(p, &r, cases[i].line);
		if (st != cases[i].st)
			fail_msg("case %zu '%s': got %d want %d (%s)", i, cases[i].line, st, cases[i].st, r.why);
		if (st != RECORD_OK)
			assert_true(r.why[0] != '\0');
	}
	assert_int_equal(r.kind, _AUDIT_KIND_INVALID);
	record_clear(&r);
	record_parser_free(p);
}

static void test_nested_keys_ignored(void **state)
{
	/* "pid" inside args or deeper must not be taken for process.pid */
	const char *line = "{\"v\":1,\"seq\":3,\"ts\":\"t\",\"kind\":\"attempt\",\"args\":{\"pid\":9,\"path\":\"/no\"},"
			   "\"file\":{\"x\":{\"path\":\"/deeper\"},\"path\":\"/yes\"},\"process\":{\"pid\":5}," PREV "}";
	struct record_parser *p = record_parser_new();
	struct record r = {0};

	(void)state;
	assert_int_equal(parse(p, &r, line), RECORD_OK);
	assert_string_equal(r.path, "/yes");
	assert_int_equal(r.pid, 5);
	record_clear(&r);
	record_parser_free(p);
}

static void test_summary_and_loss(void **state)
{
	struct record_parser *p = record_parser_new();
	struct record r = {0};

	(void)state;
	assert_int_equal(parse(p, &r, "{\"v\":1,\"seq\":9,\"ts\":\"t\",\"kind\":\"summary\",\"count\":41,"
				      "\"first_ts\":\"a\",\"last_ts\":\"b\"," PREV "}"), RECORD_OK);
	assert_int_equal(record_weight(&r), 41);
	assert_string_equal(r.first_ts, "a");
	assert_int_equal(parse(p, &r, "{\"v\":1,\"seq\":9,\"ts\":\"t\",\"kind\":\"loss\",\"count\":3,\"seq_first\":null,"
				      "\"seq_last\":null," PREV "}"), RECORD_OK);
	assert_int_equal(r.kind, AUDIT_KIND_LOSS);
	assert_int_equal(r.seq_first, -1);
	assert_int_equal(r.count, 3);
	assert_int_equal(record_weight(&r), 0);
	record_clear(&r);
	record_parser_free(p);
}

static void test_rfc3339(void **state)
{
	struct timespec a, b;

	(void)state;
	assert_int_equal(rfc3339_parse("1970-01-01T00:00:01.5Z", &a), 0);
	assert_int_equal(a.tv_sec, 1);
	assert_int_equal(a.tv_nsec, 500000000);
	assert_int_equal(rfc3339_parse("1970-01-01T02:00:01+02:00", &b), 0);
	assert_int_equal(b.tv_sec, 1);
	assert_int_equal(rfc3339_parse("2026-11-29", &a), 0);
	assert_int_equal(rfc3339_parse("2026-11-29T06:12:03.123456789Z", &b), 0);
	assert_true(timespec_cmp(&a, &b) < 0);
	assert_int_equal(b.tv_nsec, 123456789);
	assert_int_equal(rfc3339_parse("2026-13-29", &a), -EINVAL);
	assert_int_equal(rfc3339_parse("2026-11-29T06:12", &a), -EINVAL);
	assert_int_equal(rfc3339_parse("2026-11-29T06:12:03", &a), -EINVAL); /* zone required */
	assert_int_equal(rfc3339_parse("yesterday", &a), -EINVAL);
	assert_int_equal(rfc3339_parse(NULL, &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attempt_fields),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nested_keys_ignored),
		cmocka_unit_test(test_summary_and_loss),
		cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
