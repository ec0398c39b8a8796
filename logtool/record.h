/* SPDX-License-Identifier: MIT */
/*
 * record.h - one audit record, parsed from a line (docs/audit-log.md is the
 * format, common/audit_schema.h its names; docs/amber-log.md says how
 * liberally amber-log reads it).
 *
 * record_parse() validates the line as one JSON object with a small
 * single-pass scanner that builds no tree, and pulls the fields every command
 * needs into a flat struct (strings decoded into a per-record arena): this is
 * what lets summary, tree and verify read a million records in a few
 * seconds.  The strings stay valid until the next record_parse() or
 * record_clear() on the same record.  Missing fields are NULL / -1.  The
 * rare command that wants more (args, totals, layers) calls record_obj(),
 * which parses the same line with json-c on demand while the line is valid.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "audit_schema.h"
#include "cleanup.h"

enum record_status {
	RECORD_OK = 0,
	RECORD_NOT_JSON,       /* did not parse, or not an object */
	RECORD_BAD_VERSION,    /* "v" missing or not AUDIT_SCHEMA_VERSION */
	RECORD_BAD_FIELDS,     /* seq/ts/kind/prev missing or of the wrong type */
};

struct record {
	struct json_object *obj_;      /* built on demand by record_obj() */
	const char *data;              /* the line; valid as long as the line is */
	size_t len;
	char *arena;                   /* decoded strings (owned) */
	size_t arena_cap;
	enum record_status status;
	char why[160];                 /* what is wrong when status != OK */
	int64_t v;
	int64_t seq;                   /* -1 if missing */
	const char *ts;
	const char *kind_str;
	enum audit_kind kind;          /* _AUDIT_KIND_INVALID: a kind this reader does not know */
	const char *prev;
	/* attempt / summary */
	const char *action, *path, *new_path, *errno_name;
	enum audit_action action_id;   /* _AUDIT_ACTION_INVALID: missing or unknown */
	/* the exact bytes of path / new_path: file.path_hex / new_path_hex
	 * decoded when the record has one (a name that is not valid UTF-8,
	 * whose "path" holds U+FFFD instead), else the same as path /
	 * new_path.  What replay applies and what the tables show. */
	const char *path_exact, *new_path_exact;
	int64_t layer;
	int64_t pid, tid, ppid, start_time;
	const char *name, *exe, *cwd, *proc_error;
	int64_t uid, gid;
	int64_t count;                 /* attempt: 1; summary: further repeats */
	const char *first_ts, *last_ts;
	/* raw JSON text of a few members, for writers that copy them as is
	 * (export): a span into the line, NULL when absent */
	struct record_raw {
		const char *p;
		size_t len;
	} raw_args, raw_proc_args, raw_path_hex, raw_new_path_hex;
	/* loss */
	int64_t seq_first, seq_last;   /* -1 if null */
	/* rotate */
	int64_t previous_seq;
};

struct record_parser;
struct record_parser *record_parser_new(void);
struct record_parser *record_parser_free(struct record_parser *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct record_parser *, record_parser_free);

/* Parses len bytes at data into rec (freeing what rec held).  Returns the
 * status, also stored in rec->status. */
enum record_status record_parse(struct record_parser *p, const char *data, size_t len,
				struct record *rec);
/* Frees what rec holds; usable as _cleanup_(record_clear). */
void record_clear(struct record *rec);
/* The whole record as a json-c tree (NULL if it cannot be built), cached in
 * the record; only while the line given to record_parse() is still valid. */
struct json_object *record_obj(const struct record *rec);

/* Attempts and summaries are the "events": what show/summary/tree count. */
static inline bool record_is_event(const struct record *r)
{
	return r->status == RECORD_OK && (r->kind == AUDIT_KIND_ATTEMPT || r->kind == AUDIT_KIND_SUMMARY);
}
/* How many refused requests the record stands for: an attempt is 1 (its
 * count), a summary its count of further repeats. */
int64_t record_weight(const struct record *r);

/* Parses RFC 3339 ("2026-11-29T06:12:03.123456789Z", any fraction, Z or
 * +hh:mm, or a bare date) into *ret.  Returns 0 or -EINVAL. */
int rfc3339_parse(const char *s, struct timespec *ret);
int timespec_cmp(const struct timespec *a, const struct timespec *b);

/* Decodes n hex digits (the "path_hex" of the log) into out, which has room
 * for n / 2 + 1 bytes, NUL-terminated.  Returns the number of bytes, or
 * -EINVAL for an odd count, a non-hex digit or a NUL byte (no file name
 * holds one). */
int hex_decode(const char *hex, size_t n, char *out);

/* Helpers for the json tree. */
struct json_object *json_get_path(struct json_object *o, const char *dotted);
const char *json_get_str(struct json_object *o, const char *dotted);
/* Integer at dotted path or def when missing / null / not a number. */
int64_t json_get_int(struct json_object *o, const char *dotted, int64_t def);
