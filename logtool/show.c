/* SPDX-License-Identifier: MIT */
/*
 * show.c - "amber-log show": the timeline.  Streams: each matching record
 * is printed as soon as it is read, nothing is kept.  --json prints the
 * matching lines byte for byte (NDJSON), so the output is itself a slice of
 * the log that jq and SIEMs read as is.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "log.h"
#include "logtool.h"

struct show {
	struct filter f;
	bool json, all, header_done;
	uint64_t shown;
};

static void print_args(FILE *o, struct json_object *args)
{
	if (!args || !json_object_is_type(args, json_type_object))
		return;
	json_object_object_foreach(args, key, val) {
		fputc(' ', o);
		esc_puts(o, key);
		fputc('=', o);
		if (json_object_is_type(val, json_type_string)) {
			esc_puts(o, json_object_get_string(val));
		} else if (json_object_is_type(val, json_type_array)) {
			size_t n = json_object_array_length(val);
			for (size_t i = 0; i < n; i++) {
				if (i)
					fputc('|', o);
				esc_puts(o, json_object_get_string(json_object_array_get_idx(val, i)));
			}
		} else {
			/* json-c copies bytes >= 0x80 of nested strings as they are */
			esc_puts(o, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
		}
	}
}

static void print_event(FILE *o, const struct record *r)
{
	fprintf(o, "%-8" PRId64 " ", r->seq);
	print_ts_column(o, r->ts);
	fprintf(o, " %-7" PRId64 " ", r->pid);
	esc_column(o, r->name ? r->name : (r->proc_error ? "?" : "-"), 15, true);
	fprintf(o, " %-5" PRId64 " ", r->uid);
	esc_column(o, str_or_dash(r->action), 15, false);
	fputc(' ', o);
	esc_puts(o, str_or_dash(r->path_exact));
	if (r->new_path_exact) {
		fputs(" -> ", o);
		esc_puts(o, r->new_path_exact);
	}
	print_args(o, json_get_path(record_obj(r), "args"));
	if (r->errno_name && strcmp(r->errno_name, "EROFS") != 0) {
		fputs(" errno=", o);
		esc_puts(o, r->errno_name);
	}
	if (r->kind == AUDIT_KIND_SUMMARY) {
		fprintf(o, "  (+%" PRId64 " identical, until ", r->count);
		esc_puts(o, str_or_dash(r->last_ts));
		fputc(')', o);
	}
	fputc('\n', o);
}

static void print_other(FILE *o, const struct record *r)
{
	struct json_object *obj = record_obj(r);

	fprintf(o, "%-8" PRId64 " ", r->seq);
	print_ts_column(o, r->ts);
	fputs(" --- ", o);
	esc_puts(o, r->kind_str);
	switch (r->kind) {
	case AUDIT_KIND_START:
		fputs(": mount ", o);
		esc_puts(o, str_or_dash(json_get_str(obj, "mountpoint")));
		fprintf(o, ", daemon pid %" PRId64, json_get_int(obj, "daemon.pid", -1));
		break;
	case AUDIT_KIND_LOSS:
		fprintf(o, ": %" PRId64 " attempts lost (", r->count);
		esc_puts(o, str_or_dash(json_get_str(obj, "reason")));
		fputc(')', o);
		if (r->seq_first >= 0)
			fprintf(o, ", seq %" PRId64 "..%" PRId64, r->seq_first, r->seq_last);
		break;
	case AUDIT_KIND_ROTATE:
		fputs(": ", o);
		esc_puts(o, str_or_dash(json_get_str(obj, "reason")));
		fputs(", previous file ", o);
		esc_puts(o, str_or_dash(json_get_str(obj, "previous_file")));
		fprintf(o, " ends at seq %" PRId64, r->previous_seq);
		break;
	case AUDIT_KIND_STOP:
		fprintf(o, ": %" PRId64 " attempts refused, %" PRId64 " lost", json_get_int(obj, "totals.attempts", -1),
			json_get_int(obj, "totals.lost", -1));
		break;
	case AUDIT_KIND_ATTEMPT:
	case AUDIT_KIND_SUMMARY:
	case _AUDIT_KIND_MAX:
	case _AUDIT_KIND_INVALID:
		break;
	}
	fputs(" ---\n", o);
}

static int show_one(void *ud, const struct reader_line *line, const struct record *rec)
{
	struct show *s = ud;

	if (!record_is_event(rec) && !s->all)
		return 0;
	if (!filter_match(&s->f, rec))
		return 0;
	s->shown++;
	if (s->json) {
		fwrite(line->data, 1, line->len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	if (!s->header_done) {
		printf("%-8s %-23s %-7s %-15s %-5s %-15s %s\n", "SEQ", "TIME (UTC)", "PID", "COMM", "UID", "ACTION",
		       "PATH / DETAILS");
		s->header_done = true;
	}
	if (record_is_event(rec))
		print_event(stdout, rec);
	else
		print_other(stdout, rec);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log show [--json] [--all] [FILTERS] LOG...\n"
	      "\n"
	      "Prints the refused attempts in log order: one line each (a table), or with --json the matching\n"
	      "records exactly as logged (NDJSON). A summary record stands for further identical attempts\n"
	      "(\"+N identical\"). --all adds the start, rotate, loss and stop records (dropped by any filter\n"
	      "other than --since/--until).\n\n",
	      f);
	fputs(FILTER_HELP, f);
	fputs("\nExit status: 0, or 1 when the input had problems (named on stderr), 2 usage error.\n", f);
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		FILTER_LONG_OPTIONS,
		{},
	};
	struct show s = {0};
	struct scan_stats st;
	int c, r;

	while ((c = getopt_long(argc, argv, "hja", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'j') {
			s.json = true;
		} else if (c == 'a') {
			s.all = true;
		} else if ((r = filter_option(&s.f, c, optarg)) <= 0) {
			if (r == 0)
				usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = scan_series(argv + optind, (size_t)(argc - optind), show_one, &s, &st);
	fflush(stdout);
	if (r < 0) {
		(void)log_error_errno(r, "show failed: %m");
		return EXIT_USAGE;
	}
	if (!s.json && s.shown == 0)
		fprintf(stderr, "amber-log: no matching records (%" PRIu64 " records read)\n", st.records);
	return st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
}
