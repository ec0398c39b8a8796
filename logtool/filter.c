/* SPDX-License-Identifier: MIT */
/* filter.c - see filter.h. */
#include "filter.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* "open_write open_trunc ... ioctl", for the message about an unknown one. */
static void known_actions(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < _AUDIT_ACTION_MAX && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? " " : "", audit_action_to_string(i));
}

static int parse_int(const char *opt, const char *arg, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < 0) {
		log_error("--%s: '%s' is not a non-negative integer", opt, arg);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

#define PUSH(arr, n, val, optname)                                                        \
	do {                                                                              \
		if ((n) >= FILTER_MAX_VALUES) {                                           \
			log_error("--%s given more than %d times", optname, FILTER_MAX_VALUES); \
			return -EINVAL;                                                   \
		}                                                                         \
		(arr)[(n)++] = (val);                                                     \
	} while (0)

int filter_option(struct filter *f, int opt, const char *arg)
{
	int64_t v;

	switch (opt) {
	case FILTER_OPT_PID:
		if (parse_int("pid", arg, &v) < 0)
			return -EINVAL;
		PUSH(f->pids, f->n_pids, v, "pid");
		return 1;
	case FILTER_OPT_UID:
		if (parse_int("uid", arg, &v) < 0)
			return -EINVAL;
		PUSH(f->uids, f->n_uids, v, "uid");
		return 1;
	case FILTER_OPT_NAME:
		PUSH(f->names, f->n_names, arg, "name");
		return 1;
	case FILTER_OPT_EXE:
		PUSH(f->exes, f->n_exes, arg, "exe");
		return 1;
	case FILTER_OPT_ACTION:
		if (audit_action_from_string(arg) < 0) {
			char known[512];

			known_actions(known, sizeof(known));
			log_error("--action: unknown action '%s' (known: %s)", arg, known);
			return -EINVAL;
		}
		PUSH(f->actions, f->n_actions, arg, "action");
		return 1;
	case FILTER_OPT_PATH:
		PUSH(f->paths, f->n_paths, arg, "path");
		return 1;
	case FILTER_OPT_SINCE:
	case FILTER_OPT_UNTIL: {
		struct timespec *t = opt == FILTER_OPT_SINCE ? &f->since : &f->until;
		if (rfc3339_parse(arg, t) < 0) {
			log_error("--%s: '%s' is not an RFC 3339 time (e.g. 2026-11-29T06:12:03Z)",
				  opt == FILTER_OPT_SINCE ? "since" : "until", arg);
			return -EINVAL;
		}
		/* a bare date for --until means the whole day */
		if (opt == FILTER_OPT_UNTIL && strlen(arg) == 10)
			t->tv_sec += 86399, t->tv_nsec = 999999999;
		if (opt == FILTER_OPT_SINCE)
			f->has_since = true;
		else
			f->has_until = true;
		return 1;
	}
	default:
		return 0;
	}
}

bool filter_wants_events_only(const struct filter *f)
{
	return f->n_pids || f->n_uids || f->n_names || f->n_exes || f->n_actions || f->n_paths;
}

static bool int_in(const int64_t *v, unsigned n, int64_t x)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool glob_in(const char *const *v, unsigned n, const char *s)
{
	if (!s)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (fnmatch(v[i], s, 0) == 0)
			return true;
	return false;
}

static bool str_in(const char *const *v, unsigned n, const char *s)
{
	for (unsigned i = 0; s && i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool time_match(const struct filter *f, const struct record *r)
{
	struct timespec lo, hi;
	const char *a = r->ts, *b = r->ts;

	if (!f->has_since && !f->has_until)
		return true;
	if (r->kind == AUDIT_KIND_SUMMARY && r->first_ts && r->last_ts)
		a = r->first_ts, b = r->last_ts;
	if (rfc3339_parse(a, &lo) < 0 || rfc3339_parse(b, &hi) < 0)
		return false;
	if (f->has_since && timespec_cmp(&hi, &f->since) < 0)
		return false;
	if (f->has_until && timespec_cmp(&lo, &f->until) > 0)
		return false;
	return true;
}

static bool path_match(const struct filter *f, const struct record *r)
{
	if (glob_in(f->paths, f->n_paths, r->path) || glob_in(f->paths, f->n_paths, r->new_path))
		return true;
	/* a name that is not UTF-8 also matches by its exact bytes */
	return (r->path_exact != r->path && glob_in(f->paths, f->n_paths, r->path_exact)) ||
	       (r->new_path_exact != r->new_path && glob_in(f->paths, f->n_paths, r->new_path_exact));
}

bool filter_match(const struct filter *f, const struct record *r)
{
	if (!time_match(f, r))
		return false;
	if (!filter_wants_events_only(f))
		return true;
	if (!record_is_event(r))
		return false;
	if (f->n_pids && !int_in(f->pids, f->n_pids, r->pid))
		return false;
	if (f->n_uids && !int_in(f->uids, f->n_uids, r->uid))
		return false;
	if (f->n_names && !glob_in(f->names, f->n_names, r->name))
		return false;
	if (f->n_exes && !glob_in(f->exes, f->n_exes, r->exe))
		return false;
	if (f->n_actions && !str_in(f->actions, f->n_actions, r->action))
		return false;
	if (f->n_paths && !path_match(f, r))
		return false;
	return true;
}
