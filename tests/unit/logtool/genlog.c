/* SPDX-License-Identifier: MIT */
/*
 * genlog.c - writes contract-conformant audit logs (docs/audit-log.md, with
 * the names of common/audit_schema.h) for
 * the amber-log tests and the million-record measurement: correct seq,
 * chain (common/hash.h), rotation, summaries, losses and stop totals.
 * Faults (flipped bytes, deleted lines, ...) are made afterwards by the
 * tests on the bytes, so this program only ever writes valid logs — except
 * --gap, which numbers a record that is never written (as a writer that hit
 * a full disk does) and, unless --no-loss-record, announces it in a loss
 * record.
 *
 *   genlog -o FILE [-n N] [--rotate-every K] [--sessions S] [--summaries]
 *          [--gap] [--no-loss-record] [--no-stop] [-e EVENTS]
 *
 * EVENTS: one attempt per line, whitespace separated:
 *   pid ppid uid comm exe action path new_path|- args-json|-
 * (args-json without spaces, e.g. {"mode":"0644"}).  Fields are bytes: a
 * comm or exe may hold control characters (escaped in the JSON), a path
 * that is not UTF-8 is written as the writer does (U+FFFD and path_hex).  Without -e, a synthetic
 * workload of N attempts from a small process tree is written.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_fmt.h"
#include "audit_schema.h"
#include "hash.h"

struct gen {
	const char *path;
	FILE *f;
	char prev[HASH_HEX_LEN + 1];
	int64_t seq;
	uint64_t records, attempts, written, summarized, lost;
	uint64_t by_action[32];
	long rotate_every, in_file;
	int file_no, keep;
	uint64_t t_ns;
	int64_t last_file_seq;
	char line[65536];
};

/* by_action's slot for an action: its enum value, 31 for one the schema
 * does not know (counted, never written into the totals) */
static int action_index(const char *a)
{
	int i = audit_action_from_string(a);

	return i >= 0 ? i : 31;
}

static void fmt_ts(uint64_t ns, char out[64], size_t n)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000u));
}

/* Appends s as a JSON string (or null). */
static size_t jstr(char *out, size_t n, const char *s)
{
	size_t k = 0;
	if (!s || strcmp(s, "-") == 0)
		return (size_t)snprintf(out, n, "null");
	out[k++] = '"';
	for (; *s && k + 8 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = (char)c;
		} else if (c < 0x20) {
			k += (size_t)snprintf(out + k, n - k, "\\u%04x", c);
		} else {
			out[k++] = (char)c;
		}
	}
	out[k++] = '"';
	out[k] = '\0';
	return k;
}

/* The "KEY":... members of a file name as the writer renders them: one that
 * is not valid UTF-8 is written with U+FFFD and its exact bytes follow in
 * KEY_hex (docs/audit-log.md). */
static void path_members(char *out, size_t n, const char *key, const char *path)
{
	static const char hex[] = "0123456789abcdef";
	struct afmt_buf b = AFMT_BUF_INIT;
	size_t len = path ? strlen(path) : 0, k;
	char v[8192];

	if (!path || strcmp(path, "-") == 0 || afmt_utf8_valid(path, len)) {
		jstr(v, sizeof(v), path);
		snprintf(out, n, "\"%s\":%s", key, v);
		return;
	}
	afmt_str(&b, path, len);
	k = (size_t)snprintf(out, n, "\"%s\":%s,\"%s_hex\":\"", key, afmt_failed(&b) ? "null" : b.data, key);
	for (size_t i = 0; i < len && k + 4 < n; i++) {
		out[k++] = hex[(unsigned char)path[i] >> 4];
		out[k++] = hex[(unsigned char)path[i] & 0xf];
	}
	snprintf(out + k, n - k, "\"");
	afmt_free(&b);
}

static void open_file(struct gen *g, const char *name)
{
	if (g->f)
		fclose(g->f);
	g->f = fopen(name, "a");
	if (!g->f) {
		perror(name);
		exit(2);
	}
	g->in_file = 0;
}

/* body: the fields after "kind" without the leading comma, or "" */
static void emit(struct gen *g, enum audit_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void emit(struct gen *g, enum audit_kind kind, const char *fmt, ...)
{
	char ts[64], body[60000];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	g->t_ns += 1234567;
	fmt_ts(g->t_ns, ts, sizeof(ts));
	n = snprintf(g->line, sizeof(g->line),
		     "{\"v\":%d,\"seq\":%" PRId64 ",\"ts\":\"%s\",\"kind\":\"%s\"%s%s,\"prev\":\"%s\"}\n",
		     AUDIT_SCHEMA_VERSION, g->seq, ts, audit_kind_to_string(kind), body[0] ? "," : "", body, g->prev);
	fwrite(g->line, 1, (size_t)n, g->f);
	hash128_hex(g->line, (size_t)n, g->prev);
	g->records++;
	g->in_file++;
	g->last_file_seq = g->seq;
	g->seq++;
}

static void maybe_rotate(struct gen *g)
{
	char from[4096], to[4096];

	if (!g->rotate_every || g->in_file < g->rotate_every)
		return;
	fclose(g->f);
	g->f = NULL;
	/* shift FILE.k -> FILE.k+1, FILE -> FILE.1 (unbounded keep) */
	for (int k = g->file_no; k >= 1; k--) {
		snprintf(from, sizeof(from), "%s.%d", g->path, k);
		snprintf(to, sizeof(to), "%s.%d", g->path, k + 1);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", g->path);
	rename(g->path, to);
	g->file_no++;
	open_file(g, g->path);
	emit(g, AUDIT_KIND_ROTATE, "\"reason\":\"%s\",\"previous_file\":\"%s\",\"previous_seq\":%" PRId64,
	     audit_rotate_reason_to_string(AUDIT_ROTATE_SIZE), to, g->last_file_seq);
}

static void attempt(struct gen *g, long pid, long ppid, long uid, const char *comm, const char *exe,
		    const char *action, const char *path, const char *new_path, const char *args, bool summary,
		    long count)
{
	char p[16600], np[16600], c[512], e[4096], extra[200] = "";
	char ts1[64], ts2[64];
	enum audit_action a = audit_action_from_string(action);
	/* a name that does not exist yet has no layer */
	bool new_entry = a == AUDIT_CREATE || a == AUDIT_MKDIR || a == AUDIT_MKNOD || a == AUDIT_SYMLINK;

	maybe_rotate(g);
	path_members(p, sizeof(p), "path", path);
	path_members(np, sizeof(np), "new_path", new_path);
	jstr(c, sizeof(c), comm);
	jstr(e, sizeof(e), exe);
	if (summary) {
		fmt_ts(g->t_ns - 900000000u, ts1, sizeof(ts1));
		fmt_ts(g->t_ns, ts2, sizeof(ts2));
		snprintf(extra, sizeof(extra), ",\"first_ts\":\"%s\",\"last_ts\":\"%s\"", ts1, ts2);
	}
	emit(g, summary ? AUDIT_KIND_SUMMARY : AUDIT_KIND_ATTEMPT,
	     "\"event\":{\"action\":\"%s\",\"outcome\":\"%s\"},\"errno\":30,\"errno_name\":\"EROFS\","
	     "\"file\":{%s,%s,\"layer\":%s},\"args\":%s,"
	     "\"process\":{\"pid\":%ld,\"tid\":%ld,\"ppid\":%ld,\"name\":%s,\"executable\":%s,"
	     "\"args\":[%s,\"-c\",\"work\"],\"cwd\":\"/\",\"start_time\":%ld},"
	     "\"user\":{\"uid\":%ld,\"gid\":%ld},\"count\":%ld%s",
	     action, AUDIT_OUTCOME_DENIED, p, np, new_entry ? "null" : "0",
	     args && strcmp(args, "-") ? args : "{}", pid, pid, ppid, c, e, c, 1000 + pid, uid, uid, count, extra);
	g->by_action[action_index(action)] += (uint64_t)count;
	g->attempts += (uint64_t)count;
	if (summary)
		g->summarized += (uint64_t)count;
	else
		g->written++;
}

static void start(struct gen *g)
{
	g->seq = 1;
	g->records = g->attempts = g->written = g->summarized = g->lost = 0;
	memset(g->by_action, 0, sizeof(g->by_action));
	emit(g, AUDIT_KIND_START,
	     "\"version\":\"0.1.0\",\"session\":\"0123456789abcdef0123456789abcdef\",\"daemon\":{\"pid\":99},"
	     "\"mountpoint\":\"/mnt/x\",\"options\":{\"deny_errno\":\"EROFS\",\"log_policy\":\"block\","
	     "\"log_max_size\":0,\"log_keep\":0,\"kernel_ro\":false},"
	     "\"layers\":[{\"index\":0,\"path\":\"/layers/top\",\"digest\":\"%032d\"},"
	     "{\"index\":1,\"path\":\"/layers/base\",\"digest\":\"%032d\"}]", 1, 2);
}

static void stop(struct gen *g)
{
	char by[2048];
	size_t k = 0;

	by[k++] = '{';
	for (int i = 0; i < _AUDIT_ACTION_MAX; i++)
		if (g->by_action[i])
			k += (size_t)snprintf(by + k, sizeof(by) - k, "%s\"%s\":%" PRIu64, k > 1 ? "," : "",
					      audit_action_to_string(i), g->by_action[i]);
	by[k++] = '}';
	by[k] = '\0';
	emit(g, AUDIT_KIND_STOP,
	     "\"totals\":{\"attempts\":%" PRIu64 ",\"written\":%" PRIu64 ",\"summarized\":%" PRIu64
	     ",\"lost\":%" PRIu64 ",\"records\":%" PRIu64 ",\"by_action\":%s},\"head\":\"%s\"",
	     g->attempts + g->lost, g->written, g->summarized, g->lost, g->records + 1, by, g->prev);
}

static void synthetic(struct gen *g, long n, bool summaries, bool gap, bool loss_record)
{
	static const char *paths[] = { "/etc/passwd", "/etc/shadow", "/usr/bin/ls", "/var/log/app.log",
				       "/tmp/x", "/root/.bashrc", "/etc/hosts", "/opt/app/config.yaml" };
	static const char *comms[] = { "sh", "python3", "apt-get", "touch", "rm" };
	uint64_t x = 88172645463325252ull;

	for (long i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		long proc = (long)(x % 5);
		enum audit_action a = (enum audit_action)((x >> 8) % _AUDIT_ACTION_MAX);
		const char *action = audit_action_to_string(a);
		char path[256];
		if ((x >> 16) % 4 == 0)
			snprintf(path, sizeof(path), "/data/f%05" PRIu64, (x >> 20) % 50000);
		else
			snprintf(path, sizeof(path), "%s", paths[(x >> 16) % 8]);
		bool two = a == AUDIT_RENAME || a == AUDIT_LINK || a == AUDIT_SYMLINK;
		bool sum = summaries && (x >> 40) % 10 == 0;
		attempt(g, 100 + proc, proc ? 100 : 1, proc == 3 ? 1000 : 0, comms[proc], "/bin/busybox", action, path,
			two ? "/tmp/new" : NULL, "{\"mode\":\"0644\"}", sum, sum ? 3 : 1);
		if (gap && i == n / 2) {
			g->seq += 2; /* numbered, never written: disk full */
			if (loss_record) {
				emit(g, AUDIT_KIND_LOSS, "\"count\":2,\"reason\":\"%s%cENOSPC\",\"seq_first\":%" PRId64
				     ",\"seq_last\":%" PRId64 ",\"first_ts\":null,\"last_ts\":null",
				     audit_loss_reason_to_string(AUDIT_LOSS_WRITE_ERROR), AUDIT_LOSS_ERRNO_SEP, g->seq - 2,
				     g->seq - 1);
				g->lost += 2;
			} else {
				g->attempts += 2;
			}
		}
	}
}

static void from_events(struct gen *g, const char *file)
{
	char buf[16384], comm[256], exe[1024], action[64], path[4096], np[4096], args[4096];
	long pid, ppid, uid;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");

	if (!f) {
		perror(file);
		exit(2);
	}
	while (fgets(buf, sizeof(buf), f)) {
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		if (sscanf(buf, "%ld %ld %ld %255s %1023s %63s %4095s %4095s %4095s", &pid, &ppid, &uid, comm, exe,
			   action, path, np, args) != 9) {
			fprintf(stderr, "genlog: bad event line: %s", buf);
			exit(2);
		}
		attempt(g, pid, ppid, uid, comm, exe, action, path, np, args, false, 1);
	}
	if (f != stdin)
		fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rotate-every", required_argument, NULL, 'r' }, { "sessions", required_argument, NULL, 's' },
		{ "summaries", no_argument, NULL, 'S' },          { "gap", no_argument, NULL, 'g' },
		{ "no-loss-record", no_argument, NULL, 'L' },     { "no-stop", no_argument, NULL, 'x' },
		{},
	};
	struct gen g = { .file_no = 0 };
	long n = 100, sessions = 1;
	bool summaries = false, gap = false, loss_record = true, no_stop = false;
	const char *events = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "o:n:e:", opts, NULL)) >= 0) {
		switch (c) {
		case 'o': g.path = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'e': events = optarg; break;
		case 'r': g.rotate_every = atol(optarg); break;
		case 's': sessions = atol(optarg); break;
		case 'S': summaries = true; break;
		case 'g': gap = true; break;
		case 'L': loss_record = false; break;
		case 'x': no_stop = true; break;
		default: return 2;
		}
	}
	if (!g.path) {
		fprintf(stderr, "genlog: -o FILE is required\n");
		return 2;
	}
	memset(g.prev, '0', HASH_HEX_LEN);
	g.t_ns = 1796000000ull * 1000000000ull; /* 2026-11-29 */
	unlink(g.path);
	open_file(&g, g.path);
	for (long s = 0; s < sessions; s++) {
		start(&g);
		if (events)
			from_events(&g, events);
		else
			synthetic(&g, n, summaries, gap, loss_record);
		if (!no_stop || s + 1 < sessions)
			stop(&g);
	}
	fclose(g.f);
	return 0;
}
