/* SPDX-License-Identifier: MIT */
/* bundle.c - config.json in, the private bundle out; see bundle.h. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

struct bundle *bundle_free(struct bundle *b)
{
	if (!b)
		return NULL;
	free(b->dir);
	free(b->rootfs);
	json_object_put(b->config);
	strv_free(&b->synthdirs);
	free(b);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bundle *, bundle_free);

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *get_obj(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

int bundle_load(const char *dir, struct bundle **ret)
{
	_cleanup_(bundle_freep) struct bundle *b = calloc(1, sizeof(*b));
	_cleanup_free_ char *cfg = NULL, *root = NULL;
	const char *rp;

	if (!b)
		return -ENOMEM;
	b->dir = realpath(dir, NULL);
	if (!b->dir)
		return log_error_errno(-errno, "bundle '%s': %m", dir);
	if (asprintf(&cfg, "%s/config.json", b->dir) < 0)
		return -ENOMEM;
	b->config = json_object_from_file(cfg);
	if (!b->config || !json_object_is_type(b->config, json_type_object))
		return log_error_errno(-EINVAL, "'%s': not a JSON object: %s", cfg, json_util_get_last_err() ?: "");
	rp = get_str(get_obj(b->config, "root", json_type_object), "path");
	if (!rp || !*rp)
		return log_error_errno(-EINVAL, "'%s': no root.path", cfg);
	if (rp[0] == '/')
		root = strdup(rp);
	else if (asprintf(&root, "%s/%s", b->dir, rp) < 0)
		root = NULL;
	if (!root)
		return -ENOMEM;
	b->rootfs = realpath(root, NULL);
	if (!b->rootfs)
		return log_error_errno(-errno, "root.path '%s': %m", root);
	*ret = TAKE_PTR(b);
	return 0;
}

const char *bundle_annotation(const struct bundle *b, const char *key)
{
	return get_str(get_obj(b->config, "annotations", json_type_object), key);
}

int bundle_annotations(const struct bundle *b, int (*fn)(const char *, const char *, void *), void *userdata)
{
	struct json_object *a = get_obj(b->config, "annotations", json_type_object);
	int r;

	if (!a)
		return 0;
	json_object_object_foreach(a, key, val) {
		if (!json_object_is_type(val, json_type_string))
			continue;
		r = fn(key, json_object_get_string(val), userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_bind(struct json_object *m)
{
	const char *type = get_str(m, "type");
	struct json_object *opts = get_obj(m, "options", json_type_array);

	if (type && strcmp(type, "bind") == 0)
		return true;
	for (size_t i = 0; opts && i < json_object_array_length(opts); i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(opts, i));

		if (o && (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0))
			return true;
	}
	return false;
}

/* Whether dst lies below (or is) an earlier mount's destination. */
static bool below_earlier(struct json_object *mounts, size_t i, const char *dst)
{
	for (size_t j = 0; j < i; j++) {
		const char *d = get_str(json_object_array_get_idx(mounts, j), "destination");
		size_t l = d ? strlen(d) : 0;

		while (l > 1 && d[l - 1] == '/')
			l--;
		if (l == 1 && d[0] == '/')
			continue;
		if (l > 0 && strncmp(dst, d, l) == 0 && (dst[l] == '/' || dst[l] == '\0'))
			return true;
	}
	return false;
}

static int resolve_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .mode = mode, .resolve = RESOLVE_IN_ROOT };

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* mkdir -p of path's parent, then an empty file, all inside the root. */
static int create_file_target(int rootfd, const char *dst)
{
	_cleanup_free_ char *p = strdup(dst);
	_cleanup_close_ int fd = -1;
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		_cleanup_close_ int d = -1;

		*s = '\0';
		d = resolve_in_root(rootfd, p, O_PATH | O_DIRECTORY, 0);
		if (d < 0 && errno == ENOENT) {
			_cleanup_close_ int parent = -1;
			char *slash = strrchr(p, '/');

			*slash = '\0';
			parent = resolve_in_root(rootfd, *p ? p : "/", O_PATH | O_DIRECTORY, 0);
			*slash = '/';
			if (parent < 0 || (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST))
				return -errno;
		} else if (d < 0)
			return -errno;
		*s = '/';
	}
	fd = resolve_in_root(rootfd, p, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644);
	return fd < 0 ? -errno : 0;
}

static int add_synthdir(struct bundle *b, const char *dst)
{
	return strv_push(&b->synthdirs, dst);
}

/* A bind mount of a file needs a file to mount on; everything else a directory. */
static bool file_target(struct json_object *m)
{
	const char *src = get_str(m, "source");
	struct stat st;

	return is_bind(m) && src && stat(src, &st) == 0 && !S_ISDIR(st.st_mode);
}

int bundle_mountpoints(struct bundle *b)
{
	struct json_object *mounts = get_obj(b->config, "mounts", json_type_array);
	_cleanup_close_ int rootfd = -1;
	int r;

	if (!mounts)
		return 0;
	rootfd = open(b->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return log_error_errno(-errno, "root '%s': %m", b->rootfs);
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i);
		const char *dst = get_str(m, "destination");
		_cleanup_close_ int fd = -1;

		if (!dst || dst[0] != '/' || below_earlier(mounts, i, dst))
			continue;
		fd = resolve_in_root(rootfd, dst, O_PATH, 0);
		if (fd >= 0 || errno != ENOENT)
			continue;
		if (file_target(m)) {
			r = create_file_target(rootfd, dst);
			if (r < 0)
				log_warning_errno(r, "cannot create the mount target '%s' in '%s': %m", dst, b->rootfs);
			continue;
		}
		if ((r = add_synthdir(b, dst)) < 0)
			return r;
	}
	return 0;
}

/* Relative bind sources are relative to the bundle: make them absolute. */
static int absolute_sources(const struct bundle *b, struct json_object *mounts)
{
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i);
		const char *src = get_str(m, "source");
		_cleanup_free_ char *abs = NULL;

		if (!src || src[0] == '/' || !is_bind(m))
			continue;
		if (asprintf(&abs, "%s/%s", b->dir, src) < 0)
			return -ENOMEM;
		json_object_object_add(m, "source", json_object_new_string(abs));
	}
	return 0;
}

int bundle_write_private(const struct bundle *b, const char *mountpoint, const char *dir)
{
	_cleanup_(json_object_putp) struct json_object *copy = NULL;
	_cleanup_free_ char *path = NULL;
	struct json_object *root;
	int r;

	if (json_object_deep_copy(b->config, &copy, NULL) < 0)
		return -ENOMEM;
	root = get_obj(copy, "root", json_type_object);
	json_object_object_add(root, "path", json_object_new_string(mountpoint));
	json_object_object_add(root, "readonly", json_object_new_boolean(false));
	r = absolute_sources(b, get_obj(copy, "mounts", json_type_array));
	if (r < 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "mkdir '%s': %m", dir);
	if (asprintf(&path, "%s/config.json", dir) < 0)
		return -ENOMEM;
	if (json_object_to_file_ext(path, copy, JSON_C_TO_STRING_PLAIN) < 0)
		return log_error_errno(-EIO, "cannot write '%s': %s", path, json_util_get_last_err() ?: "");
	return 0;
}
