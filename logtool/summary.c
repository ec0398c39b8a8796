/* SPDX-License-Identifier: MIT */
/*
 * summary.c - "amber-log summary": counts by path, executable, user and
 * action.  Only aggregates are kept (one small struct per distinct key), so
 * memory grows with the number of distinct paths, never with the records.
 * A summary record adds its count (the further identical attempts it stands
 * for) and widens the row's time span with its first_ts/last_ts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logtool.h"
#include "table.h"

#define TS_MAX 40
#define N_SEQ 3

struct agg {
	int64_t count;
	struct timespec first, last;
	char first_ts[TS_MAX], last_ts[TS_MAX];
	int64_t seqs[N_SEQ];     /* the first two and the latest */
	unsigned n_seq;
};

enum { BY_PATH, BY_EXE, BY_USER, BY_ACTION, _BY_MAX };
static const char *const by_names[] = { "path", "executable", "user", "action" };

struct summary {
	struct table *t[_BY_MAX];
	int64_t total, events, sessions;
	char first_ts[TS_MAX], last_ts[TS_MAX];
	struct timespec first, last;
	bool have_time;
	int err;
};

static void copy_ts(char *dst, const char *src)
{
	snprintf(dst, TS_MAX, "%s", src ? src : "");
}

static void agg_add(struct agg *a, const struct record *r, const struct timespec *lo, const char *lo_s,
		    const struct timespec *hi, const char *hi_s)
{
	if (a->count == 0 || timespec_cmp(lo, &a->first) < 0) {
		a->first = *lo;
		copy_ts(a->first_ts, lo_s);
	}
	if (a->count == 0 || timespec_cmp(hi, &a->last) > 0) {
		a->last = *hi;
		copy_ts(a->last_ts, hi_s);
	}
	a->count += record_weight(r);
	if (a->n_seq < N_SEQ)
		a->seqs[a->n_seq++] = r->seq;
	else
		a->seqs[N_SEQ - 1] = r->seq;
}

static int summary_one(void *ud, const struct reader_line *line, const struct record *r)
{
	struct summary *s = ud;
	struct timespec lo, hi;
	const char *lo_s = r->ts, *hi_s = r->ts;
	char uid[32];
	const char *keys[_BY_MAX];

	if (r->kind == AUDIT_KIND_START)
		s->sessions++;
	if (!record_is_event(r))
		return 0;
	if (r->kind == AUDIT_KIND_SUMMARY && r->first_ts && r->last_ts)
		lo_s = r->first_ts, hi_s = r->last_ts;
	if (rfc3339_parse(lo_s, &lo) < 0 || rfc3339_parse(hi_s, &hi) < 0) {
		lo = hi = (struct timespec){ 0, 0 };
		lo_s = hi_s = "?";
	}
	s->events++;
	s->total += record_weight(r);
	if (!s->have_time || timespec_cmp(&lo, &s->first) < 0)
		s->first = lo, copy_ts(s->first_ts, lo_s);
	if (!s->have_time || timespec_cmp(&hi, &s->last) > 0)
		s->last = hi, copy_ts(s->last_ts, hi_s);
	s->have_time = true;

	snprintf(uid, sizeof(uid), "%" PRId64, r->uid);
	keys[BY_PATH] = r->path_exact ? r->path_exact : "(none)";
	keys[BY_EXE] = r->exe ? r->exe : "(unknown)";
	keys[BY_USER] = r->uid >= 0 ? uid : "(unknown)";
	keys[BY_ACTION] = r->action ? r->action : "(none)";
	for (int b = 0; b < _BY_MAX; b++) {
		struct table_entry *e = table_upsert(s->t[b], keys[b], strlen(keys[b]), NULL);
		if (!e)
			return s->err = -ENOMEM;
		agg_add(e->value, r, &lo, lo_s, &hi, hi_s);
	}
	/* a rename is also counted under its destination path */
	if (r->new_path_exact && strcmp(r->new_path_exact, keys[BY_PATH]) != 0) {
		struct table_entry *e = table_upsert(s->t[BY_PATH], r->new_path_exact, strlen(r->new_path_exact), NULL);
		if (!e)
			return s->err = -ENOMEM;
		agg_add(e->value, r, &lo, lo_s, &hi, hi_s);
	}
	(void)line;
	return 0;
}

static int agg_cmp(const void *a, const void *b)
{
	const struct table_entry *x = *(struct table_entry *const *)a, *y = *(struct table_entry *const *)b;
	const struct agg *p = x->value, *q = y->value;

	if (p->count != q->count)
		return p->count > q->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void print_seqs(FILE *o, const struct agg *a)
{
	for (unsigned i = 0; i < a->n_seq; i++)
		fprintf(o, "%s%" PRId64, i ? "," : "", a->seqs[i]);
}

/* {"by":...,"key":...,"count":...,"first":...,"last":...,"seq":[...]}; a
 * path that is not UTF-8 as in the log: U+FFFD in key, the bytes in key_hex */
static void print_row_json(const char *by, const char *key, const struct agg *a)
{
	struct json_object *o = json_object_new_object(), *seq = json_object_new_array();

	if (!o || !seq) {
		json_object_put(o);
		json_object_put(seq);
		return;
	}
	json_object_object_add(o, "by", json_object_new_string(by));
	esc_json_add_bytes(o, "key", key);
	json_object_object_add(o, "count", json_object_new_int64(a->count));
	json_object_object_add(o, "first", json_object_new_string(a->first_ts));
	json_object_object_add(o, "last", json_object_new_string(a->last_ts));
	for (unsigned j = 0; j < a->n_seq; j++)
		json_object_array_add(seq, json_object_new_int64(a->seqs[j]));
	json_object_object_add(o, "seq", seq);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_table(struct summary *s, int b, size_t top, bool json)
{
	size_t n;
	struct table_entry **v = table_entries(s->t[b], agg_cmp, &n);

	if (!json)
		printf("\nBy %s (%zu distinct)\n%10s  %-23s  %-23s  %-20s  %s\n", by_names[b], n, "COUNT",
		       "FIRST (UTC)", "LAST (UTC)", "SEQ", by_names[b] == by_names[BY_USER] ? "UID" : by_names[b]);
	for (size_t i = 0; i < n && (top == 0 || i < top); i++) {
		const struct agg *a = v[i]->value;
		if (json) {
			print_row_json(by_names[b], v[i]->key, a);
			continue;
		}
		printf("%10" PRId64 "  ", a->count);
		print_ts_column(stdout, a->first_ts);
		fputs("  ", stdout);
		print_ts_column(stdout, a->last_ts);
		fputs("  ", stdout);
		char seqs[64];
		FILE *m = fmemopen(seqs, sizeof(seqs), "w");
		if (m) {
			print_seqs(m, a);
			fclose(m);
			printf("%-20s  ", seqs);
		}
		esc_puts(stdout, v[i]->key);
		putchar('\n');
	}
	if (!json && top && n > top)
		printf("%10s  (%zu more; --top 0 shows all)\n", "...", n - top);
	free(v);
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log summary [--top N] [--json] LOG...\n"
	      "\n"
	      "Counts the refused attempts by path, executable, user (uid) and action, most frequent first.\n"
	      "Each row gives the first and last time and a few seq numbers (the first two and the latest) to\n"
	      "look up with 'amber-log show'. A summary record counts as the number of repeats it stands for;\n"
	      "a rename or link also counts under its destination path. --top N limits each table to N rows\n"
	      "(default 20, 0 = all). --json prints one object per row.\n",
	      f);
}

int cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },
		{},
	};
	struct summary s = {0};
	struct scan_stats st;
	bool json = false;
	long top = 20;
	int c, r, rc = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "hjt:", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'j') {
			json = true;
		} else if (c == 't') {
			char *end;
			top = strtol(optarg, &end, 10);
			if (*end || end == optarg || top < 0) {
				log_error("--top: '%s' is not a non-negative integer", optarg);
				return EXIT_USAGE;
			}
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int b = 0; b < _BY_MAX; b++)
		if (!(s.t[b] = table_new(sizeof(struct agg))))
			goto out;
	r = scan_series(argv + optind, (size_t)(argc - optind), summary_one, &s, &st);
	if (r < 0) {
		(void)log_error_errno(r, "summary failed: %m");
		goto out;
	}
	if (!json) {
		printf("%" PRId64 " refused attempts in %" PRId64 " attempt/summary records, %" PRId64 " session(s), ",
		       s.total, s.events, s.sessions);
		esc_puts(stdout, s.have_time ? s.first_ts : "-");
		fputs(" .. ", stdout);
		esc_puts(stdout, s.have_time ? s.last_ts : "-");
		putchar('\n');
	}
	for (int b = 0; b < _BY_MAX; b++)
		print_table(&s, b, (size_t)top, json);
	rc = st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
out:
	for (int b = 0; b < _BY_MAX; b++)
		table_free(s.t[b], NULL);
	return rc;
}
