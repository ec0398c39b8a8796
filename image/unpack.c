/* SPDX-License-Identifier: MIT */
/*
 * unpack.c - safe extraction of one layer (see unpack.h for the contract
 * and the threat model).
 *
 * Three libarchive readers are chained by pull callbacks, all in this one
 * thread: the caller's stream -> "raw" reader with every decompression
 * filter (its callback hashes the blob as it arrives) -> tar reader (its
 * callback hashes the uncompressed bytes: the diff_id).  After the tar's
 * end both streams are drained to their very end, so the digests cover
 * every byte, trailing padding and garbage included.
 *
 * Directory modes and times are applied at the end, deepest first: a
 * directory that is not writable (0555) must still receive its entries.
 */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "filelist.h"
#include "hash.h"
#include "log.h"

#define TAR_BUF_SIZE (256u << 10)

/* What this layer holds so far, by path: duplicates and hard links. */
struct seen {
	struct filelist_entry *v; /* open addressing, path == NULL: empty */
	size_t cap, n;
};

struct dir_fixup {
	char *path;
	mode_t mode;
	struct timespec mtime;
};

struct unpack_ctx {
	const struct unpack_params *p;
	struct archive *raw, *tar;
	struct digest *blob_d, *tar_d;
	uint64_t blob_bytes, tar_bytes;
	bool raw_eof;
	struct seen seen;
	struct dir_fixup *dirs;
	size_t n_dirs, cap_dirs;
	char *parent_path; /* cache of the last parent resolved */
	int parent_fd;
	struct unpack_result *res;
	char *wbuf;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)

/* ---- paths ---------------------------------------------------------------- */

int unpack_clean_path(const char *name, char **ret, const char **ret_why)
{
	_cleanup_free_ char *out = NULL;
	size_t len, o = 0;
	const char *s = name;

	if (!name) {
		*ret_why = "the entry has no name";
		return -EPERM;
	}
	len = strlen(name);
	if (len >= PATH_MAX) {
		*ret_why = "the name is longer than PATH_MAX";
		return -ENAMETOOLONG;
	}
	if (name[0] == '/') {
		*ret_why = "absolute name";
		return -EPERM;
	}
	out = malloc(len + 1);
	if (!out)
		return -ENOMEM;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			*ret_why = "'..' component";
			return -EPERM;
		}
		if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
		while (*s == '/')
			s++;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* openat2 beneath dirfd; without openat2 (old kernels, valgrind) a walk
 * that follows no symlink at all, which is stricter. */
int unpack_open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int cur = -1;
	_cleanup_free_ char *copy = NULL;
	char *save = NULL, *tok;
	int fd;

	fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if (errno != ENOSYS)
		return -errno;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		bool last = !save || !*save;
		int next = openat(cur, tok, (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0)
			return -errno;
		close(cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

/* ---- the set of entries seen ------------------------------------------- */

static struct filelist_entry *seen_slot(struct seen *s, const char *path)
{
	size_t i = hash64(path, strlen(path)) & (s->cap - 1);

	while (s->v[i].path && strcmp(s->v[i].path, path) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->v[i];
}

static int seen_grow(struct seen *s)
{
	struct seen n = { .cap = s->cap ? s->cap * 2 : 1024 };

	n.v = calloc(n.cap, sizeof(*n.v));
	if (!n.v)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].path)
			*seen_slot(&n, s->v[i].path) = s->v[i];
	n.n = s->n;
	free(s->v);
	*s = n;
	return 0;
}

static struct filelist_entry *seen_find(struct seen *s, const char *path)
{
	struct filelist_entry *e;

	if (s->cap == 0)
		return NULL;
	e = seen_slot(s, path);
	return e->path ? e : NULL;
}

/* Takes a copy of e (its strings are duplicated). */
static int seen_add(struct seen *s, const struct filelist_entry *e)
{
	struct filelist_entry *slot;
	int r;

	if ((s->n + 1) * 2 > s->cap && (r = seen_grow(s)) < 0)
		return r;
	slot = seen_slot(s, e->path);
	*slot = *e;
	slot->path = strdup(e->path);
	slot->target = slot->link = NULL; /* not needed for lookups */
	if (!slot->path)
		return -ENOMEM;
	s->n++;
	return 0;
}

static void seen_done(struct seen *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->v[i].path);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- the two streams --------------------------------------------------- */

static la_ssize_t raw_read_cb(struct archive *a, void *userdata, const void **buf)
{
	struct unpack_ctx *c = userdata;
	ssize_t n = c->p->read(c->p->userdata, buf);

	if (n < 0) {
		archive_set_error(a, (int)-n, "reading the blob: %s", strerror((int)-n));
		return -1;
	}
	digest_update(c->blob_d, *buf, (size_t)n);
	c->blob_bytes += (uint64_t)n;
	return n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *userdata, const void **buf)
{
	struct unpack_ctx *c = userdata;
	size_t size = 0;
	la_int64_t off;
	int r;

	if (c->raw_eof)
		return 0;
	r = archive_read_data_block(c->raw, buf, &size, &off);
	if (r == ARCHIVE_EOF) {
		c->raw_eof = true;
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		archive_set_error(a, EIO, "decompressing: %s", archive_error_string(c->raw));
		return -1;
	}
	digest_update(c->tar_d, *buf, size);
	c->tar_bytes += size;
	return (la_ssize_t)size;
}

static int open_streams(struct unpack_ctx *c)
{
	struct archive_entry *e;

	c->raw = archive_read_new();
	c->tar = archive_read_new();
	if (!c->raw || !c->tar)
		return -ENOMEM;
	archive_read_support_filter_all(c->raw);
	archive_read_support_format_raw(c->raw);
	if (archive_read_open(c->raw, c, NULL, raw_read_cb, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(c->raw, &e) != ARCHIVE_OK)
		return log_error_errno(-EBADMSG, "%s: cannot read the blob: %s", c->p->what,
				       archive_error_string(c->raw));
	archive_read_support_format_tar(c->tar);
	if (archive_read_open(c->tar, c, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
		return log_error_errno(-EBADMSG, "%s: not a tar archive: %s", c->p->what,
				       archive_error_string(c->tar));
	return 0;
}

/* Reads what the tar reader left (end-of-archive padding) and whatever
 * follows the compressed stream, so that both digests cover everything. */
static int drain_streams(struct unpack_ctx *c)
{
	const void *buf;
	ssize_t n;

	while (!c->raw_eof) {
		n = tar_read_cb(c->tar, c, &buf);
		if (n < 0)
			return log_error_errno(-EBADMSG, "%s: %s", c->p->what, archive_error_string(c->tar));
	}
	do {
		n = c->p->read(c->p->userdata, &buf);
		if (n > 0) {
			digest_update(c->blob_d, buf, (size_t)n);
			c->blob_bytes += (uint64_t)n;
		}
	} while (n > 0);
	return n < 0 ? log_error_errno((int)n, "%s: reading the blob: %m", c->p->what) : 0;
}

/* ---- creating entries ------------------------------------------------- */

static int refuse(struct unpack_ctx *c, const char *name, const char *why)
{
	size_t n = name ? strlen(name) : 0;

	/* A name past PATH_MAX is itself a refusal: show its start only. */
	log_error("%s: entry '%.*s%s' refused: %s", c->p->what, n > 256 ? 256 : (int)n, name ? name : "",
		  n > 256 ? "..." : "", why);
	return -EPERM;
}

/* The parent directory fd of path (borrowed: owned by the cache).  Creates
 * missing parents as 0755 root directories, recorded as implicit. */
static int parent_fd(struct unpack_ctx *c, const char *parent, int *ret);

static int add_implicit_dir(struct unpack_ctx *c, const char *path)
{
	struct filelist_entry e = { .path = (char *)path, .type = S_IFDIR, .mode = 0755, .implicit = true };
	int r;

	if ((r = seen_add(&c->seen, &e)) < 0)
		return r;
	return filelist_write(c->p->manifest, &e);
}

static int xattr_override(int fd, uid_t uid, gid_t gid, mode_t mode, dev_t rdev)
{
	char v[96];
	int r;

	if ((r = unpack_format_override(uid, gid, mode, rdev, v, sizeof(v))) < 0)
		return r;
	if (fsetxattr(fd, UNPACK_OVERRIDE_XATTR, v, strlen(v), 0) < 0)
		return -errno;
	return 0;
}

/* Creates the missing directories of parent one component at a time, each
 * relative to its own parent resolved beneath the layer: never a mkdirat()
 * through a path string that a symlink could redirect. */
static int make_parents(struct unpack_ctx *c, const char *parent)
{
	_cleanup_free_ char *prefix = strdup(parent);
	char *slash = NULL;
	int r;

	if (!prefix)
		return -ENOMEM;
	do {
		_cleanup_close_ int up = -1, fd = -1;
		const char *base = prefix;

		slash = strchr(slash ? slash + 1 : prefix, '/');
		if (slash)
			*slash = '\0';
		fd = unpack_open_beneath(c->p->layer_fd, prefix, O_PATH | O_DIRECTORY);
		if (fd == -ENOENT) {
			char *last = strrchr(prefix, '/');

			if (last) {
				*last = '\0';
				up = unpack_open_beneath(c->p->layer_fd, prefix, O_PATH | O_DIRECTORY);
				*last = '/';
				base = last + 1;
				if (up < 0)
					return up;
			}
			if (mkdirat(last ? up : c->p->layer_fd, base, 0755) < 0)
				return -errno;
			fd = unpack_open_beneath(c->p->layer_fd, prefix, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (fd < 0)
				return fd;
			if (c->p->owners == UNPACK_OWNERS_OVERRIDE &&
			    (r = xattr_override(fd, 0, 0, S_IFDIR | 0755, 0)) < 0)
				return r;
			if ((r = add_implicit_dir(c, prefix)) < 0)
				return r;
		} else if (fd < 0) {
			return fd;
		}
		if (slash)
			*slash = '/';
	} while (slash);
	return 0;
}

static int parent_fd(struct unpack_ctx *c, const char *parent, int *ret)
{
	int fd, r;

	if (!*parent) {
		*ret = c->p->layer_fd;
		return 0;
	}
	if (c->parent_path && strcmp(c->parent_path, parent) == 0) {
		*ret = c->parent_fd;
		return 0;
	}
	fd = unpack_open_beneath(c->p->layer_fd, parent, O_PATH | O_DIRECTORY);
	if (fd == -ENOENT) {
		if ((r = make_parents(c, parent)) < 0)
			return r;
		fd = unpack_open_beneath(c->p->layer_fd, parent, O_PATH | O_DIRECTORY);
	}
	if (fd < 0)
		return fd;
	if (c->parent_fd >= 0 && c->parent_fd != c->p->layer_fd)
		close(c->parent_fd);
	free(c->parent_path);
	c->parent_path = strdup(parent);
	c->parent_fd = fd;
	if (!c->parent_path)
		return -ENOMEM;
	*ret = fd;
	return 0;
}

int unpack_format_override(uid_t uid, gid_t gid, mode_t mode, dev_t rdev, char *buf, size_t size)
{
	char dev[64];
	const char *t;
	int n;

	switch (mode & S_IFMT) {
	case S_IFDIR:
		t = "dir";
		break;
	case S_IFLNK:
		t = "symlink";
		break;
	case S_IFIFO:
		t = "pipe";
		break;
	case S_IFSOCK:
		t = "socket";
		break;
	case S_IFCHR:
	case S_IFBLK:
		snprintf(dev, sizeof(dev), "%s-%u-%u", S_ISCHR(mode) ? "char" : "block", major(rdev), minor(rdev));
		t = dev;
		break;
	default:
		t = "file";
		break;
	}
	n = snprintf(buf, size, "%u:%u:%04o:%s", (unsigned)uid, (unsigned)gid, (unsigned)(mode & 07777), t);
	return n < 0 || (size_t)n >= size ? -ERANGE : 0;
}

/* The image's xattrs.  Those that amberfs or this store interpret are
 * not the image's to set: *.overlay.* (whiteouts, opaque directories) and
 * the override xattr (owners).  Failures are counted, never silent. */
static void apply_xattrs(struct unpack_ctx *c, struct archive_entry *ae, int fd, const char *name)
{
	const char *xn;
	const void *xv;
	size_t xs;

	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &xn, &xv, &xs) == ARCHIVE_OK) {
		if (strstr(xn, ".overlay.") || strcmp(xn, UNPACK_OVERRIDE_XATTR) == 0) {
			log_warning("%s: '%s': xattr '%s' ignored (reserved for the store and amberfs)", c->p->what,
				    name, xn);
			c->res->n_xattrs_lost++;
		} else if (fd < 0 || fsetxattr(fd, xn, xv, xs, 0) < 0) {
			log_debug("%s: '%s': xattr '%s' not set: %s", c->p->what, name, xn,
				  fd < 0 ? "not supported on this file type" : strerror(errno));
			c->res->n_xattrs_lost++;
		}
	}
}

static mode_t override_disk_mode(const struct filelist_entry *fe)
{
	return (fe->mode & 0777) | (fe->type == S_IFDIR ? 0700 : 0600);
}

/* Owner and mode of an open file or directory.  Directories get their
 * mode later (the fixups); set_mode is false for them. */
static int apply_owner(struct unpack_ctx *c, int fd, const struct filelist_entry *fe, bool set_mode)
{
	bool override = c->p->owners == UNPACK_OWNERS_OVERRIDE;
	int r;

	if (!override && fchown(fd, fe->uid, fe->gid) < 0) {
		if (errno != EINVAL && errno != EPERM)
			return log_error_errno(-errno, "%s: chown '%s': %m", c->p->what, fe->path);
		log_debug("%s: '%s': owner %u:%u cannot be mapped here: kept in %s", c->p->what, fe->path,
			  (unsigned)fe->uid, (unsigned)fe->gid, UNPACK_OVERRIDE_XATTR);
		c->res->n_override_fallbacks++;
		override = true;
	}
	if (override) {
		if ((r = xattr_override(fd, fe->uid, fe->gid, fe->type | fe->mode, fe->rdev)) < 0)
			return log_error_errno(r, "%s: '%s': cannot set %s: %m", c->p->what, fe->path,
					       UNPACK_OVERRIDE_XATTR);
		if (fe->mode & 06000)
			c->res->n_setid_xattr_only++;
		if (set_mode && fchmod(fd, override_disk_mode(fe)) < 0)
			return log_error_errno(-errno, "%s: chmod '%s': %m", c->p->what, fe->path);
		return 1; /* written in the override form */
	}
	if (set_mode && fchmod(fd, fe->mode) < 0)
		return log_error_errno(-errno, "%s: chmod '%s': %m", c->p->what, fe->path);
	return 0;
}

static int write_data(struct unpack_ctx *c, int fd, struct filelist_entry *fe, const char *name)
{
	_cleanup_(digest_freep) struct digest *d = digest_new();
	uint64_t written = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	if (!d)
		return -ENOMEM;
	while ((r = archive_read_data_block(c->tar, &buf, &len, &off)) == ARCHIVE_OK) {
		if ((uint64_t)off != written)
			return refuse(c, name, "sparse entry (a hole in the data)");
		for (size_t done = 0; done < len;) {
			ssize_t n = write(fd, (const char *)buf + done, len - done);

			if (n < 0)
				return log_error_errno(-errno, "%s: writing '%s': %m", c->p->what, fe->path);
			done += (size_t)n;
		}
		digest_update(d, buf, len);
		written += len;
	}
	if (r != ARCHIVE_EOF)
		return log_error_errno(-EBADMSG, "%s: '%s': %s", c->p->what, name, archive_error_string(c->tar));
	fe->size = written;
	digest_final(d, fe->sha256);
	return 0;
}

static void set_times(int fd, struct archive_entry *ae)
{
	struct timespec ts[2] = {
		{ .tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae) },
		{ .tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae) },
	};

	(void)futimens(fd, ts);
}

static int create_reg(struct unpack_ctx *c, struct archive_entry *ae, int pfd, const char *base,
		      struct filelist_entry *fe, const char *name)
{
	_cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "%s: creating '%s': %m", c->p->what, fe->path);
	if ((r = write_data(c, fd, fe, name)) < 0)
		return r;
	apply_xattrs(c, ae, fd, name);
	if ((r = apply_owner(c, fd, fe, true)) < 0)
		return r;
	set_times(fd, ae);
	return 0;
}

static int add_dir_fixup(struct unpack_ctx *c, const char *path, struct archive_entry *ae, mode_t mode)
{
	if (c->n_dirs == c->cap_dirs) {
		size_t n = c->cap_dirs ? c->cap_dirs * 2 : 256;
		struct dir_fixup *v = reallocarray(c->dirs, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->dirs = v;
		c->cap_dirs = n;
	}
	c->dirs[c->n_dirs] = (struct dir_fixup){
		.path = strdup(path),
		.mode = mode,
		.mtime = { .tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae) },
	};
	if (!c->dirs[c->n_dirs].path)
		return -ENOMEM;
	c->n_dirs++;
	return 0;
}

static int create_dir(struct unpack_ctx *c, struct archive_entry *ae, int pfd, const char *base,
		      struct filelist_entry *fe, bool exists, const char *name)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!exists && mkdirat(pfd, base, 0700) < 0)
		return log_error_errno(-errno, "%s: mkdir '%s': %m", c->p->what, fe->path);
	fd = pfd == c->p->layer_fd && !*base ? fcntl(pfd, F_DUPFD_CLOEXEC, 3)
					      : openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s: opening '%s': %m", c->p->what, fe->path);
	apply_xattrs(c, ae, fd, name);
	if ((r = apply_owner(c, fd, fe, false)) < 0)
		return r;
	return add_dir_fixup(c, *base ? fe->path : "", ae, r > 0 ? override_disk_mode(fe) : fe->mode);
}

/* An empty regular file standing for what this user cannot create. */
static int create_placeholder(struct unpack_ctx *c, int pfd, const char *base, const struct filelist_entry *fe)
{
	_cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "%s: creating '%s': %m", c->p->what, fe->path);
	if ((r = xattr_override(fd, fe->uid, fe->gid, fe->type | fe->mode, fe->rdev)) < 0)
		return log_error_errno(r, "%s: '%s': cannot set %s: %m", c->p->what, fe->path, UNPACK_OVERRIDE_XATTR);
	log_warning("%s: '%s' (%s %u:%u) cannot be created by this user: stored as an empty file described by %s",
		    c->p->what, fe->path, filelist_type_name(fe->type), major(fe->rdev), minor(fe->rdev),
		    UNPACK_OVERRIDE_XATTR);
	c->res->n_devices++;
	return 0;
}

/* Devices, fifos and symlinks: no fd to work on, so the *at() calls on the
 * name just created in pfd (nothing else writes to a temporary layer). */
static int create_special(struct unpack_ctx *c, struct archive_entry *ae, int pfd, const char *base,
			  struct filelist_entry *fe)
{
	bool native = c->p->owners == UNPACK_OWNERS_NATIVE;
	struct timespec ts[2] = {
		{ .tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae) },
		{ .tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae) },
	};

	if (fe->type == S_IFLNK) {
		if (symlinkat(fe->target, pfd, base) < 0)
			return log_error_errno(-errno, "%s: symlink '%s': %m", c->p->what, fe->path);
		if (native && fchownat(pfd, base, fe->uid, fe->gid, AT_SYMLINK_NOFOLLOW) < 0) {
			log_debug("%s: '%s': symlink owner %u:%u cannot be mapped here", c->p->what, fe->path,
				  (unsigned)fe->uid, (unsigned)fe->gid);
			c->res->n_override_fallbacks++;
		}
		(void)utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (!native)
		return create_placeholder(c, pfd, base, fe);
	if (mknodat(pfd, base, fe->type | 0600, fe->rdev) < 0) {
		if (errno != EPERM)
			return log_error_errno(-errno, "%s: mknod '%s': %m", c->p->what, fe->path);
		c->res->n_override_fallbacks++;
		return create_placeholder(c, pfd, base, fe);
	}
	if (fchownat(pfd, base, fe->uid, fe->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(pfd, base, fe->mode, 0) < 0)
		return log_error_errno(-errno, "%s: owner or mode of '%s': %m", c->p->what, fe->path);
	(void)utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static void split_path(char *path, const char **ret_parent, const char **ret_base)
{
	char *slash = strrchr(path, '/');

	if (slash) {
		*slash = '\0';
		*ret_parent = path;
		*ret_base = slash + 1;
	} else {
		*ret_parent = "";
		*ret_base = path;
	}
}

static int resolve_error(struct unpack_ctx *c, const char *name, int r)
{
	switch (r) {
	case -EXDEV:
	case -ELOOP:
		return refuse(c, name, "its directory resolves through a symlink that leaves the layer");
	case -ENOTDIR:
		return refuse(c, name, "its directory is not a directory in this layer");
	case -ENAMETOOLONG:
		return refuse(c, name, "a name component is too long");
	default:
		return log_error_errno(r, "%s: entry '%s': %m", c->p->what, name);
	}
}

static int do_hardlink(struct unpack_ctx *c, const char *name, const char *hl, char *path,
		       struct filelist_entry *fe)
{
	_cleanup_free_ char *tpath = NULL;
	_cleanup_close_ int tpfd = -1;
	const struct filelist_entry *tgt;
	const char *why, *tparent, *tbase, *parent, *base;
	int r, pfd;

	r = unpack_clean_path(hl, &tpath, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return refuse(c, name, why);
	tgt = seen_find(&c->seen, tpath);
	if (!tgt || tgt->type == S_IFDIR)
		return refuse(c, name, "hard link to something that is not an earlier file of this layer");
	*fe = *tgt;
	fe->path = path;
	fe->link = tpath;
	fe->implicit = false;
	split_path(tpath, &tparent, &tbase);
	tpfd = *tparent ? unpack_open_beneath(c->p->layer_fd, tparent, O_PATH | O_DIRECTORY)
			: fcntl(c->p->layer_fd, F_DUPFD_CLOEXEC, 3);
	if (tpfd < 0)
		return resolve_error(c, name, tpfd);
	split_path(path, &parent, &base);
	if ((r = parent_fd(c, parent, &pfd)) < 0)
		return resolve_error(c, name, r);
	if (*parent)
		path[strlen(parent)] = '/'; /* undo split_path: base still points into it */
	if (*tparent)
		tpath[strlen(tparent)] = '/';
	if (faccessat(pfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return refuse(c, name, "duplicate entry");
	if (linkat(tpfd, tbase, pfd, base, 0) < 0)
		return log_error_errno(-errno, "%s: hard link '%s': %m", c->p->what, name);
	if ((r = seen_add(&c->seen, fe)) < 0)
		return r;
	return filelist_write(c->p->manifest, fe);
}

static int check_entry(struct unpack_ctx *c, struct archive_entry *ae, const char *name)
{
	uint64_t max = c->p->max_entry_size ? c->p->max_entry_size : UNPACK_DEFAULT_MAX_ENTRY;

	if (archive_entry_sparse_count(ae) > 0)
		return refuse(c, name, "sparse entry");
	if (archive_entry_size_is_set(ae) && (archive_entry_size(ae) < 0 || (uint64_t)archive_entry_size(ae) > max))
		return refuse(c, name, "larger than the limit on one file");
	if (archive_entry_hardlink(ae))
		return 0;
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return 0;
	default:
		return refuse(c, name, "unsupported entry type");
	}
}

static int do_entry(struct unpack_ctx *c, struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae), *why = NULL, *parent, *base;
	_cleanup_free_ char *path = NULL;
	struct filelist_entry fe = { 0 }, *prev;
	int r, pfd;

	r = unpack_clean_path(name, &path, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return refuse(c, name, why);
	if ((r = check_entry(c, ae, name)) < 0)
		return r;
	prev = seen_find(&c->seen, *path ? path : ".");
	if (prev && !(prev->implicit && archive_entry_filetype(ae) == AE_IFDIR && !archive_entry_hardlink(ae)))
		return refuse(c, name, "duplicate entry");
	if (archive_entry_hardlink(ae))
		return do_hardlink(c, name, archive_entry_hardlink(ae), path, &fe);
	fe.type = archive_entry_filetype(ae);
	fe.mode = archive_entry_perm(ae) & 07777;
	fe.uid = (uid_t)archive_entry_uid(ae);
	fe.gid = (gid_t)archive_entry_gid(ae);
	fe.rdev = archive_entry_rdev(ae);
	fe.target = (char *)archive_entry_symlink(ae);
	if (fe.type != S_IFCHR && fe.type != S_IFBLK)
		fe.rdev = 0;
	if (!*path) {
		if (fe.type != S_IFDIR)
			return refuse(c, name, "the layer root is not a directory");
		fe.path = (char *)".";
		r = create_dir(c, ae, c->p->layer_fd, "", &fe, true, name);
	} else {
		fe.path = path;
		split_path(path, &parent, &base);
		if ((r = parent_fd(c, parent, &pfd)) < 0)
			return resolve_error(c, name, r);
		if (*parent)
			path[strlen(parent)] = '/'; /* undo split_path: base still points into it */
		if (!prev && faccessat(pfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return refuse(c, name, "duplicate entry");
		if (fe.type == S_IFREG)
			r = create_reg(c, ae, pfd, base, &fe, name);
		else if (fe.type == S_IFDIR)
			r = create_dir(c, ae, pfd, base, &fe, prev != NULL, name);
		else
			r = create_special(c, ae, pfd, base, &fe);
	}
	if (r < 0)
		return r;
	if (prev)
		prev->implicit = false;
	else if ((r = seen_add(&c->seen, &fe)) < 0)
		return r;
	return filelist_write(c->p->manifest, &fe);
}

static int apply_dir_fixups(struct unpack_ctx *c)
{
	for (size_t i = c->n_dirs; i-- > 0;) {
		struct dir_fixup *d = &c->dirs[i];
		_cleanup_close_ int fd = *d->path ? unpack_open_beneath(c->p->layer_fd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
						  : fcntl(c->p->layer_fd, F_DUPFD_CLOEXEC, 3);
		struct timespec ts[2] = { d->mtime, d->mtime };

		if (fd < 0)
			return log_error_errno(fd, "%s: reopening '%s': %m", c->p->what, d->path);
		if (fchmod(fd, d->mode) < 0)
			return log_error_errno(-errno, "%s: chmod '%s': %m", c->p->what, d->path);
		(void)futimens(fd, ts);
	}
	return 0;
}

static void ctx_done(struct unpack_ctx *c)
{
	if (c->tar)
		archive_read_free(c->tar);
	if (c->raw)
		archive_read_free(c->raw);
	digest_free(c->blob_d);
	digest_free(c->tar_d);
	seen_done(&c->seen);
	for (size_t i = 0; i < c->n_dirs; i++)
		free(c->dirs[i].path);
	free(c->dirs);
	if (c->parent_fd >= 0 && c->parent_fd != c->p->layer_fd)
		close(c->parent_fd);
	free(c->parent_path);
}

int unpack_layer(const struct unpack_params *p, struct unpack_result *ret)
{
	struct unpack_result res = { 0 };
	struct unpack_ctx c = { .p = p, .parent_fd = -1, .res = &res };
	struct archive_entry *ae;
	int r;

	c.blob_d = digest_new();
	c.tar_d = digest_new();
	if (!c.blob_d || !c.tar_d) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = open_streams(&c)) < 0)
		goto out;
	/* A layer whose tar has no "." entry still describes its root. */
	if (p->owners == UNPACK_OWNERS_OVERRIDE && (r = xattr_override(p->layer_fd, 0, 0, S_IFDIR | 0755, 0)) < 0) {
		log_error_errno(r, "%s: cannot set %s on the layer root: %m", p->what, UNPACK_OVERRIDE_XATTR);
		goto out;
	}
	while ((r = archive_read_next_header(c.tar, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if ((r = do_entry(&c, ae)) < 0)
			goto out;
		res.n_entries++;
	}
	if (r != ARCHIVE_EOF) {
		r = log_error_errno(-EBADMSG, "%s: corrupt tar: %s", p->what, archive_error_string(c.tar));
		goto out;
	}
	if ((r = apply_dir_fixups(&c)) < 0 || (r = drain_streams(&c)) < 0)
		goto out;
	digest_final(c.blob_d, res.blob_digest);
	digest_final(c.tar_d, res.diff_id);
	res.blob_size = c.blob_bytes;
	res.tar_size = c.tar_bytes;
	if (fflush(p->manifest) != 0) {
		r = log_error_errno(-errno, "%s: writing the manifest: %m", p->what);
		goto out;
	}
	*ret = res;
	r = 0;
out:
	ctx_done(&c);
	return r;
}
