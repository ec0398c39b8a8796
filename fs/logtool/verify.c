/* SPDX-License-Identifier: MIT */
/*
 * verify.c - "amber-log verify": is this series the complete, unaltered
 * output of the writer?
 *
 * It checks, line by line: the bytes parse as one v1 JSON object; "prev" is
 * the XXH3-128 of the previous line's exact bytes (across files); "seq" runs
 * 1,2,3... from each start, gaps only where a later loss record names them;
 * each file after the first opens with a rotate record naming the previous
 * file's last seq; each session closes with stop whose totals match the
 * records; the series ends with stop.
 *
 * Findings are collected, then printed sorted by place, because the cause
 * of one symptom is often clear only a line or two later: a swapped pair
 * first looks like a deleted line (seq skips, chain breaks), and is
 * recognised when the missing seq turns up next with a prev that links to
 * the line before.  What this proves and what it does not: see usage().
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logtool.h"

#define MAX_STORED_ERRORS 1000
static const char zero_hash[] = "00000000000000000000000000000000";

struct finding {
	unsigned file_index;
	uint64_t lineno;
	size_t order;
	char *text;
};

struct gap {
	int64_t first, last;
	unsigned file_index;
	uint64_t lineno;
	const char *file;
	bool chain_broken;       /* the chain broke at the line that skipped */
};

struct seen_line {           /* the last lines, for diagnosis */
	char hash[HASH_HEX_LEN + 1];
	uint64_t lineno;
	unsigned file_index;
	const char *file;
	int64_t seq;             /* -1 when unparsed */
	bool valid;
};

struct verify {
	struct finding *f;
	size_t n_f, cap_f, n_errors;
	struct gap *gaps;
	size_t n_gaps, cap_gaps;
	struct seen_line hist[2];   /* [0] = previous line, [1] = the one before */
	bool any_line;
	/* session */
	bool in_session, session_has_start;
	int64_t next_seq;           /* 0 = unknown */
	int64_t last_seq;
	unsigned unparsed_run;      /* bad lines since the last good record */
	size_t sess_errors;         /* n_errors when the session started */
	uint64_t sess_records, sess_written, sess_summarized, sess_lost, sess_attempts;
	const char *sess_file;
	uint64_t sess_line;
	bool accept_prev2;          /* after a detected swap, the next line links two back */
	/* series */
	uint64_t records, sessions, files_ok;
	bool last_is_stop;
	int64_t file_last_seq;      /* last seq seen in the previous file */
	const char *prev_file;
	bool file_first_line;
	bool truncated_seen;
};

static void add_finding(struct verify *v, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
			const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_finding(struct verify *v, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
			const char *fmt, ...)
{
	char msg[768], loc[512];
	va_list ap;

	v->n_errors++;
	if (v->n_f >= MAX_STORED_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lineno && seq >= 0)
		snprintf(loc, sizeof(loc), "%s:%" PRIu64 ": seq %" PRId64, file, lineno, seq);
	else if (lineno)
		snprintf(loc, sizeof(loc), "%s:%" PRIu64, file, lineno);
	else
		snprintf(loc, sizeof(loc), "%s", file);
	if (v->n_f == v->cap_f) {
		size_t cap = v->cap_f ? v->cap_f * 2 : 32;
		struct finding *nf = realloc(v->f, cap * sizeof(*nf));
		if (!nf)
			return;
		v->f = nf;
		v->cap_f = cap;
	}
	struct finding *x = &v->f[v->n_f];
	if (asprintf(&x->text, "%s: %s", loc, msg) < 0)
		return;
	x->file_index = fi;
	x->lineno = lineno;
	x->order = v->n_f++;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->file_index != y->file_index)
		return x->file_index < y->file_index ? -1 : 1;
	if (x->lineno != y->lineno)
		return x->lineno < y->lineno ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void gap_add(struct verify *v, int64_t first, int64_t last, const struct reader_line *l, bool broken)
{
	if (v->n_gaps == v->cap_gaps) {
		size_t cap = v->cap_gaps ? v->cap_gaps * 2 : 16;
		struct gap *ng = realloc(v->gaps, cap * sizeof(*ng));
		if (!ng)
			return;
		v->gaps = ng;
		v->cap_gaps = cap;
	}
	v->gaps[v->n_gaps++] = (struct gap){ first, last, l->file_index, l->lineno, l->file, broken };
}

/* Removes [first,last] from the pending gaps; returns how many seq numbers
 * of the range were pending (so a caller can tell "covered" from "bogus"). */
static int64_t gap_cover(struct verify *v, int64_t first, int64_t last)
{
	int64_t covered = 0;

	for (size_t i = 0; i < v->n_gaps; i++) {
		struct gap *g = &v->gaps[i];
		if (last < g->first || first > g->last)
			continue;
		int64_t lo = first > g->first ? first : g->first, hi = last < g->last ? last : g->last;
		covered += hi - lo + 1;
		struct gap right = *g;
		bool keep_left = g->first < lo, keep_right = hi < g->last;
		if (keep_left)
			g->last = lo - 1;
		if (keep_right) {
			right.first = hi + 1;
			if (keep_left) {
				gap_add(v, right.first, right.last,
					&(struct reader_line){ .file = right.file, .file_index = right.file_index,
							       .lineno = right.lineno },
					right.chain_broken);
				g = &v->gaps[i];
			} else {
				*g = right;
			}
		}
		if (!keep_left && !keep_right) {
			v->gaps[i] = v->gaps[--v->n_gaps];
			i--;
		}
	}
	return covered;
}

static void gaps_flush(struct verify *v)
{
	for (size_t i = 0; i < v->n_gaps; i++) {
		struct gap *g = &v->gaps[i];
		int64_t n = g->last - g->first + 1;
		if (g->chain_broken)
			add_finding(v, g->file, g->file_index, g->lineno, -1,
				    "%" PRId64 " line(s) deleted before this line: seq %" PRId64 "..%" PRId64
				    " missing and the chain breaks here (no loss record accounts for them)",
				    n, g->first, g->last);
		else
			add_finding(v, g->file, g->file_index, g->lineno, -1,
				    "seq %" PRId64 "..%" PRId64 " (%" PRId64 " records) skipped before this line and "
				    "no later loss record accounts for them (yet the chain links: the writer "
				    "skipped numbers, or lines were removed and the chain rewritten)",
				    g->first, g->last, n);
	}
	v->n_gaps = 0;
}

static void session_end_checks(struct verify *v, const struct reader_line *l, const struct record *stop)
{
	struct json_object *o = record_obj(stop);
	int64_t attempts = json_get_int(o, "totals.attempts", -1);
	int64_t written = json_get_int(o, "totals.written", -1);
	int64_t summarized = json_get_int(o, "totals.summarized", -1);
	int64_t lost = json_get_int(o, "totals.lost", -1);
	int64_t records = json_get_int(o, "totals.records", -1);
	const char *head = json_get_str(o, "head");
	uint64_t have = v->sess_attempts + v->sess_summarized + v->sess_lost;

	if (head && strcmp(head, stop->prev) != 0)
		add_finding(v, l->file, l->file_index, l->lineno, stop->seq,
			    "stop record's \"head\" (%s) differs from its \"prev\" (%s)", head, stop->prev);
	if (!v->session_has_start || v->n_errors != v->sess_errors || v->n_gaps)
		return; /* records are missing or damaged: already reported, totals cannot match */
	if (attempts >= 0 && (uint64_t)attempts != have)
		add_finding(v, l->file, l->file_index, l->lineno, stop->seq,
			    "stop totals.attempts = %" PRId64 " but the session's records account for %" PRIu64
			    " (attempts %" PRIu64 " + summarized %" PRIu64 " + lost %" PRIu64 ")",
			    attempts, have, v->sess_attempts, v->sess_summarized, v->sess_lost);
	if (written >= 0 && (uint64_t)written != v->sess_written)
		add_finding(v, l->file, l->file_index, l->lineno, stop->seq,
			    "stop totals.written = %" PRId64 " but the session has %" PRIu64 " attempt records",
			    written, v->sess_written);
	if (summarized >= 0 && (uint64_t)summarized != v->sess_summarized)
		add_finding(v, l->file, l->file_index, l->lineno, stop->seq,
			    "stop totals.summarized = %" PRId64 " but summary counts add up to %" PRIu64,
			    summarized, v->sess_summarized);
	if (lost >= 0 && (uint64_t)lost != v->sess_lost)
		add_finding(v, l->file, l->file_index, l->lineno, stop->seq,
			    "stop totals.lost = %" PRId64 " but loss counts add up to %" PRIu64, lost, v->sess_lost);
	/* records: accept with or without the stop record itself */
	if (records >= 0 && (uint64_t)records != v->sess_records && (uint64_t)records != v->sess_records + 1)
		add_finding(v, l->file, l->file_index, l->lineno, stop->seq,
			    "stop totals.records = %" PRId64 " but the session has %" PRIu64 " records before stop",
			    records, v->sess_records);
}

static bool is_hex32(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == HASH_HEX_LEN;
}

static void push_hist(struct verify *v, const struct reader_line *l, int64_t seq)
{
	v->hist[1] = v->hist[0];
	memcpy(v->hist[0].hash, l->hash, sizeof(l->hash));
	v->hist[0].lineno = l->lineno;
	v->hist[0].file_index = l->file_index;
	v->hist[0].file = l->file;
	v->hist[0].seq = seq;
	v->hist[0].valid = true;
	v->any_line = true;
	v->file_first_line = false;
}

static void on_bad_line(struct verify *v, const struct reader_line *l, const char *why)
{
	add_finding(v, l->file, l->file_index, l->lineno, -1, "%s", why);
	push_hist(v, l, -1);
	v->unparsed_run++;
	v->last_is_stop = false;
}

static void chain_message(struct verify *v, const struct reader_line *l, const struct record *rec)
{
	bool other = v->hist[0].file_index != l->file_index;

	if (v->hist[0].seq < 0)
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "chain broken: \"prev\" does not match the bytes of the line before (line %" PRIu64
			    "%s%s, unreadable): that line was altered",
			    v->hist[0].lineno, other ? " of " : "", other ? v->hist[0].file : "");
	else
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "chain broken: \"prev\" does not match the bytes of line %" PRIu64 "%s%s (seq %" PRId64
			    "): that line was altered after it was written, or lines were inserted",
			    v->hist[0].lineno, other ? " of " : "", other ? v->hist[0].file : "", v->hist[0].seq);
}

/* A rotate record opening a file: returns true when it shows a missing file
 * (which then explains the chain break and the seq jump). */
static bool check_rotate(struct verify *v, const struct reader_line *l, const struct record *rec)
{
	const char *pf = json_get_str(record_obj(rec), "previous_file");

	if (!v->any_line) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "the series starts with a rotate record: the older file(s) ('%s', ending at seq %" PRId64
			    ") are missing; pass the whole series, oldest first",
			    str_or_dash(pf), rec->previous_seq);
		return true;
	}
	if (rec->previous_seq >= 0 && rec->previous_seq > v->last_seq) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "a rotated file is missing before this file: its rotate record says the file before it "
			    "ended at seq %" PRId64 ", but the file given before it, %s, ends at seq %" PRId64
			    " (seq %" PRId64 "..%" PRId64 " missing)",
			    rec->previous_seq, str_or_dash(v->prev_file), v->last_seq, v->last_seq + 1,
			    rec->previous_seq);
		return true;
	}
	if (rec->previous_seq >= 0 && rec->previous_seq != v->last_seq) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "files out of order: this file's rotate record says the file before it ended at seq %" PRId64
			    ", but the file given before it, %s, ends at seq %" PRId64 " (give the files oldest first: "
			    "LOG.2 LOG.1 LOG)",
			    rec->previous_seq, str_or_dash(v->prev_file), v->last_seq);
		return true;
	}
	return false;
}

static void on_start(struct verify *v, const struct reader_line *l, const struct record *rec, bool chain_broken)
{
	if (v->in_session)
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "a new session starts, but the previous one (started at %s:%" PRIu64
			    ") has no stop record: the daemon crashed or was killed, or that session's tail was cut",
			    v->sess_file, v->sess_line);
	gaps_flush(v);
	if (rec->seq != 1)
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq, "start record with seq %" PRId64
			    " (a session starts at 1)", rec->seq);
	if (chain_broken)
		chain_message(v, l, rec);
	v->in_session = v->session_has_start = true;
	v->sess_errors = v->n_errors;
	v->sess_file = l->file;
	v->sess_line = l->lineno;
	v->sess_records = v->sess_written = v->sess_summarized = v->sess_lost = v->sess_attempts = 0;
	v->next_seq = rec->seq + 1;
	v->sessions++;
}

static void on_seq(struct verify *v, const struct reader_line *l, const struct record *rec, bool chain_broken,
		   bool links_two_back, bool explained)
{
	int64_t expected = v->next_seq;

	if (!v->in_session) {
		if (v->any_line && !explained)
			add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
				    v->last_is_stop ? "%s record after a stop, without a new start record"
						    : "%s record, but the series does not begin with a start record",
				    rec->kind_str);
		v->in_session = true;
		v->session_has_start = false;
		v->sess_file = l->file;
		v->sess_line = l->lineno;
		expected = rec->seq;
	}
	if (explained)
		expected = rec->seq;
	if (rec->seq > expected) {
		int64_t n = rec->seq - expected;
		if (v->unparsed_run == 0 || n > (int64_t)v->unparsed_run) {
			gap_add(v, expected, rec->seq - 1, l, chain_broken);
			chain_broken = false; /* told by the gap: deleted lines */
		}
	} else if (rec->seq < expected) {
		if (links_two_back && gap_cover(v, rec->seq, rec->seq) == 1) {
			add_finding(v, l->file, l->file_index, v->hist[0].lineno, v->hist[0].seq,
				    "lines %" PRIu64 " and %" PRIu64 " are out of order: seq %" PRId64
				    " (line %" PRIu64 ") was written before seq %" PRId64,
				    v->hist[0].lineno, l->lineno, rec->seq, l->lineno, v->hist[0].seq);
			v->accept_prev2 = true;
			chain_broken = false;
		} else {
			gap_cover(v, rec->seq, rec->seq);
			add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
				    "seq goes backwards (after seq %" PRId64 "): lines reordered, duplicated or inserted",
				    v->last_seq);
		}
	}
	if (chain_broken && links_two_back && rec->seq == expected) {
		/* the chain skips the line before: it was inserted */
		add_finding(v, l->file, l->file_index, v->hist[0].lineno, v->hist[0].seq,
			    "line %" PRIu64 " does not belong here: the chain links line %" PRIu64
			    " to the line before it (inserted line)",
			    v->hist[0].lineno, l->lineno);
		v->accept_prev2 = false;
		chain_broken = false;
	}
	if (chain_broken)
		chain_message(v, l, rec);
	v->next_seq = rec->seq + 1 > expected ? rec->seq + 1 : expected;
}

static void on_kind(struct verify *v, const struct reader_line *l, const struct record *rec)
{
	switch (rec->kind) {
	case RECORD_ATTEMPT:
		v->sess_written++;
		v->sess_attempts += (uint64_t)record_weight(rec);
		break;
	case RECORD_SUMMARY:
		v->sess_summarized += (uint64_t)record_weight(rec);
		break;
	case RECORD_LOSS:
		v->sess_lost += rec->count > 0 ? (uint64_t)rec->count : 0;
		if (rec->seq_first >= 0 && rec->seq_last >= rec->seq_first) {
			int64_t want = rec->seq_last - rec->seq_first + 1;
			int64_t got = gap_cover(v, rec->seq_first, rec->seq_last);
			if (got != want)
				add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
					    "loss record names seq %" PRId64 "..%" PRId64 " as lost, but only %" PRId64
					    " of them are missing before it",
					    rec->seq_first, rec->seq_last, got);
		}
		break;
	case RECORD_STOP:
		session_end_checks(v, l, rec);
		gaps_flush(v);
		v->in_session = false;
		break;
	case RECORD_START:
	case RECORD_ROTATE:
	case RECORD_UNKNOWN:
		break;
	}
}

static void on_record(struct verify *v, const struct reader_line *l, const struct record *rec)
{
	const char *want_prev = v->any_line ? v->hist[0].hash : zero_hash;
	bool chain_broken = strcmp(rec->prev, want_prev) != 0;
	bool links_two_back = chain_broken && v->hist[1].valid && strcmp(rec->prev, v->hist[1].hash) == 0;
	bool explained = false;

	if (!is_hex32(rec->prev))
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "\"prev\" is not 32 lowercase hex digits: '%s'", rec->prev);
	if (v->file_first_line && l->file_index > 0 && v->any_line && rec->kind == RECORD_START &&
	    strcmp(rec->prev, zero_hash) == 0) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "this file begins a new series (a start record whose prev is zero, written on an empty "
			    "file): it does not continue the files before it; verify each series on its own");
		chain_broken = false;
	} else if (v->file_first_line && l->file_index > 0 && v->any_line && rec->kind != RECORD_ROTATE) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "this file does not begin with a rotate record (it begins with '%s'): it is not the "
			    "next file of the series, or its first lines are missing",
			    rec->kind_str);
	}
	if (rec->kind == RECORD_ROTATE) {
		if (!v->file_first_line)
			add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
				    "rotate record in the middle of a file (lines before it do not belong here)");
		else
			explained = check_rotate(v, l, rec);
	}
	if (chain_broken && !v->any_line) {
		if (!explained)
			add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
				    "the first line's \"prev\" is not zero: the series does not begin here "
				    "(earlier lines or files are missing)");
		chain_broken = false;
	} else if (chain_broken && (explained || (v->accept_prev2 && links_two_back))) {
		chain_broken = false;
	}
	v->accept_prev2 = false;

	if (rec->kind == RECORD_START)
		on_start(v, l, rec, chain_broken);
	else
		on_seq(v, l, rec, chain_broken, links_two_back, explained);
	on_kind(v, l, rec);
	if (rec->kind != RECORD_STOP)
		v->sess_records++;
	v->last_is_stop = rec->kind == RECORD_STOP;
	v->last_seq = rec->seq;
	v->unparsed_run = 0;
	v->records++;
	push_hist(v, l, rec->seq);
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log verify [--quiet] LOG...\n"
	      "\n"
	      "Checks that the series (its files given oldest first, e.g. LOG.2 LOG.1 LOG) is complete and\n"
	      "unaltered: every line parses as a v1 record; each record's \"prev\" is the XXH3-128 of the exact\n"
	      "bytes of the line before it, across files; \"seq\" runs without gaps except those a loss record\n"
	      "announces; each later file opens with a rotate record that names the previous file's last seq;\n"
	      "each session closes with a stop record whose totals match its records; the series ends with stop.\n"
	      "Each problem is printed as FILE:LINE: seq N: what is wrong (a flipped byte, a deleted or\n"
	      "inserted line, a swapped pair, a truncated tail, a missing rotated file, ...).\n"
	      "\n"
	      "What it proves: no line but the last was altered, none was removed, inserted or reordered, and\n"
	      "nothing was cut from the end, by anyone who did not also rewrite every later line.\n"
	      "What it does NOT prove: the chain has no key, so a forger who can write the file and recomputes\n"
	      "every hash is not detected, nor is deleting the whole series or cutting it right after a stop\n"
	      "record, nor an edit of the very last line that keeps it consistent (no later line records its\n"
	      "hash). To pin the end, keep a hash of the last line somewhere the attacker cannot write.\n"
	      "\n"
	      "Exit status: 0 clean, 1 problems found, 2 usage error.\n",
	      f);
}

/* One event of the reader, judged. */
static void verify_event(struct verify *v, enum reader_event ev, struct reader_line *line,
			 struct record_parser *p, struct record *rec)
{
	switch (ev) {
	case READER_FILE_BEGIN:
		v->file_first_line = true;
		break;
	case READER_FILE_ERROR:
		add_finding(v, line->file, line->file_index, 0, -1, "cannot read: %s", strerror(line->err));
		break;
	case READER_FILE_END:
		if (line->lineno == 0)
			add_finding(v, line->file, line->file_index, 0, -1, "empty file");
		else
			v->files_ok++;
		v->prev_file = line->file;
		break;
	case READER_LINE:
		if (!line->newline) {
			char why[200];
			snprintf(why, sizeof(why),
				 "truncated last line: %zu bytes without a newline (cut short by a crash or a full "
				 "disk, or copied while being written)", line->full_len);
			on_bad_line(v, line, why);
		} else if (line->cut) {
			on_bad_line(v, line, "line longer than 16 MiB: not a record");
		} else if (record_parse(p, line->data, line->len, rec) != RECORD_OK) {
			on_bad_line(v, line, rec->why);
		} else {
			on_record(v, line, rec);
		}
		break;
	case READER_END:
		break;
	}
}

static int print_findings(struct verify *v, bool quiet)
{
	if (v->n_f)
		qsort(v->f, v->n_f, sizeof(*v->f), finding_cmp);
	for (size_t i = 0; i < v->n_f; i++) {
		puts(v->f[i].text);
		free(v->f[i].text);
	}
	if (v->n_errors > v->n_f)
		printf("... and %zu more problems not shown\n", v->n_errors - v->n_f);
	if (v->n_errors == 0 && !quiet)
		printf("OK: %" PRIu64 " records in %" PRIu64 " file(s), %" PRIu64
		       " session(s); chain, seq and totals intact; ends with stop.\n"
		       "(No key: this does not rule out a forger who rewrote the whole series.)\n",
		       v->records, v->files_ok, v->sessions);
	else if (v->n_errors)
		printf("FAILED: %zu problem(s) in %" PRIu64 " records\n", v->n_errors, v->records);
	return v->n_errors ? EXIT_PROBLEMS : EXIT_CLEAN;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{},
	};
	struct verify v = { .file_first_line = true, .last_seq = -1 };
	struct reader *r = NULL;
	struct record_parser *p = NULL;
	struct record rec = {0};
	struct reader_line line, last = {0};
	struct progress prog;
	enum reader_event ev;
	bool quiet = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'q') {
			quiet = true;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (reader_new(argv + optind, (size_t)(argc - optind), &r) < 0 || !(p = record_parser_new())) {
		reader_free(r);
		log_error("out of memory");
		return EXIT_USAGE;
	}
	progress_init(&prog, reader_total_bytes(r));
	while ((ev = reader_next(r, &line)) != READER_END) {
		if (ev == READER_LINE) {
			progress_tick(&prog, reader_done_bytes(r), v.records);
			last = line;
			last.data = NULL;
		}
		verify_event(&v, ev, &line, p, &rec);
	}
	progress_done(&prog);
	if (!v.any_line)
		add_finding(&v, argv[argc - 1], (unsigned)(argc - optind), 0, -1, "no records at all");
	else if (!v.last_is_stop)
		add_finding(&v, last.file, last.file_index, last.lineno, last.newline ? v.last_seq : -1,
			    "the series does not end with a stop record: its tail is missing (truncated, or a later "
			    "file was not given), or the daemon is still running or did not shut down cleanly");
	gaps_flush(&v);
	rc = print_findings(&v, quiet);
	free(v.f);
	free(v.gaps);
	record_clear(&rec);
	record_parser_free(p);
	reader_free(r);
	return rc;
}
