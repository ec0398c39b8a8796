/* SPDX-License-Identifier: MIT */
/*
 * import.c - import an image into the store (see image.h).
 *
 * Import order: the source's metadata is read and checked first
 * (source_open), then each layer that the store lacks is unpacked under its
 * lock into tmp/, checked (blob digest and size against the manifest, the
 * uncompressed digest against the config's diff_id) and renamed into
 * layers/; only then are the manifest and config blobs and the image
 * record written.  A failure at any point removes the work directory, so
 * the store holds nothing of a refused image.
 *
 * Kept apart from image.c (resolve): amber-run links the resolver only,
 * and so neither libarchive nor what it loads (see runner/meson.build).
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
