/* SPDX-License-Identifier: MIT */
/* cstate.c - amber-oci's per-container record; see cstate.h. */
#include "cstate.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "xdg.h"

bool cstate_rootless(const char *rootless_opt)
{
	_cleanup_fclose_ FILE *f = NULL;
	unsigned long a, b, n;

	if (rootless_opt && strcmp(rootless_opt, "true") == 0)
		return true;
	if (rootless_opt && strcmp(rootless_opt, "false") == 0)
		return false;
	if (geteuid() != 0)
		return true;
	/* The initial user namespace maps all 2^32-1 ids onto themselves. */
	f = fopen("/proc/self/uid_map", "re");
	if (!f || fscanf(f, "%lu %lu %lu", &a, &b, &n) != 3)
		return false;
	return !(a == 0 && b == 0 && n == 4294967295UL);
}

int cstate_dir(const char *root_opt, bool rootless, const char *id, char **ret)
{
	const char *xdg = xdg_env(XDG_RUNTIME);
	int r;

	if (!*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
		return log_error_errno(-EINVAL, "invalid container id '%s'", id);
	if (root_opt)
		r = asprintf(ret, "%s/amber-oci/%s", root_opt, id);
	else if (rootless && xdg)
		r = asprintf(ret, "%s/amber-oci/%s", xdg, id);
	else if (rootless)
		r = asprintf(ret, "/tmp/amber-oci-%u/%s", (unsigned)getuid(), id);
	else
		r = asprintf(ret, "/run/amber-oci/%s", id);
	return r < 0 ? -ENOMEM : 0;
}

struct cstate *cstate_free(struct cstate *c)
{
	if (!c)
		return NULL;
	free(c->dir);
	free(c->id);
	free(c->bundle);
	free(c->mountpoint);
	free(c->log);
	free(c);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

static int dup_str(struct json_object *o, const char *key, char **ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -EBADMSG;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

int cstate_load(const char *dir, struct cstate **ret)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	_cleanup_free_ char *path = NULL;
	struct cstate *c;
	struct json_object *v;
	int r = 0;

	if (asprintf(&path, "%s/state.json", dir) < 0)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return -errno;
	o = json_object_from_file(path);
	if (!o)
		return log_error_errno(-EBADMSG, "cannot read '%s': %s", path, json_util_get_last_err() ?: "");
	c = calloc(1, sizeof(*c));
	if (!c || !(c->dir = strdup(dir)))
		return cstate_free(c), -ENOMEM;
	if ((r = dup_str(o, "id", &c->id)) < 0 || (r = dup_str(o, "bundle", &c->bundle)) < 0 ||
	    (r = dup_str(o, "mountpoint", &c->mountpoint)) < 0 || (r = dup_str(o, "log", &c->log)) < 0) {
		cstate_free(c);
		return log_error_errno(r, "'%s': a field is missing: %m", path);
	}
	if (json_object_object_get_ex(o, "daemon_pid", &v))
		c->daemon_pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "daemon_start", &v))
		c->daemon_start = (unsigned long long)json_object_get_uint64(v);
	*ret = c;
	return 0;
}

int cstate_save(const struct cstate *c)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	_cleanup_free_ char *path = NULL, *tmp = NULL;

	if (!o || asprintf(&path, "%s/state.json", c->dir) < 0 || asprintf(&tmp, "%s/.state.json.new", c->dir) < 0)
		return -ENOMEM;
	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
	json_object_object_add(o, "mountpoint", json_object_new_string(c->mountpoint));
	json_object_object_add(o, "log", json_object_new_string(c->log));
	json_object_object_add(o, "daemon_pid", json_object_new_int(c->daemon_pid));
	json_object_object_add(o, "daemon_start", json_object_new_uint64(c->daemon_start));
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) < 0)
		return log_error_errno(-EIO, "cannot write '%s': %s", tmp, json_util_get_last_err() ?: "");
	if (rename(tmp, path) < 0)
		return log_error_errno(-errno, "cannot rename '%s': %m", tmp);
	return 0;
}

unsigned long long cstate_proc_start(pid_t pid)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], buf[2048], *p;
	unsigned long long start = 0;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	/* comm may hold spaces and ')': fields start after the last ')' */
	p = strrchr(buf, ')');
	/* A zombie is gone: it holds no mount and answers no request. */
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &start) != 1)
		return 0;
	return start;
}
