/* SPDX-License-Identifier: MIT */
/*
 * target.c - amber-run's first argument: a layer list, a stored image or
 * a transport reference (see target.h).
 *
 * Images come from libamberimage, which reads only the store.  An import
 * is left to the amber-image program, so that a rootless import runs in
 * the same user namespace set-up as "amber-image import" does by hand.
 */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "optlist.h"
#include "progpath.h"

#ifdef AMBER_WITH_IMAGE
#include "image.h"
#endif

static const char *const transports[] = { "oci:", "oci-archive:", "docker-archive:" };

static bool has_transport(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(transports); i++)
		if (strncmp(s, transports[i], strlen(transports[i])) == 0)
			return true;
	return false;
}

enum target_kind target_kind(const char *arg)
{
	struct strv parts = { 0 };
	enum target_kind k = TARGET_LAYERS;
	size_t bad;

	if (has_transport(arg))
		return TARGET_TRANSPORT;
	if (strchr(arg, '/') || arg[0] == '.')
		return TARGET_LAYERS;
	if (optlist_split(arg, &parts, &bad) < 0)
		return TARGET_LAYERS; /* let the layer checks say what is wrong */
	for (size_t i = 0; i < parts.n; i++) {
		struct stat st;

		if (stat(parts.v[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			k = TARGET_IMAGE;
			break;
		}
	}
	strv_free(&parts);
	return k;
}

#ifdef AMBER_WITH_IMAGE

/* Runs "amber-image --store S --quiet import REF"; *ret gets the name it
 * printed.  Its progress and messages go to our stderr. */
static int run_import(const char *store, const char *ref, char **ret)
{
	const char *bin = progpath_find("amber-image", "AMBER_IMAGE", AMBER_IMAGE_BUILD_PATH);
	char name[4096];
	int p[2], status;
	ssize_t n = 0, k;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return log_error_errno(-errno, "fork: %m");
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execlp(bin, bin, "--store", store, "import", ref, (char *)NULL);
		fprintf(stderr, "amber-run: cannot run '%s': %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (n < (ssize_t)sizeof(name) - 1 && (k = read(p[0], name + n, sizeof(name) - 1 - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += k;
	}
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(-EIO, "cannot import '%s' (amber-image import failed)", ref);
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	if (!name[0])
		return log_error_errno(-EIO, "amber-image import '%s' named no image", ref);
	return (*ret = strdup(name)) ? 0 : -ENOMEM;
}

/* The name of a stored image that was imported from ref, if any. */
static int find_imported(struct image_store *s, const char *ref, char **ret)
{
	char **names = NULL;
	int r = store_list_images(s, &names);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; names && names[i]; i++) {
		struct image_resolved *img = NULL;

		if (r == -ENOENT && image_resolve(s, names[i], &img) == 0 && img->source &&
		    strcmp(img->source, ref) == 0)
			r = (*ret = strdup(img->name)) ? 0 : -ENOMEM;
		image_resolved_free(img);
		free(names[i]);
	}
	free(names);
	return r;
}

static int strv_set(struct strv *dst, char *const *v)
{
	int r;

	strv_free(dst);
	for (size_t i = 0; v && v[i]; i++)
		if ((r = strv_push(dst, v[i])) < 0)
			return r;
	return 0;
}

/* Docker's rules: --entrypoint replaces Entrypoint and drops Cmd; a given
 * COMMAND replaces Cmd. */
static int apply_command(struct run_opts *o, const struct oci_config *c)
{
	struct strv argv = { 0 };
	int r = 0;

	if (o->entrypoint) {
		if (o->entrypoint[0])
			r = strv_push(&argv, o->entrypoint);
	} else {
		for (size_t i = 0; r == 0 && c->entrypoint && c->entrypoint[i]; i++)
			r = strv_push(&argv, c->entrypoint[i]);
	}
	if (o->argv.n > 0) {
		for (size_t i = 0; r == 0 && i < o->argv.n; i++)
			r = strv_push(&argv, o->argv.v[i]);
	} else if (!o->entrypoint) {
		for (size_t i = 0; r == 0 && c->cmd && c->cmd[i]; i++)
			r = strv_push(&argv, c->cmd[i]);
	}
	if (r == 0 && argv.n == 0)
		r = log_error_errno(-EINVAL, "the image has no Entrypoint or Cmd: give a COMMAND");
	if (r < 0) {
		strv_free(&argv);
		return r;
	}
	strv_free(&o->argv);
	o->argv = argv;
	return 0;
}

/* Env of the image first, so -e and --env-file entries win. */
static int apply_env(struct run_opts *o, const struct oci_config *c)
{
	struct strv env = { 0 };
	int r = 0;

	for (size_t i = 0; r == 0 && c->env && c->env[i]; i++)
		if (strchr(c->env[i], '='))
			r = env_add(&env, c->env[i]);
	for (size_t i = 0; r == 0 && i < o->env.n; i++)
		r = env_add(&env, o->env.v[i]);
	if (r < 0) {
		strv_free(&env);
		return r;
	}
	strv_free(&o->env);
	o->env = env;
	return 0;
}

static int apply_stop_signal(struct run_opts *o, const char *sig)
{
	const char *name = sig;
	char *end;
	long n;

	if (!sig || !sig[0])
		return 0;
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	n = strtol(name, &end, 10);
	if (end == name || *end)
		for (n = 1; n < NSIG; n++)
			if (sigabbrev_np(n) && strcmp(sigabbrev_np(n), name) == 0)
				break;
	if (n < 1 || n >= NSIG)
		return log_error_errno(-EINVAL, "the image's StopSignal '%s' is not a signal", sig);
	o->stop_signal = (int)n;
	return 0;
}

static int add_fs_option(struct run_opts *o, const char *key, const char *value)
{
	_cleanup_free_ char *opt = NULL;

	if (value && strpbrk(value, ",\\"))
		return 0; /* cannot be carried in -o; leave it out of the record */
	if (asprintf(&opt, "%s%s%s", key, value ? "=" : "", value ? value : "") < 0)
		return -ENOMEM;
	return strv_push(&o->fs_options, opt);
}

static int apply_meta(struct run_opts *o, const struct image_resolved *img)
{
	_cleanup_free_ char *ids = NULL;
	size_t len = 1;
	int r;

	for (size_t i = 0; i < img->n_layers; i++)
		len += strlen(img->diff_ids[i]) + 1;
	ids = calloc(1, len);
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_layers; i++) {
		if (i)
			strcat(ids, " ");
		strcat(ids, img->diff_ids[i]);
	}
	if ((r = add_fs_option(o, "xattr_permissions", "2")) < 0 ||
	    (r = add_fs_option(o, "meta.image", img->name)) < 0 ||
	    (r = add_fs_option(o, "meta.image_id", img->id)) < 0 ||
	    (img->manifest_digest && (r = add_fs_option(o, "meta.manifest_digest", img->manifest_digest)) < 0) ||
	    (r = add_fs_option(o, "meta.diff_ids", ids)) < 0)
		return r;
	return 0;
}

static int apply_image(struct run_opts *o, const struct image_resolved *img)
{
	const struct oci_config *c = &img->config;
	int r;

	if ((r = strv_set(&o->layers, img->layer_dirs)) < 0 || (r = apply_command(o, c)) < 0 ||
	    (r = apply_env(o, c)) < 0 || (r = apply_stop_signal(o, c->stop_signal)) < 0 ||
	    (r = apply_meta(o, img)) < 0)
		return r;
	if (!o->workdir && c->working_dir && c->working_dir[0] && !(o->workdir = strdup(c->working_dir)))
		return -ENOMEM;
	if (!o->user && c->user && c->user[0] && !(o->user = strdup(c->user)))
		return -ENOMEM;
	return 0;
}

static int resolve_image(struct run_opts *o, enum target_kind kind)
{
	_cleanup_free_ char *path = NULL, *name = NULL;
	struct image_resolved *img = NULL;
	struct image_store *s = NULL;
	int r;

	if (o->store)
		path = strdup(o->store);
	else if ((r = store_default_path(&path)) < 0)
		return log_error_errno(r, "cannot work out the image store's path: %m (use --store DIR)");
	if (!path)
		return -ENOMEM;
	if (kind == TARGET_TRANSPORT) {
		r = store_open(path, false, false, &s);
		r = r == 0 ? find_imported(s, o->target, &name) : -ENOENT;
		s = store_close(s);
		if (r == -ENOENT)
			r = run_import(path, o->target, &name);
		if (r < 0)
			return r;
	}
	r = store_open(path, false, false, &s);
	if (r < 0)
		return log_error_errno(r, "image '%s': cannot open the image store '%s': %m (import it with amber-image import)",
				       o->target, path);
	r = image_resolve(s, name ? name : o->target, &img);
	if (r == 0)
		r = apply_image(o, img);
	image_resolved_free(img);
	store_close(s);
	return r;
}

#else

static int resolve_image(struct run_opts *o, enum target_kind kind)
{
	return log_error_errno(-ENOTSUP, "'%s' is not a layer list, and this amber-run was built without image support",
			       o->target);
}

#endif

int target_resolve(struct run_opts *o)
{
	enum target_kind kind = target_kind(o->target);

	if (kind == TARGET_LAYERS) {
		if (o->entrypoint)
			return log_error_errno(-EINVAL, "--entrypoint needs an image, not a layer list");
		if (o->argv.n == 0)
			return log_error_errno(-EINVAL, "missing COMMAND after the layer list (see --help)");
		return 0;
	}
	return resolve_image(o, kind);
}
