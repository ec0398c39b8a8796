/* SPDX-License-Identifier: MIT */
/*
 * verify.c - compare an unpacked layer with its manifest (see verify.h).
 */
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

struct walk {
	const struct filelist *fl;
	enum unpack_owners owners;
	struct verify_report *rep;
	bool *seen;
	dev_t dev;
};

const char *verify_kind_name(enum verify_kind k)
{
	static const char *const names[_VERIFY_KIND_MAX] = {
		[VERIFY_CHANGED] = "changed",
		[VERIFY_ADDED] = "added",
		[VERIFY_REMOVED] = "removed",
	};

	return k >= 0 && k < _VERIFY_KIND_MAX ? names[k] : NULL;
}

static int report(struct verify_report *rep, enum verify_kind kind, const char *path, const char *fields)
{
	struct verify_item *it;

	if (rep->n_items == rep->cap) {
		size_t n = rep->cap ? rep->cap * 2 : 64;
		struct verify_item *v = reallocarray(rep->items, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		rep->items = v;
		rep->cap = n;
	}
	it = &rep->items[rep->n_items];
	it->kind = kind;
	it->path = strdup(path);
	it->fields = fields ? strdup(fields) : NULL;
	if (!it->path || (fields && !it->fields)) {
		free(it->path);
		free(it->fields);
		return -ENOMEM;
	}
	rep->n_items++;
	return 0;
}

void verify_report_done(struct verify_report *rep)
{
	for (size_t i = 0; i < rep->n_items; i++) {
		free(rep->items[i].path);
		free(rep->items[i].fields);
	}
	free(rep->items);
	memset(rep, 0, sizeof(*rep));
}

/* Applies a "UID:GID:MODE[:TYPE]" override; false if there is none. */
static bool read_override(int fd, struct filelist_entry *e)
{
	char path[64], v[128], type[64] = "";
	unsigned uid, gid, mode, maj, min;
	ssize_t n;
	int k;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = getxattr(path, UNPACK_OVERRIDE_XATTR, v, sizeof(v) - 1);
	if (n < 0)
		return false;
	v[n] = '\0';
	k = sscanf(v, "%u:%u:%o:%63s", &uid, &gid, &mode, type);
	if (k < 3)
		return false;
	e->uid = uid;
	e->gid = gid;
	e->mode = mode & 07777;
	if (k < 4 || strcmp(type, "file") == 0 || strcmp(type, "dir") == 0)
		return true;
	if (sscanf(type, "char-%u-%u", &maj, &min) == 2) {
		e->type = S_IFCHR;
		e->rdev = makedev(maj, min);
	} else if (sscanf(type, "block-%u-%u", &maj, &min) == 2) {
		e->type = S_IFBLK;
		e->rdev = makedev(maj, min);
	} else if (strcmp(type, "pipe") == 0) {
		e->type = S_IFIFO;
	}
	return true;
}

static int hash_file(int fd, char out[DIGEST_STR_MAX])
{
	_cleanup_(digest_freep) struct digest *d = digest_new();
	char buf[1 << 16];
	ssize_t n;

	if (!d)
		return -ENOMEM;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		digest_update(d, buf, (size_t)n);
	if (n < 0)
		return -errno;
	digest_final(d, out);
	return 0;
}

/* What the file on disk says it is, with the override applied. */
static int effective(int dirfd, const char *name, const struct stat *st, struct filelist_entry *e,
		     bool *ret_override)
{
	_cleanup_close_ int pfd = -1;
	int r;

	*e = (struct filelist_entry){ .type = st->st_mode & S_IFMT, .mode = st->st_mode & 07777,
				      .uid = st->st_uid, .gid = st->st_gid };
	if (S_ISREG(st->st_mode))
		e->size = (uint64_t)st->st_size;
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		e->rdev = st->st_rdev;
	*ret_override = false;
	if (S_ISLNK(st->st_mode)) {
		char buf[PATH_MAX + 1];
		ssize_t n = readlinkat(dirfd, name, buf, PATH_MAX);

		if (n < 0)
			return -errno;
		buf[n] = '\0';
		e->target = strdup(buf);
		return e->target ? 0 : -ENOMEM;
	}
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 0;
	pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	*ret_override = read_override(pfd, e);
	if (e->type == S_IFREG) {
		_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		if ((r = hash_file(fd, e->sha256)) < 0)
			return r;
	}
	return 0;
}

/* The mode an override-form file must have on disk (unpack.c writes it):
 * a world-writable file in the store is drift even if its xattr is right. */
static mode_t override_disk_mode(const struct filelist_entry *want)
{
	if (want->type != S_IFREG && want->type != S_IFDIR)
		return 0600; /* a placeholder */
	return (want->mode & 0777) | (want->type == S_IFDIR ? 0700 : 0600);
}

static int compare(struct walk *w, const char *path, const struct filelist_entry *want,
		   const struct filelist_entry *got, bool override, mode_t disk_mode)
{
	char fields[128] = "";
	bool owner = !(got->type == S_IFLNK && w->owners == UNPACK_OWNERS_OVERRIDE);

#define DIFF(cond, name)                                        \
	do {                                                    \
		if (cond) {                                     \
			if (fields[0])                          \
				strcat(fields, ",");            \
			strcat(fields, name);                   \
		}                                               \
	} while (0)
	DIFF(want->type != got->type, "type");
	DIFF(got->type != S_IFLNK && want->mode != got->mode, "mode");
	DIFF(owner && want->uid != got->uid, "uid");
	DIFF(owner && want->gid != got->gid, "gid");
	DIFF(want->type == S_IFREG && got->type == S_IFREG && want->size != got->size, "size");
	DIFF(want->type == S_IFREG && got->type == S_IFREG && strcmp(want->sha256, got->sha256) != 0, "sha256");
	DIFF(want->type == S_IFLNK && (!got->target || !want->target || strcmp(want->target, got->target) != 0),
	     "target");
	DIFF((want->type == S_IFCHR || want->type == S_IFBLK) && want->rdev != got->rdev, "rdev");
	DIFF(w->owners == UNPACK_OWNERS_OVERRIDE && !override && (got->type == S_IFREG || got->type == S_IFDIR),
	     UNPACK_OVERRIDE_XATTR);
	DIFF(override && strcmp(path, ".") != 0 && disk_mode != override_disk_mode(want), "disk_mode");
#undef DIFF
	return fields[0] ? report(w->rep, VERIFY_CHANGED, path, fields) : 0;
}

static int check_one(struct walk *w, int dirfd, const char *name, const char *path, const struct stat *st)
{
	const struct filelist_entry *want = filelist_find(w->fl, path);
	struct filelist_entry got;
	bool override;
	int r;

	w->rep->n_checked++;
	if (!want)
		return report(w->rep, VERIFY_ADDED, path, NULL);
	w->seen[want - filelist_at(w->fl, 0)] = true;
	r = effective(dirfd, name, st, &got, &override);
	if (r < 0) {
		log_error_errno(r, "cannot read '%s': %m", path);
		r = report(w->rep, VERIFY_CHANGED, path, "unreadable");
	} else {
		r = compare(w, path, want, &got, override, st->st_mode & 07777);
	}
	free(got.target);
	return r;
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
			return -ENOMEM;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return log_error_errno(-errno, "cannot stat '%s': %m", path);
		if ((r = check_one(w, dirfd, de->d_name, path, &st)) < 0)
			return r;
		if (S_ISDIR(st.st_mode) && st.st_dev == w->dev) {
			_cleanup_close_ int sub = openat(dirfd, de->d_name,
							 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				return log_error_errno(-errno, "cannot open '%s': %m", path);
			if ((r = walk_dir(w, sub, path)) < 0)
				return r;
		}
	}
	return errno ? -errno : 0;
}

int verify_layer(int root_fd, const struct filelist *fl, enum unpack_owners owners, struct verify_report *rep)
{
	_cleanup_free_ bool *seen = calloc(filelist_size(fl) + 1, sizeof(bool));
	struct walk w = { .fl = fl, .owners = owners, .rep = rep, .seen = seen };
	struct stat st;
	int r;

	if (!seen)
		return -ENOMEM;
	if (fstat(root_fd, &st) < 0)
		return -errno;
	w.dev = st.st_dev;
	if (filelist_find(fl, ".") && (r = check_one(&w, root_fd, ".", ".", &st)) < 0)
		return r;
	if ((r = walk_dir(&w, root_fd, "")) < 0)
		return r;
	for (size_t i = 0; i < filelist_size(fl); i++) {
		const struct filelist_entry *e = filelist_at(fl, i);

		if (filelist_find(fl, e->path) != e || seen[i])
			continue;
		if ((r = report(rep, VERIFY_REMOVED, e->path, NULL)) < 0)
			return r;
	}
	return 0;
}
