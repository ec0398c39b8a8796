/* SPDX-License-Identifier: MIT */
/*
 * record.c - line -> struct record; see record.h.
 *
 * The scanner is a strict RFC 8259 recogniser (objects, arrays, strings
 * with escapes, numbers, literals; no tree) that remembers only the members
 * top_field() and sub_field() name, at depth one or two.  A line must hold exactly one JSON
 * object: trailing bytes after it make it "not JSON", since a writer that
 * emits one object per line never produces them.  Control characters inside
 * strings are refused, as JSON requires.
 */
#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record_parser {
	unsigned records;
};

/* The tokener used by record_obj() (amber-log is single-threaded). */
static struct json_tokener *lazy_tok;

struct record_parser *record_parser_new(void)
{
	return calloc(1, sizeof(struct record_parser));
}

struct record_parser *record_parser_free(struct record_parser *p)
{
	free(p);
	if (lazy_tok) {
		json_tokener_free(lazy_tok);
		lazy_tok = NULL;
	}
	return NULL;
}

/* Forgets the previous record but keeps the arena for the next one. */
static void record_reset(struct record *rec)
{
	char *arena = rec->arena;
	size_t cap = rec->arena_cap;

	if (rec->obj_)
		json_object_put(rec->obj_);
	memset(rec, 0, sizeof(*rec));
	rec->arena = arena;
	rec->arena_cap = cap;
}

void record_clear(struct record *rec)
{
	record_reset(rec);
	free(rec->arena);
	rec->arena = NULL;
	rec->arena_cap = 0;
}

struct json_object *record_obj(const struct record *crec)
{
	struct record *rec = (struct record *)crec; /* a cache: logically const */

	if (rec->obj_ || !rec->data)
		return rec->obj_;
	if (!lazy_tok && !(lazy_tok = json_tokener_new_ex(64)))
		return NULL;
	json_tokener_reset(lazy_tok);
	rec->obj_ = json_tokener_parse_ex(lazy_tok, rec->data, (int)rec->len);
	if (rec->obj_ && !json_object_is_type(rec->obj_, json_type_object)) {
		json_object_put(rec->obj_);
		rec->obj_ = NULL;
	}
	return rec->obj_;
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
	if (r->kind == AUDIT_KIND_ATTEMPT)
		return r->count > 0 ? r->count : 1;
	if (r->kind == AUDIT_KIND_SUMMARY)
		return r->count > 0 ? r->count : 0;
	return 0;
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

/* ---- the scanner ---- */

enum field {
	F_NONE, F_V, F_SEQ, F_TS, F_KIND, F_PREV, F_ERRNO_NAME, F_COUNT, F_FIRST_TS, F_LAST_TS,
	F_SEQ_FIRST, F_SEQ_LAST, F_PREVIOUS_SEQ, F_ACTION, F_PATH, F_NEW_PATH, F_LAYER, F_PID, F_TID,
	F_PPID, F_START_TIME, F_NAME, F_EXE, F_CWD, F_PROC_ERROR, F_UID, F_GID,
	F_RAW_ARGS, F_RAW_PROC_ARGS, F_RAW_PATH_HEX, F_RAW_NEW_PATH_HEX,
};

/* Groups of second-level members we read (negative, so they never clash
 * with a field). */
enum { G_NONE = 0, G_EVENT = -1, G_FILE = -2, G_PROCESS = -3, G_USER = -4 };

#define IS(k, lit) (strcmp((k), (lit)) == 0)

/* Top-level key -> a field (> 0), a group (< 0) or nothing.  A switch on
 * the first byte: this runs for every member of every record. */
static int top_field(const char *k)
{
	switch (k[0]) {
	case 'v': return IS(k, "v") ? F_V : G_NONE;
	case 's': return IS(k, "seq") ? F_SEQ : IS(k, "seq_first") ? F_SEQ_FIRST : IS(k, "seq_last") ? F_SEQ_LAST : G_NONE;
	case 't': return IS(k, "ts") ? F_TS : G_NONE;
	case 'k': return IS(k, "kind") ? F_KIND : G_NONE;
	case 'p': return IS(k, "prev") ? F_PREV : IS(k, "process") ? G_PROCESS : IS(k, "previous_seq") ? F_PREVIOUS_SEQ : G_NONE;
	case 'e': return IS(k, "event") ? G_EVENT : IS(k, "errno_name") ? F_ERRNO_NAME : G_NONE;
	case 'c': return IS(k, "count") ? F_COUNT : G_NONE;
	case 'f': return IS(k, "file") ? G_FILE : IS(k, "first_ts") ? F_FIRST_TS : G_NONE;
	case 'l': return IS(k, "last_ts") ? F_LAST_TS : G_NONE;
	case 'u': return IS(k, "user") ? G_USER : G_NONE;
	case 'a': return IS(k, "args") ? F_RAW_ARGS : G_NONE;
	default: return G_NONE;
	}
}

static int sub_field(int group, const char *k)
{
	switch (group) {
	case G_EVENT: return IS(k, "action") ? F_ACTION : F_NONE;
	case G_FILE:
		return IS(k, "path") ? F_PATH : IS(k, "new_path") ? F_NEW_PATH : IS(k, "layer") ? F_LAYER
		     : IS(k, "path_hex") ? F_RAW_PATH_HEX : IS(k, "new_path_hex") ? F_RAW_NEW_PATH_HEX : F_NONE;
	case G_USER: return IS(k, "uid") ? F_UID : IS(k, "gid") ? F_GID : F_NONE;
	case G_PROCESS:
		switch (k[0]) {
		case 'p': return IS(k, "pid") ? F_PID : IS(k, "ppid") ? F_PPID : F_NONE;
		case 't': return IS(k, "tid") ? F_TID : F_NONE;
		case 's': return IS(k, "start_time") ? F_START_TIME : F_NONE;
		case 'n': return IS(k, "name") ? F_NAME : F_NONE;
		case 'e': return IS(k, "executable") ? F_EXE : IS(k, "error") ? F_PROC_ERROR : F_NONE;
		case 'c': return IS(k, "cwd") ? F_CWD : F_NONE;
		case 'a': return IS(k, "args") ? F_RAW_PROC_ARGS : F_NONE;
		default: return F_NONE;
		}
	default: return F_NONE;
	}
}

struct scanner {
	const char *p, *end;
	char *out;                /* arena write position */
	const char *err;
	struct record *rec;
	bool v_seen, v_bad;
	char v_text[32];
};

static void skip_ws(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_u4(struct scanner *s, unsigned *ret)
{
	unsigned v = 0;

	if (s->end - s->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval(s->p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	s->p += 4;
	*ret = v;
	return 0;
}

static void put_utf8(char **o, unsigned c)
{
	char *q = *o;
	if (c < 0x80) {
		*q++ = (char)c;
	} else if (c < 0x800) {
		*q++ = (char)(0xc0 | c >> 6);
		*q++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*q++ = (char)(0xe0 | c >> 12);
		*q++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*q++ = (char)(0x80 | (c & 0x3f));
	} else {
		*q++ = (char)(0xf0 | c >> 18);
		*q++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*q++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*q++ = (char)(0x80 | (c & 0x3f));
	}
	*o = q;
}

/* Scans a string at s->p (the opening quote).  When ret is not NULL, the
 * decoded bytes go to the arena and *ret points at them.  Decoding never
 * grows a string (\uXXXX is 6 bytes for at most 4), so the arena, sized
 * as the line, always has room. */
static int scan_string(struct scanner *s, const char **ret)
{
	char *o = s->out;

	s->p++;
	for (;;) {
		if (s->p >= s->end)
			return s->err = "unterminated string", -1;
		char c = *s->p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20)
			return s->err = "control character in a string", -1;
		if (c != '\\') {
			if (ret)
				*o++ = c;
			continue;
		}
		if (s->p >= s->end)
			return s->err = "unterminated string", -1;
		c = *s->p++;
		unsigned u, lo;
		switch (c) {
		case '"': case '\\': case '/': u = (unsigned char)c; break;
		case 'b': u = '\b'; break;
		case 'f': u = '\f'; break;
		case 'n': u = '\n'; break;
		case 'r': u = '\r'; break;
		case 't': u = '\t'; break;
		case 'u':
			if (read_u4(s, &u) < 0)
				return s->err = "bad \\u escape", -1;
			if (u >= 0xd800 && u < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
				const char *save = s->p;
				s->p += 2;
				if (read_u4(s, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000)
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				else
					s->p = save;
			}
			break;
		default:
			return s->err = "bad escape in a string", -1;
		}
		if (ret)
			put_utf8(&o, u);
	}
	if (ret) {
		*o++ = '\0';
		*ret = s->out;
		s->out = o;
	}
	return 0;
}

/* Returns 1 for an integer (in *ret), 0 for another number, -1 on error. */
static int scan_number(struct scanner *s, int64_t *ret)
{
	const char *start = s->p;
	bool is_int = true;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || !isdigit((unsigned char)*s->p))
		return s->err = "bad number", -1;
	if (*s->p == '0')
		s->p++;
	else
		while (s->p < s->end && isdigit((unsigned char)*s->p))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		is_int = false;
		s->p++;
		if (s->p >= s->end || !isdigit((unsigned char)*s->p))
			return s->err = "bad number", -1;
		while (s->p < s->end && isdigit((unsigned char)*s->p))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		is_int = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || !isdigit((unsigned char)*s->p))
			return s->err = "bad number", -1;
		while (s->p < s->end && isdigit((unsigned char)*s->p))
			s->p++;
	}
	if (!is_int)
		return 0;
	char buf[32];
	size_t n = (size_t)(s->p - start);
	if (n >= sizeof(buf))
		return 0; /* too long for int64: not an integer we use */
	memcpy(buf, start, n);
	buf[n] = '\0';
	errno = 0;
	long long v = strtoll(buf, NULL, 10);
	if (errno)
		return 0;
	*ret = v;
	return 1;
}

static void store_str(struct record *r, enum field f, const char *v)
{
	switch ((int)f) { /* only some fields are of this type */
	case F_TS: r->ts = v; break;
	case F_KIND: r->kind_str = v; break;
	case F_PREV: r->prev = v; break;
	case F_ERRNO_NAME: r->errno_name = v; break;
	case F_FIRST_TS: r->first_ts = v; break;
	case F_LAST_TS: r->last_ts = v; break;
	case F_ACTION: r->action = v; break;
	case F_PATH: r->path = v; break;
	case F_NEW_PATH: r->new_path = v; break;
	case F_NAME: r->name = v; break;
	case F_EXE: r->exe = v; break;
	case F_CWD: r->cwd = v; break;
	case F_PROC_ERROR: r->proc_error = v; break;
	default: break;
	}
}

static void store_int(struct record *r, enum field f, int64_t v)
{
	switch ((int)f) { /* only some fields are of this type */
	case F_V: r->v = v; break;
	case F_SEQ: r->seq = v; break;
	case F_COUNT: r->count = v; break;
	case F_SEQ_FIRST: r->seq_first = v; break;
	case F_SEQ_LAST: r->seq_last = v; break;
	case F_PREVIOUS_SEQ: r->previous_seq = v; break;
	case F_LAYER: r->layer = v; break;
	case F_PID: r->pid = v; break;
	case F_TID: r->tid = v; break;
	case F_PPID: r->ppid = v; break;
	case F_START_TIME: r->start_time = v; break;
	case F_UID: r->uid = v; break;
	case F_GID: r->gid = v; break;
	default: break;
	}
}

static int scan_value(struct scanner *s, int depth, int id);

/* group: for a depth-1 object, the G_* of its key (members looked up in it). */
static int scan_container(struct scanner *s, int depth, int group, bool is_obj)
{
	char close = is_obj ? '}' : ']';
	char keybuf[64];

	if (depth > 64)
		return s->err = "nested too deeply", -1;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		int id = F_NONE;
		skip_ws(s);
		if (is_obj) {
			if (s->p >= s->end || *s->p != '"')
				return s->err = "expected a key", -1;
			const char *ks = s->p + 1;
			if (scan_string(s, NULL) < 0)
				return -1;
			size_t kn = (size_t)(s->p - 1 - ks);
			/* keys we look at are plain ASCII without escapes */
			if ((depth == 0 || (depth == 1 && group < 0)) && kn < sizeof(keybuf) && !memchr(ks, '\\', kn)) {
				memcpy(keybuf, ks, kn);
				keybuf[kn] = '\0';
				id = depth == 0 ? top_field(keybuf) : sub_field(group, keybuf);
			}
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return s->err = "expected ':'", -1;
			s->p++;
		}
		if (scan_value(s, depth + 1, id) < 0)
			return -1;
		skip_ws(s);
		if (s->p >= s->end)
			return s->err = "unexpected end of line", -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		return s->err = is_obj ? "expected ',' or '}'" : "expected ',' or ']'", -1;
	}
}

static int scan_value_(struct scanner *s, int depth, int id);

static struct record_raw *raw_slot(struct record *r, int id)
{
	switch (id) {
	case F_RAW_ARGS: return &r->raw_args;
	case F_RAW_PROC_ARGS: return &r->raw_proc_args;
	case F_RAW_PATH_HEX: return &r->raw_path_hex;
	case F_RAW_NEW_PATH_HEX: return &r->raw_new_path_hex;
	default: return NULL;
	}
}

/* id: the field (> 0) or group (< 0) this value is, from its key. */
static int scan_value(struct scanner *s, int depth, int id)
{
	struct record_raw *raw = raw_slot(s->rec, id);
	const char *start;
	int k;

	skip_ws(s);
	start = s->p;
	k = scan_value_(s, depth, raw ? F_NONE : id);
	if (k == 0 && raw) {
		raw->p = start;
		raw->len = (size_t)(s->p - start);
	}
	return k;
}

static int scan_value_(struct scanner *s, int depth, int id)
{
	enum field f = id > 0 ? (enum field)id : F_NONE;

	skip_ws(s);
	if (s->p >= s->end)
		return s->err = "unexpected end of line", -1;
	switch (*s->p) {
	case '{':
	case '[':
		if (f == F_V)
			s->v_bad = true, s->v_seen = true, snprintf(s->v_text, sizeof(s->v_text), "%s",
								    *s->p == '{' ? "{...}" : "[...]");
		return scan_container(s, depth, *s->p == '{' && id < 0 ? id : G_NONE, *s->p == '{');
	case '"': {
		const char *v = NULL;
		if (f == F_V) {
			const char *st = s->p;
			s->v_seen = s->v_bad = true;
			snprintf(s->v_text, sizeof(s->v_text), "%.*s", (int)(s->end - st > 20 ? 20 : s->end - st), st);
		}
		if (scan_string(s, f != F_NONE && f != F_V ? &v : NULL) < 0)
			return -1;
		if (v)
			store_str(s->rec, f, v);
		return 0;
	}
	case 't':
	case 'f':
	case 'n': {
		const char *lit = *s->p == 't' ? "true" : *s->p == 'f' ? "false" : "null";
		size_t n = strlen(lit);
		if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
			return s->err = "unexpected character", -1;
		s->p += n;
		if (f == F_V)
			s->v_seen = s->v_bad = true, snprintf(s->v_text, sizeof(s->v_text), "%s", lit);
		return 0;
	}
	default: {
		int64_t v = 0;
		const char *st = s->p;
		int k = scan_number(s, &v);
		if (k < 0)
			return s->err = "unexpected character", -1;
		if (f == F_V) {
			s->v_seen = true;
			s->v_bad = k == 0 || v != AUDIT_SCHEMA_VERSION;
			if (s->v_bad)
				snprintf(s->v_text, sizeof(s->v_text), "%.*s", (int)(s->p - st > 20 ? 20 : s->p - st), st);
		}
		if (k == 1 && f != F_NONE)
			store_int(s->rec, f, v);
		return 0;
	}
	}
}

int hex_decode(const char *hex, size_t n, char *out)
{
	if (n == 0 || n % 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -EINVAL;
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[n / 2] = '\0';
	return (int)(n / 2);
}

/* The bytes a "path_hex" member names, decoded into the arena; NULL when
 * absent or malformed: then the caller keeps the UTF-8 path. */
static const char *decode_hex(struct scanner *s, const struct record_raw *raw)
{
	char *start = s->out;
	int k;

	if (!raw->p || raw->len < 2 || raw->p[0] != '"' || raw->p[raw->len - 1] != '"')
		return NULL;
	/* the arena is as long as the line and this member was not copied into
	 * it, so its bytes always fit; checked anyway */
	if ((size_t)(s->rec->arena + s->rec->arena_cap - start) < raw->len / 2 + 1)
		return NULL;
	k = hex_decode(raw->p + 1, raw->len - 2, start);
	if (k < 0)
		return NULL;
	s->out = start + k + 1;
	return start;
}

enum record_status record_parse(struct record_parser *p, const char *data, size_t len,
				struct record *rec)
{
	struct scanner s = { .p = data, .end = data + len, .rec = rec };

	(void)p;
	record_reset(rec);
	rec->data = data;
	rec->len = len;
	rec->seq = rec->seq_first = rec->seq_last = rec->previous_seq = -1;
	rec->layer = rec->pid = rec->tid = rec->ppid = rec->start_time = rec->uid = rec->gid = rec->count = -1;
	rec->action_id = _AUDIT_ACTION_INVALID;
	if (rec->arena_cap < len + 1) {
		char *a = realloc(rec->arena, len + 64);
		if (!a)
			return fail(rec, RECORD_NOT_JSON, "out of memory");
		rec->arena = a;
		rec->arena_cap = len + 64;
	}
	s.out = rec->arena;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		return fail(rec, RECORD_NOT_JSON, "not JSON: %s",
			    s.p >= s.end ? "empty line" : "a record is one object, this line does not start with '{'");
	}
	if (scan_container(&s, 0, G_NONE, true) < 0)
		return fail(rec, RECORD_NOT_JSON, "not JSON: %s (at byte %zu)", s.err, (size_t)(s.p - data));
	skip_ws(&s);
	if (s.p < s.end)
		return fail(rec, RECORD_NOT_JSON, "not JSON: trailing bytes after the object (at byte %zu)",
			    (size_t)(s.p - data));
	if (!s.v_seen)
		return fail(rec, RECORD_BAD_VERSION, "no schema version \"v\"");
	if (s.v_bad)
		return fail(rec, RECORD_BAD_VERSION, "unknown schema version \"v\":%s (this reader knows %d)", s.v_text,
			    AUDIT_SCHEMA_VERSION);
	if (rec->seq < 0)
		return fail(rec, RECORD_BAD_FIELDS, "\"seq\" missing or not a non-negative integer");
	if (!rec->ts)
		return fail(rec, RECORD_BAD_FIELDS, "\"ts\" missing or not a string");
	if (!rec->kind_str)
		return fail(rec, RECORD_BAD_FIELDS, "\"kind\" missing or not a string");
	if (!rec->prev)
		return fail(rec, RECORD_BAD_FIELDS, "\"prev\" missing or not a string");
	rec->kind = audit_kind_from_string(rec->kind_str);
	rec->action_id = audit_action_from_string(rec->action);
	rec->path_exact = rec->path ? decode_hex(&s, &rec->raw_path_hex) : NULL;
	if (!rec->path_exact)
		rec->path_exact = rec->path;
	rec->new_path_exact = rec->new_path ? decode_hex(&s, &rec->raw_new_path_hex) : NULL;
	if (!rec->new_path_exact)
		rec->new_path_exact = rec->new_path;
	if (rec->count < 0)
		rec->count = rec->kind == AUDIT_KIND_ATTEMPT ? 1 : 0;
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
