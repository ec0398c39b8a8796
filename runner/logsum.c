/* SPDX-License-Identifier: MIT */
/*
 * logsum.c - reading one run's totals back from the audit log (logsum.h).
 */
#include "logsum.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "record.h"

#define LINE_MAX_BYTES (1u << 20) /* longer lines are skipped (records are far shorter) */
#define TAIL_BYTES 65536

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

static int open_log(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

void logsum_mark(const char *path, struct log_mark *ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	*ret = (struct log_mark){ 0 };
	fd = open_log(path, &st);
	if (fd >= 0)
		*ret = (struct log_mark){ .exists = true, .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size };
}

static unsigned reason_bit(const char *reason)
{
	const char *ename;

	if (!reason)
		return 0;
	switch (audit_loss_reason_from_string(reason, &ename)) {
	case AUDIT_LOSS_QUEUE_FULL:
	case AUDIT_LOSS_QUEUE_TIMEOUT:
		return LOSS_OVERLOAD;
	case AUDIT_LOSS_WRITE_ERROR:
		if (strcmp(ename, "ENOSPC") == 0)
			return LOSS_DISK_FULL;
		if (strcmp(ename, "EDQUOT") == 0)
			return LOSS_QUOTA;
		if (strcmp(ename, "EFBIG") == 0)
			return LOSS_FILE_SIZE;
		return LOSS_WRITE_ERROR;
	case _AUDIT_LOSS_REASON_MAX:
	case _AUDIT_LOSS_REASON_INVALID:
	default:
		return LOSS_WRITE_ERROR;
	}
}

/* What the records of one file say; reset at each "start" record. */
struct scan {
	struct record_parser *parser;
	struct record rec;
	bool first_seen, rotated_by_size, saw_start;
	uint64_t recorded, lost;
	unsigned reasons;
	bool last_is_stop;
	uint64_t stop_attempts, stop_lost;
};

static void scan_line(struct scan *s, const char *line, size_t len)
{
	struct record *r = &s->rec;
	struct json_object *o;

	if (record_parse(s->parser, line, len, r) != RECORD_OK)
		return;
	if (!s->first_seen) {
		s->first_seen = true;
		s->rotated_by_size = r->kind == AUDIT_KIND_ROTATE && (o = record_obj(r)) &&
				     audit_rotate_reason_from_string(json_get_str(o, "reason")) == AUDIT_ROTATE_SIZE;
	}
	s->last_is_stop = r->kind == AUDIT_KIND_STOP;
	switch (r->kind) {
	case AUDIT_KIND_START:
		s->saw_start = true;
		s->recorded = s->lost = 0;
		s->reasons = 0;
		break;
	case AUDIT_KIND_ATTEMPT:
	case AUDIT_KIND_SUMMARY:
		s->recorded += record_weight(r);
		break;
	case AUDIT_KIND_LOSS:
		s->lost += r->count > 0 ? (uint64_t)r->count : 0;
		o = record_obj(r);
		s->reasons |= reason_bit(o ? json_get_str(o, "reason") : NULL);
		break;
	case AUDIT_KIND_STOP:
		o = record_obj(r);
		s->stop_attempts = (uint64_t)json_get_int(o, "totals.attempts", 0);
		s->stop_lost = (uint64_t)json_get_int(o, "totals.lost", 0);
		break;
	case AUDIT_KIND_ROTATE:
	case _AUDIT_KIND_MAX:
	case _AUDIT_KIND_INVALID:
	default:
		break;
	}
}

/* Every complete line of fd from offset on, through a fixed buffer. */
static int scan_fd(struct scan *s, int fd, off_t offset)
{
	_cleanup_free_ char *buf = malloc(LINE_MAX_BYTES);
	size_t have = 0;
	bool skipping = false;

	if (!buf)
		return -ENOMEM;
	if (lseek(fd, offset, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, LINE_MAX_BYTES - have);
		char *p = buf, *end, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0; /* a last line without '\n' is no complete record */
		end = buf + have + n;
		while ((nl = memchr(p, '\n', end - p))) {
			if (!skipping)
				scan_line(s, p, nl - p);
			skipping = false;
			p = nl + 1;
		}
		have = end - p;
		memmove(buf, p, have);
		if (have == LINE_MAX_BYTES) {
			skipping = true;
			have = 0;
		}
	}
}

/*
 * The session, newest file first: FILE, then FILE.1 ... while the file
 * began with a size rotation and held no "start" record; a file that was
 * there before the run is read from where it ended then.
 */
static int scan_session(const char *path, const struct log_mark *before, unsigned keep, struct log_totals *t)
{
	_cleanup_(record_parser_freep) struct record_parser *parser = record_parser_new();
	int r = 0;

	if (!parser)
		return -ENOMEM;
	t->complete = false;
	for (unsigned i = 0; i <= keep; i++) {
		_cleanup_free_ char *name = NULL;
		_cleanup_close_ int fd = -1;
		struct scan s = { .parser = parser };
		struct stat st;
		bool boundary;

		if (i == 0 ? !(name = strdup(path)) : asprintf(&name, "%s.%u", path, i) < 0) {
			name = NULL;
			r = -ENOMEM;
			break;
		}
		fd = open_log(name, &st);
		if (fd < 0)
			break;
		boundary = before->exists && st.st_dev == before->dev && st.st_ino == before->ino;
		r = scan_fd(&s, fd, boundary && st.st_size >= before->size ? before->size : 0);
		record_clear(&s.rec);
		if (r < 0)
			break;
		if (i == 0 && s.last_is_stop) {
			t->have_stop = true;
			t->attempts = s.stop_attempts;
			t->lost = s.stop_lost;
		}
		if (!t->have_stop) {
			t->attempts += s.recorded;
			t->lost += s.lost;
		}
		t->reasons |= s.reasons;
		if (s.saw_start || boundary) {
			t->complete = true;
			break;
		}
		if (!s.rotated_by_size)
			break;
	}
	return r;
}

/* The last line, if it is a "stop" record: the common case needs no more. */
static bool read_stop(int fd, off_t size, struct log_totals *t)
{
	_cleanup_(record_parser_freep) struct record_parser *parser = record_parser_new();
	_cleanup_free_ char *buf = malloc(TAIL_BYTES + 1);
	_cleanup_(record_clear) struct record rec = { 0 };
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	off_t off = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
	ssize_t n;
	char *end, *start;

	if (!parser || !buf)
		return false;
	n = pread(fd, buf, TAIL_BYTES, off);
	if (n <= 0 || buf[n - 1] != '\n')
		return false;
	buf[n - 1] = '\0';
	end = buf + n - 1;
	start = memrchr(buf, '\n', end - buf);
	start = start ? start + 1 : buf;
	if (record_parse(parser, start, end - start, &rec) != RECORD_OK || rec.kind != AUDIT_KIND_STOP)
		return false;
	o = json_object_get(record_obj(&rec));
	if (!o)
		return false;
	t->have_stop = true;
	t->attempts = (uint64_t)json_get_int(o, "totals.attempts", 0);
	t->lost = (uint64_t)json_get_int(o, "totals.lost", 0);
	return true;
}

int logsum_read(const char *path, const struct log_mark *before, unsigned keep, struct log_totals *ret)
{
	struct log_totals t = { 0 };
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	*ret = t;
	fd = open_log(path, &st);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	/* Nothing new: amberfs never wrote (it failed to start). */
	if (before->exists && st.st_dev == before->dev && st.st_ino == before->ino && st.st_size <= before->size)
		return 0;
	t.wrote = true;
	if (read_stop(fd, st.st_size, &t) && t.lost == 0) {
		*ret = t;
		return 0;
	}
	/* Losses need their reasons; no stop record, a count. */
	t = (struct log_totals){ .wrote = true };
	r = scan_session(path, before, keep, &t);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

static void reasons_text(unsigned reasons, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *text; } names[] = {
		{ LOSS_DISK_FULL, "log disk full" },       { LOSS_QUOTA, "log disk quota exceeded" },
		{ LOSS_FILE_SIZE, "log file size limit" }, { LOSS_WRITE_ERROR, "log write errors" },
		{ LOSS_OVERLOAD, "log writer overloaded" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if ((reasons & names[i].bit) && n < size)
			n += snprintf(buf + n, size - n, "%s%s", n ? ", " : ": ", names[i].text);
}

char *logsum_format(const struct log_totals *t, const char *path)
{
	char why[160], lost[200] = "";
	char *s = NULL;
	int r;

	reasons_text(t->reasons, why, sizeof(why));
	if (t->have_stop && t->lost == 0)
		r = asprintf(&s, "%" PRIu64 " writes blocked; log: %s", t->attempts, path);
	else if (t->have_stop)
		r = asprintf(&s, "%" PRIu64 " writes blocked (%" PRIu64 " not recorded%s); log: %s", t->attempts,
			     t->lost, why, path);
	else {
		if (t->lost > 0)
			snprintf(lost, sizeof(lost), ", at least %" PRIu64 " not recorded%s", t->lost, why);
		r = asprintf(&s, "unknown number of writes blocked (the log has no stop record; %s%" PRIu64
			     " recorded%s); log: %s", t->complete ? "" : "at least ", t->attempts, lost, path);
	}
	return r < 0 ? NULL : s;
}
