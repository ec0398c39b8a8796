/* SPDX-License-Identifier: MIT */
/*
 * delete.c - amber-oci delete and state.
 *
 * Cleaning up trusts nothing but the state directory: state.json may be
 * missing or name no daemon (create was killed), the daemon may be dead
 * (kill -9: its mount then answers ENOTCONN, and the unmount still
 * works), or gone with its pid reused (the start time tells).  A daemon
 * that create started but had no time to record is found by its pid file
 * and its name.
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cstate.h"
#include "daemon.h"
#include "log.h"
#include "runtime.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct cstate *, cstate_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

int oci_mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return log_error_errno(-errno, "mkdir '%s': %m", p);
		if (!s)
			return 0;
		*s = '/';
	}
}

/* The pid in DIR/amberfs.pid if that process is an amberfs. */
static pid_t pid_from_file(const char *dir)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char comm[64] = "", cpath[64];
	int pid = 0;

	if (asprintf(&path, "%s/amberfs.pid", dir) < 0 || !(f = fopen(path, "re")) || fscanf(f, "%d", &pid) != 1 ||
	    pid <= 0)
		return 0;
	fclose(TAKE_PTR(f));
	snprintf(cpath, sizeof(cpath), "/proc/%d/comm", pid);
	f = fopen(cpath, "re");
	if (!f || !fgets(comm, sizeof(comm), f) || strncmp(comm, "amberfs", 7) != 0)
		return 0;
	return pid;
}

static void unlink_in(const char *dir, const char *name, int flags)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return;
	if (unlinkat(AT_FDCWD, p, flags) < 0 && errno != ENOENT)
		log_warning_errno(-errno, "cannot remove '%s': %m", p);
}

void oci_cleanup(const char *dir)
{
	_cleanup_(cstate_freep) struct cstate *c = NULL;
	_cleanup_free_ char *mnt = NULL;
	unsigned long long start = 0;
	pid_t pid = 0;

	if (cstate_load(dir, &c) == 0) {
		pid = c->daemon_pid;
		start = c->daemon_start;
	}
	if (pid <= 0)
		pid = pid_from_file(dir);
	if (asprintf(&mnt, "%s/rootfs", dir) < 0)
		return;
	if (daemon_stop(mnt, pid, start) < 0)
		return; /* still mounted: keep the directory, a later delete retries */
	unlink_in(dir, "bundle/config.json", 0);
	unlink_in(dir, "bundle", AT_REMOVEDIR);
	unlink_in(dir, "rootfs", AT_REMOVEDIR);
	unlink_in(dir, "amberfs.pid", 0);
	unlink_in(dir, ".state.json.new", 0);
	unlink_in(dir, "state.json", 0);
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_warning_errno(-errno, "cannot remove '%s': %m", dir);
}

/* The last word that is not an option (or an option's value). */
static const char *find_id(char **args, size_t n)
{
	const char *id = NULL;
	char name[64];

	for (size_t i = 0; i < n; i++) {
		if (!args_opt_name(args[i], name, sizeof(name)))
			id = args[i];
		else if (!strchr(args[i], '=') && args_cmd_takes_value(name))
			i++;
	}
	return id;
}

/* Whether the runtime still knows the container (its state succeeds). */
static bool runtime_has(const struct oci_globals *g, const char *id)
{
	_cleanup_free_ char **argv = NULL;
	_cleanup_free_ char *out = NULL;
	char *a[] = { (char *)id };
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC), r;

	if (runtime_argv(g, "state", a, 1, &argv) < 0)
		return true;
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	r = runtime_capture(argv, &out);
	if (saved >= 0)
		dup2(saved, STDERR_FILENO), close(saved);
	if (null >= 0)
		close(null);
	return r == 0;
}

int cmd_delete(const struct oci_globals *g, char **args, size_t n)
{
	_cleanup_free_ char **argv = NULL;
	_cleanup_free_ char *dir = NULL;
	const char *id = find_id(args, n);
	struct stat st;
	int r, status;

	if (!id)
		return log_error_errno(-EINVAL, "delete: no container id given");
	r = cstate_dir(g->root, cstate_rootless(g->rootless), id, &dir);
	if (r < 0 || (r = runtime_argv(g, "delete", args, n, &argv)) < 0)
		return r;
	status = runtime_run(argv);
	if (status < 0)
		return status;
	if (stat(dir, &st) < 0)
		return status; /* not ours, or already cleaned */
	if (status != 0 && runtime_has(g, id))
		return status; /* e.g. still running without --force */
	oci_cleanup(dir);
	return status;
}

int cmd_state(const struct oci_globals *g, char **args, size_t n)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	_cleanup_(cstate_freep) struct cstate *c = NULL;
	_cleanup_free_ char **argv = NULL;
	_cleanup_free_ char *out = NULL, *dir = NULL;
	const char *id = find_id(args, n);
	int r, status;

	if ((r = runtime_argv(g, "state", args, n, &argv)) < 0)
		return r;
	status = runtime_capture(argv, &out);
	if (status < 0)
		return status;
	if (status == 0 && id && cstate_dir(g->root, cstate_rootless(g->rootless), id, &dir) == 0 &&
	    cstate_load(dir, &c) == 0 && (o = json_tokener_parse(out)) && json_object_is_type(o, json_type_object)) {
		/* The engine's bundle, not the private copy. */
		json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
		fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
		      stdout);
		fputc('\n', stdout);
	} else
		fputs(out, stdout);
	return fflush(stdout) == 0 ? status : -EIO;
}
