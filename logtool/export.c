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
#include "audit_fmt.h"
#include "log.h"
#include "logtool.h"

enum format { FORMAT_ECS, FORMAT_OCSF };

struct export {
	struct afmt_buf w;
	enum format format;
	struct filter f;
	const char *hostname;
	uint64_t n;
};

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

/* What an action does to the tree, as both formats classify it. */
enum effect { EFFECT_CREATE, EFFECT_UPDATE, EFFECT_DELETE, EFFECT_RENAME, EFFECT_ATTRS, EFFECT_SECURITY,
	      EFFECT_OPEN, EFFECT_OTHER };

static enum effect action_effect(enum audit_action a)
{
	switch (a) {
	case AUDIT_CREATE:
	case AUDIT_MKNOD:
	case AUDIT_MKDIR:
	case AUDIT_SYMLINK:
	case AUDIT_LINK:
		return EFFECT_CREATE;
	case AUDIT_WRITE:
	case AUDIT_TRUNCATE:
	case AUDIT_FALLOCATE:
	case AUDIT_COPY_FILE_RANGE:
		return EFFECT_UPDATE;
	case AUDIT_UNLINK:
	case AUDIT_RMDIR:
		return EFFECT_DELETE;
	case AUDIT_RENAME:
		return EFFECT_RENAME;
	case AUDIT_UTIMES:
	case AUDIT_SETXATTR:
	case AUDIT_REMOVEXATTR:
		return EFFECT_ATTRS;
	case AUDIT_CHMOD:
	case AUDIT_CHOWN:
		return EFFECT_SECURITY;
	case AUDIT_OPEN_WRITE:
	case AUDIT_OPEN_TRUNC:
		return EFFECT_OPEN;
	case AUDIT_IOCTL:
	case _AUDIT_ACTION_MAX:
	case _AUDIT_ACTION_INVALID:
	default:
		return EFFECT_OTHER;
	}
}

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

static void ecs_event(struct afmt_buf *w, const struct record *r)
{
	afmt_key(w, "event");
	afmt_obj_begin(w);
	afmt_kv_strz(w, "kind", "event");
	afmt_key(w, "category");
	afmt_arr_begin(w);
	afmt_strz(w, "file");
	afmt_arr_end(w);
	afmt_key(w, "type");
	afmt_arr_begin(w);
	afmt_strz(w, action_effect(r->action_id) == EFFECT_CREATE   ? "creation"
		  : action_effect(r->action_id) == EFFECT_DELETE ? "deletion"
								 : "change");
	afmt_strz(w, "denied"); /* ECS event.type */
	afmt_arr_end(w);
	afmt_kv_strz(w, "action", r->action);
	afmt_kv_strz(w, "outcome", "failure");
	afmt_kv_i64(w, "sequence", r->seq);
	afmt_kv_strz(w, "provider", "amberfs");
	afmt_kv_strz(w, "dataset", "amberfs.audit");
	if (r->kind == AUDIT_KIND_SUMMARY) {
		afmt_kv_strz(w, "start", r->first_ts);
		afmt_kv_strz(w, "end", r->last_ts);
	}
	afmt_obj_end(w);
}

static void ecs_process(struct afmt_buf *w, const struct record *r)
{
	afmt_key(w, "process");
	afmt_obj_begin(w);
	afmt_kv_i64(w, "pid", r->pid);
	if (r->tid >= 0) {
		afmt_key(w, "thread");
		afmt_obj_begin(w);
		afmt_kv_i64(w, "id", r->tid);
		afmt_obj_end(w);
	}
	if (r->ppid >= 0) {
		afmt_key(w, "parent");
		afmt_obj_begin(w);
		afmt_kv_i64(w, "pid", r->ppid);
		afmt_obj_end(w);
	}
	if (r->name)
		afmt_kv_strz(w, "name", r->name);
	if (r->exe)
		afmt_kv_strz(w, "executable", r->exe);
	if (has_raw(&r->raw_proc_args) && r->raw_proc_args.p[0] == '[') {
		afmt_key(w, "args");
		afmt_json(w, r->raw_proc_args.p, r->raw_proc_args.len);
	}
	if (r->cwd)
		afmt_kv_strz(w, "working_directory", r->cwd);
	afmt_obj_end(w);
}

static void ecs_record(struct afmt_buf *w, const struct export *x, const struct record *r)
{
	char buf[4096];
	/* only a symlink has a target: the whole record is parsed for it alone */
	const char *target = r->action_id == AUDIT_SYMLINK ? json_get_str(record_obj(r), "args.target") : NULL;

	afmt_obj_begin(w);
	afmt_kv_strz(w, "@timestamp", r->ts);
	afmt_key(w, "ecs");
	afmt_obj_begin(w);
	afmt_kv_strz(w, "version", "8.11.0");
	afmt_obj_end(w);
	ecs_event(w, r);
	afmt_key(w, "file");
	afmt_obj_begin(w);
	afmt_kv_strz(w, "path", r->path);
	afmt_kv_strz(w, "name", base_name(r->path, buf, sizeof(buf)));
	afmt_kv_strz(w, "directory", dir_name(r->path, buf, sizeof(buf)));
	if (target)
		afmt_kv_strz(w, "target_path", target);
	afmt_obj_end(w);
	ecs_process(w, r);
	if (r->uid >= 0) {
		uid_str(r->uid, buf);
		afmt_key(w, "user");
		afmt_obj_begin(w);
		afmt_kv_strz(w, "id", buf);
		afmt_obj_end(w);
	}
	if (r->gid >= 0) {
		uid_str(r->gid, buf);
		afmt_key(w, "group");
		afmt_obj_begin(w);
		afmt_kv_strz(w, "id", buf);
		afmt_obj_end(w);
	}
	afmt_key(w, "error");
	afmt_obj_begin(w);
	afmt_kv_strz(w, "code", r->errno_name);
	snprintf(buf, sizeof(buf), "%s refused by the read-only root: %s", str_or_dash(r->action),
		 str_or_dash(r->errno_name));
	afmt_kv_strz(w, "message", buf);
	afmt_obj_end(w);
	if (x->hostname) {
		afmt_key(w, "host");
		afmt_obj_begin(w);
		afmt_kv_strz(w, "hostname", x->hostname);
		afmt_obj_end(w);
	}
	afmt_key(w, "amber");
	afmt_obj_begin(w);
	afmt_kv_i64(w, "seq", r->seq);
	afmt_kv_strz(w, "kind", r->kind_str);
	afmt_kv_i64(w, "count", record_weight(r));
	if (r->new_path)
		afmt_kv_strz(w, "new_path", r->new_path);
	if (r->layer >= 0)
		afmt_kv_i64(w, "layer", r->layer);
	if (has_raw(&r->raw_args)) {
		afmt_key(w, "args");
		afmt_json(w, r->raw_args.p, r->raw_args.len);
	}
	if (has_raw(&r->raw_path_hex)) {
		afmt_key(w, "path_hex");
		afmt_json(w, r->raw_path_hex.p, r->raw_path_hex.len);
	}
	if (r->proc_error)
		afmt_kv_strz(w, "process_error", r->proc_error);
	afmt_obj_end(w);
	afmt_obj_end(w);
}

struct ocsf_activity {
	int id;
	const char *name;
};

static struct ocsf_activity ocsf_activity(enum audit_action action)
{
	switch (action_effect(action)) {
	case EFFECT_CREATE:
		return (struct ocsf_activity){ 1, "Create" };
	case EFFECT_UPDATE:
		return (struct ocsf_activity){ 3, "Update" };
	case EFFECT_DELETE:
		return (struct ocsf_activity){ 4, "Delete" };
	case EFFECT_RENAME:
		return (struct ocsf_activity){ 5, "Rename" };
	case EFFECT_ATTRS:
		return (struct ocsf_activity){ 6, "Set Attributes" };
	case EFFECT_SECURITY:
		return (struct ocsf_activity){ 7, "Set Security" };
	case EFFECT_OPEN:
		return (struct ocsf_activity){ 14, "Open" };
	case EFFECT_OTHER:
	default:
		return (struct ocsf_activity){ 99, "Other" };
	}
}

/* An OCSF file object; type_id -1: from the action. */
static void ocsf_file(struct afmt_buf *w, const char *key, const char *path, enum audit_action action, int type_id)
{
	char buf[4096];
	const char *tname = "Unknown";

	if (type_id == 1)
		tname = "Regular File";
	else if (action == AUDIT_MKDIR || action == AUDIT_RMDIR)
		type_id = 2, tname = "Folder";
	else if (action == AUDIT_SYMLINK)
		type_id = 7, tname = "Symbolic Link";
	else
		type_id = 0;
	afmt_key(w, key);
	afmt_obj_begin(w);
	afmt_kv_strz(w, "name", base_name(path, buf, sizeof(buf)));
	afmt_kv_strz(w, "path", path);
	afmt_kv_strz(w, "parent_folder", dir_name(path, buf, sizeof(buf)));
	afmt_kv_i64(w, "type_id", type_id);
	afmt_kv_strz(w, "type", tname);
	afmt_obj_end(w);
}

static int64_t ts_ms(const char *ts)
{
	struct timespec t;

	if (rfc3339_parse(ts, &t) < 0)
		return 0;
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void ocsf_actor(struct afmt_buf *w, const struct record *r)
{
	char buf[4096], uid[32];

	uid_str(r->uid, uid);
	afmt_key(w, "actor");
	afmt_obj_begin(w);
	if (r->uid >= 0) {
		afmt_key(w, "user");
		afmt_obj_begin(w);
		afmt_kv_strz(w, "uid", uid);
		afmt_obj_end(w);
	}
	afmt_key(w, "process");
	afmt_obj_begin(w);
	afmt_kv_i64(w, "pid", r->pid);
	if (r->tid >= 0)
		afmt_kv_i64(w, "tid", r->tid);
	if (r->name)
		afmt_kv_strz(w, "name", r->name);
	if (r->cwd)
		afmt_kv_strz(w, "working_directory", r->cwd);
	if (r->exe)
		ocsf_file(w, "file", r->exe, _AUDIT_ACTION_INVALID, 1);
	if (r->ppid >= 0) {
		afmt_key(w, "parent_process");
		afmt_obj_begin(w);
		afmt_kv_i64(w, "pid", r->ppid);
		afmt_obj_end(w);
	}
	cmd_line(r, buf, sizeof(buf));
	if (buf[0])
		afmt_kv_strz(w, "cmd_line", buf);
	if (r->uid >= 0) {
		afmt_key(w, "user");
		afmt_obj_begin(w);
		afmt_kv_strz(w, "uid", uid);
		afmt_obj_end(w);
	}
	afmt_obj_end(w);
	afmt_obj_end(w);
}

static void ocsf_record(struct afmt_buf *w, const struct export *x, const struct record *r)
{
	struct ocsf_activity act = ocsf_activity(r->action_id);
	char buf[4096];

	afmt_obj_begin(w);
	afmt_kv_i64(w, "class_uid", 1001);
	afmt_kv_strz(w, "class_name", "File System Activity");
	afmt_kv_i64(w, "category_uid", 1);
	afmt_kv_strz(w, "category_name", "System Activity");
	afmt_kv_i64(w, "activity_id", act.id);
	afmt_kv_strz(w, "activity_name", act.name);
	afmt_kv_i64(w, "type_uid", 1001 * 100 + act.id);
	snprintf(buf, sizeof(buf), "File System Activity: %s", act.name);
	afmt_kv_strz(w, "type_name", buf);
	afmt_kv_i64(w, "severity_id", 1);
	afmt_kv_strz(w, "severity", "Informational");
	afmt_kv_i64(w, "time", ts_ms(r->ts));
	afmt_kv_i64(w, "status_id", 2);
	afmt_kv_strz(w, "status", "Failure");
	afmt_kv_strz(w, "status_code", r->errno_name);
	afmt_kv_i64(w, "disposition_id", 2);
	afmt_kv_strz(w, "disposition", "Blocked");
	afmt_kv_i64(w, "count", record_weight(r));
	if (r->kind == AUDIT_KIND_SUMMARY) {
		afmt_kv_i64(w, "start_time", ts_ms(r->first_ts));
		afmt_kv_i64(w, "end_time", ts_ms(r->last_ts));
	}
	snprintf(buf, sizeof(buf), "%s %s refused (%s)", str_or_dash(r->action), str_or_dash(r->path),
		 str_or_dash(r->errno_name));
	afmt_kv_strz(w, "message", buf);
	afmt_key(w, "metadata");
	afmt_obj_begin(w);
	afmt_kv_strz(w, "version", "1.1.0");
	afmt_key(w, "product");
	afmt_obj_begin(w);
	afmt_kv_strz(w, "name", "amberfs");
	afmt_kv_strz(w, "vendor_name", "amber");
	afmt_kv_strz(w, "version", AMBER_VERSION);
	afmt_obj_end(w);
	afmt_kv_i64(w, "sequence", r->seq);
	afmt_kv_strz(w, "log_name", "amberfs audit");
	afmt_obj_end(w);
	ocsf_actor(w, r);
	afmt_key(w, "device");
	afmt_obj_begin(w);
	afmt_kv_i64(w, "type_id", 0);
	afmt_kv_strz(w, "type", "Unknown");
	if (x->hostname)
		afmt_kv_strz(w, "hostname", x->hostname);
	afmt_obj_end(w);
	ocsf_file(w, "file", r->path, r->action_id, -1);
	if (r->new_path)
		ocsf_file(w, "file_result", r->new_path, r->action_id, -1);
	afmt_key(w, "unmapped");
	afmt_obj_begin(w);
	afmt_kv_i64(w, "seq", r->seq);
	afmt_kv_strz(w, "action", r->action);
	if (r->layer >= 0)
		afmt_kv_i64(w, "layer", r->layer);
	if (has_raw(&r->raw_args)) {
		afmt_key(w, "args");
		afmt_json(w, r->raw_args.p, r->raw_args.len);
	}
	if (has_raw(&r->raw_path_hex)) {
		afmt_key(w, "path_hex");
		afmt_json(w, r->raw_path_hex.p, r->raw_path_hex.len);
	}
	afmt_obj_end(w);
	afmt_obj_end(w);
}

/* Writes the rendered object and a newline; -errno on a write error. */
static int flush_line(struct afmt_buf *b, FILE *f)
{
	afmt_raw(b, "\n", 1);
	if (afmt_failed(b))
		return -ENOMEM;
	if (fwrite(b->data, 1, b->len, f) != b->len)
		return -errno;
	return 0;
}

static int export_one(void *ud, const struct reader_line *line, const struct record *r)
{
	struct export *x = ud;

	if (!record_is_event(r) || !filter_match(&x->f, r))
		return 0;
	afmt_reset(&x->w);
	if (x->format == FORMAT_ECS)
		ecs_record(&x->w, x, r);
	else
		ocsf_record(&x->w, x, r);
	x->n++;
	(void)line;
	return flush_line(&x->w, stdout);
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
	afmt_free(&x.w);
	fflush(stdout);
	if (r < 0) {
		log_error("export failed: %s", strerror(-r));
		return EXIT_USAGE;
	}
	return st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
}
