/* SPDX-License-Identifier: MIT */
/*
 * scan.c - the record stream every read-only command (show, summary, tree,
 * replay, export) consumes.  Bad lines are named here once, with file and
 * line, and skipped; only verify walks the reader itself, since it judges the
 * bytes and the chain rather than the records.
 */
#include "logtool.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define MAX_WARNINGS 50
#define PROGRESS_MIN_BYTES (16u << 20)

void progress_init(struct progress *p, uint64_t total_bytes)
{
	memset(p, 0, sizeof(*p));
	p->total = total_bytes;
	p->on = total_bytes >= PROGRESS_MIN_BYTES && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->last);
}

void progress_tick(struct progress *p, uint64_t done_bytes, uint64_t records)
{
	struct timespec now;

	if (!p->on || (++p->ticks & 0x3fff) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	fprintf(stderr, "\ramber-log: %3u%% (%llu records)",
		(unsigned)(p->total ? done_bytes * 100 / p->total : 0), (unsigned long long)records);
	fflush(stderr);
}

void progress_done(struct progress *p)
{
	if (p->on && p->ticks >= 0x4000)
		fprintf(stderr, "\r\033[K");
}

void print_ts_column(FILE *f, const char *ts)
{
	/* 23 columns are at most 23 units of at most 4 bytes: copy that much,
	 * so that the cut falls between units, never inside a character */
	char buf[23 * 4 + 1];
	size_t k = 0;

	for (; ts && ts[k] && k < sizeof(buf) - 1; k++)
		buf[k] = ts[k] == 'T' ? ' ' : ts[k];
	buf[k] = '\0';
	esc_column(f, buf, 23, true);
}

static void warn_line(struct scan_stats *st, const struct reader_line *l, const char *why)
{
	if (st->bad_lines + st->truncated > MAX_WARNINGS)
		return;
	if (st->bad_lines + st->truncated == MAX_WARNINGS) {
		log_warning("further bad lines are not named (run 'amber-log verify' for all)");
		return;
	}
	/* why may quote bytes of the line (an unknown "v"): escaped */
	_cleanup_free_ char *safe = esc_strdup(why);
	log_warning("%s:%llu: %s; skipped", l->file, (unsigned long long)l->lineno, safe ? safe : "?");
}

int scan_series(char *const *files, size_t n_files, scan_cb cb, void *ud, struct scan_stats *ret_stats)
{
	_cleanup_(reader_freep) struct reader *r = NULL;
	_cleanup_(record_parser_freep) struct record_parser *p = NULL;
	_cleanup_(record_clear) struct record rec = {0};
	struct scan_stats st = {0};
	struct progress prog;
	struct reader_line line;
	enum reader_event ev;
	int ret = 0;

	if (reader_new(files, n_files, &r) < 0 || !(p = record_parser_new()))
		return -ENOMEM;
	progress_init(&prog, reader_total_bytes(r));
	while ((ev = reader_next(r, &line)) != READER_END) {
		if (ev == READER_FILE_ERROR) {
			st.file_errors++;
			(void)log_error_errno(line.err, "%s: cannot read: %m", line.file);
			continue;
		}
		if (ev != READER_LINE)
			continue;
		st.lines++;
		progress_tick(&prog, reader_done_bytes(r), st.records);
		if (!line.newline) {
			st.truncated++;
			warn_line(&st, &line, "truncated last line (no newline: cut short, or still being written)");
			continue;
		}
		if (line.cut) {
			st.bad_lines++;
			warn_line(&st, &line, "line longer than 16 MiB");
			continue;
		}
		if (record_parse(p, line.data, line.len, &rec) != RECORD_OK) {
			st.bad_lines++;
			warn_line(&st, &line, rec.why);
			continue;
		}
		st.records++;
		if (record_is_event(&rec))
			st.events++;
		ret = cb(ud, &line, &rec);
		if (ret < 0)
			break;
	}
	progress_done(&prog);
	if (ret >= 0 && ret_stats)
		*ret_stats = st;
	return ret;
}
