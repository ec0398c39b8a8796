/* SPDX-License-Identifier: MIT */
/* Unit tests: reader.c (lines, numbering, hashes, partial last line, missing file). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

static char dir[] = "/tmp/amber-log-reader-XXXXXX";

static void write_file(const char *name, const char *data, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_series(void **state)
{
	char a[256], b[256], c[256], h[HASH_HEX_LEN + 1];
	char *files[] = { a, b, c };
	struct reader *r;
	struct reader_line l;

	(void)state;
	write_file("a", "one\ntwo\n", 8);
	write_file("c", "three\n\nfour", 11);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/missing", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	assert_int_equal(reader_new(files, 3, &r), 0);
	assert_int_equal(reader_total_bytes(r), 19);

	assert_int_equal(reader_next(r, &l), READER_FILE_BEGIN);
	assert_int_equal(reader_next(r, &l), READER_LINE);
	assert_string_equal(l.data, "one");
	assert_int_equal(l.lineno, 1);
	assert_true(l.newline);
	hash128_hex("one\n", 4, h);
	assert_string_equal(l.hash, h); /* the hash covers the '\n' */
	assert_int_equal(reader_next(r, &l), READER_LINE);
	assert_string_equal(l.data, "two");
	assert_int_equal(l.offset, 4);
	assert_int_equal(reader_next(r, &l), READER_FILE_END);
	assert_int_equal(l.lineno, 2);

	assert_int_equal(reader_next(r, &l), READER_FILE_ERROR);
	assert_int_equal(l.err, ENOENT);
	assert_string_equal(l.file, b);

	assert_int_equal(reader_next(r, &l), READER_FILE_BEGIN);
	assert_int_equal(reader_next(r, &l), READER_LINE);
	assert_string_equal(l.data, "three");
	assert_int_equal(l.file_index, 2);
	assert_int_equal(reader_next(r, &l), READER_LINE);
	assert_string_equal(l.data, "");
	assert_int_equal(l.len, 0);
	assert_int_equal(reader_next(r, &l), READER_LINE);
	assert_string_equal(l.data, "four");
	assert_false(l.newline);
	assert_int_equal(l.lineno, 3);
	hash128_hex("four", 4, h);
	assert_string_equal(l.hash, h);
	assert_int_equal(reader_next(r, &l), READER_FILE_END);
	assert_int_equal(reader_next(r, &l), READER_END);
	reader_free(r);
}

static void test_long_lines_across_buffers(void **state)
{
	size_t n = 3u << 20; /* longer than the 1 MiB read buffer */
	char *big = malloc(n + 2), p[256], h[HASH_HEX_LEN + 1];
	char *files[] = { p };
	struct reader *r;
	struct reader_line l;

	(void)state;
	memset(big, 'x', n);
	big[n] = '\n';
	write_file("big", big, n + 1);
	snprintf(p, sizeof(p), "%s/big", dir);
	assert_int_equal(reader_new(files, 1, &r), 0);
	assert_int_equal(reader_next(r, &l), READER_FILE_BEGIN);
	assert_int_equal(reader_next(r, &l), READER_LINE);
	assert_int_equal(l.len, n);
	assert_false(l.cut);
	hash128_hex(big, n + 1, h);
	assert_string_equal(l.hash, h);
	reader_free(r);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_long_lines_across_buffers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
