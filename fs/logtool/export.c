/* SPDX-License-Identifier: MIT */
/*
 * export.c - "amber-log export --format ecs|ocsf": one JSON object per
 * attempt/summary record (NDJSON) for SIEMs.
 *
 * ECS: Elastic Common Schema 8.x field names (@timestamp, event.*, file.*,
 * process.*, user.id, group.id, error.code); what ECS has no field for goes
 * under "amber.*".  OCSF: schema 1.1.0, class 1001 File System Activity,
 * with every attribute the class marks required (activity_id, category_uid,
 * class_uid, type_uid, severity_id, time, metadata, actor, device, file);
 * the rest of the record goes under "unmapped".  docs/amber-log.md lists the
 * mapping; tests/integration/logtool checks the required fields.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "logtool.h"

enum format { FORMAT_ECS, FORMAT_OCSF };

struct export {
	enum format format;
	struct filter f;
	const char *hostname;
	uint64_t n;
};

#define ADD(o, k, v) json_object_object_add((o), (k), (v))
static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}
#define STR(s) str_or_null(s)

static struct json_object *obj(void)
{
	return json_object_new_object();
}

static struct json_object *copy(struct json_object *src, const char *path)
{
	struct json_object *v = json_get_path(src, path), *dup = NULL;

	if (v && json_object_deep_copy(v, &dup, NULL) == 0)
		return dup;
	return NULL;
}

static const char *base_name(const char *path, char *buf, size_t n)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	snprintf(buf, n, "%s", s ? (s[1] ? s + 1 : "/") : (path ? path : ""));
	return buf;
}

static const char *dir_name(const char *path, char *buf, size_t n)
{
	snprintf(buf, n, "%s", path ? path : "");
	char *s = strrchr(buf, '/');
	if (s == buf)
		s[1] = '\0';
	else if (s)
		*s = '\0';
	return buf;
}

static bool is_one_of(const char *a, const char *const *list)
{
	for (; a && *list; list++)
		if (strcmp(a, *list) == 0)
			return true;
	return false;
}

static const char *const creations[] = { "create", "mknod", "mkdir", "symlink", "link", NULL };
static const char *const deletions[] = { "unlink", "rmdir", NULL };

static struct json_object *ecs_event(const struct record *r)
{
	struct json_object *ev = obj(), *a;

	ADD(ev, "kind", STR("event"));
	a = json_object_new_array();
	json_object_array_add(a, STR("file"));
	ADD(ev, "category", a);
	a = json_object_new_array();
	json_object_array_add(a, STR(is_one_of(r->action, creations)   ? "creation"
				     : is_one_of(r->action, deletions) ? "deletion"
								       : "change"));
	json_object_array_add(a, STR("denied"));
	ADD(ev, "type", a);
	ADD(ev, "action", STR(r->action));
	ADD(ev, "outcome", STR("failure"));
	ADD(ev, "sequence", json_object_new_int64(r->seq));
	ADD(ev, "provider", STR("amberfs"));
	ADD(ev, "dataset", STR("amberfs.audit"));
	if (r->kind == RECORD_SUMMARY) {
		ADD(ev, "start", STR(r->first_ts));
		ADD(ev, "end", STR(r->last_ts));
	}
	return ev;
}

static struct json_object *ecs_process(const struct record *r)
{
	struct json_object *proc = obj(), *a;

	ADD(proc, "pid", json_object_new_int64(r->pid));
	if (r->tid >= 0) {
		a = obj();
		ADD(a, "id", json_object_new_int64(r->tid));
		ADD(proc, "thread", a);
	}
	if (r->ppid >= 0) {
		a = obj();
		ADD(a, "pid", json_object_new_int64(r->ppid));
		ADD(proc, "parent", a);
	}
	if (r->name)
		ADD(proc, "name", STR(r->name));
	if (r->exe)
		ADD(proc, "executable", STR(r->exe));
	if ((a = copy(record_obj(r), "process.args"))) {
		if (json_object_is_type(a, json_type_array))
			ADD(proc, "args_count", json_object_new_int((int)json_object_array_length(a)));
		ADD(proc, "args", a);
	}
	if (r->cwd)
		ADD(proc, "working_directory", STR(r->cwd));
	return proc;
}

static struct json_object *ecs_record(const struct export *x, const struct record *r)
{
	struct json_object *o = obj(), *file = obj(), *am = obj(), *a;
	char buf[4096];

	ADD(o, "@timestamp", STR(r->ts));
	a = obj();
	ADD(a, "version", STR("8.11.0"));
	ADD(o, "ecs", a);
	ADD(o, "event", ecs_event(r));
	ADD(file, "path", STR(r->path));
	ADD(file, "name", STR(base_name(r->path, buf, sizeof(buf))));
	ADD(file, "directory", STR(dir_name(r->path, buf, sizeof(buf))));
	if (json_get_str(record_obj(r), "args.target"))
		ADD(file, "target_path", STR(json_get_str(record_obj(r), "args.target")));
	ADD(o, "file", file);
	ADD(o, "process", ecs_process(r));
	if (r->uid >= 0) {
		snprintf(buf, sizeof(buf), "%" PRId64, r->uid);
		a = obj();
		ADD(a, "id", STR(buf));
		ADD(o, "user", a);
	}
	if (r->gid >= 0) {
		snprintf(buf, sizeof(buf), "%" PRId64, r->gid);
		a = obj();
		ADD(a, "id", STR(buf));
		ADD(o, "group", a);
	}
	a = obj();
	ADD(a, "code", STR(r->errno_name));
	snprintf(buf, sizeof(buf), "%s refused by the read-only root: %s", str_or_dash(r->action),
		 str_or_dash(r->errno_name));
	ADD(a, "message", STR(buf));
	ADD(o, "error", a);
	if (x->hostname) {
		a = obj();
		ADD(a, "hostname", STR(x->hostname));
		ADD(o, "host", a);
	}
	ADD(am, "seq", json_object_new_int64(r->seq));
	ADD(am, "kind", STR(r->kind_str));
	ADD(am, "count", json_object_new_int64(record_weight(r)));
	if (r->new_path)
		ADD(am, "new_path", STR(r->new_path));
	if (r->layer >= 0)
		ADD(am, "layer", json_object_new_int64(r->layer));
	if ((a = copy(record_obj(r), "args")))
		ADD(am, "args", a);
	if ((a = copy(record_obj(r), "file.path_hex")))
		ADD(am, "path_hex", a);
	if (r->proc_error)
		ADD(am, "process_error", STR(r->proc_error));
	ADD(o, "amber", am);
	return o;
}

struct ocsf_activity {
	int id;
	const char *name;
};

static struct ocsf_activity ocsf_activity(const char *action)
{
	static const char *const update[] = { "write", "truncate", "fallocate", "copy_file_range", NULL };
	static const char *const open[] = { "open_write", "open_trunc", NULL };
	static const char *const attrs[] = { "utimes", "setxattr", "removexattr", NULL };
	static const char *const security[] = { "chmod", "chown", NULL };

	if (is_one_of(action, creations))
		return (struct ocsf_activity){ 1, "Create" };
	if (is_one_of(action, update))
		return (struct ocsf_activity){ 3, "Update" };
	if (is_one_of(action, deletions))
		return (struct ocsf_activity){ 4, "Delete" };
	if (action && strcmp(action, "rename") == 0)
		return (struct ocsf_activity){ 5, "Rename" };
	if (is_one_of(action, attrs))
		return (struct ocsf_activity){ 6, "Set Attributes" };
	if (is_one_of(action, security))
		return (struct ocsf_activity){ 7, "Set Security" };
	if (is_one_of(action, open))
		return (struct ocsf_activity){ 14, "Open" };
	return (struct ocsf_activity){ 99, "Other" };
}

static struct json_object *ocsf_file(const char *path, const char *action)
{
	struct json_object *f = obj();
	char buf[4096];
	int type = 0;
	const char *tname = "Unknown";

	if (action && (!strcmp(action, "mkdir") || !strcmp(action, "rmdir")))
		type = 2, tname = "Folder";
	else if (action && !strcmp(action, "symlink"))
		type = 7, tname = "Symbolic Link";
	ADD(f, "name", STR(base_name(path, buf, sizeof(buf))));
	ADD(f, "path", STR(path));
	ADD(f, "parent_folder", STR(dir_name(path, buf, sizeof(buf))));
	ADD(f, "type_id", json_object_new_int(type));
	ADD(f, "type", STR(tname));
	return f;
}

/* An argv element: the string itself, anything else as JSON. */
static const char *elem_text(struct json_object *e)
{
	if (json_object_is_type(e, json_type_string))
		return json_object_get_string(e);
	return json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
}

static int64_t ts_ms(const char *ts)
{
	struct timespec t;

	if (rfc3339_parse(ts, &t) < 0)
		return 0;
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct json_object *ocsf_actor(const struct record *r)
{
	struct json_object *actor = obj(), *proc = obj(), *a;
	char buf[4096];

	ADD(proc, "pid", json_object_new_int64(r->pid));
	if (r->tid >= 0)
		ADD(proc, "tid", json_object_new_int64(r->tid));
	if (r->name)
		ADD(proc, "name", STR(r->name));
	if (r->cwd)
		ADD(proc, "working_directory", STR(r->cwd));
	if (r->exe) {
		a = ocsf_file(r->exe, NULL);
		json_object_object_add(a, "type_id", json_object_new_int(1));
		json_object_object_add(a, "type", STR("Regular File"));
		ADD(proc, "file", a);
	}
	if (r->ppid >= 0) {
		a = obj();
		ADD(a, "pid", json_object_new_int64(r->ppid));
		ADD(proc, "parent_process", a);
	}
	struct json_object *argv = json_get_path(record_obj(r), "process.args");
	if (argv && json_object_is_type(argv, json_type_array)) {
		size_t k = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < json_object_array_length(argv) && k < sizeof(buf) - 1; i++)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s", i ? " " : "",
					      elem_text(json_object_array_get_idx(argv, i)));
		ADD(proc, "cmd_line", STR(buf));
	}
	if (r->uid >= 0) {
		snprintf(buf, sizeof(buf), "%" PRId64, r->uid);
		a = obj();
		ADD(a, "uid", STR(buf));
		ADD(proc, "user", a);
		a = obj();
		ADD(a, "uid", STR(buf));
		ADD(actor, "user", a);
	}
	ADD(actor, "process", proc);
	return actor;
}

static struct json_object *ocsf_record(const struct export *x, const struct record *r)
{
	struct json_object *o = obj(), *meta = obj(), *prod = obj(), *dev = obj();
	struct json_object *a, *un = obj();
	struct ocsf_activity act = ocsf_activity(r->action);
	char buf[4096];

	ADD(o, "class_uid", json_object_new_int(1001));
	ADD(o, "class_name", STR("File System Activity"));
	ADD(o, "category_uid", json_object_new_int(1));
	ADD(o, "category_name", STR("System Activity"));
	ADD(o, "activity_id", json_object_new_int(act.id));
	ADD(o, "activity_name", STR(act.name));
	ADD(o, "type_uid", json_object_new_int64(1001 * 100 + act.id));
	snprintf(buf, sizeof(buf), "File System Activity: %s", act.name);
	ADD(o, "type_name", STR(buf));
	ADD(o, "severity_id", json_object_new_int(1));
	ADD(o, "severity", STR("Informational"));
	ADD(o, "time", json_object_new_int64(ts_ms(r->ts)));
	ADD(o, "status_id", json_object_new_int(2));
	ADD(o, "status", STR("Failure"));
	ADD(o, "status_code", STR(r->errno_name));
	ADD(o, "disposition_id", json_object_new_int(2));
	ADD(o, "disposition", STR("Blocked"));
	ADD(o, "count", json_object_new_int64(record_weight(r)));
	if (r->kind == RECORD_SUMMARY) {
		ADD(o, "start_time", json_object_new_int64(ts_ms(r->first_ts)));
		ADD(o, "end_time", json_object_new_int64(ts_ms(r->last_ts)));
	}
	snprintf(buf, sizeof(buf), "%s %s refused (%s)", str_or_dash(r->action), str_or_dash(r->path),
		 str_or_dash(r->errno_name));
	ADD(o, "message", STR(buf));
	ADD(meta, "version", STR("1.1.0"));
	ADD(prod, "name", STR("amberfs"));
	ADD(prod, "vendor_name", STR("amber"));
	ADD(prod, "version", STR(AMBER_VERSION));
	ADD(meta, "product", prod);
	ADD(meta, "sequence", json_object_new_int64(r->seq));
	ADD(meta, "log_name", STR("amberfs audit"));
	ADD(o, "metadata", meta);
	ADD(o, "actor", ocsf_actor(r));
	ADD(dev, "type_id", json_object_new_int(0));
	ADD(dev, "type", STR("Unknown"));
	if (x->hostname)
		ADD(dev, "hostname", STR(x->hostname));
	ADD(o, "device", dev);
	ADD(o, "file", ocsf_file(r->path, r->action));
	if (r->new_path)
		ADD(o, "file_result", ocsf_file(r->new_path, r->action));
	ADD(un, "seq", json_object_new_int64(r->seq));
	ADD(un, "action", STR(r->action));
	if (r->layer >= 0)
		ADD(un, "layer", json_object_new_int64(r->layer));
	if ((a = copy(record_obj(r), "args")))
		ADD(un, "args", a);
	if ((a = copy(record_obj(r), "file.path_hex")))
		ADD(un, "path_hex", a);
	ADD(o, "unmapped", un);
	return o;
}

static int export_one(void *ud, const struct reader_line *line, const struct record *r)
{
	struct export *x = ud;
	struct json_object *o;

	if (!record_is_event(r) || !filter_match(&x->f, r))
		return 0;
	o = x->format == FORMAT_ECS ? ecs_record(x, r) : ocsf_record(x, r);
	if (!o)
		return -ENOMEM;
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	x->n++;
	(void)line;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log export --format ecs|ocsf [--hostname NAME] [FILTERS] LOG...\n"
	      "\n"
	      "Writes one JSON object per attempt/summary record (NDJSON) to stdout:\n"
	      "  ecs   Elastic Common Schema 8.11 field names; extra facts under amber.*\n"
	      "  ocsf  OCSF 1.1.0 class 1001 File System Activity, with all its required attributes;\n"
	      "        extra facts under unmapped.*\n"
	      "--hostname fills host.hostname / device.hostname (the log does not record the host).\n\n",
	      f);
	fputs(FILTER_HELP, f);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "hostname", required_argument, NULL, 'H' },
		FILTER_LONG_OPTIONS,
		{},
	};
	struct export x = { .format = FORMAT_ECS };
	struct scan_stats st;
	bool have_format = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "hf:", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'f') {
			if (strcmp(optarg, "ecs") == 0)
				x.format = FORMAT_ECS;
			else if (strcmp(optarg, "ocsf") == 0)
				x.format = FORMAT_OCSF;
			else {
				log_error("--format: unknown format '%s' (ecs or ocsf)", optarg);
				return EXIT_USAGE;
			}
			have_format = true;
		} else if (c == 'H') {
			x.hostname = optarg;
		} else if ((r = filter_option(&x.f, c, optarg)) <= 0) {
			if (r == 0)
				usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!have_format || optind >= argc) {
		if (!have_format)
			log_error("--format ecs|ocsf is required");
		usage(stderr);
		return EXIT_USAGE;
	}
	r = scan_series(argv + optind, (size_t)(argc - optind), export_one, &x, &st);
	fflush(stdout);
	if (r < 0) {
		log_error("export failed: %s", strerror(-r));
		return EXIT_USAGE;
	}
	return st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
}
