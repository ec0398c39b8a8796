/* SPDX-License-Identifier: MIT */
/*
 * record.c - line -> struct record; see record.h.
 *
 * One json_tokener is reused for every line (reset between lines) so a long
 * log does not allocate a parser per record.  A line must hold exactly one
 * JSON object: trailing garbage after the object makes it "not JSON", since
 * a writer that emits one object per line never produces it.
 */
#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record_parser {
	struct json_tokener *tok;
};

struct record_parser *record_parser_new(void)
{
	struct record_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->tok = json_tokener_new_ex(64);
	if (!p->tok) {
		free(p);
		return NULL;
	}
	return p;
}

struct record_parser *record_parser_free(struct record_parser *p)
{
	if (!p)
		return NULL;
	json_tokener_free(p->tok);
	free(p);
	return NULL;
}

void record_clear(struct record *rec)
{
	if (rec->obj)
		json_object_put(rec->obj);
	memset(rec, 0, sizeof(*rec));
}

static const char *const kind_names[] = {
	[RECORD_START] = "start",   [RECORD_ATTEMPT] = "attempt", [RECORD_SUMMARY] = "summary",
	[RECORD_LOSS] = "loss",     [RECORD_ROTATE] = "rotate",   [RECORD_STOP] = "stop",
	[RECORD_UNKNOWN] = "unknown",
};

const char *record_kind_to_string(enum record_kind k)
{
	if ((unsigned)k > RECORD_UNKNOWN)
		return "unknown";
	return kind_names[k];
}

static enum record_kind kind_from_string(const char *s)
{
	for (int k = 0; k < RECORD_UNKNOWN; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return (enum record_kind)k;
	return RECORD_UNKNOWN;
}

struct json_object *json_get_path(struct json_object *o, const char *dotted)
{
	char key[64];

	while (o && *dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, dotted, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		dotted += n + (dot ? 1 : 0);
	}
	return o;
}

const char *json_get_str(struct json_object *o, const char *dotted)
{
	struct json_object *v = json_get_path(o, dotted);

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t json_get_int(struct json_object *o, const char *dotted, int64_t def)
{
	struct json_object *v = json_get_path(o, dotted);

	if (!v || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

int64_t record_weight(const struct record *r)
{
	if (r->kind == RECORD_ATTEMPT)
		return r->count > 0 ? r->count : 1;
	if (r->kind == RECORD_SUMMARY)
		return r->count > 0 ? r->count : 0;
	return 0;
}

static void fill_event(struct record *rec)
{
	struct json_object *o = rec->obj;

	rec->action = json_get_str(o, "event.action");
	rec->path = json_get_str(o, "file.path");
	rec->new_path = json_get_str(o, "file.new_path");
	rec->layer = json_get_int(o, "file.layer", -1);
	rec->errno_name = json_get_str(o, "errno_name");
	rec->pid = json_get_int(o, "process.pid", -1);
	rec->tid = json_get_int(o, "process.tid", -1);
	rec->ppid = json_get_int(o, "process.ppid", -1);
	rec->start_time = json_get_int(o, "process.start_time", -1);
	rec->name = json_get_str(o, "process.name");
	rec->exe = json_get_str(o, "process.executable");
	rec->cwd = json_get_str(o, "process.cwd");
	rec->proc_error = json_get_str(o, "process.error");
	rec->uid = json_get_int(o, "user.uid", -1);
	rec->gid = json_get_int(o, "user.gid", -1);
	rec->count = json_get_int(o, "count", rec->kind == RECORD_ATTEMPT ? 1 : 0);
	rec->first_ts = json_get_str(o, "first_ts");
	rec->last_ts = json_get_str(o, "last_ts");
}

static enum record_status fail(struct record *rec, enum record_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum record_status fail(struct record *rec, enum record_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec->why, sizeof(rec->why), fmt, ap);
	va_end(ap);
	rec->status = st;
	return st;
}

static enum record_status check_header(struct record *rec)
{
	struct json_object *o = rec->obj, *v;

	if (!json_object_object_get_ex(o, "v", &v))
		return fail(rec, RECORD_BAD_VERSION, "%sno schema version \"v\"", "");
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)
		return fail(rec, RECORD_BAD_VERSION, "unknown schema version \"v\":%s (this reader knows 1)",
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	rec->v = 1;
	rec->seq = json_get_int(o, "seq", -1);
	rec->ts = json_get_str(o, "ts");
	rec->kind_str = json_get_str(o, "kind");
	rec->prev = json_get_str(o, "prev");
	if (rec->seq < 0)
		return fail(rec, RECORD_BAD_FIELDS, "%s\"seq\" missing or not a non-negative integer", "");
	if (!rec->ts)
		return fail(rec, RECORD_BAD_FIELDS, "%s\"ts\" missing or not a string", "");
	if (!rec->kind_str)
		return fail(rec, RECORD_BAD_FIELDS, "%s\"kind\" missing or not a string", "");
	if (!rec->prev)
		return fail(rec, RECORD_BAD_FIELDS, "%s\"prev\" missing or not a string", "");
	return RECORD_OK;
}

enum record_status record_parse(struct record_parser *p, const char *data, size_t len,
				struct record *rec)
{
	enum json_tokener_error jerr;
	struct json_object *o;
	size_t end;

	record_clear(rec);
	rec->seq = rec->seq_first = rec->seq_last = rec->previous_seq = -1;
	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, data, (int)len);
	jerr = json_tokener_get_error(p->tok);
	if (!o || jerr != json_tokener_success) {
		if (o)
			json_object_put(o);
		return fail(rec, RECORD_NOT_JSON, "not JSON: %s",
			    jerr == json_tokener_continue ? "unexpected end of line"
							  : json_tokener_error_desc(jerr));
	}
	end = json_tokener_get_parse_end(p->tok);
	while (end < len && isspace((unsigned char)data[end]))
		end++;
	rec->obj = o;
	if (end < len)
		return fail(rec, RECORD_NOT_JSON, "not JSON: %s", "trailing bytes after the object");
	if (!json_object_is_type(o, json_type_object))
		return fail(rec, RECORD_NOT_JSON, "not a JSON object (%s)", json_type_to_name(json_object_get_type(o)));
	if (check_header(rec) != RECORD_OK)
		return rec->status;
	rec->kind = kind_from_string(rec->kind_str);
	switch (rec->kind) {
	case RECORD_ATTEMPT:
	case RECORD_SUMMARY:
		fill_event(rec);
		break;
	case RECORD_LOSS:
		rec->count = json_get_int(o, "count", 0);
		rec->seq_first = json_get_int(o, "seq_first", -1);
		rec->seq_last = json_get_int(o, "seq_last", -1);
		rec->first_ts = json_get_str(o, "first_ts");
		rec->last_ts = json_get_str(o, "last_ts");
		break;
	case RECORD_ROTATE:
		rec->previous_seq = json_get_int(o, "previous_seq", -1);
		break;
	case RECORD_START:
	case RECORD_STOP:
	case RECORD_UNKNOWN:
		break;
	}
	rec->status = RECORD_OK;
	return RECORD_OK;
}

static int parse_digits(const char **s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -EINVAL;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*ret = v;
	return 0;
}

int rfc3339_parse(const char *s, struct timespec *ret)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	long nsec = 0;

	if (!s || parse_digits(&s, 4, &y) < 0 || *s++ != '-' || parse_digits(&s, 2, &mo) < 0 ||
	    *s++ != '-' || parse_digits(&s, 2, &d) < 0)
		return -EINVAL;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (parse_digits(&s, 2, &h) < 0 || *s++ != ':' || parse_digits(&s, 2, &mi) < 0 ||
		    *s++ != ':' || parse_digits(&s, 2, &sec) < 0)
			return -EINVAL;
		if (*s == '.' || *s == ',') {
			long scale = 100000000;
			s++;
			if (!isdigit((unsigned char)*s))
				return -EINVAL;
			for (; isdigit((unsigned char)*s); s++, scale /= 10)
				nsec += scale * (*s - '0');
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1, oh, om;
			if (parse_digits(&s, 2, &oh) < 0 || *s++ != ':' || parse_digits(&s, 2, &om) < 0)
				return -EINVAL;
			off = sign * (oh * 3600 + om * 60);
		} else {
			return -EINVAL;
		}
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	ret->tv_sec = timegm(&tm) - off;
	ret->tv_nsec = nsec;
	return 0;
}

int timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}
