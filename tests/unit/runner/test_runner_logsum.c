/* SPDX-License-Identifier: MIT */
/*
 * test_runner_logsum.c - amber-run's exit line from the audit log: the
 * stop record's totals, what was lost and why, a session without a stop
 * record (counted from its records, across rotated files, from where the
 * log stood before the run), and a log that is not a regular file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logsum.h"

static char dir[] = "/tmp/amber-run-logsumXXXXXX";
static char path[300];
static unsigned seq;

#define R_START "\"kind\":\"start\",\"prev\":\"0\"}"
#define R_ATTEMPT "\"kind\":\"attempt\",\"count\":1,\"prev\":\"0\"}"
#define R_STOP(att, lost) \
	"\"kind\":\"stop\",\"totals\":{\"attempts\":" #att ",\"lost\":" #lost "},\"prev\":\"0\"}"

/* Appends one record: body is everything after "kind". */
static void put(const char *file, const char *body)
{
	FILE *f = fopen(file, "a");

	assert_non_null(f);
	fprintf(f, "{\"v\":1,\"seq\":%u,\"ts\":\"2026-12-01T00:00:00Z\",%s\n", ++seq, body);
	fclose(f);
}

static void put_loss(const char *file, unsigned count, const char *reason)
{
	char body[200];

	snprintf(body, sizeof(body), "\"kind\":\"loss\",\"count\":%u,\"reason\":\"%s\",\"prev\":\"0\"}", count, reason);
	put(file, body);
}

static void put_summary(const char *file, unsigned count)
{
	char body[200];

	snprintf(body, sizeof(body), "\"kind\":\"summary\",\"count\":%u,\"prev\":\"0\"}", count);
	put(file, body);
}

static char *line(const struct log_mark *m, unsigned keep)
{
	struct log_totals t;

	assert_int_equal(logsum_read(path, m, keep, &t), 0);
	if (!t.wrote)
		return NULL;
	return logsum_format(&t, "L");
}

static void expect(const struct log_mark *m, unsigned keep, const char *want)
{
	char *got = line(m, keep);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/run.log", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void reset(struct log_mark *m)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -f '%s'/run.log*", dir);
	assert_int_equal(system(cmd), 0);
	logsum_mark(path, m);
	assert_false(m->exists);
}

static void test_stop(void **state)
{
	struct log_mark m;

	(void)state;
	reset(&m);
	expect(&m, 4, NULL); /* no log at all */
	put(path, R_START);
	put(path, R_ATTEMPT);
	put(path, R_STOP(3, 0));
	expect(&m, 4, "3 writes blocked; log: L");
	/* losses and their reasons */
	reset(&m);
	put(path, R_START);
	put(path, R_ATTEMPT);
	put_loss(path, 12, "write_error:ENOSPC");
	put_loss(path, 3, "queue_full");
	put(path, R_STOP(20000, 18100));
	expect(&m, 4, "20000 writes blocked (18100 not recorded: log disk full, log writer overloaded); log: L");
	/* the stop record's count wins over the loss records that made it */
	reset(&m);
	put(path, R_START);
	put(path, R_STOP(9, 9));
	expect(&m, 4, "9 writes blocked (9 not recorded); log: L");
}

static void test_no_stop(void **state)
{
	struct log_mark m;

	(void)state;
	reset(&m);
	put(path, R_START);
	put(path, R_ATTEMPT);
	put_summary(path, 3);
	put_loss(path, 4, "write_error:EDQUOT");
	expect(&m, 4, "unknown number of writes blocked (the log has no stop record; 4 recorded, at least 4 not "
		      "recorded: log disk quota exceeded); log: L");
	/* an earlier session in the same file does not count, its stop
	 * record is not this run's */
	reset(&m);
	put(path, R_START);
	put(path, R_ATTEMPT);
	put(path, R_STOP(1, 0));
	logsum_mark(path, &m);
	assert_true(m.exists);
	expect(&m, 4, NULL); /* nothing new */
	put(path, R_START);
	put(path, R_ATTEMPT);
	put(path, R_ATTEMPT);
	put_loss(path, 1, "write_error:EIO");
	expect(&m, 4, "unknown number of writes blocked (the log has no stop record; 2 recorded, at least 1 not "
		      "recorded: log write errors); log: L");
	/* a cut-off last line is no record */
	{
		FILE *f = fopen(path, "a");

		fputs("{\"v\":1,\"seq\":99,\"kind\":\"stop\"", f);
		fclose(f);
	}
	expect(&m, 4, "unknown number of writes blocked (the log has no stop record; 2 recorded, at least 1 not "
		      "recorded: log write errors); log: L");
}

static void test_rotated(void **state)
{
	char older[320], oldest[320];
	struct log_mark m;

	(void)state;
	reset(&m);
	snprintf(older, sizeof(older), "%s.1", path);
	snprintf(oldest, sizeof(oldest), "%s.2", path);
	/* an unrelated file beyond the session */
	put(oldest, R_START);
	put(oldest, R_ATTEMPT);
	put(older, R_START);
	put(older, R_ATTEMPT);
	put(older, R_ATTEMPT);
	put_loss(older, 5, "write_error:EFBIG");
	put(path, "\"kind\":\"rotate\",\"reason\":\"size\",\"prev\":\"0\"}");
	put(path, R_ATTEMPT);
	expect(&m, 4, "unknown number of writes blocked (the log has no stop record; 3 recorded, at least 5 not "
		      "recorded: log file size limit); log: L");
	/* the session's start was rotated away: "at least" */
	expect(&m, 0, "unknown number of writes blocked (the log has no stop record; at least 1 recorded); log: L");
	/* with the stop record: its totals, the reasons from older files */
	put(path, R_STOP(40, 5));
	expect(&m, 4, "40 writes blocked (5 not recorded: log file size limit); log: L");
	/* a file re-created after removal (rotate "reopen") ends the walk */
	reset(&m);
	put(older, R_START);
	put(older, R_ATTEMPT);
	put(path, "\"kind\":\"rotate\",\"reason\":\"reopen\",\"prev\":\"0\"}");
	put(path, R_ATTEMPT);
	expect(&m, 4, "unknown number of writes blocked (the log has no stop record; at least 1 recorded); log: L");
}

static void test_not_regular(void **state)
{
	struct log_mark m = { 0 };
	struct log_totals t;

	(void)state;
	reset(&m);
	assert_int_equal(mkfifo(path, 0600), 0);
	logsum_mark(path, &m);
	assert_false(m.exists);
	/* refused at once: never opened for a blocking read */
	assert_int_equal(logsum_read(path, &m, 4, &t), -EINVAL);
	assert_false(t.wrote);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_no_stop),
		cmocka_unit_test(test_rotated),
		cmocka_unit_test(test_not_regular),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
