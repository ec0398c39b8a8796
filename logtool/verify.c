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
 *
 * The end of a series is judged with what the bytes cannot tell (series.h):
 * a last file that does not end with stop is a session still open while a
 * writer holds the file's lock (then a last line without its newline is a
 * record being written, not damage), and a writer that died when none
 * does.  A series whose first file opens with a rotate record begins after
 * files that rotation removed (a note, not a problem), unless the file
 * before it is still on disk.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "logtool.h"
#include "parse.h"
#include "series.h"

#define MAX_STORED_ERRORS 1000
#define WAIT_DEFAULT_S 30
#define WAIT_MAX_S 86400
static const char zero_hash[] = "00000000000000000000000000000000";

struct finding {
	unsigned file_index;
	uint64_t lineno;
	size_t order;
	char *text;              /* NULL once withdrawn */
	bool note;               /* said, but not a problem */
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
	char *const *files;         /* the series, oldest first */
	size_t n_files;
	struct finding *f;
	size_t n_f, cap_f, n_errors;
	/* problems of the last file that a writer still at work explains:
	 * index into f (-1 when not stored), and whether there is one */
	ssize_t partial_last, empty_last;
	bool has_partial_last, has_empty_last;
	bool open;                  /* the last session is still being written */
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

/* Stores a finding (a note when note is true: printed, but not counted as a
 * problem); returns its index, or -1 when it could not be stored. */
static ssize_t vadd(struct verify *v, bool note, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
		    const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static ssize_t vadd(struct verify *v, bool note, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
		    const char *fmt, va_list ap)
{
	char msg[768], loc[512];

	if (!note)
		v->n_errors++;
	if (v->n_f >= MAX_STORED_ERRORS)
		return -1;
	vsnprintf(msg, sizeof(msg), fmt, ap);
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
			return -1;
		v->f = nf;
		v->cap_f = cap;
	}
	struct finding *x = &v->f[v->n_f];
	if (asprintf(&x->text, "%s: %s%s", loc, note ? "note: " : "", msg) < 0)
		return -1;
	x->file_index = fi;
	x->lineno = lineno;
	x->note = note;
	x->order = v->n_f;
	return (ssize_t)v->n_f++;
}

static ssize_t add_finding(struct verify *v, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
			   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static ssize_t add_finding(struct verify *v, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
			   const char *fmt, ...)
{
	va_list ap;
	ssize_t i;

	va_start(ap, fmt);
	i = vadd(v, false, file, fi, lineno, seq, fmt, ap);
	va_end(ap);
	return i;
}

static void add_note(struct verify *v, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
		     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_note(struct verify *v, const char *file, unsigned fi, uint64_t lineno, int64_t seq,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vadd(v, true, file, fi, lineno, seq, fmt, ap);
	va_end(ap);
}

/* Takes back a problem that turned out to be explained. */
static void withdraw(struct verify *v, ssize_t i)
{
	v->n_errors--;
	if (i >= 0) {
		free(v->f[i].text);
		v->f[i].text = NULL;
	}
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

/* Returns the finding's index (-1 when not stored). */
static ssize_t on_bad_line(struct verify *v, const struct reader_line *l, const char *why)
{
	ssize_t i = add_finding(v, l->file, l->file_index, l->lineno, -1, "%s", why);

	push_hist(v, l, -1);
	v->unparsed_run++;
	v->last_is_stop = false;
	return i;
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

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The series opens with a rotate record: the files before it are not here.
 * Rotation deletes the oldest files (log_keep, logrotate), so that is how a
 * series kept for a while looks; it is a problem only when the file before
 * is still on disk (not given), or was deleted while it was being written. */
static void check_head(struct verify *v, const struct reader_line *l, const struct record *rec)
{
	struct json_object *o = record_obj(rec);
	const char *pf = json_get_str(o, "previous_file"), *reason = json_get_str(o, "reason");
	_cleanup_free_ char *older = series_older_name(l->file);

	/* a size rotation's previous_file is FILE.1 as it was then: usually a
	 * file given later on the command line, which the check skips */
	if (older && series_other_file_exists(older, v->files, v->n_files))
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "the series starts with a rotate record, and the file before it, %s, exists but was not "
			    "given: pass the whole series, oldest first (LOG.2 LOG.1 LOG)", older);
	else if (pf && !ends_with(pf, " (deleted)") && series_other_file_exists(pf, v->files, v->n_files))
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "the series starts with a rotate record, and the file before it, %s (named by that "
			    "record), exists but was not given: pass the whole series, oldest first", pf);
	else if (pf && ends_with(pf, " (deleted)") && reason && audit_rotate_reason_from_string(reason) == AUDIT_ROTATE_REOPEN)
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "the file before this one, %s, was deleted while the daemon was writing it (it reopened "
			    "a new file): its records up to seq %" PRId64 " are gone; rotation renames a file, it "
			    "does not delete the one in use", pf, rec->previous_seq);
	else
		add_note(v, l->file, l->file_index, l->lineno, rec->seq,
			 "the series begins after files that rotation removed: this file continues one that ended "
			 "at seq %" PRId64 " and is no longer here (log_keep keeps only the newest files; logrotate "
			 "deletes old ones); the records before this line are not verified", rec->previous_seq);
}

/* A rotate record opening a file: returns true when it shows a missing file
 * (which then explains the chain break and the seq jump). */
static bool check_rotate(struct verify *v, const struct reader_line *l, const struct record *rec)
{
	if (!v->any_line) {
		check_head(v, l, rec);
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
		if (!v->any_line)
			v->sessions++; /* one whose start is in a file before the series */
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
	case AUDIT_KIND_ATTEMPT:
		v->sess_written++;
		v->sess_attempts += (uint64_t)record_weight(rec);
		break;
	case AUDIT_KIND_SUMMARY:
		v->sess_summarized += (uint64_t)record_weight(rec);
		break;
	case AUDIT_KIND_LOSS:
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
	case AUDIT_KIND_STOP:
		session_end_checks(v, l, rec);
		gaps_flush(v);
		v->in_session = false;
		break;
	case AUDIT_KIND_START:
	case AUDIT_KIND_ROTATE:
	case _AUDIT_KIND_MAX:
	case _AUDIT_KIND_INVALID:
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
	if (v->file_first_line && l->file_index > 0 && v->any_line && rec->kind == AUDIT_KIND_START &&
	    strcmp(rec->prev, zero_hash) == 0) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "this file begins a new series (a start record whose prev is zero, written on an empty "
			    "file): it does not continue the files before it; verify each series on its own");
		chain_broken = false;
	} else if (v->file_first_line && l->file_index > 0 && v->any_line && rec->kind != AUDIT_KIND_ROTATE) {
		add_finding(v, l->file, l->file_index, l->lineno, rec->seq,
			    "this file does not begin with a rotate record (it begins with '%s'): it is not the "
			    "next file of the series, or its first lines are missing",
			    rec->kind_str);
	}
	if (rec->kind == AUDIT_KIND_ROTATE) {
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

	if (rec->kind == AUDIT_KIND_START)
		on_start(v, l, rec, chain_broken);
	else
		on_seq(v, l, rec, chain_broken, links_two_back, explained);
	on_kind(v, l, rec);
	if (rec->kind != AUDIT_KIND_STOP)
		v->sess_records++;
	v->last_is_stop = rec->kind == AUDIT_KIND_STOP;
	v->last_seq = rec->seq;
	v->unparsed_run = 0;
	v->records++;
	push_hist(v, l, rec->seq);
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log verify [--quiet] [--wait[=SECONDS]] LOG...\n"
	      "\n"
	      "Checks that the series (its files given oldest first, e.g. LOG.2 LOG.1 LOG) is complete and\n"
	      "unaltered: every line parses as a v1 record; each record's \"prev\" is the XXH3-128 of the exact\n"
	      "bytes of the line before it, across files; \"seq\" runs without gaps except those a loss record\n"
	      "announces; each later file opens with a rotate record that names the previous file's last seq;\n"
	      "each session closes with a stop record whose totals match its records; the series ends with stop.\n"
	      "Each problem is printed as FILE:LINE: seq N: what is wrong (a flipped byte, a deleted or\n"
	      "inserted line, a swapped pair, a truncated tail, a missing rotated file, ...).\n"
	      "\n"
	      "A series that opens with a rotate record begins after files that rotation removed (log_keep):\n"
	      "said in a note, not a problem, unless the file before it is still there.\n"
	      "The amberfs daemon holds a lock (flock) on the file it writes until its stop record is on disk.\n"
	      "A last file that does not end with stop is therefore a session still open while that lock is\n"
	      "held, and a daemon that died (or a cut tail) when it is not.\n"
	      "  --wait[=SECONDS]  first wait until no writer holds the last file (default 30 s), then verify:\n"
	      "                    fusermount3 -u MNT && amber-log verify --wait LOG\n"
	      "  --quiet           print nothing for a clean series\n"
	      "\n"
	      "What it proves: no line but the last was altered, none was removed, inserted or reordered, and\n"
	      "nothing was cut from the end, by anyone who did not also rewrite every later line.\n"
	      "What it does NOT prove: the chain has no key, so a forger who can write the file and recomputes\n"
	      "every hash is not detected, nor is deleting the whole series (or its oldest files) or cutting it\n"
	      "right after a stop record, nor an edit of the very last line that keeps it consistent (no later\n"
	      "line records its hash). To pin the end, keep a hash of the last line somewhere the attacker\n"
	      "cannot write.\n"
	      "\n"
	      "Exit status: 0 clean, 1 problems found, 2 usage error, 3 session still open (intact so far, but\n"
	      "a writer still holds the last file and it has no stop record yet).\n",
	      f);
}

/* One event of the reader, judged. */
static void verify_event(struct verify *v, enum reader_event ev, struct reader_line *line,
			 struct record_parser *p, struct record *rec)
{
	bool last_file = line->file_index + 1 == v->n_files;

	switch (ev) {
	case READER_FILE_BEGIN:
		v->file_first_line = true;
		break;
	case READER_FILE_ERROR:
		add_finding(v, line->file, line->file_index, 0, -1, "cannot read: %s", strerror(line->err));
		break;
	case READER_FILE_END:
		if (line->lineno == 0) {
			ssize_t i = add_finding(v, line->file, line->file_index, 0, -1, "empty file");
			if (last_file) {
				v->empty_last = i;
				v->has_empty_last = true;
			}
		} else {
			v->files_ok++;
		}
		v->prev_file = line->file;
		break;
	case READER_LINE:
		if (!line->newline) {
			char why[200];
			snprintf(why, sizeof(why),
				 "truncated last line: %zu bytes without a newline (cut short by a crash or a full "
				 "disk, or copied while being written)", line->full_len);
			ssize_t i = on_bad_line(v, line, why);
			if (last_file) {
				v->partial_last = i;
				v->has_partial_last = true;
			}
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

/* After the last line: does the series end as a finished one?  open: a
 * writer held the last file while it was read. */
static void judge_end(struct verify *v, const struct reader_line *last, bool open)
{
	const char *last_file = v->files[v->n_files - 1];
	_cleanup_free_ char *newer = NULL;

	if (open && v->has_empty_last) {
		/* a file the writer has just created: not damage */
		withdraw(v, v->empty_last);
		v->open = true;
		return;
	}
	if (v->any_line && v->last_is_stop)
		return;
	if (open) {
		/* a record in the middle of its write(2): not damage */
		if (v->has_partial_last)
			withdraw(v, v->partial_last);
		v->open = true;
		return;
	}
	if (!v->any_line) {
		add_finding(v, last_file, (unsigned)(v->n_files - 1), 0, -1, "no records at all");
		return;
	}
	newer = series_newer_name(last_file);
	if (newer && series_other_file_exists(newer, v->files, v->n_files))
		add_finding(v, last->file, last->file_index, last->lineno, last->newline ? v->last_seq : -1,
			    "the series does not end with a stop record: it goes on in %s, which exists but was not "
			    "given (pass the whole series, oldest first)", newer);
	else
		add_finding(v, last->file, last->file_index, last->lineno, last->newline ? v->last_seq : -1,
			    "the series does not end with a stop record, and no writer holds %s any more: the daemon "
			    "died before it could write one (crash, SIGKILL, power loss; not necessarily tampering), "
			    "or the end of the file was cut off", last_file);
}

static void print_escaped_line(const char *text)
{
	esc_puts(stdout, text);
	putchar('\n');
}

static int print_findings(struct verify *v, bool quiet, bool waited_out, uint64_t wait_s)
{
	const char *last_file = v->files[v->n_files - 1];

	if (v->n_f)
		qsort(v->f, v->n_f, sizeof(*v->f), finding_cmp);
	for (size_t i = 0; i < v->n_f; i++) {
		/* findings quote the log (previous_file, kind, prev, ...): escaped */
		if (v->f[i].text && (!v->f[i].note || !quiet))
			print_escaped_line(v->f[i].text);
		free(v->f[i].text);
	}
	if (v->n_errors > v->n_f)
		printf("... and %zu more problems not shown\n", v->n_errors - v->n_f);
	if (v->open) {
		_cleanup_free_ char *msg = NULL;
		if (asprintf(&msg,
			     "session still open: %s is still being written (a writer holds its lock%s) and has no stop "
			     "record yet%s; the %" PRIu64 " records read so far %s. Verify again once the daemon has "
			     "stopped: after 'fusermount3 -u MNT', 'amber-log verify --wait LOG' waits for it",
			     last_file, waited_out ? ", still after the wait" : "",
			     v->has_partial_last ? ", its last line is being written" : "", v->records,
			     v->n_errors ? "have the problems above" : "are intact") >= 0)
			print_escaped_line(msg);
		if (waited_out)
			log_warning("a writer still held '%s' after %" PRIu64 " s", last_file, wait_s);
	}
	if (v->n_errors)
		printf("FAILED: %zu problem(s) in %" PRIu64 " records\n", v->n_errors, v->records);
	else if (!v->open && !quiet)
		printf("OK: %" PRIu64 " records in %" PRIu64 " file(s), %" PRIu64
		       " session(s); chain, seq and totals intact; ends with stop.\n"
		       "(No key: this does not rule out a forger who rewrote the whole series.)\n",
		       v->records, v->files_ok, v->sessions);
	return v->n_errors ? EXIT_PROBLEMS : v->open ? EXIT_OPEN : EXIT_CLEAN;
}

/* Reads the whole series into v.  open: whether a writer held the last file
 * before or after the read (then what was read may end mid-session). */
static int verify_read(struct verify *v, bool *ret_open)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	_cleanup_(record_parser_freep) struct record_parser *p = NULL;
	_cleanup_(record_clear) struct record rec = {0};
	const char *last_file = v->files[v->n_files - 1];
	struct reader_line line, last = {0};
	struct progress prog;
	enum reader_event ev;
	bool open;

	if (reader_new(v->files, v->n_files, &r) < 0 || !(p = record_parser_new()))
		return -ENOMEM;
	/* before and after: a writer that finishes while we read wrote its
	 * stop after the bytes we saw, so what we saw was still open */
	open = series_writer_active(last_file) == 1;
	progress_init(&prog, reader_total_bytes(r));
	while ((ev = reader_next(r, &line)) != READER_END) {
		if (ev == READER_LINE) {
			progress_tick(&prog, reader_done_bytes(r), v->records);
			last = line;
			last.data = NULL;
		}
		verify_event(v, ev, &line, p, &rec);
	}
	progress_done(&prog);
	open = series_writer_active(last_file) == 1 || open;
	judge_end(v, &last, open);
	gaps_flush(v);
	*ret_open = open;
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "wait", optional_argument, NULL, 'w' },
		{},
	};
	struct verify v = { .file_first_line = true, .last_seq = -1, .partial_last = -1, .empty_last = -1 };
	bool quiet = false, wait = false, waited_out = false, open;
	uint64_t wait_s = WAIT_DEFAULT_S;
	int c, r, rc;

	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'q') {
			quiet = true;
		} else if (c == 'w') {
			wait = true;
			if (optarg && parse_uint(optarg, WAIT_MAX_S, &wait_s) < 0) {
				log_error("--wait=%s: not a number of seconds (0..%d)", optarg, WAIT_MAX_S);
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
	v.files = argv + optind;
	v.n_files = (size_t)(argc - optind);
	if (wait) {
		r = series_wait_writer(v.files[v.n_files - 1], wait_s * 1000);
		if (r == -ETIMEDOUT)
			waited_out = true;
		else if (r < 0)
			(void)log_warning_errno(r, "cannot tell whether a writer holds '%s': %m",
						v.files[v.n_files - 1]);
	}
	r = verify_read(&v, &open);
	if (r < 0) {
		(void)log_error_errno(r, "verify failed: %m");
		rc = EXIT_USAGE;
	} else {
		rc = print_findings(&v, quiet, waited_out && open, wait_s);
	}
	free(v.f);
	free(v.gaps);
	return rc;
}
