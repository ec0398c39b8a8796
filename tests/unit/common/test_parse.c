/* SPDX-License-Identifier: MIT */
/* test_parse.c - parse_size() and parse_uint(): suffixes, garbage, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "parse.h"

static void test_size(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t out;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "007", 0, 7 },
		{ "1k", 0, 1024 },
		{ "1K", 0, 1024 },
		{ "3m", 0, 3ULL << 20 },
		{ "3M", 0, 3ULL << 20 },
		{ "2g", 0, 2ULL << 30 },
		{ "2G", 0, 2ULL << 30 },
		{ "5t", 0, 5ULL << 40 },
		{ "5T", 0, 5ULL << 40 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "17179869183G", 0, 17179869183ULL << 30 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },   /* 2^64 bytes: used to wrap to 0 */
		{ "17179869184000G", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },
		{ "18014398509481984K", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 },
		{ "1KK", -EINVAL, 0 },
		{ "1P", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "12x", -EINVAL, 0 },
		{ "99999999999999999999999x", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42; /* must stay untouched on failure */
		int r = parse_size(cases[i].in, &v);

		if (r != cases[i].ret || (r == 0 && v != cases[i].out) || (r < 0 && v != 42))
			fail_msg("parse_size('%s'): %d, %llu", cases[i].in, r, (unsigned long long)v);
	}
	assert_int_equal(parse_size(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_uint(void **state)
{
	static const struct {
		const char *in;
		uint64_t max;
		int ret;
		uint64_t out;
	} cases[] = {
		{ "0", 10, 0, 0 },
		{ "10", 10, 0, 10 },
		{ "11", 10, -ERANGE, 0 },
		{ "4294967295", UINT32_MAX, 0, UINT32_MAX },
		{ "4294967296", UINT32_MAX, -ERANGE, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
		{ "1k", UINT64_MAX, -EINVAL, 0 },
		{ "", 10, -EINVAL, 0 },
		{ "-1", UINT64_MAX, -EINVAL, 0 },
		{ " 1", 10, -EINVAL, 0 },
		{ "1\n", 10, -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42;
		int r = parse_uint(cases[i].in, cases[i].max, &v);

		if (r != cases[i].ret || (r == 0 && v != cases[i].out) || (r < 0 && v != 42))
			fail_msg("parse_uint('%s'): %d, %llu", cases[i].in, r, (unsigned long long)v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_uint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
