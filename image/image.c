/* SPDX-License-Identifier: MIT */
/*
 * image.c - import and resolve (see image.h).
 *
 * Import order: the source's metadata is read and checked first
 * (source_open), then each layer that the store lacks is unpacked under its
 * lock into tmp/, checked (blob digest and size against the manifest, the
 * uncompressed digest against the config's diff_id) and renamed into
 * layers/; only then are the manifest and config blobs and the image
 * record written.  A failure at any point removes the work directory, so
 * the store holds nothing of a refused image.
 */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_fmt.h"
#include "cleanup.h"
#include "digest.h"
#include "log.h"
#include "progress.h"
#include "source.h"

static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct source *, source_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

struct pending_layer {
	char *tmp_name; /* tmp/... holding root/, files.jsonl, layer.json */
	char hex[DIGEST_HEX_LEN + 1];
};

struct import_ctx {
	struct pending_layer *pending; /* checked, not yet in layers/ */
	size_t n_pending;
	struct image_store *s;
	const struct image_import_opts *o;
	const struct source_image *img;
	struct progress prog;
	unpack_read_fn inner;
	void *inner_userdata;
};

static const char *owners_label(const struct image_import_opts *o)
{
	if (o->owners == UNPACK_OWNERS_OVERRIDE)
		return "override";
	return o->in_userns ? "userns" : "native";
}

int image_normalize_name(const char *name, char **ret)
{
	const char *slash = strrchr(name, '/'), *last = slash ? slash + 1 : name;

	if (!*name || strchr(name, '\n'))
		return -EINVAL;
	if (strchr(last, ':') || strchr(name, '@'))
		return (*ret = strdup(name)) ? 0 : -ENOMEM;
	return asprintf(ret, "%s:latest", name) < 0 ? -ENOMEM : 0;
}

static ssize_t counting_read(void *userdata, const void **ret_buf)
{
	struct import_ctx *c = userdata;
	ssize_t n = c->inner(c->inner_userdata, ret_buf);

	if (n > 0)
		progress_add(&c->prog, (uint64_t)n);
	return n;
}

static int write_layer_json(int dirfd, const struct unpack_result *res, const struct image_import_opts *o)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	_cleanup_close_ int fd = -1;
	int r = 0;

	afmt_obj_begin(&b);
	afmt_kv_strz(&b, "diff_id", res->diff_id);
	afmt_kv_strz(&b, "blob_digest", res->blob_digest);
	afmt_kv_u64(&b, "blob_size", res->blob_size);
	afmt_kv_u64(&b, "tar_size", res->tar_size);
	afmt_kv_u64(&b, "entries", res->n_entries);
	afmt_kv_strz(&b, "owners", owners_label(o));
	afmt_obj_end(&b);
	afmt_raw(&b, "\n", 1);
	fd = openat(dirfd, "layer.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (afmt_failed(&b))
		r = -ENOMEM;
	else if (fd < 0)
		r = -errno;
	else if (write(fd, b.data, b.len) != (ssize_t)b.len)
		r = -EIO;
	afmt_free(&b);
	return r;
}

static void report_losses(const struct unpack_result *res, const char *what)
{
	if (res->n_devices)
		log_warning("%s: %u device node(s) or fifo(s) could not be created by this user: each is an empty "
			    "file described by " UNPACK_OVERRIDE_XATTR, what, res->n_devices);
	if (res->n_override_fallbacks)
		log_warning("%s: %u file(s) have owners this user namespace cannot map: kept in "
			    UNPACK_OVERRIDE_XATTR " (symlinks: in the manifest only)", what, res->n_override_fallbacks);
	if (res->n_setid_xattr_only)
		log_warning("%s: %u setuid/setgid file(s): the bits are kept in " UNPACK_OVERRIDE_XATTR
			    " only, not on disk", what, res->n_setid_xattr_only);
	if (res->n_xattrs_lost)
		log_warning("%s: %u extended attribute(s) of the image could not be set", what, res->n_xattrs_lost);
}

static int check_layer(const struct source_layer *l, const struct unpack_result *res, const char *what)
{
	if (l->blob_digest && strcmp(l->blob_digest, res->blob_digest) != 0)
		return log_error_errno(-EBADMSG, "%s: layer blob %s does not match its digest (its content hashes to %s)",
				       what, l->blob_digest, res->blob_digest);
	if (l->size >= 0 && (uint64_t)l->size != res->blob_size)
		return log_error_errno(-EBADMSG, "%s: layer blob %s: %" PRIu64 " bytes, its descriptor says %" PRId64,
				       what, l->blob_digest ? l->blob_digest : l->member, res->blob_size, l->size);
	if (strcmp(l->diff_id, res->diff_id) != 0)
		return log_error_errno(-EBADMSG,
				       "%s: layer blob %s: its uncompressed content hashes to %s, but the config's "
				       "diff_id is %s",
				       what, l->blob_digest ? l->blob_digest : l->member, res->diff_id, l->diff_id);
	return 0;
}

/* Unpacks into tmp/, checks, commits.  Called with the layer lock held. */
static int unpack_into_store(struct import_ctx *c, size_t i, const char *hex, const char *what)
{
	const struct source_layer *l = &c->img->layers[i];
	_cleanup_close_ int tmp_fd = -1, root_fd = -1, mf_fd = -1;
	_cleanup_free_ char *tmp_name = NULL;
	_cleanup_fclose_ FILE *mf = NULL;
	struct unpack_result res;
	struct unpack_params p = {
		.owners = c->o->owners,
		.max_entry_size = c->o->max_entry_size,
		.what = what,
		.read = counting_read,
		.userdata = c,
	};
	int r;

	if ((r = store_tmp_dir(c->s, hex, &tmp_fd, &tmp_name)) < 0)
		return r;
	if (mkdirat(tmp_fd, "root", 0755) < 0 ||
	    (root_fd = openat(tmp_fd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (mf_fd = openat(tmp_fd, "files.jsonl", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444)) < 0 ||
	    !(mf = fdopen(mf_fd, "w"))) {
		r = log_error_errno(-errno, "cannot prepare '%s/%s': %m", c->s->path, tmp_name);
		goto fail;
	}
	mf_fd = -1; /* owned by mf */
	p.layer_fd = root_fd;
	p.manifest = mf;
	progress_begin(&c->prog, c->o->progress, "Copying layer", i + 1, c->img->n_layers,
		       l->size > 0 ? (uint64_t)l->size : 0);
	r = unpack_layer(&p, &res);
	progress_end(&c->prog, r >= 0);
	if (r < 0 || (r = check_layer(l, &res, what)) < 0)
		goto fail;
	report_losses(&res, what);
	if (fclose(TAKE_PTR(mf)) != 0 || (r = write_layer_json(tmp_fd, &res, c->o)) < 0) {
		r = log_error_errno(r < 0 ? r : -errno, "cannot write the record of layer %s: %m", l->diff_id);
		goto fail;
	}
	c->pending[c->n_pending].tmp_name = TAKE_PTR(tmp_name);
	snprintf(c->pending[c->n_pending].hex, sizeof(c->pending[0].hex), "%s", hex);
	c->n_pending++;
	return 0;
fail:
	(void)store_rm_rf_at(c->s->fd, tmp_name);
	return r;
}

/* Unpacks a layer the store lacks into tmp/ and checks it.  No lock is
 * held meanwhile: two imports of one layer may both unpack it, and the
 * commit (commit_layers) keeps the first.  Holding a layer lock across
 * the unpack would let two imports that stream their layers in different
 * orders deadlock. */
static int import_layer(void *userdata, size_t i, unpack_read_fn read, void *read_userdata)
{
	struct import_ctx *c = userdata;
	const char *hex;
	char what[160];

	(void)digest_parse(c->img->layers[i].diff_id, &hex); /* checked by the config parser */
	snprintf(what, sizeof(what), "layer %zu of %zu (%s)", i + 1, c->img->n_layers,
		 c->img->layers[i].blob_digest ? c->img->layers[i].blob_digest : c->img->layers[i].member);
	if (store_has_layer(c->s, hex))
		return 0; /* imported meanwhile by someone else */
	c->inner = read;
	c->inner_userdata = read_userdata;
	return unpack_into_store(c, i, hex, what);
}

/* Every layer checked: move them into layers/, each under its lock. */
static int commit_layers(struct import_ctx *c)
{
	for (size_t i = 0; i < c->n_pending; i++) {
		struct pending_layer *p = &c->pending[i];
		int lock_fd = store_lock_layer(c->s, p->hex), r = 0;

		if (lock_fd < 0)
			return lock_fd;
		if (store_has_layer(c->s, p->hex))
			(void)store_rm_rf_at(c->s->fd, p->tmp_name); /* another import was first */
		else
			r = store_commit_layer(c->s, p->tmp_name, p->hex);
		close(lock_fd);
		if (r < 0)
			return r;
		p->tmp_name = mfree(p->tmp_name);
	}
	return 0;
}

static void drop_pending(struct import_ctx *c)
{
	for (size_t i = 0; i < c->n_pending; i++)
		if (c->pending[i].tmp_name) {
			(void)store_rm_rf_at(c->s->fd, c->pending[i].tmp_name);
			free(c->pending[i].tmp_name);
		}
	free(c->pending);
}

static int image_record(const struct source_image *img, const char *name, const char *source, char **ret)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	afmt_obj_begin(&b);
	afmt_kv_strz(&b, "name", name);
	afmt_kv_strz(&b, "id", img->config_digest);
	afmt_kv_strz(&b, "manifest_digest", img->manifest_digest);
	afmt_kv_strz(&b, "source", source);
	afmt_kv_ts(&b, "imported", &now);
	afmt_key(&b, "layers");
	afmt_arr_begin(&b);
	for (size_t i = 0; i < img->n_layers; i++) {
		afmt_obj_begin(&b);
		afmt_kv_strz(&b, "diff_id", img->layers[i].diff_id);
		afmt_kv_strz(&b, "blob_digest", img->layers[i].blob_digest);
		afmt_kv_i64(&b, "size", img->layers[i].size);
		afmt_obj_end(&b);
	}
	afmt_arr_end(&b);
	afmt_obj_end(&b);
	afmt_raw(&b, "\n", 1);
	if (afmt_failed(&b)) {
		afmt_free(&b);
		return -ENOMEM;
	}
	*ret = b.data;
	return 0;
}

static int pick_name(const struct image_import_opts *o, const struct source_image *img, char **ret)
{
	const char *n = o->name ? o->name : img->name;
	char shortid[32];
	int r;

	if (!n) {
		snprintf(shortid, sizeof(shortid), "%.12s", img->config_digest + strlen(DIGEST_ALGO ":"));
		n = shortid;
	}
	r = image_normalize_name(n, ret);
	if (r == -EINVAL)
		return log_error_errno(r, "'%s' is not a valid image name", n);
	return r;
}

int image_import(struct image_store *s, const struct image_import_opts *o, char **ret_name)
{
	_cleanup_(source_freep) struct source *src = NULL;
	_cleanup_free_ bool *wanted = NULL;
	_cleanup_free_ char *name = NULL, *record = NULL;
	struct import_ctx c = { .s = s, .o = o };
	const struct source_image *img;
	int r;

	if ((r = source_open(o->source, &src)) < 0)
		return r;
	img = c.img = source_image(src);
	if ((r = pick_name(o, img, &name)) < 0)
		return r;
	wanted = calloc(img->n_layers + 1, sizeof(bool));
	if (!wanted)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_layers; i++) {
		const char *hex;

		(void)digest_parse(img->layers[i].diff_id, &hex);
		wanted[i] = !store_has_layer(s, hex);
		for (size_t j = 0; j < i && wanted[i]; j++)
			if (strcmp(img->layers[j].diff_id, img->layers[i].diff_id) == 0)
				wanted[i] = false;
	}
	c.pending = calloc(img->n_layers + 1, sizeof(*c.pending));
	if (!c.pending)
		return -ENOMEM;
	r = source_for_each_layer(src, wanted, import_layer, &c);
	if (r >= 0)
		r = commit_layers(&c);
	drop_pending(&c);
	if (r < 0)
		return r;
	if (img->manifest && (r = store_write_blob(s, img->manifest_digest, img->manifest, img->manifest_len)) < 0)
		return r;
	if ((r = store_write_blob(s, img->config_digest, img->config, img->config_len)) < 0)
		return r;
	if ((r = image_record(img, name, o->source, &record)) < 0 || (r = store_write_image(s, name, record)) < 0)
		return r;
	if (ret_name)
		*ret_name = TAKE_PTR(name);
	return 0;
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
