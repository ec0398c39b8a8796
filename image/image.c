/* SPDX-License-Identifier: MIT */
/*
 * image.c - resolve a stored image, print its config (see image.h).  The
 * import is in import.c.
 */
#include "image.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

int image_normalize_name(const char *name, char **ret)
{
	const char *slash = strrchr(name, '/'), *last = slash ? slash + 1 : name;

	if (!*name || strchr(name, '\n'))
		return -EINVAL;
	if (strchr(last, ':') || strchr(name, '@'))
		return (*ret = strdup(name)) ? 0 : -ENOMEM;
	return asprintf(ret, "%s:latest", name) < 0 ? -ENOMEM : 0;
}

/* ---- resolve ---------------------------------------------------------------- */

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A name, or an id / id prefix matched against every record. */
static int find_record(struct image_store *s, const char *ref, char **ret)
{
	_cleanup_free_ char *name = NULL, *first = NULL, *first_id = NULL;
	char **names = NULL;
	const char *hex = strncmp(ref, DIGEST_ALGO ":", 7) == 0 ? ref + 7 : ref;
	size_t hl = strlen(hex), hits = 0;
	int r;

	if (image_normalize_name(ref, &name) == 0) {
		_cleanup_free_ char *docker = NULL, *local = NULL;

		if (store_read_image(s, name, ret) == 0)
			return 0;
		/* A short name as Docker and podman complete it. */
		if (!strchr(ref, '/') && asprintf(&docker, "docker.io/library/%s", name) >= 0 &&
		    store_read_image(s, docker, ret) == 0)
			return 0;
		if (!strchr(ref, '/') && asprintf(&local, "localhost/%s", name) >= 0 &&
		    store_read_image(s, local, ret) == 0)
			return 0;
	}
	if (hl < 12 || hl > DIGEST_HEX_LEN || strspn(hex, "0123456789abcdef") != hl)
		return log_error_errno(-ENOENT, "no image '%s' in the store '%s'", ref, s->path);
	if ((r = store_list_images(s, &names)) < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		char *rec = NULL;
		json_object *o;

		if (store_read_image(s, names[i], &rec) < 0)
			continue;
		o = json_tokener_parse(rec);
		if (o && jstr(o, "id") && strncmp(jstr(o, "id") + 7, hex, hl) == 0) {
			/* Several names of one image are one match. */
			if (!first_id || strcmp(first_id, jstr(o, "id")) != 0)
				hits++;
			if (!first) {
				first = TAKE_PTR(rec);
				first_id = strdup(jstr(o, "id"));
			}
		}
		json_object_put(o);
		free(rec);
	}
	image_strv_free(names);
	if (hits == 1) {
		*ret = TAKE_PTR(first);
		return 0;
	}
	if (hits > 1)
		return log_error_errno(-EINVAL, "'%s' names %zu images: give more of the id", ref, hits);
	return log_error_errno(-ENOENT, "no image '%s' in the store '%s'", ref, s->path);
}

static int resolve_layers(struct image_store *s, struct image_resolved *r)
{
	r->n_layers = r->config.n_diff_ids;
	r->diff_ids = calloc(r->n_layers + 1, sizeof(char *));
	r->layer_dirs = calloc(r->n_layers + 1, sizeof(char *));
	if (!r->diff_ids || !r->layer_dirs)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_layers; i++) {
		const char *hex;
		int k;

		r->diff_ids[i] = strdup(r->config.diff_ids[i]);
		if (!r->diff_ids[i])
			return -ENOMEM;
		(void)digest_parse(r->diff_ids[i], &hex);
		if (!store_has_layer(s, hex))
			return log_error_errno(-ENOENT, "image '%s': layer %s is missing from the store", r->name,
					       r->diff_ids[i]);
		if ((k = store_layer_root(s, hex, &r->layer_dirs[r->n_layers - 1 - i])) < 0)
			return k;
	}
	return 0;
}

static int fill_resolved(struct image_store *s, json_object *o, struct image_resolved *r)
{
	_cleanup_free_ char *cfg = NULL;
	const char *why = NULL;
	size_t len;
	int k;

	if (!jstr(o, "name") || !jstr(o, "id") || digest_parse(jstr(o, "id"), NULL) < 0)
		return log_error_errno(-EBADMSG, "an image record in '%s' is damaged", s->path);
	r->name = strdup(jstr(o, "name"));
	r->id = strdup(jstr(o, "id"));
	r->manifest_digest = jstr(o, "manifest_digest") ? strdup(jstr(o, "manifest_digest")) : NULL;
	r->source = jstr(o, "source") ? strdup(jstr(o, "source")) : NULL;
	if (!r->name || !r->id)
		return -ENOMEM;
	if ((k = store_read_blob(s, r->id, &cfg, &len)) < 0)
		return k;
	if ((k = oci_parse_config(cfg, len, &r->config, &why)) < 0)
		return log_error_errno(k, "config blob %s: %s", r->id, why ? why : "out of memory");
	return resolve_layers(s, r);
}

int image_resolve(struct image_store *s, const char *ref, struct image_resolved **ret)
{
	_cleanup_free_ char *rec = NULL;
	_cleanup_json_ json_object *o = NULL;
	struct image_resolved *r;
	int k;

	if ((k = find_record(s, ref, &rec)) < 0)
		return k;
	o = json_tokener_parse(rec);
	if (!o)
		return log_error_errno(-EBADMSG, "the record of image '%s' is damaged", ref);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if ((k = fill_resolved(s, o, r)) < 0) {
		image_resolved_free(r);
		return k;
	}
	*ret = r;
	return 0;
}

struct image_resolved *image_resolved_free(struct image_resolved *r)
{
	if (!r)
		return NULL;
	free(r->name);
	free(r->id);
	free(r->manifest_digest);
	free(r->source);
	for (size_t i = 0; i < r->n_layers; i++) {
		free(r->diff_ids ? r->diff_ids[i] : NULL);
		free(r->layer_dirs ? r->layer_dirs[i] : NULL);
	}
	free(r->diff_ids);
	free(r->layer_dirs);
	oci_config_done(&r->config);
	free(r);
	return NULL;
}

int image_lowerdir(const struct image_resolved *r, char **ret)
{
	size_t len = 1;
	char *out, *o;

	for (size_t i = 0; i < r->n_layers; i++) {
		if (strchr(r->layer_dirs[i], ','))
			return log_error_errno(-EINVAL, "layer path '%s' holds a ',', which amberfs options cannot carry",
					       r->layer_dirs[i]);
		len += 2 * strlen(r->layer_dirs[i]) + 1;
	}
	out = o = malloc(len);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_layers; i++) {
		if (i)
			*o++ = ':';
		for (const char *p = r->layer_dirs[i]; *p; p++) {
			if (*p == ':' || *p == '\\')
				*o++ = '\\';
			*o++ = *p;
		}
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static void put_strv(json_object *o, const char *key, char **v)
{
	json_object *a;

	if (!v) {
		json_object_object_add(o, key, NULL);
		return;
	}
	a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	json_object_object_add(o, key, a);
}

static void put_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

static json_object *config_json(const struct image_resolved *r)
{
	json_object *o = json_object_new_object(), *lab = json_object_new_object();

	put_strv(o, "Entrypoint", r->config.entrypoint);
	put_strv(o, "Cmd", r->config.cmd);
	put_strv(o, "Env", r->config.env);
	put_str(o, "WorkingDir", r->config.working_dir);
	put_str(o, "User", r->config.user);
	put_str(o, "StopSignal", r->config.stop_signal);
	for (size_t i = 0; r->config.labels && r->config.labels[i]; i++) {
		const char *eq = strchr(r->config.labels[i], '=');
		_cleanup_free_ char *k = eq ? strndup(r->config.labels[i], (size_t)(eq - r->config.labels[i])) : NULL;

		if (k)
			json_object_object_add(lab, k, json_object_new_string(eq + 1));
	}
	json_object_object_add(o, "Labels", lab);
	return o;
}

static int print_json(json_object *o, FILE *out)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	fprintf(out, "%s\n", s);
	return fflush(out) == 0 ? 0 : -errno;
}

int image_print_config(const struct image_resolved *r, FILE *out)
{
	_cleanup_json_ json_object *o = config_json(r);

	return print_json(o, out);
}

int image_print_inspect(const struct image_resolved *r, FILE *out)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	put_str(o, "Name", r->name);
	put_str(o, "Id", r->id);
	put_str(o, "ManifestDigest", r->manifest_digest);
	put_str(o, "Source", r->source);
	put_str(o, "Os", r->config.os);
	put_str(o, "Architecture", r->config.architecture);
	put_strv(o, "DiffIDs", r->diff_ids);
	put_strv(o, "LayerDirs", r->layer_dirs);
	json_object_object_add(o, "Config", config_json(r));
	return print_json(o, out);
}
