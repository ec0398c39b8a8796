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
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "jsonw.h"
#include "log.h"
#include "logtool.h"

enum format { FORMAT_ECS, FORMAT_OCSF };

struct export {
	struct jsonw w;
	enum format format;
	struct filter f;
	const char *hostname;
	uint64_t n;
};

#define ADD(o, k, v) json_object_object_add((o), (k), (v))
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

static bool has_raw(const struct record_raw *r)
{
	return r->p && r->len;
}

/* The argv array of the record parsed on its own (small), or NULL. */
static struct json_object *proc_argv(const struct record *r)
{
	struct json_tokener *t;
	struct json_object *a;

	if (!has_raw(&r->raw_proc_args) || r->raw_proc_args.p[0] != '[')
		return NULL;
	t = json_tokener_new();
	if (!t)
		return NULL;
	a = json_tokener_parse_ex(t, r->raw_proc_args.p, (int)r->raw_proc_args.len);
	json_tokener_free(t);
	if (a && !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		a = NULL;
	}
	return a;
}

/* "sh -c x" from argv; elements that are not strings as JSON. */
static void cmd_line(const struct record *r, char *buf, size_t n)
{
	struct json_object *argv = proc_argv(r);
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv && i < json_object_array_length(argv) && k < n - 1; i++) {
		struct json_object *e = json_object_array_get_idx(argv, i);
		k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? " " : "",
				      json_object_is_type(e, json_type_string)
					      ? json_object_get_string(e)
					      : json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
	}
	if (argv)
		json_object_put(argv);
}

static void uid_str(int64_t id, char buf[32])
{
	snprintf(buf, 32, "%" PRId64, id);
}

static void ecs_event(struct jsonw *w, const struct record *r)
{
	jw_key(w, "event");
	jw_obj(w);
	jw_kstr(w, "kind", "event");
	jw_key(w, "category");
	jw_arr(w);
	jw_str(w, "file");
	jw_end_arr(w);
	jw_key(w, "type");
	jw_arr(w);
	jw_str(w, is_one_of(r->action, creations) ? "creation" : is_one_of(r->action, deletions) ? "deletion" : "change");
	jw_str(w, "denied");
	jw_end_arr(w);
	jw_kstr(w, "action", r->action);
	jw_kstr(w, "outcome", "failure");
	jw_kint(w, "sequence", r->seq);
	jw_kstr(w, "provider", "amberfs");
	jw_kstr(w, "dataset", "amberfs.audit");
	if (r->kind == RECORD_SUMMARY) {
		jw_kstr(w, "start", r->first_ts);
		jw_kstr(w, "end", r->last_ts);
	}
	jw_end_obj(w);
}

static void ecs_process(struct jsonw *w, const struct record *r)
{
	jw_key(w, "process");
	jw_obj(w);
	jw_kint(w, "pid", r->pid);
	if (r->tid >= 0) {
		jw_key(w, "thread");
		jw_obj(w);
		jw_kint(w, "id", r->tid);
		jw_end_obj(w);
	}
	if (r->ppid >= 0) {
		jw_key(w, "parent");
		jw_obj(w);
		jw_kint(w, "pid", r->ppid);
		jw_end_obj(w);
	}
	if (r->name)
		jw_kstr(w, "name", r->name);
	if (r->exe)
		jw_kstr(w, "executable", r->exe);
	if (has_raw(&r->raw_proc_args) && r->raw_proc_args.p[0] == '[') {
		jw_key(w, "args");
		jw_raw(w, r->raw_proc_args.p, r->raw_proc_args.len);
	}
	if (r->cwd)
		jw_kstr(w, "working_directory", r->cwd);
	jw_end_obj(w);
}

static void ecs_record(struct jsonw *w, const struct export *x, const struct record *r)
{
	char buf[4096];
	/* only a symlink has a target: the whole record is parsed for it alone */
	const char *target = r->action && !strcmp(r->action, "symlink") ? json_get_str(record_obj(r), "args.target")
									: NULL;

	jw_obj(w);
	jw_kstr(w, "@timestamp", r->ts);
	jw_key(w, "ecs");
	jw_obj(w);
	jw_kstr(w, "version", "8.11.0");
	jw_end_obj(w);
	ecs_event(w, r);
	jw_key(w, "file");
	jw_obj(w);
	jw_kstr(w, "path", r->path);
	jw_kstr(w, "name", base_name(r->path, buf, sizeof(buf)));
	jw_kstr(w, "directory", dir_name(r->path, buf, sizeof(buf)));
	if (target)
		jw_kstr(w, "target_path", target);
	jw_end_obj(w);
	ecs_process(w, r);
	if (r->uid >= 0) {
		uid_str(r->uid, buf);
		jw_key(w, "user");
		jw_obj(w);
		jw_kstr(w, "id", buf);
		jw_end_obj(w);
	}
	if (r->gid >= 0) {
		uid_str(r->gid, buf);
		jw_key(w, "group");
		jw_obj(w);
		jw_kstr(w, "id", buf);
		jw_end_obj(w);
	}
	jw_key(w, "error");
	jw_obj(w);
	jw_kstr(w, "code", r->errno_name);
	snprintf(buf, sizeof(buf), "%s refused by the read-only root: %s", str_or_dash(r->action),
		 str_or_dash(r->errno_name));
	jw_kstr(w, "message", buf);
	jw_end_obj(w);
	if (x->hostname) {
		jw_key(w, "host");
		jw_obj(w);
		jw_kstr(w, "hostname", x->hostname);
		jw_end_obj(w);
	}
	jw_key(w, "amber");
	jw_obj(w);
	jw_kint(w, "seq", r->seq);
	jw_kstr(w, "kind", r->kind_str);
	jw_kint(w, "count", record_weight(r));
	if (r->new_path)
		jw_kstr(w, "new_path", r->new_path);
	if (r->layer >= 0)
		jw_kint(w, "layer", r->layer);
	if (has_raw(&r->raw_args)) {
		jw_key(w, "args");
		jw_raw(w, r->raw_args.p, r->raw_args.len);
	}
	if (has_raw(&r->raw_path_hex)) {
		jw_key(w, "path_hex");
		jw_raw(w, r->raw_path_hex.p, r->raw_path_hex.len);
	}
	if (r->proc_error)
		jw_kstr(w, "process_error", r->proc_error);
	jw_end_obj(w);
	jw_end_obj(w);
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

/* An OCSF file object; type_id -1: from the action. */
static void ocsf_file(struct jsonw *w, const char *key, const char *path, const char *action, int type_id)
{
	char buf[4096];
	const char *tname = "Unknown";

	if (type_id == 1)
		tname = "Regular File";
	else if (action && (!strcmp(action, "mkdir") || !strcmp(action, "rmdir")))
		type_id = 2, tname = "Folder";
	else if (action && !strcmp(action, "symlink"))
		type_id = 7, tname = "Symbolic Link";
	else
		type_id = 0;
	jw_key(w, key);
	jw_obj(w);
	jw_kstr(w, "name", base_name(path, buf, sizeof(buf)));
	jw_kstr(w, "path", path);
	jw_kstr(w, "parent_folder", dir_name(path, buf, sizeof(buf)));
	jw_kint(w, "type_id", type_id);
	jw_kstr(w, "type", tname);
	jw_end_obj(w);
}

static int64_t ts_ms(const char *ts)
{
	struct timespec t;

	if (rfc3339_parse(ts, &t) < 0)
		return 0;
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void ocsf_actor(struct jsonw *w, const struct record *r)
{
	char buf[4096], uid[32];

	uid_str(r->uid, uid);
	jw_key(w, "actor");
	jw_obj(w);
	if (r->uid >= 0) {
		jw_key(w, "user");
		jw_obj(w);
		jw_kstr(w, "uid", uid);
		jw_end_obj(w);
	}
	jw_key(w, "process");
	jw_obj(w);
	jw_kint(w, "pid", r->pid);
	if (r->tid >= 0)
		jw_kint(w, "tid", r->tid);
	if (r->name)
		jw_kstr(w, "name", r->name);
	if (r->cwd)
		jw_kstr(w, "working_directory", r->cwd);
	if (r->exe)
		ocsf_file(w, "file", r->exe, NULL, 1);
	if (r->ppid >= 0) {
		jw_key(w, "parent_process");
		jw_obj(w);
		jw_kint(w, "pid", r->ppid);
		jw_end_obj(w);
	}
	cmd_line(r, buf, sizeof(buf));
	if (buf[0])
		jw_kstr(w, "cmd_line", buf);
	if (r->uid >= 0) {
		jw_key(w, "user");
		jw_obj(w);
		jw_kstr(w, "uid", uid);
		jw_end_obj(w);
	}
	jw_end_obj(w);
	jw_end_obj(w);
}

static void ocsf_record(struct jsonw *w, const struct export *x, const struct record *r)
{
	struct ocsf_activity act = ocsf_activity(r->action);
	char buf[4096];

	jw_obj(w);
	jw_kint(w, "class_uid", 1001);
	jw_kstr(w, "class_name", "File System Activity");
	jw_kint(w, "category_uid", 1);
	jw_kstr(w, "category_name", "System Activity");
	jw_kint(w, "activity_id", act.id);
	jw_kstr(w, "activity_name", act.name);
	jw_kint(w, "type_uid", 1001 * 100 + act.id);
	snprintf(buf, sizeof(buf), "File System Activity: %s", act.name);
	jw_kstr(w, "type_name", buf);
	jw_kint(w, "severity_id", 1);
	jw_kstr(w, "severity", "Informational");
	jw_kint(w, "time", ts_ms(r->ts));
	jw_kint(w, "status_id", 2);
	jw_kstr(w, "status", "Failure");
	jw_kstr(w, "status_code", r->errno_name);
	jw_kint(w, "disposition_id", 2);
	jw_kstr(w, "disposition", "Blocked");
	jw_kint(w, "count", record_weight(r));
	if (r->kind == RECORD_SUMMARY) {
		jw_kint(w, "start_time", ts_ms(r->first_ts));
		jw_kint(w, "end_time", ts_ms(r->last_ts));
	}
	snprintf(buf, sizeof(buf), "%s %s refused (%s)", str_or_dash(r->action), str_or_dash(r->path),
		 str_or_dash(r->errno_name));
	jw_kstr(w, "message", buf);
	jw_key(w, "metadata");
	jw_obj(w);
	jw_kstr(w, "version", "1.1.0");
	jw_key(w, "product");
	jw_obj(w);
	jw_kstr(w, "name", "amberfs");
	jw_kstr(w, "vendor_name", "amber");
	jw_kstr(w, "version", AMBER_VERSION);
	jw_end_obj(w);
	jw_kint(w, "sequence", r->seq);
	jw_kstr(w, "log_name", "amberfs audit");
	jw_end_obj(w);
	ocsf_actor(w, r);
	jw_key(w, "device");
	jw_obj(w);
	jw_kint(w, "type_id", 0);
	jw_kstr(w, "type", "Unknown");
	if (x->hostname)
		jw_kstr(w, "hostname", x->hostname);
	jw_end_obj(w);
	ocsf_file(w, "file", r->path, r->action, -1);
	if (r->new_path)
		ocsf_file(w, "file_result", r->new_path, r->action, -1);
	jw_key(w, "unmapped");
	jw_obj(w);
	jw_kint(w, "seq", r->seq);
	jw_kstr(w, "action", r->action);
	if (r->layer >= 0)
		jw_kint(w, "layer", r->layer);
	if (has_raw(&r->raw_args)) {
		jw_key(w, "args");
		jw_raw(w, r->raw_args.p, r->raw_args.len);
	}
	if (has_raw(&r->raw_path_hex)) {
		jw_key(w, "path_hex");
		jw_raw(w, r->raw_path_hex.p, r->raw_path_hex.len);
	}
	jw_end_obj(w);
	jw_end_obj(w);
}

static int export_one(void *ud, const struct reader_line *line, const struct record *r)
{
	struct export *x = ud;

	if (!record_is_event(r) || !filter_match(&x->f, r))
		return 0;
	jw_reset(&x->w);
	if (x->format == FORMAT_ECS)
		ecs_record(&x->w, x, r);
	else
		ocsf_record(&x->w, x, r);
	x->n++;
	(void)line;
	return jw_flush_line(&x->w, stdout);
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
	jw_free(&x.w);
	fflush(stdout);
	if (r < 0) {
		log_error("export failed: %s", strerror(-r));
		return EXIT_USAGE;
	}
	return st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
}
