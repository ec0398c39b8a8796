/* SPDX-License-Identifier: MIT */
/*
 * tree.c - "amber-log tree": the processes seen in the log, nested by their
 * ppid, each with its attempts aggregated by (action, path, new path).
 *
 * Only aggregates are kept: one node per process (pid + start_time, so a
 * reused pid is a different node) and one row per distinct attempt of that
 * process, capped at MAX_ROWS per process (the rest is counted).  A process
 * that made no attempt of its own is not in the log, so its children hang
 * from the nearest logged ancestor or the root.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logtool.h"
#include "table.h"

#define MAX_ROWS 1000

struct act {
	int64_t count, first_seq, last_seq, order;
	char *action, *path, *new_path;
};

struct proc {
	int64_t pid, ppid, start_time, uid, total, first_seq, order;
	char *name, *exe, *args;
	struct table *acts;
	int64_t other;            /* attempts beyond MAX_ROWS distinct rows */
	struct proc *parent;
	struct proc **kids;
	size_t n_kids;
	bool printed;
};

struct tree {
	struct table *procs;      /* "pid/start_time" -> struct proc */
	struct table *by_pid;     /* "pid" -> struct proc * (latest) */
	int64_t n;
	int err;
};

static void act_free(void *v)
{
	struct act *a = v;
	free(a->action);
	free(a->path);
	free(a->new_path);
}

static void proc_free(void *v)
{
	struct proc *p = v;
	free(p->name);
	free(p->exe);
	free(p->args);
	free(p->kids);
	table_free(p->acts, act_free);
}

/* argv as one string; elements that are not strings are shown as JSON. */
static char *join_args(struct json_object *argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!argv || !json_object_is_type(argv, json_type_array))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(argv); i++) {
		struct json_object *e = json_object_array_get_idx(argv, i);
		if (i)
			fputc(' ', f);
		if (json_object_is_type(e, json_type_string))
			fputs(json_object_get_string(e), f);
		else
			fputs(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN), f);
	}
	fclose(f);
	return buf;
}

static struct proc *get_proc(struct tree *t, const struct record *r)
{
	char key[64], pk[32];
	bool is_new;
	struct table_entry *e, *pe;

	snprintf(key, sizeof(key), "%" PRId64 "/%" PRId64, r->pid, r->start_time);
	e = table_upsert(t->procs, key, strlen(key), &is_new);
	if (!e)
		return NULL;
	struct proc *p = e->value;
	if (is_new) {
		p->pid = r->pid;
		p->ppid = r->ppid;
		p->start_time = r->start_time;
		p->uid = r->uid;
		p->first_seq = r->seq;
		p->order = t->n++;
		p->name = r->name ? strdup(r->name) : NULL;
		p->exe = r->exe ? strdup(r->exe) : NULL;
		p->args = join_args(json_get_path(record_obj(r), "process.args"));
		p->acts = table_new(sizeof(struct act));
		if (!p->acts)
			return NULL;
		snprintf(pk, sizeof(pk), "%" PRId64, r->pid);
		pe = table_upsert(t->by_pid, pk, strlen(pk), NULL);
		if (!pe)
			return NULL;
		*(struct proc **)pe->value = p;
	}
	return p;
}

static int tree_one(void *ud, const struct reader_line *line, const struct record *r)
{
	struct tree *t = ud;
	char key[8192];
	int n;

	if (!record_is_event(r))
		return 0;
	struct proc *p = get_proc(t, r);
	if (!p)
		return t->err = -ENOMEM;
	p->total += record_weight(r);
	n = snprintf(key, sizeof(key), "%s%c%s%c%s", str_or_dash(r->action), 0, str_or_dash(r->path_exact), 0,
		     r->new_path_exact ? r->new_path_exact : "");
	if (n < 0 || (size_t)n >= sizeof(key))
		n = sizeof(key) - 1;
	struct table_entry *e = table_find(p->acts, key, (size_t)n);
	if (!e && table_size(p->acts) >= MAX_ROWS) {
		p->other += record_weight(r);
		return 0;
	}
	bool is_new;
	e = table_upsert(p->acts, key, (size_t)n, &is_new);
	if (!e)
		return t->err = -ENOMEM;
	struct act *a = e->value;
	if (is_new) {
		a->first_seq = r->seq;
		a->order = (int64_t)table_size(p->acts);
		a->action = strdup(str_or_dash(r->action));
		a->path = strdup(str_or_dash(r->path_exact));
		a->new_path = r->new_path_exact ? strdup(r->new_path_exact) : NULL;
	}
	a->count += record_weight(r);
	a->last_seq = r->seq;
	(void)line;
	return 0;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct proc *x = (*(struct table_entry *const *)a)->value, *y = (*(struct table_entry *const *)b)->value;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int act_cmp(const void *a, const void *b)
{
	const struct act *x = (*(struct table_entry *const *)a)->value, *y = (*(struct table_entry *const *)b)->value;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void print_proc(struct proc *p, int depth, bool json)
{
	size_t n;
	struct table_entry **acts;

	if (p->printed)
		return;
	p->printed = true;
	acts = table_entries(p->acts, act_cmp, &n);
	if (json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array(), *kids;
		json_object_object_add(o, "pid", json_object_new_int64(p->pid));
		json_object_object_add(o, "ppid", json_object_new_int64(p->ppid));
		json_object_object_add(o, "depth", json_object_new_int(depth));
		json_object_object_add(o, "name", p->name ? json_object_new_string(p->name) : NULL);
		json_object_object_add(o, "executable", p->exe ? json_object_new_string(p->exe) : NULL);
		json_object_object_add(o, "args", p->args ? json_object_new_string(p->args) : NULL);
		json_object_object_add(o, "uid", json_object_new_int64(p->uid));
		json_object_object_add(o, "total", json_object_new_int64(p->total));
		for (size_t i = 0; i < n; i++) {
			const struct act *a = acts[i]->value;
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "action", json_object_new_string(a->action));
			/* a name that is not UTF-8: U+FFFD and path_hex, as in the log */
			esc_json_add_bytes(x, "path", a->path);
			esc_json_add_bytes(x, "new_path", a->new_path);
			json_object_object_add(x, "count", json_object_new_int64(a->count));
			json_object_object_add(x, "first_seq", json_object_new_int64(a->first_seq));
			json_object_object_add(x, "last_seq", json_object_new_int64(a->last_seq));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "attempts", arr);
		kids = json_object_new_array();
		for (size_t i = 0; i < p->n_kids; i++)
			json_object_array_add(kids, json_object_new_int64(p->kids[i]->pid));
		json_object_object_add(o, "children", kids);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%*s[%" PRId64 "] ", depth * 4, "", p->pid);
		esc_puts(stdout, p->name ? p->name : "?");
		printf(" (");
		esc_puts(stdout, p->exe ? p->exe : "?");
		printf(") uid %" PRId64 ", ppid %" PRId64 ", %" PRId64 " attempt(s)", p->uid, p->ppid, p->total);
		if (p->args) {
			printf(": ");
			esc_puts(stdout, p->args);
		}
		putchar('\n');
		for (size_t i = 0; i < n; i++) {
			const struct act *a = acts[i]->value;
			printf("%*s  ", depth * 4, "");
			esc_column(stdout, a->action, 15, false);
			putchar(' ');
			esc_puts(stdout, a->path);
			if (a->new_path) {
				printf(" -> ");
				esc_puts(stdout, a->new_path);
			}
			printf("  x%" PRId64 " (seq %" PRId64, a->count, a->first_seq);
			if (a->last_seq != a->first_seq)
				printf("..%" PRId64, a->last_seq);
			printf(")\n");
		}
		if (p->other)
			printf("%*s  ... %" PRId64 " more attempts on other paths\n", depth * 4, "", p->other);
	}
	free(acts);
	for (size_t i = 0; i < p->n_kids; i++)
		print_proc(p->kids[i], depth + 1, json);
}

static int link_and_print(struct tree *t, bool json)
{
	size_t n;
	struct table_entry **v = table_entries(t->procs, proc_cmp, &n);
	char pk[32];

	if (n && !v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct proc *p = v[i]->value;
		snprintf(pk, sizeof(pk), "%" PRId64, p->ppid);
		struct table_entry *pe = p->ppid != p->pid ? table_find(t->by_pid, pk, strlen(pk)) : NULL;
		struct proc *par = pe ? *(struct proc **)pe->value : NULL;
		/* refuse cycles (pid reuse can fake one) */
		for (struct proc *q = par; q; q = q->parent)
			if (q == p) {
				par = NULL;
				break;
			}
		if (!par)
			continue;
		struct proc **k = realloc(par->kids, (par->n_kids + 1) * sizeof(*k));
		if (!k) {
			free(v);
			return -ENOMEM;
		}
		par->kids = k;
		par->kids[par->n_kids++] = p;
		p->parent = par;
	}
	for (size_t i = 0; i < n; i++) {
		struct proc *p = v[i]->value;
		if (!p->parent)
			print_proc(p, 0, json);
	}
	free(v);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log tree [--json] LOG...\n"
	      "\n"
	      "Prints the processes that made attempts, nested by parent pid, each followed by its attempts\n"
	      "grouped by action and path with their count and seq range. A parent that made no attempt is not\n"
	      "in the log: its children are shown at the top level with their ppid. --json prints one object\n"
	      "per process (with depth, attempts and children pids), parents before children.\n",
	      f);
}

int cmd_tree(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{},
	};
	struct tree t = {0};
	struct scan_stats st;
	bool json = false;
	int c, r, rc = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "hj", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'j') {
			json = true;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	t.procs = table_new(sizeof(struct proc));
	t.by_pid = table_new(sizeof(struct proc *));
	if (!t.procs || !t.by_pid)
		goto out;
	r = scan_series(argv + optind, (size_t)(argc - optind), tree_one, &t, &st);
	if (r >= 0)
		r = link_and_print(&t, json);
	if (r < 0) {
		(void)log_error_errno(r, "tree failed: %m");
		goto out;
	}
	rc = st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
out:
	table_free(t.by_pid, NULL);
	table_free(t.procs, proc_free);
	return rc;
}
