/* SPDX-License-Identifier: MIT */
/*
 * image_cmds.c - verify, list, remove and gc over the store (see image.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "filelist.h"
#include "image.h"
#include "log.h"
#include "verify.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

static enum unpack_owners layer_owners(int layer_dir_fd)
{
	_cleanup_close_ int fd = openat(layer_dir_fd, "layer.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[4096];
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0)
		return UNPACK_OWNERS_NATIVE;
	buf[n] = '\0';
	return strstr(buf, "\"owners\":\"override\"") ? UNPACK_OWNERS_OVERRIDE : UNPACK_OWNERS_NATIVE;
}

/* Verifies one layer; fills rep. */
static int verify_one_layer(struct image_store *s, const char *diff_id, struct verify_report *rep)
{
	_cleanup_close_ int dir_fd = -1, root_fd = -1;
	struct filelist *fl = NULL;
	char name[DIGEST_HEX_LEN + 8];
	const char *hex;
	int r;

	if (digest_parse(diff_id, &hex) < 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "layers/%s", hex);
	dir_fd = openat(s->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return log_error_errno(-errno, "layer %s: %m", diff_id);
	root_fd = openat(dir_fd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(-errno, "layer %s: its tree: %m", diff_id);
	if ((r = filelist_load(dir_fd, "files.jsonl", &fl)) < 0)
		return r;
	r = verify_layer(root_fd, fl, layer_owners(dir_fd), rep);
	filelist_free(fl);
	if (r < 0)
		return log_error_errno(r, "layer %s: verification failed: %m", diff_id);
	return 0;
}

static json_object *report_json(const char *diff_id, const struct verify_report *rep)
{
	json_object *l = json_object_new_object(), *k[_VERIFY_KIND_MAX];

	json_object_object_add(l, "diff_id", json_object_new_string(diff_id));
	json_object_object_add(l, "checked", json_object_new_int64((int64_t)rep->n_checked));
	for (int i = 0; i < _VERIFY_KIND_MAX; i++)
		k[i] = json_object_new_array();
	for (size_t i = 0; i < rep->n_items; i++) {
		const struct verify_item *it = &rep->items[i];

		if (it->kind == VERIFY_CHANGED) {
			json_object *c = json_object_new_object(), *f = json_object_new_array();
			_cleanup_free_ char *fields = strdup(it->fields);
			char *save = NULL;

			for (char *t = fields ? strtok_r(fields, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
				json_object_array_add(f, json_object_new_string(t));
			json_object_object_add(c, "path", json_object_new_string(it->path));
			json_object_object_add(c, "fields", f);
			json_object_array_add(k[it->kind], c);
		} else {
			json_object_array_add(k[it->kind], json_object_new_string(it->path));
		}
	}
	for (int i = 0; i < _VERIFY_KIND_MAX; i++)
		json_object_object_add(l, verify_kind_name((enum verify_kind)i), k[i]);
	return l;
}

static void report_text(FILE *out, const char *image, size_t i, size_t n, const char *diff_id,
			const struct verify_report *rep)
{
	fprintf(out, "%s: layer %zu of %zu (%s): %zu files checked, %s\n", image, i + 1, n, diff_id, rep->n_checked,
		rep->n_items ? "DRIFT" : "ok");
	for (size_t k = 0; k < rep->n_items; k++) {
		const struct verify_item *it = &rep->items[k];

		if (it->kind == VERIFY_CHANGED)
			fprintf(out, "  changed  %s (%s)\n", it->path, it->fields);
		else
			fprintf(out, "  %-8s %s\n", verify_kind_name(it->kind), it->path);
	}
}

/* Verifies one image; returns the number of drifted files or -errno. */
static int verify_image(struct image_store *s, const char *ref, bool json, FILE *out, json_object *arr)
{
	struct image_resolved *img = NULL;
	json_object *jimg = NULL, *jl = NULL;
	size_t drift = 0;
	int r;

	if ((r = image_resolve(s, ref, &img)) < 0) /* checks the config blob's digest too */
		return r;
	if (img->manifest_digest) {
		char *m = NULL;

		if ((r = store_read_blob(s, img->manifest_digest, &m, NULL)) < 0)
			goto out;
		free(m);
	}
	if (json) {
		jimg = json_object_new_object();
		jl = json_object_new_array();
		json_object_object_add(jimg, "name", json_object_new_string(img->name));
		json_object_object_add(jimg, "id", json_object_new_string(img->id));
	}
	for (size_t i = 0; i < img->n_layers; i++) {
		struct verify_report rep = { 0 };

		if ((r = verify_one_layer(s, img->diff_ids[i], &rep)) < 0) {
			verify_report_done(&rep);
			goto out;
		}
		drift += rep.n_items;
		if (json)
			json_object_array_add(jl, report_json(img->diff_ids[i], &rep));
		else
			report_text(out, img->name, i, img->n_layers, img->diff_ids[i], &rep);
		verify_report_done(&rep);
	}
	if (json) {
		json_object_object_add(jimg, "ok", json_object_new_boolean(drift == 0));
		json_object_object_add(jimg, "layers", TAKE_PTR(jl));
		json_object_array_add(arr, TAKE_PTR(jimg));
	}
	r = drift > INT32_MAX ? INT32_MAX : (int)drift;
out:
	json_object_put(jimg);
	json_object_put(jl);
	image_resolved_free(img);
	return r;
}

int image_verify(struct image_store *s, const char *ref, bool json, FILE *out)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	char **names = NULL;
	int r = 0, total = 0;

	json_object_object_add(root, "images", arr);
	if (ref) {
		total = verify_image(s, ref, json, out, arr);
		if (total < 0)
			return total;
	} else {
		if ((r = store_list_images(s, &names)) < 0)
			return log_error_errno(r, "cannot list the images of '%s': %m", s->path);
		for (size_t i = 0; names[i] && r >= 0; i++) {
			r = verify_image(s, names[i], json, out, arr);
			if (r > 0)
				total += r;
		}
		image_strv_free(names);
		if (r < 0)
			return r;
	}
	if (json) {
		json_object_object_add(root, "ok", json_object_new_boolean(total == 0));
		fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	fflush(out);
	return total;
}

int image_list(struct image_store *s, bool json, FILE *out)
{
	_cleanup_json_ json_object *arr = json_object_new_array();
	char **names = NULL;
	int r;

	if ((r = store_list_images(s, &names)) < 0)
		return log_error_errno(r, "cannot list the images of '%s': %m", s->path);
	if (!json)
		fprintf(out, "%-40s %-12s %s\n", "NAME", "ID", "LAYERS");
	for (size_t i = 0; names[i]; i++) {
		struct image_resolved *img = NULL;

		if (image_resolve(s, names[i], &img) < 0)
			continue;
		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(img->name));
			json_object_object_add(o, "id", json_object_new_string(img->id));
			json_object_object_add(o, "layers", json_object_new_int64((int64_t)img->n_layers));
			json_object_array_add(arr, o);
		} else {
			fprintf(out, "%-40s %.12s %zu\n", img->name, img->id + 7, img->n_layers);
		}
		image_resolved_free(img);
	}
	image_strv_free(names);
	if (json)
		fprintf(out, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	return fflush(out) == 0 ? 0 : -errno;
}

int image_remove(struct image_store *s, const char *ref)
{
	struct image_resolved *img = NULL;
	int r;

	if ((r = image_resolve(s, ref, &img)) < 0)
		return r;
	r = store_remove_image(s, img->name);
	if (r < 0)
		log_error_errno(r, "cannot remove image '%s': %m", img->name);
	image_resolved_free(img);
	return r;
}

/* Hex names of the layers and blobs that some image uses. */
static int collect_used(struct image_store *s, char ***ret)
{
	char **names = NULL, **used = NULL;
	size_t n = 0;
	int r;

	if ((r = store_list_images(s, &names)) < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		struct image_resolved *img = NULL;
		size_t k;
		char **nu;

		if ((r = image_resolve(s, names[i], &img)) < 0)
			break; /* never collect what a damaged record might still use */
		nu = reallocarray(used, n + img->n_layers + 3, sizeof(char *));
		if (!nu) {
			image_resolved_free(img);
			r = -ENOMEM;
			break;
		}
		used = nu;
		for (k = 0; k < img->n_layers; k++)
			used[n++] = strdup(img->diff_ids[k] + 7);
		used[n++] = strdup(img->id + 7);
		if (img->manifest_digest)
			used[n++] = strdup(img->manifest_digest + 7);
		used[n] = NULL;
		image_resolved_free(img);
	}
	image_strv_free(names);
	if (r < 0) {
		image_strv_free(used);
		return r;
	}
	*ret = used ? used : calloc(1, sizeof(char *));
	return *ret ? 0 : -ENOMEM;
}

static bool in_list(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (v[i] && strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Removes every entry of dir that used does not name (all when used is NULL). */
static int sweep(struct image_store *s, const char *dir, char **used, size_t *count)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = openat(s->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int k;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (used && in_list(used, de->d_name))
			continue;
		k = store_rm_rf_at(dirfd(d), de->d_name);
		if (k < 0) {
			log_error_errno(k, "cannot remove '%s/%s/%s': %m", s->path, dir, de->d_name);
			if (r == 0)
				r = k;
		} else {
			(*count)++;
		}
	}
	return r;
}

int image_gc(struct image_store *s, FILE *out)
{
	char **used = NULL;
	size_t layers = 0, blobs = 0, tmp = 0, locks = 0;
	int r;

	if ((r = collect_used(s, &used)) < 0)
		return log_error_errno(r, "cannot read the image records of '%s': nothing removed", s->path);
	r = sweep(s, "layers", used, &layers);
	if (r >= 0)
		r = sweep(s, "blobs/sha256", used, &blobs);
	if (r >= 0)
		r = sweep(s, "tmp", NULL, &tmp);
	if (r >= 0)
		r = sweep(s, "locks", used, &locks);
	image_strv_free(used);
	fprintf(out, "removed %zu layer(s), %zu blob(s), %zu unfinished import(s)\n", layers, blobs, tmp);
	return r;
}
