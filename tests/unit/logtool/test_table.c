/* SPDX-License-Identifier: MIT */
/* Unit tests: table.c (the aggregate hash table). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static int by_key(const void *a, const void *b)
{
	return strcmp((*(struct table_entry *const *)a)->key, (*(struct table_entry *const *)b)->key);
}

static void test_upsert_find_remove(void **state)
{
	struct table *t = table_new(sizeof(long));
	char k[32];
	bool is_new;

	(void)state;
	for (long i = 0; i < 10000; i++) {
		snprintf(k, sizeof(k), "/path/%ld", i);
		struct table_entry *e = table_upsert(t, k, strlen(k), &is_new);
		assert_non_null(e);
		assert_true(is_new);
		assert_int_equal(*(long *)e->value, 0); /* zeroed */
		*(long *)e->value = i;
	}
	assert_int_equal(table_size(t), 10000);
	for (long i = 0; i < 10000; i += 2) {
		snprintf(k, sizeof(k), "/path/%ld", i);
		struct table_entry *e = table_find(t, k, strlen(k));
		assert_non_null(e);
		assert_int_equal(*(long *)e->value, i);
		table_remove(t, e, NULL);
	}
	assert_int_equal(table_size(t), 5000);
	for (long i = 0; i < 10000; i++) {
		snprintf(k, sizeof(k), "/path/%ld", i);
		struct table_entry *e = table_find(t, k, strlen(k));
		if (i % 2)
			assert_true(e && *(long *)e->value == i);
		else
			assert_null(e);
	}
	assert_non_null(table_upsert(t, "/path/1", 7, &is_new));
	assert_false(is_new);
	size_t n;
	struct table_entry **v = table_entries(t, by_key, &n);
	assert_int_equal(n, 5000);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(v[i - 1]->key, v[i]->key) < 0);
	free(v);
	table_free(t, NULL);
}

static void test_binary_keys(void **state)
{
	struct table *t = table_new(1);
	bool is_new;

	(void)state;
	table_upsert(t, "a\0b", 3, &is_new);
	assert_true(is_new);
	table_upsert(t, "a\0c", 3, &is_new);
	assert_true(is_new);
	table_upsert(t, "a", 1, &is_new);
	assert_true(is_new);
	assert_int_equal(table_size(t), 3);
	assert_null(table_find(t, "a\0d", 3));
	table_free(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upsert_find_remove),
		cmocka_unit_test(test_binary_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
