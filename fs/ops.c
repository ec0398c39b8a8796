/* SPDX-License-Identifier: MIT */
/*
 * ops.c - the FUSE low-level operations.
 *
 * Each op_x() unpacks its request, calls a function returning -errno, and
 * replies exactly once.  Reads are served from the merged tables (index.c)
 * and from backing files opened beneath their layer (layer.c).  Every
 * mutating operation is implemented and goes through gate_reject(): the
 * mount is read-write at the VFS level on purpose, so that attempts reach
 * the daemon and are recorded instead of being refused silently by the
 * kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "amberfs.h"
#include "cleanup.h"
#include "log.h"
#include "ops_mutate.h"
#include "perm.h"
#include "whiteout.h"

/* The kernel passes an exec's open with this f_flags bit (__FMODE_EXEC):
 * it needs execute permission there, not read. */
#define OPEN_FLAG_EXEC 0x20

static struct amberfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct node *node_of(fuse_req_t req, fuse_ino_t ino)
{
	return inode_from_fuse(fs_of(req)->inodes, ino);
}

/* cache: whether the kernel may keep the entry (see dir_open_to_all). */
static void fill_entry(struct amberfs *fs, struct node *n, bool cache, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = inode_to_fuse(fs->inodes, n);
	e->generation = 1;
	node_attr_to_stat(n, &e->attr);
	e->attr_timeout = cache ? fs->timeout : 0;
	e->entry_timeout = cache ? fs->timeout : 0;
}

/* Opens the backing entry of n (never for synthesized directories). */
static int node_open(struct amberfs *fs, const struct node *n, int flags)
{
	_cleanup_free_ char *rel = NULL;

	if (n->layer == NODE_LAYER_SYNTH)
		return -ENOENT;
	rel = node_path(n, false);
	if (!rel)
		return -ENOMEM;
	return layer_open(&fs->layers->layers[n->layer], rel, flags);
}

static unsigned char node_xattr_state(struct amberfs *fs, struct node *n);

/*
 * Whether every caller may search dir.  Only then may the kernel cache
 * what lies below it: it serves cached dentries, attributes and symlink
 * targets without asking us, so below any other directory each walk must
 * reach lookup() and be checked for its caller (timeouts 0).  Such
 * directories are rare in images (/root, private key directories).
 */
static bool dir_open_to_all(struct amberfs *fs, struct node *dir)
{
	return perm_searchable_by_all(dir->attr.mode) &&
	       node_xattr_state(fs, dir) != NODE_XATTRS_ACL;
}

/* Reads n's access ACL.  One that cannot be read or used leaves only the
 * owner's bits: the narrower answer. */
static void node_acl(struct amberfs *fs, struct node *n, struct perm_acl *acl)
{
	_cleanup_close_ int fd = node_open(fs, n, O_PATH | O_NOFOLLOW);
	unsigned char buf[4 + 8 * PERM_MAX_ACL];
	char path[64];
	ssize_t len = -1;

	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = getxattr(path, "system.posix_acl_access", buf, sizeof(buf));
	}
	if (len < 0 || perm_acl_parse(buf, len, acl) < 0) {
		*acl = (struct perm_acl){ .n = 2 };
		acl->e[0] = (struct perm_acl_entry){ .tag = 0x01, .perm = (n->attr.mode >> 6) & 7 };
		acl->e[1] = (struct perm_acl_entry){ .tag = 0x20, .perm = 0 };
	}
}

/* 0 if the caller of req may access n with mask (PERM_*), else -EACCES. */
static int node_permission(struct amberfs *fs, fuse_req_t req, struct node *n, int mask)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct perm_caller c = { .uid = ctx->uid, .gid = ctx->gid, .tid = ctx->pid };
	struct perm_object o = { .uid = n->attr.uid, .gid = n->attr.gid, .mode = n->attr.mode };
	struct perm_acl acl;

	if (c.uid != o.uid && (o.mode & S_IRWXG) && node_xattr_state(fs, n) == NODE_XATTRS_ACL) {
		node_acl(fs, n, &acl);
		o.acl = &acl;
	}
	return perm_check(&c, &o, mask);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct amberfs *fs = userdata;

	if (!fs->cfg->nosplice)
		conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	conn->want |= conn->capable & (FUSE_CAP_READDIRPLUS | FUSE_CAP_CACHE_SYMLINKS |
				       FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_IOCTL_DIR |
				       FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_ASYNC_READ);
	if (fs->cfg->noopendir)
		conn->want |= conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT;
	/* Writes must reach the daemon; plus-mode listing always. */
	conn->want &= ~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_READDIRPLUS_AUTO |
			FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_AUTO_INVAL_DATA);
}

/*
 * A lookup is the one place where the kernel's path walk meets us, so the
 * search permission it would check (may_lookup) is checked here.  *cache
 * says whether the answer may be kept.
 */
static int do_lookup(struct amberfs *fs, fuse_req_t req, fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e, bool *cache)
{
	struct node *dir = inode_from_fuse(fs->inodes, parent);
	const struct dir_table *t;
	struct node *n;
	int r;

	*cache = true;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	r = index_dir(fs->index, dir, &t);
	if (r < 0)
		return r;
	*cache = dir_open_to_all(fs, dir);
	if (!*cache && (r = node_permission(fs, req, dir, PERM_X)) < 0)
		return r;
	n = index_lookup(t, name);
	if (!n)
		return -ENOENT;
	fill_entry(fs, n, *cache, e);
	inode_ref(n, 1);
	return 0;
}

static void reply_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct amberfs *fs = fs_of(req);
	struct fuse_entry_param e;
	bool cache;
	int r = do_lookup(fs, req, parent, name, &e, &cache);

	if (r == -ENOENT) {
		/* Negative entry, cached as long as positive ones. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = cache ? fs->timeout : 0;
		fuse_reply_entry(req, &e);
	} else if (r < 0) {
		fuse_reply_err(req, -r);
	} else {
		fuse_reply_entry(req, &e);
	}
}

struct lookup_job {
	fuse_req_t req;
	fuse_ino_t parent;
	char name[];
};

static void lookup_job_run(void *arg)
{
	struct lookup_job *j = arg;

	reply_lookup(j->req, j->parent, j->name);
	free(j);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct amberfs *fs = fs_of(req);
	size_t len = strlen(name);
	struct lookup_job *j;

	if (fs->offload && !index_lookup_ready(inode_from_fuse(fs->inodes, parent), name) &&
	    (j = malloc(sizeof(*j) + len + 1))) {
		j->req = req;
		j->parent = parent;
		memcpy(j->name, name, len + 1);
		if (offload_submit(fs->offload, lookup_job_run, j) == 0)
			return;
		free(j);
	}
	reply_lookup(req, parent, name);
}


static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inode_unref(node_of(req, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		inode_unref(node_of(req, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct amberfs *fs = fs_of(req);
	struct node *n = node_of(req, ino);
	struct stat st;

	node_attr_to_stat(n, &st);
	fuse_reply_attr(req, &st, !n->parent || dir_open_to_all(fs, n->parent) ? fs->timeout : 0);
}

static int do_readlink(struct amberfs *fs, struct node *n, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t len;

	if (!S_ISLNK(n->attr.mode))
		return -EINVAL;
	fd = node_open(fs, n, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	len = readlinkat(fd, "", buf, size - 1);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return 0;
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	int r = do_readlink(fs_of(req), node_of(req, ino), buf, sizeof(buf));

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, buf);
}

/* Write opens are refused by op_open() before this. */
static int do_open(struct amberfs *fs, fuse_req_t req, struct node *n, struct fuse_file_info *fi)
{
	int fd;

	fd = node_permission(fs, req, n, (fi->flags & OPEN_FLAG_EXEC) ? PERM_X : PERM_R);
	if (fd < 0)
		return fd;
	/* O_NOATIME keeps reads from touching the layers; only the owner (or
	 * root) may ask for it, so fall back without it. */
	fd = node_open(fs, n, O_RDONLY | O_NOFOLLOW | O_NOATIME);
	if (fd == -EPERM)
		fd = node_open(fs, n, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	fi->fh = fd;
	fi->keep_cache = 1;
	fi->noflush = 1;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct audit_args args = { .has = AUDIT_ARG_FLAGS, .flags = fi->flags };
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		ops_refuse(req, AUDIT_OPEN_WRITE, ino, &args);
		return;
	}
	if (fi->flags & O_TRUNC) {
		ops_refuse(req, AUDIT_OPEN_TRUNC, ino, &args);
		return;
	}
	r = do_open(fs_of(req), req, node_of(req, ino), fi);

	if (r < 0)
		fuse_reply_err(req, -r);
	else if (fuse_reply_open(req, fi) == -ENOENT)
		close(fi->fh); /* the caller was interrupted */
}

struct read_job {
	fuse_req_t req;
	int fd;
	size_t size;
	off_t off;
};

static void reply_read(fuse_req_t req, int fd, size_t size, off_t off)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, fs_of(req)->cfg->nosplice ? FUSE_BUF_NO_SPLICE
							     : FUSE_BUF_SPLICE_MOVE);
}

static void read_job_run(void *arg)
{
	struct read_job *j = arg;

	reply_read(j->req, j->fd, j->size, j->off);
	free(j);
}

/* Data may have to come from the disk: read on the pool, and the kernel's
 * parallel read-ahead requests are served in parallel. */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct offload *pool = fs_of(req)->offload;
	struct read_job *j;

	if (pool && (j = malloc(sizeof(*j)))) {
		*j = (struct read_job){ .req = req, .fd = fi->fh, .size = size, .off = off };
		if (offload_submit(pool, read_job_run, j) == 0)
			return;
		free(j);
	}
	reply_read(req, fi->fh, size, off);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	close(fi->fh);
	fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0); /* nothing is ever dirty */
}

static void reply_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct amberfs *fs = fs_of(req);
	struct node *n = node_of(req, ino);
	const struct dir_table *t;
	int r = index_dir(fs->index, n, &t);

	if (r == 0)
		r = node_permission(fs, req, n, PERM_R);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

struct opendir_job {
	fuse_req_t req;
	fuse_ino_t ino;
	struct fuse_file_info fi;
};

static void opendir_job_run(void *arg)
{
	struct opendir_job *j = arg;

	reply_opendir(j->req, j->ino, &j->fi);
	free(j);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct amberfs *fs = fs_of(req);
	struct opendir_job *j;

	/* noopendir: the kernel stops asking after this answer, keeps every
	 * listing, and readdir checks read permission instead. */
	if (fs->cfg->noopendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}

	/* A first merge reads every layer's listing: on the pool. */
	if (fs->offload && !index_dir_merged(node_of(req, ino)) && (j = malloc(sizeof(*j)))) {
		*j = (struct opendir_job){ .req = req, .ino = ino, .fi = *fi };
		if (offload_submit(fs->offload, opendir_job_run, j) == 0)
			return;
		free(j);
	}
	reply_opendir(req, ino, fi);
}

/* Fills buf with entries from off on; returns the bytes used or -errno. */
static ssize_t fill_dir(fuse_req_t req, struct node *dir, char *buf, size_t size,
			off_t off, bool plus)
{
	struct amberfs *fs = fs_of(req);
	const struct dir_table *t;
	size_t pos = 0;
	bool cache;
	int r;

	r = index_dir_list(fs->index, dir, &t);
	if (r == 0 && fs->cfg->noopendir && off == 0)
		r = node_permission(fs, req, dir, PERM_R);
	if (r < 0)
		return r;
	cache = dir_open_to_all(fs, dir);
	for (size_t i = off; i < t->n + 2; i++) {
		struct node *n = i == 0 ? dir : i == 1 ? (dir->parent ? dir->parent : dir)
						       : t->entries[i - 2].node;
		const char *name = i == 0 ? "." : i == 1 ? ".." : dir_entry_name(t, i - 2);
		struct fuse_entry_param e = { 0 };
		size_t len;

		if (!n)
			continue; /* hidden: an xattr whiteout */

		if (plus && i >= 2) {
			fill_entry(fs, n, cache, &e);
		} else {
			/* ino 0 in plus mode: no lookup is implied for "." and "..". */
			e.attr.st_ino = n->ino;
			e.attr.st_mode = n->attr.mode;
		}
		len = plus ? fuse_add_direntry_plus(req, buf + pos, size - pos, name, &e, i + 1)
			   : fuse_add_direntry(req, buf + pos, size - pos, name, &e.attr, i + 1);
		if (len > size - pos)
			break;
		if (plus && i >= 2)
			inode_ref(n, 1);
		pos += len;
	}
	return pos;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	_cleanup_free_ char *buf = malloc(size);
	ssize_t r;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = fill_dir(req, node_of(req, ino), buf, size, off, plus);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, buf, r);
}

struct readdir_job {
	fuse_req_t req;
	fuse_ino_t ino;
	size_t size;
	off_t off;
	bool plus;
};

static void readdir_job_run(void *arg)
{
	struct readdir_job *j = arg;

	do_readdir(j->req, j->ino, j->size, j->off, j->plus);
	free(j);
}

/* A first listing stats every entry (index_dir_list()), and without
 * opendir (noopendir) it may be the first use of a directory: it then runs
 * on the pool, as lookup's merge does. */
static void readdir_any(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct amberfs *fs = fs_of(req);
	struct readdir_job *j;

	if (fs->offload && !index_dir_listed(node_of(req, ino)) && (j = malloc(sizeof(*j)))) {
		*j = (struct readdir_job){ .req = req, .ino = ino, .size = size, .off = off,
					   .plus = plus };
		if (offload_submit(fs->offload, readdir_job_run, j) == 0)
			return;
		free(j);
	}
	do_readdir(req, ino, size, off, plus);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_any(req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	readdir_any(req, ino, size, off, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(fs_of(req)->layers->layers[0].fd, &sv) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_statfs(req, &sv);
}

/* Learns n->xattrs through path, the magic link of an O_PATH fd of n. */
static unsigned char node_xattrs_learn_path(struct node *n, const char *path)
{
	char buf[4096];
	ssize_t len = listxattr(path, buf, sizeof(buf));
	unsigned char v;

	if (len < 0 && errno == ERANGE)
		v = getxattr(path, "system.posix_acl_access", NULL, 0) >= 0 ? NODE_XATTRS_ACL
									 : NODE_XATTRS_SOME;
	else if (len < 0)
		return NODE_XATTRS_UNKNOWN;
	else
		v = node_xattrs_classify(buf, len);
	atomic_store_explicit(&n->xattrs, v, memory_order_relaxed);
	return v;
}

/* NODE_XATTRS_*, learnt now if not known yet (UNKNOWN if unreadable). */
static unsigned char node_xattr_state(struct amberfs *fs, struct node *n)
{
	unsigned char known = atomic_load_explicit(&n->xattrs, memory_order_relaxed);
	_cleanup_close_ int fd = -1;
	char path[64];

	if (known != NODE_XATTRS_UNKNOWN)
		return known;
	if (n->layer == NODE_LAYER_SYNTH)
		return NODE_XATTRS_NONE;
	fd = node_open(fs, n, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return NODE_XATTRS_UNKNOWN;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return node_xattrs_learn_path(n, path);
}

/*
 * Runs getxattr (name set) or listxattr on the backing entry through its
 * O_PATH fd.  The first call also learns whether the entry has any xattr
 * at all, so later getxattr calls on the (common) bare entry cost nothing.
 */
static ssize_t node_xattr(struct amberfs *fs, struct node *n, const char *name,
			  char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	unsigned char known = atomic_load_explicit(&n->xattrs, memory_order_relaxed);
	char path[64];
	ssize_t len;

	if (n->layer == NODE_LAYER_SYNTH || known == NODE_XATTRS_NONE)
		return name ? -ENODATA : 0;
	fd = node_open(fs, n, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	/* The magic link jumps to the inode itself, symlinks included. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (known == NODE_XATTRS_UNKNOWN && node_xattrs_learn_path(n, path) == NODE_XATTRS_NONE)
		return name ? -ENODATA : 0;
	len = name ? getxattr(path, name, buf, size) : listxattr(path, buf, size);
	return len < 0 ? -errno : len;
}

/* Markers and, when it is honoured, the override_stat xattr: never shown. */
static bool xattr_hidden(const struct amberfs *fs, const char *name)
{
	return whiteout_is_internal_xattr(name) ||
	       (fs->cfg->override_xattr && strcmp(name, fs->cfg->override_xattr) == 0);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t r;

	if (xattr_hidden(fs_of(req), name)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	/* The VFS leaves user.* reads to the inode's read permission (and
	 * security.*, system.* and trusted.* to itself or the LSM). */
	if (strncmp(name, "user.", 5) == 0 &&
	    (r = node_permission(fs_of(req), req, node_of(req, ino), PERM_R)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = node_xattr(fs_of(req), node_of(req, ino), name, buf, size);
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (size == 0)
		fuse_reply_xattr(req, r);
	else
		fuse_reply_buf(req, buf, r);
}

/* Drops internal names from a NUL-separated list in place. */
static size_t filter_xattr_list(struct amberfs *fs, char *list, size_t len)
{
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		size_t l = strnlen(list + i, len - i) + 1;

		if (!xattr_hidden(fs, list + i)) {
			memmove(list + out, list + i, l);
			out += l;
		}
		i += l;
	}
	return out;
}

static ssize_t do_listxattr(struct amberfs *fs, struct node *n, char **ret)
{
	ssize_t len, r;
	char *buf;

	for (int tries = 0; tries < 4; tries++) {
		len = node_xattr(fs, n, NULL, NULL, 0);
		if (len <= 0)
			return len;
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		r = node_xattr(fs, n, NULL, buf, len);
		if (r >= 0) {
			*ret = buf;
			return filter_xattr_list(fs, buf, r);
		}
		free(buf);
		if (r != -ERANGE)
			return r;
	}
	return -ERANGE;
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t r = do_listxattr(fs_of(req), node_of(req, ino), &buf);

	if (r < 0)
		fuse_reply_err(req, -r);
	else if (size == 0)
		fuse_reply_xattr(req, r);
	else if ((size_t)r > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, r);
}

/*
 * A question, not an attempt: answered, not logged.  As on a read-only
 * kernel mount, write access to a file, directory or symlink is EROFS for
 * everyone, before any permission check; the rest is the caller's
 * permission (access() asks with the real ids, which the kernel passes).
 */
static int do_access(struct amberfs *fs, fuse_req_t req, struct node *n, int mask)
{
	uint32_t fmt = n->attr.mode & S_IFMT;

	if ((mask & W_OK) && (fmt == S_IFREG || fmt == S_IFDIR || fmt == S_IFLNK))
		return -EROFS;
	if ((mask & (R_OK | W_OK | X_OK)) == 0)
		return 0;
	return node_permission(fs, req, n, mask & (R_OK | W_OK | X_OK));
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	fuse_reply_err(req, -do_access(fs_of(req), req, node_of(req, ino), mask));
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t r = lseek(fi->fh, off, whence);

	if (r < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, r);
}

static void op_fsync_dir(fuse_req_t req, fuse_ino_t ino, int datasync,
			 struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

const struct fuse_lowlevel_ops amberfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.fsyncdir = op_fsync_dir,
	.statfs = op_statfs,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.access = op_access,
	.lseek = op_lseek,
	/* mutations: every one refused through the gate */
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.create = op_create,
	.write_buf = op_write_buf,
	.fallocate = op_fallocate,
	.copy_file_range = op_copy_file_range,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.ioctl = op_ioctl,
};
