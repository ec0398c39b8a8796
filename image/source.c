/* SPDX-License-Identifier: MIT */
/*
 * source.c - the three transports (see source.h).
 *
 * An archive is first indexed (one pass over the headers: names, sizes,
 * link targets; libarchive skips the data), then each small JSON member is
 * fetched by another header pass, and finally the layers are streamed in
 * one pass.  A layout directory serves the same three requests with
 * openat2() beneath its directory fd.
 */
#include "source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "log.h"

#define READ_BUF_SIZE (1u << 20)
#define INDEX_DEPTH_MAX 4

struct member {
	char *name;
	int64_t size;
	char *link; /* symlink or hard link target, resolved to a member name */
};

struct source {
	enum source_transport t;
	char *path, *ref;
	int dir_fd; /* SOURCE_OCI */
	struct member *members;
	size_t n_members;
	struct source_image img;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)

static const char *const transport_names[_SOURCE_TRANSPORT_MAX] = {
	[SOURCE_OCI] = "oci",
	[SOURCE_OCI_ARCHIVE] = "oci-archive",
	[SOURCE_DOCKER_ARCHIVE] = "docker-archive",
};

const char *source_transport_name(enum source_transport t)
{
	return t >= 0 && t < _SOURCE_TRANSPORT_MAX ? transport_names[t] : NULL;
}

int source_parse_ref(const char *spec, enum source_transport *ret_t, char **ret_path, char **ret_ref)
{
	const char *colon = spec ? strchr(spec, ':') : NULL, *rest, *sep;
	_cleanup_free_ char *path = NULL, *ref = NULL;
	int t = -1;

	if (!colon)
		return -EINVAL;
	for (int i = 0; i < _SOURCE_TRANSPORT_MAX; i++)
		if ((size_t)(colon - spec) == strlen(transport_names[i]) &&
		    strncmp(spec, transport_names[i], (size_t)(colon - spec)) == 0)
			t = i;
	if (t < 0)
		return -EINVAL;
	rest = colon + 1;
	sep = strchr(rest, ':');
	path = sep ? strndup(rest, (size_t)(sep - rest)) : strdup(rest);
	if (!path)
		return -ENOMEM;
	if (!*path)
		return -EINVAL;
	if (sep && sep[1]) {
		ref = strdup(sep + 1);
		if (!ref)
			return -ENOMEM;
	}
	*ret_t = (enum source_transport)t;
	*ret_path = TAKE_PTR(path);
	*ret_ref = TAKE_PTR(ref);
	return 0;
}

/* ---- archive members ----------------------------------------------------- */

/* dir/target resolved lexically to a member name; -EPERM if it climbs out. */
static int resolve_link(const char *name, const char *target, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	const char *slash = strrchr(name, '/');
	char *out, *tok, *save = NULL;
	size_t o = 0;

	if (target[0] == '/')
		return -EPERM;
	if (asprintf(&joined, "%.*s%s%s", slash ? (int)(slash - name) : 0, name, slash ? "/" : "", target) < 0)
		return -ENOMEM;
	out = calloc(1, strlen(joined) + 1);
	if (!out)
		return -ENOMEM;
	for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			char *up = strrchr(out, '/');

			if (o == 0) {
				free(out);
				return -EPERM;
			}
			o = up ? (size_t)(up - out) : 0;
			out[o] = '\0';
			continue;
		}
		o += (size_t)sprintf(out + o, "%s%s", o ? "/" : "", tok);
	}
	*ret = out;
	return 0;
}

static const char *member_name(struct archive_entry *e, char **ret_buf)
{
	const char *n = archive_entry_pathname(e);
	const char *why;

	*ret_buf = NULL;
	if (!n || unpack_clean_path(n, ret_buf, &why) < 0)
		return NULL;
	return *ret_buf;
}

static int archive_begin(const struct source *s, struct archive **ret)
{
	struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, s->path, READ_BUF_SIZE) != ARCHIVE_OK) {
		int r = archive_errno(a) > 0 ? -archive_errno(a) : -EBADMSG;

		log_error_errno(r, "cannot open '%s': %s", s->path, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

static int index_archive(struct source *s)
{
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	struct archive_entry *e;
	size_t cap = 0;
	int r;

	if ((r = archive_begin(s, &a)) < 0)
		return r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		struct member *m;
		const char *link = archive_entry_hardlink(e);

		if (s->n_members == cap) {
			size_t n = cap ? cap * 2 : 64;
			struct member *v = reallocarray(s->members, n, sizeof(*v));

			if (!v)
				return -ENOMEM;
			s->members = v;
			cap = n;
		}
		m = &s->members[s->n_members];
		*m = (struct member){ .size = archive_entry_size(e) };
		if (!member_name(e, &m->name))
			continue; /* a name this code will never ask for */
		s->n_members++;
		if (link) {
			const char *why;

			if (unpack_clean_path(link, &m->link, &why) < 0)
				m->link = NULL;
		} else if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e)) {
			if (resolve_link(m->name, archive_entry_symlink(e), &m->link) == -ENOMEM)
				return -ENOMEM;
		}
	}
	if (r != ARCHIVE_EOF)
		return log_error_errno(-EBADMSG, "'%s': corrupt archive: %s", s->path, archive_error_string(a));
	return 0;
}

static const struct member *find_member(const struct source *s, const char *name)
{
	/* Follow links a few times (a chain of symlinks, never a loop). */
	for (int hops = 0; hops < 8; hops++) {
		const struct member *m = NULL;

		for (size_t i = 0; i < s->n_members; i++)
			if (strcmp(s->members[i].name, name) == 0)
				m = &s->members[i]; /* the last one wins, as tar does */
		if (!m || !m->link)
			return m;
		name = m->link;
	}
	return NULL;
}

static int read_all_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	do {
		if (len == cap) {
			char *b;

			cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = max + 1;
			if (len == cap)
				return -EFBIG;
			b = realloc(buf, cap + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0)
			return -errno;
		len += (size_t)n;
	} while (n > 0);
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* A whole member (at most max bytes), NUL-terminated. */
static int load_member(const struct source *s, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	const struct member *m;
	struct archive_entry *e;
	int r;

	if (s->t == SOURCE_OCI) {
		_cleanup_close_ int fd = unpack_open_beneath(s->dir_fd, name, O_RDONLY | O_NONBLOCK);

		if (fd < 0)
			return fd;
		return read_all_fd(fd, max, ret, ret_len);
	}
	m = find_member(s, name);
	if (!m)
		return -ENOENT;
	if (m->size < 0 || (uint64_t)m->size > max)
		return -EFBIG;
	if ((r = archive_begin(s, &a)) < 0)
		return r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		_cleanup_free_ char *n = NULL;
		char *buf;
		la_ssize_t got;

		if (!member_name(e, &n) || strcmp(n, m->name) != 0 || archive_entry_hardlink(e) ||
		    archive_entry_filetype(e) != AE_IFREG)
			continue;
		buf = malloc((size_t)m->size + 1);
		if (!buf)
			return -ENOMEM;
		got = archive_read_data(a, buf, (size_t)m->size);
		if (got != m->size) {
			free(buf);
			return -EBADMSG;
		}
		buf[got] = '\0';
		*ret = buf;
		*ret_len = (size_t)got;
		return 0;
	}
	return -ENOENT;
}

/* ---- blobs by digest ------------------------------------------------------ */

static int load_blob(const struct source *s, const char *what, const struct oci_descriptor *d, char **ret,
		     size_t *ret_len)
{
	_cleanup_free_ char *member = NULL, *buf = NULL;
	char got[DIGEST_STR_MAX];
	const char *hex;
	size_t len;
	int r;

	if (digest_parse(d->digest, &hex) < 0)
		return log_error_errno(-EBADMSG, "%s: bad digest '%s'", what, d->digest);
	if (asprintf(&member, "blobs/sha256/%s", hex) < 0)
		return -ENOMEM;
	r = load_member(s, member, OCI_JSON_MAX, &buf, &len);
	if (r == -EFBIG)
		return log_error_errno(r, "%s blob %s: larger than %u bytes", what, d->digest, OCI_JSON_MAX);
	if (r < 0)
		return log_error_errno(r, "%s blob %s: cannot read it from '%s': %m", what, d->digest, s->path);
	if ((r = digest_buf(buf, len, got)) < 0)
		return r;
	if (strcmp(got, d->digest) != 0)
		return log_error_errno(-EBADMSG, "%s blob %s does not match its digest (its content hashes to %s)",
				       what, d->digest, got);
	if ((int64_t)len != d->size)
		return log_error_errno(-EBADMSG, "%s blob %s: size %zu, its descriptor says %" PRId64, what,
				       d->digest, len, d->size);
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Frees n strings (some may be NULL, taken) and the vector. */
static void free_n(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- OCI ---------------------------------------------------------------- */

static int select_descriptor(const struct source *s, const struct oci_index *idx, const char *ref, size_t *ret)
{
	struct oci_platform host;
	size_t found = SIZE_MAX, n = 0;

	oci_host_platform(&host);
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];

		if (ref && (!d->ref_name || strcmp(d->ref_name, ref) != 0))
			continue;
		if (d->has_platform && !oci_platform_matches(&d->platform, &host))
			continue;
		if (n++ == 0)
			found = i;
	}
	if (n == 0 && ref)
		return log_error_errno(-ENOENT, "'%s': no image named '%s' in its index.json", s->path, ref);
	if (n == 0)
		return log_error_errno(-ENOENT, "'%s': no image for %s/%s in its index", s->path, host.os,
				       host.architecture);
	if (n > 1)
		return log_error_errno(-EINVAL, "'%s' holds %zu images: name one (%s:%s:REF)", s->path, n,
				       source_transport_name(s->t), s->path);
	*ret = found;
	return 0;
}

/* Follows index -> (nested indexes) -> manifest; fills img.manifest. */
static int resolve_oci_manifest(struct source *s)
{
	struct oci_index idx = { 0 };
	struct oci_descriptor d = { 0 };
	_cleanup_free_ char *buf = NULL;
	const char *why = NULL, *ref = s->ref;
	size_t len, sel = 0;
	int r, depth = 0;

	r = load_member(s, "index.json", OCI_JSON_MAX, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "'%s': cannot read index.json: %m", s->path);
	for (;;) {
		r = oci_parse_index(buf, len, &idx, &why);
		if (r < 0) {
			log_error_errno(r, "'%s': bad image index: %s", s->path, why ? why : "out of memory");
			break;
		}
		if ((r = select_descriptor(s, &idx, ref, &sel)) < 0)
			break;
		oci_descriptor_done(&d);
		d = idx.manifests[sel];
		memset(&idx.manifests[sel], 0, sizeof(d));
		if (!s->img.name && d.ref_name && (s->img.name = strdup(d.ref_name)) == NULL) {
			r = -ENOMEM;
			break;
		}
		oci_index_done(&idx);
		free(buf);
		buf = NULL;
		r = load_blob(s, oci_is_index_media_type(d.media_type) ? "index" : "manifest", &d, &buf, &len);
		if (r < 0)
			break;
		if (!oci_is_index_media_type(d.media_type)) {
			_cleanup_free_ char *mt = d.media_type ? NULL : oci_peek_media_type(buf, len);

			if (!oci_is_index_media_type(mt)) {
				s->img.manifest_digest = TAKE_PTR(d.digest);
				s->img.manifest = TAKE_PTR(buf);
				s->img.manifest_len = len;
				break;
			}
		}
		if (++depth > INDEX_DEPTH_MAX) {
			r = log_error_errno(-ELOOP, "'%s': indexes nested too deep", s->path);
			break;
		}
		ref = NULL; /* nested indexes: by platform only */
	}
	oci_index_done(&idx);
	oci_descriptor_done(&d);
	return r;
}

static int fill_layers(struct source *s, size_t n, char **members, char **digests, const int64_t *sizes)
{
	if (s->img.parsed.n_diff_ids != n)
		return log_error_errno(-EBADMSG, "'%s': %zu layers, but the config lists %zu diff_ids", s->path, n,
				       s->img.parsed.n_diff_ids);
	s->img.layers = calloc(n ? n : 1, sizeof(*s->img.layers));
	if (!s->img.layers)
		return -ENOMEM;
	s->img.n_layers = n;
	for (size_t i = 0; i < n; i++) {
		struct source_layer *l = &s->img.layers[i];

		l->member = TAKE_PTR(members[i]);
		l->blob_digest = digests ? TAKE_PTR(digests[i]) : NULL;
		l->size = sizes[i];
		l->diff_id = strdup(s->img.parsed.diff_ids[i]);
		if (!l->member || !l->diff_id)
			return -ENOMEM;
	}
	return 0;
}

static int parse_config(struct source *s)
{
	const char *why = NULL;
	int r = oci_parse_config(s->img.config, s->img.config_len, &s->img.parsed, &why);

	if (r < 0)
		return log_error_errno(r, "config blob %s: %s", s->img.config_digest, why ? why : "out of memory");
	return 0;
}

static int open_oci(struct source *s)
{
	struct oci_manifest m = { 0 };
	char **members = NULL, **digests = NULL;
	int64_t *sizes = NULL;
	const char *why = NULL;
	int r;

	if ((r = resolve_oci_manifest(s)) < 0)
		return r;
	r = oci_parse_manifest(s->img.manifest, s->img.manifest_len, &m, &why);
	if (r < 0) {
		log_error_errno(r, "manifest blob %s: %s", s->img.manifest_digest, why ? why : "out of memory");
		goto out;
	}
	if ((r = load_blob(s, "config", &m.config, &s->img.config, &s->img.config_len)) < 0)
		goto out;
	s->img.config_digest = TAKE_PTR(m.config.digest);
	if ((r = parse_config(s)) < 0)
		goto out;
	members = calloc(m.n_layers + 1, sizeof(char *));
	digests = calloc(m.n_layers + 1, sizeof(char *));
	sizes = calloc(m.n_layers + 1, sizeof(int64_t));
	r = -ENOMEM;
	if (!members || !digests || !sizes)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++) {
		const char *hex;

		(void)digest_parse(m.layers[i].digest, &hex); /* checked by the parser */
		if (asprintf(&members[i], "blobs/sha256/%s", hex) < 0)
			goto out;
		digests[i] = TAKE_PTR(m.layers[i].digest);
		sizes[i] = m.layers[i].size;
	}
	r = fill_layers(s, m.n_layers, members, digests, sizes);
out:
	free_n(members, m.n_layers);
	free_n(digests, m.n_layers);
	free(sizes);
	oci_manifest_done(&m);
	return r;
}

/* ---- docker-archive --------------------------------------------------------- */

static const struct docker_manifest_entry *select_docker(const struct source *s, const struct docker_manifest *dm)
{
	_cleanup_free_ char *with_tag = NULL;

	if (!s->ref) {
		if (dm->n_entries == 1)
			return &dm->entries[0];
		log_error("'%s' holds %zu images: name one (docker-archive:%s:NAME:TAG)", s->path, dm->n_entries,
			  s->path);
		return NULL;
	}
	if (!strchr(s->ref, ':') && asprintf(&with_tag, "%s:latest", s->ref) < 0)
		return NULL;
	for (size_t i = 0; i < dm->n_entries; i++)
		for (char **t = dm->entries[i].repo_tags; t && *t; t++)
			if (strcmp(*t, s->ref) == 0 || (with_tag && strcmp(*t, with_tag) == 0))
				return &dm->entries[i];
	log_error("'%s': no image tagged '%s' in its manifest.json", s->path, s->ref);
	return NULL;
}

/* "blobs/sha256/HEX" or "HEX.json" / "HEX.tar": the digest its name claims. */
static char *digest_from_member(const char *member)
{
	const char *base = strrchr(member, '/');
	char hex[DIGEST_HEX_LEN + 1], *d;

	base = base ? base + 1 : member;
	if (strncmp(member, "blobs/sha256/", 13) != 0 &&
	    !(strlen(base) == DIGEST_HEX_LEN + 5 && (strcmp(base + DIGEST_HEX_LEN, ".json") == 0)))
		return NULL;
	snprintf(hex, sizeof(hex), "%.*s", DIGEST_HEX_LEN, base);
	if (!digest_is_hex(hex) || asprintf(&d, DIGEST_ALGO ":%s", hex) < 0)
		return NULL;
	return d;
}

static int open_docker(struct source *s)
{
	struct docker_manifest dm = { 0 };
	const struct docker_manifest_entry *e = NULL;
	_cleanup_free_ char *buf = NULL, *claimed = NULL;
	char **members = NULL, **digests = NULL;
	int64_t *sizes = NULL;
	const char *why = NULL;
	char got[DIGEST_STR_MAX];
	size_t len;
	int r;

	r = load_member(s, "manifest.json", OCI_JSON_MAX, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "'%s': cannot read manifest.json: %m", s->path);
	if ((r = docker_parse_manifest(buf, len, &dm, &why)) < 0) {
		log_error_errno(r, "'%s': bad manifest.json: %s", s->path, why ? why : "out of memory");
		goto out;
	}
	r = -ENOENT;
	if (!(e = select_docker(s, &dm)))
		goto out;
	r = -ENOMEM;
	if (s->ref ? !(s->img.name = strdup(s->ref)) : e->repo_tags && e->repo_tags[0] && !(s->img.name = strdup(e->repo_tags[0])))
		goto out;
	r = load_member(s, e->config, OCI_JSON_MAX, &s->img.config, &s->img.config_len);
	if (r < 0) {
		log_error_errno(r, "'%s': cannot read the config '%s': %m", s->path, e->config);
		goto out;
	}
	if ((r = digest_buf(s->img.config, s->img.config_len, got)) < 0)
		goto out;
	claimed = digest_from_member(e->config);
	if (claimed && strcmp(claimed, got) != 0) {
		r = log_error_errno(-EBADMSG, "config blob %s does not match its digest (its content hashes to %s)",
				    claimed, got);
		goto out;
	}
	r = -ENOMEM;
	if (!(s->img.config_digest = strdup(got)))
		goto out;
	if ((r = parse_config(s)) < 0)
		goto out;
	members = calloc(e->n_layers + 1, sizeof(char *));
	digests = calloc(e->n_layers + 1, sizeof(char *));
	sizes = calloc(e->n_layers + 1, sizeof(int64_t));
	r = -ENOMEM;
	if (!members || !digests || !sizes)
		goto out;
	for (size_t i = 0; i < e->n_layers; i++) {
		const struct member *m = find_member(s, e->layers[i]);

		members[i] = strdup(e->layers[i]);
		if (!members[i])
			goto out;
		digests[i] = strncmp(e->layers[i], "blobs/sha256/", 13) == 0 ? digest_from_member(e->layers[i]) : NULL;
		sizes[i] = m ? m->size : -1;
	}
	r = fill_layers(s, e->n_layers, members, digests, sizes);
out:
	free_n(members, e ? e->n_layers : 0);
	free_n(digests, e ? e->n_layers : 0);
	free(sizes);
	docker_manifest_done(&dm);
	return r;
}

/* ---- open, stream, free ------------------------------------------------- */

int source_open(const char *spec, struct source **ret)
{
	struct source *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->dir_fd = -1;
	r = source_parse_ref(spec, &s->t, &s->path, &s->ref);
	if (r == -EINVAL)
		log_error("'%s': not a source (oci:DIR[:REF], oci-archive:FILE[:REF] or docker-archive:FILE[:NAME:TAG])",
			  spec);
	if (r < 0)
		goto fail;
	if (s->t == SOURCE_OCI) {
		s->dir_fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->dir_fd < 0) {
			r = log_error_errno(-errno, "cannot open the layout '%s': %m", s->path);
			goto fail;
		}
	} else if ((r = index_archive(s)) < 0) {
		goto fail;
	}
	r = s->t == SOURCE_DOCKER_ARCHIVE ? open_docker(s) : open_oci(s);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	source_free(s);
	return r;
}

const struct source_image *source_image(const struct source *s)
{
	return &s->img;
}

struct fd_stream {
	int fd;
	char *buf;
};

static ssize_t fd_read(void *userdata, const void **ret_buf)
{
	struct fd_stream *f = userdata;
	ssize_t n = read(f->fd, f->buf, READ_BUF_SIZE);

	*ret_buf = f->buf;
	return n < 0 ? -errno : n;
}

static ssize_t archive_member_read(void *userdata, const void **ret_buf)
{
	struct archive *a = userdata;
	size_t size;
	la_int64_t off;
	int r = archive_read_data_block(a, ret_buf, &size, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		log_error("reading the archive: %s", archive_error_string(a));
		return -EIO;
	}
	return (ssize_t)size;
}

static int stream_dir(struct source *s, const bool *wanted, bool *done, source_layer_fn fn, void *userdata)
{
	_cleanup_free_ char *buf = malloc(READ_BUF_SIZE);
	int r;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < s->img.n_layers; i++) {
		struct fd_stream f = { .buf = buf };

		if (!wanted[i] || done[i])
			continue;
		f.fd = unpack_open_beneath(s->dir_fd, s->img.layers[i].member, O_RDONLY | O_NONBLOCK);
		if (f.fd < 0)
			return log_error_errno(f.fd, "layer blob %s: cannot open it in '%s': %m",
					       s->img.layers[i].blob_digest, s->path);
		r = fn(userdata, i, fd_read, &f);
		close(f.fd);
		if (r < 0)
			return r;
		for (size_t j = i; j < s->img.n_layers; j++)
			if (strcmp(s->img.layers[j].member, s->img.layers[i].member) == 0)
				done[j] = true;
	}
	return 0;
}

static int stream_archive(struct source *s, const bool *wanted, bool *done, source_layer_fn fn, void *userdata)
{
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	struct archive_entry *e;
	int r;

	if ((r = archive_begin(s, &a)) < 0)
		return r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		_cleanup_free_ char *n = NULL;
		bool called = false;

		if (!member_name(e, &n) || archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG)
			continue;
		for (size_t i = 0; i < s->img.n_layers; i++) {
			const struct member *m = find_member(s, s->img.layers[i].member);

			if (!wanted[i] || done[i] || !m || strcmp(m->name, n) != 0)
				continue;
			if (!called && (r = fn(userdata, i, archive_member_read, a)) < 0)
				return r;
			called = true;
			done[i] = true;
		}
	}
	if (r != ARCHIVE_EOF)
		return log_error_errno(-EBADMSG, "'%s': corrupt archive: %s", s->path, archive_error_string(a));
	return 0;
}

int source_for_each_layer(struct source *s, const bool *wanted, source_layer_fn fn, void *userdata)
{
	_cleanup_free_ bool *done = calloc(s->img.n_layers + 1, sizeof(bool));
	int r;

	if (!done)
		return -ENOMEM;
	r = s->t == SOURCE_OCI ? stream_dir(s, wanted, done, fn, userdata)
			       : stream_archive(s, wanted, done, fn, userdata);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->img.n_layers; i++)
		if (wanted[i] && !done[i])
			return log_error_errno(-ENOENT, "layer %zu ('%s') is missing from '%s'", i + 1,
					       s->img.layers[i].member, s->path);
	return 0;
}

struct source *source_free(struct source *s)
{
	if (!s)
		return NULL;
	free(s->path);
	free(s->ref);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	for (size_t i = 0; i < s->n_members; i++) {
		free(s->members[i].name);
		free(s->members[i].link);
	}
	free(s->members);
	free(s->img.name);
	free(s->img.manifest_digest);
	free(s->img.manifest);
	free(s->img.config_digest);
	free(s->img.config);
	oci_config_done(&s->img.parsed);
	for (size_t i = 0; i < s->img.n_layers; i++) {
		free(s->img.layers[i].member);
		free(s->img.layers[i].blob_digest);
		free(s->img.layers[i].diff_id);
	}
	free(s->img.layers);
	free(s);
	return NULL;
}
