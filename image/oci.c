/* SPDX-License-Identifier: MIT */
/*
 * oci.c - parsers of the image JSON documents (see oci.h).
 *
 * Unknown fields are ignored, as the OCI spec asks; a field this code
 * relies on that has the wrong JSON type is an error, never a default.
 */
#include "oci.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "digest.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

#define BAD(why)                      \
	({                            \
		*ret_why = (why);     \
		-EBADMSG;             \
	})

size_t image_strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char **image_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

/* Parses exactly len bytes as one JSON value (trailing garbage refused). */
static json_object *parse_json(const char *buf, size_t len)
{
	json_tokener *tok;
	json_object *o;

	if (len > OCI_JSON_MAX || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(64);
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		size_t used = json_tokener_get_parse_end(tok);

		while (used < len && strchr(" \t\r\n", buf[used]))
			used++;
		if (used != len) {
			json_object_put(o);
			o = NULL;
		}
	} else if (o) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Optional string member: 0 and *ret = copy or NULL; -EBADMSG on a non-string. */
static int get_str(json_object *obj, const char *key, char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EBADMSG;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

/* Optional array of strings; absent or null gives NULL. */
static int get_strv(json_object *obj, const char *key, char ***ret)
{
	json_object *v;
	char **s;
	size_t n;

	*ret = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return -EBADMSG;
	n = json_object_array_length(v);
	s = calloc(n + 1, sizeof(char *));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string)) {
			image_strv_free(s);
			return -EBADMSG;
		}
		s[i] = strdup(json_object_get_string(e));
		if (!s[i]) {
			image_strv_free(s);
			return -ENOMEM;
		}
	}
	*ret = s;
	return 0;
}

static json_object *get_obj(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

void oci_descriptor_done(struct oci_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->ref_name);
	free(d->platform.os);
	free(d->platform.architecture);
	free(d->platform.variant);
	memset(d, 0, sizeof(*d));
}

static int parse_descriptor(json_object *o, struct oci_descriptor *d, const char **ret_why)
{
	json_object *v, *ann, *plat;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return BAD("a descriptor is not an object");
	if ((r = get_str(o, "mediaType", &d->media_type)) < 0)
		return r == -EBADMSG ? BAD("descriptor mediaType is not a string") : r;
	if ((r = get_str(o, "digest", &d->digest)) < 0)
		return r == -EBADMSG ? BAD("descriptor digest is not a string") : r;
	if (!d->digest || digest_parse(d->digest, NULL) < 0)
		return BAD("descriptor digest is missing or not sha256:<64 hex digits>");
	if (!json_object_object_get_ex(o, "size", &v) || !json_object_is_type(v, json_type_int))
		return BAD("descriptor size is missing or not an integer");
	d->size = json_object_get_int64(v);
	if (d->size < 0)
		return BAD("descriptor size is negative");
	ann = get_obj(o, "annotations");
	if (ann && (r = get_str(ann, OCI_ANNOTATION_REF, &d->ref_name)) < 0)
		return r == -EBADMSG ? BAD("ref.name annotation is not a string") : r;
	plat = get_obj(o, "platform");
	if (plat) {
		d->has_platform = true;
		if ((r = get_str(plat, "os", &d->platform.os)) < 0 ||
		    (r = get_str(plat, "architecture", &d->platform.architecture)) < 0 ||
		    (r = get_str(plat, "variant", &d->platform.variant)) < 0)
			return r == -EBADMSG ? BAD("platform field is not a string") : r;
	}
	return 0;
}

static int parse_descriptors(json_object *arr, struct oci_descriptor **ret, size_t *ret_n, const char **ret_why)
{
	size_t n = json_object_array_length(arr);
	struct oci_descriptor *v;
	int r;

	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*ret = v;
	*ret_n = n;
	for (size_t i = 0; i < n; i++) {
		r = parse_descriptor(json_object_array_get_idx(arr, i), &v[i], ret_why);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_schema(json_object *root, const char **ret_why)
{
	json_object *v;

	if (!json_object_is_type(root, json_type_object))
		return BAD("not a JSON object");
	if (!json_object_object_get_ex(root, "schemaVersion", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != 2)
		return BAD("schemaVersion is not 2");
	return 0;
}

bool oci_is_index_media_type(const char *t)
{
	return t && (strcmp(t, OCI_MEDIA_INDEX) == 0 || strcmp(t, DOCKER_MEDIA_LIST) == 0);
}

bool oci_is_manifest_media_type(const char *t)
{
	return t && (strcmp(t, OCI_MEDIA_MANIFEST) == 0 || strcmp(t, DOCKER_MEDIA_MANIFEST) == 0);
}

char *oci_peek_media_type(const char *buf, size_t len)
{
	_cleanup_json_ json_object *root = parse_json(buf, len);
	char *t = NULL;

	if (root && json_object_is_type(root, json_type_object))
		(void)get_str(root, "mediaType", &t);
	return t;
}

int oci_parse_index(const char *buf, size_t len, struct oci_index *ret, const char **ret_why)
{
	_cleanup_json_ json_object *root = parse_json(buf, len);
	json_object *arr;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!root)
		return BAD("not valid JSON");
	if ((r = check_schema(root, ret_why)) < 0)
		return r;
	if (!json_object_object_get_ex(root, "manifests", &arr) || !json_object_is_type(arr, json_type_array))
		return BAD("index has no manifests array");
	return parse_descriptors(arr, &ret->manifests, &ret->n_manifests, ret_why);
}

int oci_parse_manifest(const char *buf, size_t len, struct oci_manifest *ret, const char **ret_why)
{
	_cleanup_json_ json_object *root = parse_json(buf, len);
	json_object *cfg, *arr;
	char *mt = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!root)
		return BAD("not valid JSON");
	if ((r = check_schema(root, ret_why)) < 0)
		return r;
	if (get_str(root, "mediaType", &mt) == 0 && mt && !oci_is_manifest_media_type(mt)) {
		free(mt);
		return BAD("mediaType is not an image manifest");
	}
	free(mt);
	if (!json_object_object_get_ex(root, "config", &cfg))
		return BAD("manifest has no config");
	if ((r = parse_descriptor(cfg, &ret->config, ret_why)) < 0)
		return r;
	if (!json_object_object_get_ex(root, "layers", &arr) || !json_object_is_type(arr, json_type_array))
		return BAD("manifest has no layers array");
	return parse_descriptors(arr, &ret->layers, &ret->n_layers, ret_why);
}

static int parse_labels(json_object *cfg, char ***ret)
{
	json_object *lab = get_obj(cfg, "Labels");
	size_t n = 0, i = 0;
	char **v;

	*ret = NULL;
	if (!lab)
		return 0;
	n = json_object_object_length(lab);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	json_object_object_foreach(lab, key, val)
	{
		if (!json_object_is_type(val, json_type_string)) {
			image_strv_free(v);
			return -EBADMSG;
		}
		if (i < n && asprintf(&v[i++], "%s=%s", key, json_object_get_string(val)) < 0) {
			v[i - 1] = NULL;
			image_strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

static int parse_exec_config(json_object *cfg, struct oci_config *c, const char **ret_why)
{
	int r;

	if ((r = get_strv(cfg, "Entrypoint", &c->entrypoint)) < 0 || (r = get_strv(cfg, "Cmd", &c->cmd)) < 0 ||
	    (r = get_strv(cfg, "Env", &c->env)) < 0)
		return r == -EBADMSG ? BAD("config Entrypoint, Cmd or Env is not an array of strings") : r;
	if ((r = get_str(cfg, "WorkingDir", &c->working_dir)) < 0 || (r = get_str(cfg, "User", &c->user)) < 0 ||
	    (r = get_str(cfg, "StopSignal", &c->stop_signal)) < 0)
		return r == -EBADMSG ? BAD("config WorkingDir, User or StopSignal is not a string") : r;
	if ((r = parse_labels(cfg, &c->labels)) < 0)
		return r == -EBADMSG ? BAD("config Labels has a value that is not a string") : r;
	return 0;
}

int oci_parse_config(const char *buf, size_t len, struct oci_config *ret, const char **ret_why)
{
	_cleanup_json_ json_object *root = parse_json(buf, len);
	json_object *rootfs, *cfg;
	char *type = NULL;
	bool layers;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!root || !json_object_is_type(root, json_type_object))
		return BAD("not a JSON object");
	if ((r = get_str(root, "os", &ret->os)) < 0 || (r = get_str(root, "architecture", &ret->architecture)) < 0)
		return r == -EBADMSG ? BAD("os or architecture is not a string") : r;
	rootfs = get_obj(root, "rootfs");
	if (!rootfs)
		return BAD("config has no rootfs object");
	if ((r = get_str(rootfs, "type", &type)) < 0)
		return r == -EBADMSG ? BAD("rootfs.type is not a string") : r;
	layers = type && strcmp(type, "layers") == 0;
	free(type);
	if (!layers)
		return BAD("rootfs.type is not \"layers\"");
	if ((r = get_strv(rootfs, "diff_ids", &ret->diff_ids)) < 0)
		return r == -EBADMSG ? BAD("rootfs.diff_ids is not an array of strings") : r;
	if (!ret->diff_ids)
		return BAD("config has no rootfs.diff_ids");
	ret->n_diff_ids = image_strv_length(ret->diff_ids);
	for (size_t i = 0; i < ret->n_diff_ids; i++)
		if (digest_parse(ret->diff_ids[i], NULL) < 0)
			return BAD("a diff_id is not sha256:<64 hex digits>");
	cfg = get_obj(root, "config");
	return cfg ? parse_exec_config(cfg, ret, ret_why) : 0;
}

static int parse_docker_entry(json_object *o, struct docker_manifest_entry *e, const char **ret_why)
{
	int r;

	if (!json_object_is_type(o, json_type_object))
		return BAD("manifest.json entry is not an object");
	if ((r = get_str(o, "Config", &e->config)) < 0 || (r = get_strv(o, "RepoTags", &e->repo_tags)) < 0 ||
	    (r = get_strv(o, "Layers", &e->layers)) < 0)
		return r == -EBADMSG ? BAD("manifest.json Config, RepoTags or Layers has the wrong type") : r;
	if (!e->config || !e->layers)
		return BAD("manifest.json entry lacks Config or Layers");
	e->n_layers = image_strv_length(e->layers);
	return 0;
}

int docker_parse_manifest(const char *buf, size_t len, struct docker_manifest *ret, const char **ret_why)
{
	_cleanup_json_ json_object *root = parse_json(buf, len);
	size_t n;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!root || !json_object_is_type(root, json_type_array))
		return BAD("manifest.json is not a JSON array");
	n = json_object_array_length(root);
	if (n == 0)
		return BAD("manifest.json lists no image");
	ret->entries = calloc(n, sizeof(*ret->entries));
	if (!ret->entries)
		return -ENOMEM;
	ret->n_entries = n;
	for (size_t i = 0; i < n; i++)
		if ((r = parse_docker_entry(json_object_array_get_idx(root, i), &ret->entries[i], ret_why)) < 0)
			return r;
	return 0;
}

void oci_index_done(struct oci_index *x)
{
	for (size_t i = 0; x->manifests && i < x->n_manifests; i++)
		oci_descriptor_done(&x->manifests[i]);
	free(x->manifests);
	memset(x, 0, sizeof(*x));
}

void oci_manifest_done(struct oci_manifest *x)
{
	oci_descriptor_done(&x->config);
	for (size_t i = 0; x->layers && i < x->n_layers; i++)
		oci_descriptor_done(&x->layers[i]);
	free(x->layers);
	memset(x, 0, sizeof(*x));
}

void oci_config_done(struct oci_config *x)
{
	free(x->os);
	free(x->architecture);
	image_strv_free(x->entrypoint);
	image_strv_free(x->cmd);
	image_strv_free(x->env);
	free(x->working_dir);
	free(x->user);
	free(x->stop_signal);
	image_strv_free(x->labels);
	image_strv_free(x->diff_ids);
	memset(x, 0, sizeof(*x));
}

void docker_manifest_done(struct docker_manifest *x)
{
	for (size_t i = 0; x->entries && i < x->n_entries; i++) {
		free(x->entries[i].config);
		image_strv_free(x->entries[i].repo_tags);
		image_strv_free(x->entries[i].layers);
	}
	free(x->entries);
	memset(x, 0, sizeof(*x));
}

void oci_host_platform(struct oci_platform *ret)
{
	static const struct {
		const char *uname, *arch, *variant;
	} map[] = {
		{ "x86_64", "amd64", NULL },    { "aarch64", "arm64", NULL },  { "armv7l", "arm", "v7" },
		{ "armv6l", "arm", "v6" },      { "i686", "386", NULL },       { "i386", "386", NULL },
		{ "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL },   { "riscv64", "riscv64", NULL },
	};
	static char machine[65];
	struct utsname u;

	ret->os = (char *)"linux";
	ret->variant = NULL;
	if (uname(&u) < 0)
		u.machine[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcmp(u.machine, map[i].uname) == 0) {
			ret->architecture = (char *)map[i].arch;
			ret->variant = (char *)map[i].variant;
			return;
		}
	snprintf(machine, sizeof(machine), "%s", u.machine);
	ret->architecture = machine;
}

bool oci_platform_matches(const struct oci_platform *p, const struct oci_platform *host)
{
	if (!p->os || !p->architecture || strcmp(p->os, host->os) != 0 ||
	    strcmp(p->architecture, host->architecture) != 0)
		return false;
	return !p->variant || !host->variant || strcmp(p->variant, host->variant) == 0;
}
