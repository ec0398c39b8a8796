/* SPDX-License-Identifier: MIT */
/*
 * test_optlist.c - the ':' list rule (common/optlist.h) and the string
 * vector (common/strv.h): splitting, escapes, empty elements refused with
 * their position, a trailing backslash, and escape/join followed by split
 * giving back exactly what went in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "optlist.h"
#include "strv.h"

static void test_strv(void **state)
{
	struct strv s = { 0 };

	(void)state;
	strv_free(&s); /* empty: nothing to do */
	assert_int_equal(strv_push(&s, "a"), 0);
	assert_int_equal(strv_push(&s, ""), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0], "a");
	assert_string_equal(s.v[1], "");
	assert_null(s.v[2]); /* NULL-terminated, for execv() */
	strv_free(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
	strv_free(NULL);
}

static void test_split(void **state)
{
	static const struct {
		const char *in;
		int ret;
		size_t bad;         /* position of the empty element */
		const char *out[4]; /* NULL-terminated */
	} cases[] = {
		{ "a", 0, 0, { "a" } },
		{ "a:b:c", 0, 0, { "a", "b", "c" } },
		{ "/x/y:rel/z", 0, 0, { "/x/y", "rel/z" } },
		{ "a\\:b:c", 0, 0, { "a:b", "c" } },
		{ "a\\\\:b", 0, 0, { "a\\", "b" } },
		{ "a\\\\\\:b", 0, 0, { "a\\:b" } },
		{ "a\\,b", 0, 0, { "a,b" } },
		{ "x\\y", 0, 0, { "xy" } }, /* '\' takes any character */
		{ "sp ace:t\tab", 0, 0, { "sp ace", "t\tab" } },
		/* a trailing '\' stands for itself */
		{ "a\\", 0, 0, { "a\\" } },
		{ "a:\\", 0, 0, { "a", "\\" } },
		{ "\\", 0, 0, { "\\" } },
		{ "a\\\\\\", 0, 0, { "a\\\\" } },
		{ "\\:", 0, 0, { ":" } }, /* an escaped ':' is no separator */
		/* empty elements: refused, with the position of the first */
		{ "", -EINVAL, 1, { NULL } },
		{ ":", -EINVAL, 1, { NULL } },
		{ ":a", -EINVAL, 1, { NULL } },
		{ "a::b", -EINVAL, 2, { NULL } },
		{ "a:", -EINVAL, 2, { NULL } },
		{ "a:b:", -EINVAL, 3, { NULL } },
		{ "a:b::", -EINVAL, 3, { NULL } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strv v = { 0 };
		size_t bad = 0, k;
		int r = optlist_split(cases[i].in, &v, &bad);

		if (r != cases[i].ret)
			fail_msg("'%s': %d, want %d", cases[i].in, r, cases[i].ret);
		if (r < 0) {
			assert_int_equal(bad, cases[i].bad);
			assert_int_equal(v.n, 0); /* left empty */
			assert_null(v.v);
			continue;
		}
		for (k = 0; cases[i].out[k]; k++) {
			assert_true(k < v.n);
			assert_string_equal(v.v[k], cases[i].out[k]);
		}
		assert_int_equal(k, v.n);
		strv_free(&v);
	}
	/* ret_bad may be NULL */
	{
		struct strv v = { 0 };

		assert_int_equal(optlist_split("a::", &v, NULL), -EINVAL);
	}
}

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/plain/path", "/plain/path" }, { "a:b", "a\\:b" },       { "a,b", "a\\,b" }, { "a\\b", "a\\\\b" },
		{ "end\\", "end\\\\" },           { ":,\\", "\\:\\,\\\\" }, { "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;

		assert_int_equal(optlist_escape(cases[i].in, &out), 0);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

/* join (escape each, ':' between) then split gives back the same list. */
static void test_round_trip(void **state)
{
	static const char *const lists[][5] = {
		{ "/a", NULL },
		{ "/a", "/b", "/c", NULL },
		{ "/with:colon", "/with,comma", "/with\\backslash", NULL },
		{ "trailing\\", "\\", ":", ",", NULL },
		{ "\\:", "::", "\\\\\\", "a\\,b:c", NULL },
		{ " spaced ", "\ttab", "nl\n", "x", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct strv back = { 0 };
		char *joined = NULL;
		size_t n = 0;

		while (lists[i][n])
			n++;
		assert_int_equal(optlist_join((char *const *)lists[i], n, &joined), 0);
		assert_int_equal(optlist_split(joined, &back, NULL), 0);
		assert_int_equal(back.n, n);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(back.v[k], lists[i][k]);
		/* one element at a time, too */
		for (size_t k = 0; k < n; k++) {
			struct strv one = { 0 };
			char *e = NULL;

			assert_int_equal(optlist_escape(lists[i][k], &e), 0);
			assert_int_equal(optlist_split(e, &one, NULL), 0);
			assert_int_equal(one.n, 1);
			assert_string_equal(one.v[0], lists[i][k]);
			strv_free(&one);
			free(e);
		}
		strv_free(&back);
		free(joined);
	}
	/* no elements: an empty string (which split refuses: amberfs needs a layer) */
	{
		char *joined = NULL;

		assert_int_equal(optlist_join(NULL, 0, &joined), 0);
		assert_string_equal(joined, "");
		free(joined);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
