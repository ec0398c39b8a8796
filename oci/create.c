/* SPDX-License-Identifier: MIT */
/*
 * create.c - amber-oci create: the container's root on amberfs.
 *
 * Order matters for crash safety: the state directory exists (mkdir, so
 * it is also the lock against a second create of the id) and holds a
 * state.json before the daemon starts, and the daemon's pid is recorded
 * before the runtime runs.  Whatever point a kill -9 of amber-oci or of
 * the engine interrupts, a later delete finds the mountpoint and the
 * daemon (see delete.c).
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "cleanup.h"
#include "cstate.h"
#include "daemon.h"
#include "log.h"
#include "runtime.h"
#include "xdg.h"

#define ANNOTATION_LOG "org.amber.log"
#define META_MAX 250
#define META_KEY_MAX 253
#define META_VALUE_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(struct bundle *, bundle_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cstate *, cstate_free);

struct create_args {
	const char *bundle; /* NULL: the current directory */
	const char *id;
	size_t bundle_idx;  /* index of the bundle's value in args; n: none */
};

static int parse_create(char **args, size_t n, struct create_args *ret)
{
	struct create_args c = { .bundle_idx = n };
	char name[64];

	for (size_t i = 0; i < n; i++) {
		const char *a = args[i];

		if (!args_opt_name(a, name, sizeof(name))) {
			c.id = a;
			continue;
		}
		if (strcmp(name, "bundle") == 0 || strcmp(name, "b") == 0) {
			if (strchr(a, '='))
				c.bundle = strchr(a, '=') + 1;
			else if (i + 1 < n)
				c.bundle = args[i + 1];
			c.bundle_idx = i;
		}
		if (!strchr(a, '=') && args_cmd_takes_value(name))
			i++;
	}
	if (!c.id)
		return log_error_errno(-EINVAL, "create: no container id given");
	*ret = c;
	return 0;
}

/* The audit log: the annotation, else /var/log/amber/ID.log (root) or the
 * user's state directory ($XDG_STATE_HOME or ~/.local/state)/amber/ID.log. */
static int log_path(const struct bundle *b, const char *id, bool rootless, char **ret)
{
	const char *a = bundle_annotation(b, ANNOTATION_LOG);
	_cleanup_free_ char *sub = NULL;
	int r;

	if (a) {
		if (a[0] != '/')
			return log_error_errno(-EINVAL, "annotation %s='%s': not an absolute path", ANNOTATION_LOG, a);
		return asprintf(ret, "%s", a) < 0 ? -ENOMEM : 0;
	}
	if (!rootless)
		return asprintf(ret, "/var/log/amber/%s.log", id) < 0 ? -ENOMEM : 0;
	if (asprintf(&sub, "amber/%s.log", id) < 0) {
		sub = NULL; /* undefined after a failed asprintf */
		return -ENOMEM;
	}
	r = xdg_path(XDG_STATE, sub, ret);
	if (r == -ENOENT)
		r = asprintf(ret, "/tmp/amber-oci-%u/logs/%s.log", (unsigned)getuid(), id) < 0 ? -ENOMEM : 0;
	return r;
}

/* The log is appended to: refuse a file that is not an amberfs log, so an
 * annotation cannot make the daemon write into, say, /etc/passwd. */
static int check_log(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	_cleanup_free_ char *dir = strdup(path);
	char head[8] = "";
	struct stat st;

	if (!dir)
		return -ENOMEM;
	if (fd < 0 && errno != ENOENT)
		return log_error_errno(-errno, "audit log '%s': %m", path);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
			(st.st_size > 0 && (read(fd, head, 6) != 6 || strncmp(head, "{\"v\":1", 6) != 0))))
		return log_error_errno(-EEXIST, "audit log '%s' exists and is not an amberfs log; refusing to append to it",
				       path);
	*strrchr(dir, '/') = '\0';
	return oci_mkdir_p(*dir ? dir : "/", 0750);
}

static int meta_add(struct strv *m, const char *key, const char *value)
{
	_cleanup_free_ char *kv = NULL;

	if (m->n >= META_MAX || strlen(key) > META_KEY_MAX || strlen(value) > META_VALUE_MAX ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") != strlen(key) ||
	    !*key) {
		log_debug("annotation '%s' not carried into the audit log", key);
		return 0;
	}
	if (asprintf(&kv, "%s=%s", key, value) < 0) {
		kv = NULL; /* undefined after a failed asprintf */
		return -ENOMEM;
	}
	return strv_push(m, kv);
}

static int meta_annotation(const char *key, const char *value, void *userdata)
{
	return meta_add(userdata, key, value);
}

/* Mounts amberfs and records the daemon; c->dir exists. */
static int mount_root(struct cstate *c, struct bundle *b, const char *runtime)
{
	_cleanup_free_ char *pidfile = NULL;
	struct strv m = { 0 };
	struct daemon_config dc;
	int r;

	if (asprintf(&pidfile, "%s/amberfs.pid", c->dir) < 0)
		return -ENOMEM;
	if (mkdir(c->mountpoint, 0755) < 0)
		return log_error_errno(-errno, "mkdir '%s': %m", c->mountpoint);
	if ((r = meta_add(&m, "container_id", c->id)) < 0 || (r = meta_add(&m, "bundle", c->bundle)) < 0 ||
	    (r = meta_add(&m, "runtime", runtime)) < 0 || (r = bundle_annotations(b, meta_annotation, &m)) < 0) {
		strv_free(&m);
		return r;
	}
	dc = (struct daemon_config){
		.layer = b->rootfs, .log = c->log, .pidfile = pidfile, .mountpoint = c->mountpoint,
		.synthdirs = &b->synthdirs, .meta = &m,
	};
	r = daemon_start(&dc, &c->daemon_pid);
	strv_free(&m);
	if (r < 0)
		return r;
	c->daemon_start = cstate_proc_start(c->daemon_pid);
	return cstate_save(c);
}

static int prepare(const struct oci_globals *g, const struct create_args *ca, struct cstate *c)
{
	_cleanup_(bundle_freep) struct bundle *b = NULL;
	_cleanup_free_ char *private = NULL;
	int r;

	r = bundle_load(ca->bundle ? ca->bundle : ".", &b);
	if (r < 0)
		return r;
	c->bundle = strdup(b->dir);
	if (!c->bundle || asprintf(&c->mountpoint, "%s/rootfs", c->dir) < 0 ||
	    asprintf(&private, "%s/bundle", c->dir) < 0)
		return -ENOMEM;
	r = log_path(b, c->id, cstate_rootless(g->rootless), &c->log);
	if (r < 0 || (r = check_log(c->log)) < 0)
		return r;
	r = cstate_save(c); /* before the daemon: delete can always find it */
	if (r < 0 || (r = bundle_mountpoints(b)) < 0)
		return r;
	r = mount_root(c, b, runtime_pick(g));
	if (r < 0)
		return r;
	return bundle_write_private(b, c->mountpoint, private);
}

/* The caller's arguments with the bundle replaced by opt ("--bundle=PRIVATE",
 * which must outlive *ret). */
static int create_argv(const struct oci_globals *g, char **args, size_t n, const struct create_args *ca,
		       char *opt, char ***ret)
{
	_cleanup_free_ char **a = calloc(n + 2, sizeof(*a));
	size_t k = 0;

	if (!a)
		return -ENOMEM;
	a[k++] = opt;
	for (size_t i = 0; i < n; i++) {
		if (i == ca->bundle_idx) {
			if (!strchr(args[i], '='))
				i++;
			continue;
		}
		a[k++] = args[i];
	}
	return runtime_argv(g, "create", a, k, ret);
}

int cmd_create(const struct oci_globals *g, char **args, size_t n)
{
	_cleanup_(cstate_freep) struct cstate *c = calloc(1, sizeof(*c));
	_cleanup_free_ char **argv = NULL;
	_cleanup_free_ char *private = NULL, *opt = NULL;
	struct create_args ca = { 0 };
	int r;

	if (!c)
		return -ENOMEM;
	r = parse_create(args, n, &ca);
	if (r < 0)
		return r;
	r = cstate_dir(g->root, cstate_rootless(g->rootless), ca.id, &c->dir);
	if (r < 0 || !(c->id = strdup(ca.id)))
		return r < 0 ? r : -ENOMEM;
	*strrchr(c->dir, '/') = '\0';
	r = oci_mkdir_p(c->dir, 0700);
	c->dir[strlen(c->dir)] = '/';
	if (r < 0)
		return r;
	if (mkdir(c->dir, 0700) < 0)
		return log_error_errno(-errno, "container '%s': '%s': %m%s", ca.id, c->dir,
				       errno == EEXIST ? " (delete it first)" : "");
	if (asprintf(&private, "%s/bundle", c->dir) < 0 || asprintf(&opt, "--bundle=%s", private) < 0 ||
	    (r = prepare(g, &ca, c)) < 0 || (r = create_argv(g, args, n, &ca, opt, &argv)) < 0) {
		oci_cleanup(c->dir);
		return r < 0 ? r : -ENOMEM;
	}
	r = runtime_run(argv);
	if (r != 0) {
		log_debug("the runtime's create failed (%d); removing the mount", r);
		oci_cleanup(c->dir);
	}
	return r;
}
