/* SPDX-License-Identifier: MIT */
/*
 * test_audit.c - the audit writer through its public API, with a real file in
 * a temporary directory: the chain and seq of every produced series are
 * checked by a small verifier written here (independent of amber-log), and
 * the accounting invariant
 *     stop.totals.attempts = sum(attempt.count) + sum(summary.count) + sum(loss.count)
 * is checked for each scenario: plain attempts, coalescing, a full queue
 * (drop), a timed-out wait (block), write errors (RLIMIT_FSIZE), a batch
 * written short, size rotation, reopen, a removed file, and restarting on an existing file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "hash.h"

#define MAX_LINES 4096

struct rec {
	char *raw;
	size_t len;
	json_object *o;
};

struct series {
	struct rec r[MAX_LINES];
	size_t n;
	uint64_t sum_attempt, sum_summary, sum_loss;
	size_t n_attempt, n_summary, n_loss, n_rotate, n_start, n_stop;
	json_object *stop; /* the last stop record, borrowed from r[] */
};

static char dir[64];
static char logpath[PATH_MAX];

static void series_free(struct series *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->r[i].raw);
		json_object_put(s->r[i].o);
	}
	free(s);
}

static void load_file(struct series *s, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		assert_true(s->n < MAX_LINES);
		assert_int_equal(line[n - 1], '\n'); /* never a partial line */
		s->r[s->n].raw = malloc((size_t)n);
		memcpy(s->r[s->n].raw, line, (size_t)n);
		s->r[s->n].len = (size_t)n;
		s->r[s->n].o = json_tokener_parse(line);
		if (!s->r[s->n].o)
			fail_msg("line %zu of %s is not JSON: %s", s->n + 1, path, line);
		s->n++;
	}
	free(line);
	fclose(f);
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("missing key '%s' in %s", k, json_object_to_json_string(o));
	return v;
}

static int64_t geti(json_object *o, const char *k)
{
	return json_object_get_int64(get(o, k));
}

static const char *gets(json_object *o, const char *k)
{
	return json_object_get_string(get(o, k));
}

/* The fixed key order of the contract: v, seq, ts, kind first; prev last. */
static void check_key_order(json_object *o)
{
	static const char *const first[] = { "v", "seq", "ts", "kind" };
	const char *last = NULL;
	size_t i = 0;

	json_object_object_foreach(o, k, v)
	{
		(void)v;
		if (i < 4)
			assert_string_equal(k, first[i]);
		last = k;
		i++;
	}
	assert_string_equal(last, "prev");
}

/*
 * Loads the files of one series (oldest first) and verifies it: every line
 * JSON, key order, prev = hash of the previous line (the first line of the
 * series: 32 zeros if it is a start), seq +1 per record and restarting at 1
 * with each start, every gap announced exactly by a later loss record.
 */
static struct series *verify(const char *const *files, size_t n_files)
{
	struct series *s = calloc(1, sizeof(*s));
	uint64_t last_seq = 0, gaps[64][2];
	size_t n_gaps = 0;

	for (size_t f = 0; f < n_files; f++)
		load_file(s, files[f]);
	assert_true(s->n > 0);
	for (size_t i = 0; i < s->n; i++) {
		json_object *o = s->r[i].o;
		const char *kind = gets(o, "kind");
		uint64_t seq = (uint64_t)geti(o, "seq");
		char want[HASH_HEX_LEN + 1];

		check_key_order(o);
		assert_int_equal(geti(o, "v"), 1);
		assert_int_equal(strlen(gets(o, "ts")), 30);
		if (i == 0)
			strcpy(want, "00000000000000000000000000000000");
		else
			hash128_hex(s->r[i - 1].raw, s->r[i - 1].len, want);
		if (i > 0 || strcmp(kind, "start") == 0)
			assert_string_equal(gets(o, "prev"), want);
		if (strcmp(kind, "start") == 0) {
			assert_int_equal(seq, 1);
			assert_int_equal(n_gaps, 0); /* the previous session announced all */
			s->n_start++;
		} else if (i > 0) {
			assert_true(seq > last_seq);
			if (seq != last_seq + 1) {
				assert_true(n_gaps < 64);
				gaps[n_gaps][0] = last_seq + 1;
				gaps[n_gaps++][1] = seq - 1;
			}
		}
		last_seq = seq;
		if (strcmp(kind, "attempt") == 0) {
			s->n_attempt++;
			assert_int_equal(geti(o, "count"), 1);
			s->sum_attempt += 1;
		} else if (strcmp(kind, "summary") == 0) {
			s->n_summary++;
			s->sum_summary += (uint64_t)geti(o, "count");
			get(o, "first_ts");
			get(o, "last_ts");
		} else if (strcmp(kind, "loss") == 0) {
			json_object *sf = get(o, "seq_first");

			s->n_loss++;
			s->sum_loss += (uint64_t)geti(o, "count");
			if (sf) {
				/* It must announce exactly the oldest open gap. */
				assert_true(n_gaps > 0);
				assert_int_equal(json_object_get_int64(sf), gaps[0][0]);
				assert_int_equal(geti(o, "seq_last"), gaps[0][1]);
				memmove(gaps, gaps + 1, --n_gaps * sizeof(gaps[0]));
			}
		} else if (strcmp(kind, "rotate") == 0) {
			s->n_rotate++;
		} else if (strcmp(kind, "stop") == 0) {
			s->n_stop++;
			s->stop = o;
			assert_string_equal(gets(o, "head"), gets(o, "prev"));
		} else if (strcmp(kind, "start") != 0) {
			fail_msg("unknown kind '%s'", kind);
		}
	}
	assert_int_equal(n_gaps, 0);
	return s;
}

static struct series *verify1(const char *path)
{
	const char *files[] = { path };

	return verify(files, 1);
}

static uint64_t total(struct series *s, const char *k)
{
	assert_non_null(s->stop);
	return (uint64_t)geti(get(s->stop, "totals"), k);
}

/* The accounting invariant, on the file and against the returned totals. */
static void check_invariant(struct series *s, const struct audit_totals *t)
{
	assert_int_equal(total(s, "attempts"), s->sum_attempt + s->sum_summary + s->sum_loss);
	assert_int_equal(t->attempts, t->written + t->summarized + t->lost);
	assert_int_equal(total(s, "attempts"), t->attempts);
	assert_int_equal(total(s, "written"), s->sum_attempt);
	assert_int_equal(total(s, "summarized"), s->sum_summary);
	assert_int_equal(total(s, "lost"), s->sum_loss);
}

static struct audit_event event(const char *path)
{
	struct audit_event ev = {
		.action = AUDIT_MKDIR,
		.err = EROFS,
		.path = path,
		.path_len = strlen(path),
		.layer = -1,
		.args = { .has = AUDIT_ARG_MODE, .mode = 0755 },
		.tid = gettid(),
		.uid = getuid(),
		.gid = getgid(),
	};

	clock_gettime(CLOCK_REALTIME, &ev.ts);
	return ev;
}

static struct audit *open_log(struct audit_config *cfg)
{
	struct audit *a = NULL;

	if (!cfg->path)
		cfg->path = logpath;
	cfg->mountpoint = "/mnt";
	assert_int_equal(audit_new(cfg, &a), 0);
	assert_non_null(a);
	return a;
}

static void submit_n(struct audit *a, const char *prefix, int n)
{
	for (int i = 0; i < n; i++) {
		char p[64];
		struct audit_event ev;

		snprintf(p, sizeof(p), "%s%d", prefix, i);
		ev = event(p);
		assert_int_equal(audit_submit(a, &ev), 0);
	}
}

static void wait_for(struct audit *a, uint64_t written, uint64_t lost)
{
	struct audit_totals t;

	for (int i = 0; i < 5000; i++) {
		audit_get_totals(a, &t);
		if (t.written >= written && t.lost >= lost)
			return;
		usleep(1000);
	}
	fail_msg("writer did not catch up: written %lu lost %lu", (unsigned long)t.written,
		 (unsigned long)t.lost);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/amber-audit-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.log", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_attempts(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct audit_totals t;
	struct audit_event ev = event("/etc/\xff\x01name");
	json_object *o, *file, *proc;
	struct series *s;

	ev.action = AUDIT_RENAME;
	ev.new_path = "/etc/new";
	ev.new_path_len = 8;
	ev.layer = 2;
	ev.args = (struct audit_args){ .has = AUDIT_ARG_RENAME_FLAGS, .rename_flags = 2 };
	assert_int_equal(audit_submit(a, &ev), 0);
	submit_n(a, "/d", 3);
	ev.action = (enum audit_action)99;
	assert_int_equal(audit_submit(a, &ev), -EINVAL);
	audit_free(a, &t);

	s = verify1(logpath);
	assert_int_equal(s->n, 6); /* start, 4 attempts, stop */
	assert_string_equal(gets(s->r[0].o, "kind"), "start");
	assert_string_equal(gets(get(s->r[0].o, "options"), "log_policy"), "block");
	o = s->r[1].o;
	assert_string_equal(gets(get(o, "event"), "action"), "rename");
	assert_string_equal(gets(get(o, "event"), "outcome"), "denied");
	assert_string_equal(gets(o, "errno_name"), "EROFS");
	assert_int_equal(geti(o, "errno"), EROFS);
	file = get(o, "file");
	assert_string_equal(gets(file, "path"), "/etc/\xef\xbf\xbd\x01name");
	assert_string_equal(gets(file, "path_hex"), "2f6574632fff016e616d65");
	assert_string_equal(gets(file, "new_path"), "/etc/new");
	assert_false(json_object_object_get_ex(file, "new_path_hex", NULL));
	assert_int_equal(geti(file, "layer"), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
				    get(get(o, "args"), "rename_flags"), 0)),
			    "RENAME_EXCHANGE");
	proc = get(o, "process");
	assert_int_equal(geti(proc, "pid"), getpid());
	assert_int_equal(geti(get(o, "user"), "uid"), getuid());
	assert_null(get(get(s->r[2].o, "file"), "new_path"));
	assert_null(get(get(s->r[2].o, "file"), "layer"));
	assert_string_equal(gets(get(s->r[2].o, "args"), "mode"), "0755");
	assert_int_equal(t.attempts, 4);
	assert_int_equal(t.by_action[AUDIT_RENAME], 1);
	assert_int_equal(t.by_action[AUDIT_MKDIR], 3);
	assert_int_equal(geti(get(get(s->stop, "totals"), "by_action"), "mkdir"), 3);
	assert_int_equal(total(s, "records"), 5);
	check_invariant(s, &t);
	series_free(s);
}

/* Identical repeats within the window: one attempt, then one summary. */
static void test_coalescing(void **state)
{
	struct audit_config cfg = { .coalesce_ms = 300 };
	struct audit *a = open_log(&cfg);
	struct audit_event ev = event("/same");
	struct audit_totals t;
	struct series *s;

	for (int i = 0; i < 50; i++) {
		clock_gettime(CLOCK_REALTIME, &ev.ts);
		assert_int_equal(audit_submit(a, &ev), 0);
	}
	submit_n(a, "/other", 2);
	/* After the window, the summary is written without waiting for stop. */
	for (int i = 0; i < 10000; i++) {
		audit_get_totals(a, &t);
		if (t.summarized == 49)
			break;
		usleep(1000);
	}
	assert_int_equal(t.summarized, 49);
	/* A new window: the next repeat is an attempt again. */
	clock_gettime(CLOCK_REALTIME, &ev.ts);
	assert_int_equal(audit_submit(a, &ev), 0);
	audit_free(a, &t);

	s = verify1(logpath);
	assert_int_equal(s->n_attempt, 4);
	assert_int_equal(s->n_summary, 1);
	assert_int_equal(s->sum_summary, 49);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(gets(s->r[i].o, "kind"), "summary") == 0)
			assert_string_equal(gets(get(s->r[i].o, "file"), "path"), "/same");
	assert_int_equal(t.attempts, 53);
	check_invariant(s, &t);
	series_free(s);
}

/*
 * Events that differ in any argument the record shows are never merged: each
 * is an attempt of its own, so the log (and a replay) sees every one; only
 * the exact repeat at the end becomes a summary.
 */
static void test_coalescing_args(void **state)
{
	static const char cap1[] = "\x01\x00\x00\x02\x00\x20\x00\x00", cap2[] = "\x01\x00\x00\x02\x00\x10\x00\x00";
	struct audit_config cfg = { .coalesce_ms = 60000 };
	struct audit *a = open_log(&cfg);
	struct audit_event ev[20];
	struct audit_totals t;
	struct series *s;
	size_t n = 0, n_hex = 0;

#define EV(act, ...) (ev[n] = event("/bin/busybox"), ev[n].action = (act), \
		      ev[n].args = (struct audit_args){ __VA_ARGS__ }, n++)
	EV(AUDIT_CHMOD, .has = AUDIT_ARG_MODE, .mode = 0644);
	EV(AUDIT_CHMOD, .has = AUDIT_ARG_MODE, .mode = 04755);
	EV(AUDIT_SETXATTR, .has = AUDIT_ARG_NAME | AUDIT_ARG_LENGTH, .name = "user.comment", .length = 8);
	EV(AUDIT_SETXATTR, .has = AUDIT_ARG_NAME | AUDIT_ARG_LENGTH, .name = "security.capability", .length = 8);
	EV(AUDIT_SETXATTR, .has = AUDIT_ARG_NAME | AUDIT_ARG_LENGTH | AUDIT_ARG_VALUE,
	   .name = "security.capability", .value = cap1, .length = 8);
	EV(AUDIT_SETXATTR, .has = AUDIT_ARG_NAME | AUDIT_ARG_LENGTH | AUDIT_ARG_VALUE,
	   .name = "security.capability", .value = cap2, .length = 8);
	EV(AUDIT_SYMLINK, .has = AUDIT_ARG_TARGET, .target = "/bin/sh");
	EV(AUDIT_SYMLINK, .has = AUDIT_ARG_TARGET, .target = "/tmp/evil");
	EV(AUDIT_SYMLINK, .has = AUDIT_ARG_TARGET, .target = "/tmp/\xff");
	EV(AUDIT_SYMLINK, .has = AUDIT_ARG_TARGET, .target = "/tmp/\xfe");
	EV(AUDIT_CHOWN, .has = AUDIT_ARG_UID | AUDIT_ARG_GID, .uid = 0, .gid = (gid_t)-1);
	EV(AUDIT_CHOWN, .has = AUDIT_ARG_UID | AUDIT_ARG_GID, .uid = 1000, .gid = (gid_t)-1);
	EV(AUDIT_UTIMES, .has = AUDIT_ARG_MTIME, .mtime = { 1, 0 });
	EV(AUDIT_UTIMES, .has = AUDIT_ARG_MTIME, .mtime = { 1, 1 });
	EV(AUDIT_WRITE, .has = AUDIT_ARG_OFFSET | AUDIT_ARG_LENGTH, .offset = 0, .length = 4096);
	EV(AUDIT_WRITE, .has = AUDIT_ARG_OFFSET | AUDIT_ARG_LENGTH, .offset = 4096, .length = 4096);
	EV(AUDIT_IOCTL, .has = AUDIT_ARG_CMD, .cmd = 0x40086602);
	EV(AUDIT_IOCTL, .has = AUDIT_ARG_CMD, .cmd = 0x401c5820);
	EV(AUDIT_OPEN_WRITE, .has = AUDIT_ARG_FLAGS, .flags = O_WRONLY);
	EV(AUDIT_OPEN_WRITE, .has = AUDIT_ARG_FLAGS, .flags = O_WRONLY | O_APPEND);
#undef EV
	for (size_t i = 0; i < n; i++)
		assert_int_equal(audit_submit(a, &ev[i]), 0);
	assert_int_equal(audit_submit(a, &ev[1]), 0); /* the one true repeat */
	audit_free(a, &t);

	s = verify1(logpath);
	assert_int_equal(s->n_attempt, n);
	assert_int_equal(s->n_summary, 1);
	assert_int_equal(s->sum_summary, 1);
	for (size_t i = 1; i <= n; i++) {
		json_object *args = get(s->r[i].o, "args");

		assert_string_equal(gets(get(s->r[i].o, "event"), "action"),
				    audit_action_to_string(ev[i - 1].action));
		if (ev[i - 1].args.has & AUDIT_ARG_MODE)
			assert_int_equal(strtol(gets(args, "mode"), NULL, 8), ev[i - 1].args.mode);
		if (ev[i - 1].args.has & AUDIT_ARG_NAME)
			assert_string_equal(gets(args, "name"), ev[i - 1].args.name);
		if (ev[i - 1].args.has & AUDIT_ARG_VALUE)
			assert_int_equal(strlen(gets(args, "value_digest")), HASH_HEX_LEN);
		if (json_object_object_get_ex(args, "target_hex", NULL))
			n_hex++;
	}
	/* Two digests of different values differ. */
	assert_string_not_equal(gets(get(s->r[5].o, "args"), "value_digest"),
				gets(get(s->r[6].o, "args"), "value_digest"));
	/* "/tmp/\xff" and "/tmp/\xfe" look alike in UTF-8: the bytes tell. */
	assert_int_equal(n_hex, 2);
	assert_string_equal(gets(get(s->r[9].o, "args"), "target_hex"), "2f746d702fff");
	check_invariant(s, &t);
	series_free(s);
}

/* log_policy=drop with the writer held: what does not fit is counted. */
static void test_queue_full(void **state)
{
	struct audit_config cfg = { .queue_len = 4, .policy_drop = true };
	struct audit *a = open_log(&cfg);
	struct audit_totals t;
	struct series *s;

	audit_test_pause_writer(a, true);
	usleep(50 * 1000);
	submit_n(a, "/f", 10);
	audit_get_totals(a, &t);
	assert_int_equal(t.lost, 6);
	audit_test_pause_writer(a, false);
	audit_free(a, &t);

	s = verify1(logpath);
	assert_int_equal(s->n_attempt, 4);
	assert_true(s->n_loss >= 1); /* the writer may report as they come */
	assert_int_equal(s->sum_loss, 6);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(gets(s->r[i].o, "kind"), "loss") == 0) {
			assert_string_equal(gets(s->r[i].o, "reason"), "queue_full");
			assert_null(get(s->r[i].o, "seq_first"));
			assert_null(get(s->r[i].o, "seq_last"));
		}
	check_invariant(s, &t);
	series_free(s);
}

/* log_policy=block: the caller waits about a second, then it is counted. */
static void test_queue_timeout(void **state)
{
	struct audit_config cfg = { .queue_len = 2 };
	struct audit *a = open_log(&cfg);
	struct audit_totals t;
	struct series *s;

	audit_test_pause_writer(a, true);
	usleep(50 * 1000);
	submit_n(a, "/f", 3);
	audit_get_totals(a, &t);
	assert_int_equal(t.lost, 1);
	audit_test_pause_writer(a, false);
	audit_free(a, &t);

	s = verify1(logpath);
	assert_int_equal(s->n_attempt, 2);
	assert_int_equal(s->sum_loss, 1);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(gets(s->r[i].o, "kind"), "loss") == 0)
			assert_string_equal(gets(s->r[i].o, "reason"), "queue_timeout");
	check_invariant(s, &t);
	series_free(s);
}

/* Lets the log grow by room bytes more; writes past that fail (EFBIG).
 * *old gets the limit to restore. */
static void limit_log(struct rlimit *old, off_t room)
{
	struct rlimit lim;
	struct stat st;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, old), 0);
	assert_int_equal(stat(logpath, &st), 0);
	lim = *old;
	lim.rlim_cur = (rlim_t)(st.st_size + room);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

/* Every loss record of s says reason for seq_first..seq_last and has
 * number seq (count: also checked unless < 0). */
static void assert_losses(const struct series *s, const char *reason, int64_t first,
			  int64_t last, int64_t count, int64_t seq)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(gets(s->r[i].o, "kind"), "loss") == 0) {
			assert_string_equal(gets(s->r[i].o, "reason"), reason);
			assert_int_equal(geti(s->r[i].o, "seq_first"), first);
			assert_int_equal(geti(s->r[i].o, "seq_last"), last);
			if (count >= 0)
				assert_int_equal(geti(s->r[i].o, "count"), count);
			assert_int_equal(geti(s->r[i].o, "seq"), seq);
		}
}

/* Writes fail (the file may not grow: RLIMIT_FSIZE), then work again: the
 * numbered records are announced by a loss with their seq range. */
static void test_write_error(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct rlimit old;
	struct audit_totals t;
	struct series *s;

	limit_log(&old, 100); /* room for a fragment only */
	submit_n(a, "/full", 3);
	wait_for(a, 0, 3);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	submit_n(a, "/again", 2);
	audit_free(a, &t);
	assert_int_equal(t.lost, 3);

	s = verify1(logpath);
	assert_int_equal(s->n_loss, 1);
	assert_losses(s, "write_error:EFBIG", 2, 4, 3, 5);
	assert_int_equal(s->n_attempt, 2);
	check_invariant(s, &t);
	series_free(s);
}

/* Records that wait together go out with one write(2).  When that write
 * is cut short (here: room for two whole lines and a few bytes), the whole
 * lines stay, the fragment goes, and the rest are numbered losses as if
 * each had been written alone; the chain and the gap's loss record say so. */
static void test_batch_short_write(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct rlimit old;
	struct audit_totals t;
	struct series *s;
	struct stat st;
	off_t before, line;

	assert_int_equal(stat(logpath, &st), 0);
	before = st.st_size;
	submit_n(a, "/a", 1); /* "/a0": as long a line as each of "/b0".."/b5" */
	wait_for(a, 1, 0);
	assert_int_equal(stat(logpath, &st), 0);
	line = st.st_size - before;

	audit_test_pause_writer(a, true);
	submit_n(a, "/b", 6);
	limit_log(&old, 2 * line + 10);
	audit_test_pause_writer(a, false); /* the six go as one batch */
	wait_for(a, 3, 4);
	assert_int_equal(stat(logpath, &st), 0);
	assert_int_equal(st.st_size, before + 3 * line); /* no fragment left */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	submit_n(a, "/c", 1);
	audit_free(a, &t);
	assert_int_equal(t.written, 4);
	assert_int_equal(t.lost, 4);
	assert_int_equal(t.lost_reported, 4);

	s = verify1(logpath);
	assert_int_equal(s->n_attempt, 4);
	assert_int_equal(s->n_loss, 1);
	assert_losses(s, "write_error:EFBIG", 5, 8, -1, 9);
	assert_string_equal(gets(get(s->r[3].o, "file"), "path"), "/b1");
	check_invariant(s, &t);
	series_free(s);
}

/* Makes every further write to the log fail (EFBIG): the file may not grow. */
static void block_writes(struct rlimit *old)
{
	limit_log(old, 0);
}

static void submit_action(struct audit *a, enum audit_action action, const char *path)
{
	struct audit_event ev = event(path);

	ev.action = action;
	assert_int_equal(audit_submit(a, &ev), 0);
}

/* Losses are counted per action, in the loss record and in stop. */
static void test_loss_by_action(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct rlimit old;
	struct audit_totals t;
	struct series *s;

	block_writes(&old);
	submit_action(a, AUDIT_MKDIR, "/m1");
	submit_action(a, AUDIT_CHMOD, "/c1");
	submit_action(a, AUDIT_MKDIR, "/m2");
	wait_for(a, 0, 3);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	submit_action(a, AUDIT_UNLINK, "/u1");
	audit_free(a, &t);
	assert_int_equal(t.lost, 3);
	assert_int_equal(t.lost_write, 3);
	assert_int_equal(t.lost_reported, 3);
	assert_int_equal(t.write_err, EFBIG);
	assert_int_equal(t.lost_by_action[AUDIT_MKDIR], 2);
	assert_int_equal(t.lost_by_action[AUDIT_CHMOD], 1);
	assert_true(t.stop_written);

	s = verify1(logpath);
	assert_int_equal(s->n_loss, 1);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(gets(s->r[i].o, "kind"), "loss") == 0) {
			json_object *ba = get(s->r[i].o, "by_action");

			assert_int_equal(geti(ba, "mkdir"), 2);
			assert_int_equal(geti(ba, "chmod"), 1);
			assert_int_equal(json_object_object_length(ba), 2);
		}
	assert_int_equal(geti(get(get(s->stop, "totals"), "lost_by_action"), "mkdir"), 2);
	assert_int_equal(geti(get(get(s->stop, "totals"), "lost_by_action"), "chmod"), 1);
	check_invariant(s, &t);
	series_free(s);
}

static void *unblock_later(void *p)
{
	usleep(300 * 1000);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, p), 0);
	return NULL;
}

/* The disk is still full when the session ends: the losses and the stop
 * record are tried again until they fit, and then they are all there. */
static void test_stop_retry(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct audit_totals t;
	struct rlimit old;
	struct series *s;
	pthread_t th;

	block_writes(&old);
	submit_n(a, "/full", 5);
	wait_for(a, 0, 5);
	assert_int_equal(pthread_create(&th, NULL, unblock_later, &old), 0);
	audit_free(a, &t); /* begins while nothing can be written */
	pthread_join(th, NULL);
	assert_true(t.stop_written);
	assert_int_equal(t.lost, 5);
	assert_int_equal(t.lost_reported, 5);
	s = verify1(logpath);
	assert_int_equal(s->n_stop, 1);
	assert_int_equal(s->sum_loss, 5);
	assert_string_equal(gets(s->r[s->n - 1].o, "kind"), "stop");
	check_invariant(s, &t);
	series_free(s);
}

/* The disk never frees: no stop record, no half line, and the totals say
 * exactly what was lost and why (the daemon's exit message). */
static void test_stop_never(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct audit_totals t;
	struct rlimit old;
	struct series *s;
	char why[512];

	submit_n(a, "/ok", 2);
	wait_for(a, 2, 0);
	block_writes(&old);
	submit_n(a, "/full", 7);
	wait_for(a, 2, 7);
	audit_free(a, &t);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_false(t.stop_written);
	assert_int_equal(t.attempts, 9);
	assert_int_equal(t.lost, 7);
	assert_int_equal(t.lost_reported, 0);
	audit_loss_reason(&t, logpath, why, sizeof(why));
	assert_non_null(strstr(why, "7 could not be written"));
	assert_non_null(strstr(why, "EFBIG"));
	assert_non_null(strstr(why, "7 of them are not announced"));
	assert_non_null(strstr(why, "no stop record"));
	s = verify1(logpath);
	assert_int_equal(s->n_stop, 0);
	assert_int_equal(s->n_attempt, 2);
	series_free(s);
}

static void rotated(char *buf, size_t n, unsigned i)
{
	snprintf(buf, n, "%s.%u", logpath, i);
}

/* Size rotation: each new file starts with `rotate`; the series verifies. */
static void test_rotation(void **state)
{
	struct audit_config cfg = { .max_size = 3000, .keep = 50 };
	struct audit *a = open_log(&cfg);
	char names[60][PATH_MAX + 8];
	const char *files[60];
	struct audit_totals t;
	struct series *s;
	size_t n = 0;
	struct stat st;

	submit_n(a, "/rot", 40);
	audit_free(a, &t);
	for (unsigned i = 50; i >= 1; i--) {
		rotated(names[n], sizeof(names[n]), i);
		if (stat(names[n], &st) == 0) {
			assert_true((uint64_t)st.st_size <= 3000);
			files[n] = names[n];
			n++;
		}
	}
	files[n++] = logpath;
	assert_true(n > 3);
	s = verify(files, n);
	assert_int_equal(s->n_rotate, n - 1);
	assert_int_equal(s->n_start, 1);
	check_invariant(s, &t);
	/* The rotate record names its predecessor and its last seq. */
	for (size_t i = 1; i < s->n; i++)
		if (strcmp(gets(s->r[i].o, "kind"), "rotate") == 0) {
			assert_string_equal(gets(s->r[i].o, "reason"), "size");
			assert_int_equal(geti(s->r[i].o, "previous_seq"),
					 geti(s->r[i - 1].o, "seq"));
			assert_non_null(strstr(gets(s->r[i].o, "previous_file"), ".1"));
		}
	series_free(s);
}

/* keep=2: no FILE.3 ever, and FILE.2 begins with a rotate. */
static void test_rotation_keep(void **state)
{
	struct audit_config cfg = { .max_size = 2000, .keep = 2 };
	struct audit *a = open_log(&cfg);
	char f1[PATH_MAX + 8], f2[PATH_MAX + 8], f3[PATH_MAX + 8];
	struct audit_totals t;
	struct series *s;
	const char *files[3] = { f2, f1, logpath };

	submit_n(a, "/keep", 40);
	audit_free(a, &t);
	rotated(f1, sizeof(f1), 1);
	rotated(f2, sizeof(f2), 2);
	rotated(f3, sizeof(f3), 3);
	assert_int_equal(access(f1, F_OK), 0);
	assert_int_equal(access(f2, F_OK), 0);
	assert_int_equal(access(f3, F_OK), -1);
	s = verify(files, 3);
	assert_string_equal(gets(s->r[0].o, "kind"), "rotate");
	series_free(s);
}

/* logrotate "create": rename, then SIGHUP -> audit_request_reopen(). */
static void test_reopen(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	char old[PATH_MAX + 8];
	const char *files[2] = { old, logpath };
	struct audit_totals t;
	struct series *s;

	submit_n(a, "/before", 2);
	wait_for(a, 2, 0);
	snprintf(old, sizeof(old), "%s.old", logpath);
	assert_int_equal(rename(logpath, old), 0);
	audit_request_reopen(a);
	for (int i = 0; i < 2000 && access(logpath, F_OK) < 0; i++)
		usleep(1000);
	submit_n(a, "/after", 2);
	audit_free(a, &t);
	s = verify(files, 2);
	assert_int_equal(s->n_rotate, 1);
	assert_string_equal(gets(s->r[3].o, "kind"), "rotate");
	assert_string_equal(gets(s->r[3].o, "reason"), "reopen");
	assert_string_equal(gets(s->r[3].o, "previous_file"), old);
	assert_int_equal(s->n_attempt, 4);
	check_invariant(s, &t);
	series_free(s);
}

/* The file is deleted under the writer: it is created again, nothing lost. */
static void test_removed(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	struct audit_totals t;
	struct series *s;

	submit_n(a, "/one", 1);
	wait_for(a, 1, 0);
	assert_int_equal(unlink(logpath), 0);
	submit_n(a, "/two", 2);
	audit_free(a, &t);
	s = verify1(logpath);
	assert_string_equal(gets(s->r[0].o, "kind"), "rotate");
	assert_string_equal(gets(s->r[0].o, "reason"), "reopen");
	assert_non_null(strstr(gets(s->r[0].o, "previous_file"), "(deleted)"));
	assert_int_equal(s->n_attempt, 2);
	series_free(s);
}

/* A second session appends and chains to the last line of the first; a
 * partial last line is completed first. */
static void test_existing_file(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit_totals t;
	struct series *s;
	struct audit *a;
	int fd;

	a = open_log(&cfg);
	submit_n(a, "/s1_", 2);
	audit_free(a, &t);
	a = open_log(&cfg);
	submit_n(a, "/s2_", 1);
	audit_free(a, &t);
	s = verify1(logpath);
	assert_int_equal(s->n_start, 2);
	assert_int_equal(s->n_stop, 2);
	series_free(s);

	assert_int_equal(unlink(logpath), 0);
	fd = open(logpath, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"v\":1}\n{\"partial", 17), 17);
	close(fd);
	a = open_log(&cfg);
	audit_free(a, &t);
	{
		FILE *f = fopen(logpath, "re");
		char line[4096], want[HASH_HEX_LEN + 1];
		json_object *o;

		assert_non_null(fgets(line, sizeof(line), f));
		assert_non_null(fgets(line, sizeof(line), f));
		assert_string_equal(line, "{\"partial\n");
		hash128_hex(line, strlen(line), want);
		assert_non_null(fgets(line, sizeof(line), f));
		o = json_tokener_parse(line);
		assert_string_equal(gets(o, "kind"), "start");
		assert_string_equal(gets(o, "prev"), want);
		json_object_put(o);
		fclose(f);
	}
}

/* The writer holds LOCK_SH on the file it writes until stop is on disk, and
 * hands it over at rotation: LOCK_EX is had only on files no longer written. */
static void test_lock(void **state)
{
	struct audit_config cfg = { .max_size = 3000, .keep = 5 };
	struct audit *a = open_log(&cfg);
	char r1[PATH_MAX + 8];
	struct audit_totals t;
	struct series *s;
	int fd, fd1;

	fd = open(logpath, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(flock(fd, LOCK_SH | LOCK_NB), 0); /* readers share it */
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);
	submit_n(a, "/lock", 40); /* several rotations */
	wait_for(a, 40, 0);
	rotated(r1, sizeof(r1), 1);
	fd1 = open(r1, O_RDONLY | O_CLOEXEC);
	assert_true(fd1 >= 0);
	assert_int_equal(flock(fd1, LOCK_EX | LOCK_NB), 0); /* no longer written */
	close(fd1);
	fd = open(logpath, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	audit_free(a, &t);
	/* Once we have it, the stop record is there. */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	s = verify1(logpath);
	assert_non_null(s->stop);
	assert_string_equal(gets(s->r[s->n - 1].o, "kind"), "stop");
	series_free(s);
}

/* No log= : nothing written, everything counted. */
static void test_no_file(void **state)
{
	struct audit_config cfg = { .path = NULL };
	struct audit *a = NULL;
	struct audit_totals t;

	assert_int_equal(audit_new(&cfg, &a), 0);
	submit_n(a, "/x", 5);
	audit_free(a, &t);
	assert_int_equal(t.attempts, 5);
	assert_int_equal(t.by_action[AUDIT_MKDIR], 5);
	assert_int_equal(access(logpath, F_OK), -1);
	audit_free(NULL, NULL);
}

/* A path of 64 KiB, far beyond PATH_MAX, makes one valid line. */
static void test_long_path(void **state)
{
	struct audit_config cfg = { 0 };
	struct audit *a = open_log(&cfg);
	size_t n = 65536;
	char *p = malloc(n + 1);
	struct audit_totals t;
	struct audit_event ev;
	struct series *s;

	for (size_t i = 0; i < n; i++)
		p[i] = i % 10 == 0 ? '/' : 'x';
	p[n] = '\0';
	ev = event(p);
	assert_int_equal(audit_submit(a, &ev), 0);
	audit_free(a, &t);
	s = verify1(logpath);
	assert_int_equal(strlen(gets(get(s->r[1].o, "file"), "path")), n);
	series_free(s);
	free(p);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_attempts),   T(test_coalescing),    T(test_coalescing_args),
		T(test_queue_full),
		T(test_queue_timeout), T(test_write_error), T(test_batch_short_write),
		T(test_rotation),
		T(test_rotation_keep), T(test_reopen),     T(test_removed),
		T(test_existing_file), T(test_no_file),    T(test_long_path),
		T(test_lock),          T(test_loss_by_action), T(test_stop_retry),
		T(test_stop_never),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
