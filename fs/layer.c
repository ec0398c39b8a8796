/* SPDX-License-Identifier: MIT */
/* layer.c - layer root fds and confined opens; see layer.h. */
#include "layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "hash.h"
#include "log.h"

/* NO_XDEV: a mount inside a layer is not part of it (see layer_init). */
#define RESOLVE_CONFINED \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

/*
 * Without openat2 (kernels before 5.6, valgrind): the same guarantees by
 * walking one component at a time with O_NOFOLLOW, refusing "..", and
 * refusing to leave the starting directory's filesystem.
 */
static int open_walk(int dirfd, const char *rel, int flags)
{
	_cleanup_close_ int cur = -1;
	const char *p = rel;
	struct stat root, st;
	char name[NAME_MAX + 1];

	if (fstat(dirfd, &root) < 0)
		return -errno;
	for (;;) {
		const char *end = strchrnul(p, '/');
		size_t len = end - p;
		int base = cur >= 0 ? cur : dirfd, fd;

		if (len == 0 || len > NAME_MAX)
			return len ? -ENAMETOOLONG : -ENOENT;
		memcpy(name, p, len);
		name[len] = '\0';
		if (strcmp(name, "..") == 0)
			return -EXDEV;
		fd = openat(base, name, (*end ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || st.st_dev != root.st_dev) {
			close(fd);
			return -EXDEV;
		}
		if (!*end)
			return fd;
		closep(&cur);
		cur = fd;
		p = end + 1;
	}
}

static int openat2_confined(int dirfd, const char *rel, int flags)
{
	static atomic_bool no_openat2;
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_CONFINED,
	};
	int fd;

	if (atomic_load_explicit(&no_openat2, memory_order_relaxed))
		return open_walk(dirfd, rel, flags);
	do
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && errno == ENOSYS) {
		atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
		return open_walk(dirfd, rel, flags);
	}
	return fd < 0 ? -errno : fd;
}

/* Walks a path too long for one openat2 in pieces shorter than PATH_MAX. */
static int open_long(int dirfd, const char *rel, int flags)
{
	_cleanup_close_ int cur = -1;
	const char *p = rel;
	size_t len = strlen(rel);
	char buf[PATH_MAX];

	while (len >= PATH_MAX) {
		size_t cut = PATH_MAX - 1;
		int fd;

		while (cut > 0 && p[cut] != '/')
			cut--;
		if (cut == 0)
			return -ENAMETOOLONG;
		memcpy(buf, p, cut);
		buf[cut] = '\0';
		fd = openat2_confined(cur >= 0 ? cur : dirfd, buf, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return fd;
		closep(&cur);
		cur = fd;
		p += cut + 1;
		len -= cut + 1;
	}
	return openat2_confined(cur >= 0 ? cur : dirfd, p, flags);
}

int layer_openat(int dirfd, const char *name, int flags)
{
	return openat2_confined(dirfd, name, flags);
}

int layer_open(const struct layer *l, const char *rel, int flags)
{
	if (rel[0] == '\0')
		rel = ".";
	if (strlen(rel) >= PATH_MAX)
		return open_long(l->fd, rel, flags);
	return openat2_confined(l->fd, rel, flags);
}

static int layer_init(struct layer *l, const char *path)
{
	_cleanup_free_ char *abs = NULL;
	struct stat st;
	int fd;

	/* O_NOFOLLOW: a layer root that is itself a symlink is refused, so a
	 * hostile unpacker cannot point a layer at the host. */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "layer: '%s': %m", path);
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return log_error_errno(r, "layer: '%s': %m", path);
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		return log_error_errno(-ELOOP, "layer: '%s': is a symlink; give the directory it points to", path);
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return log_error_errno(-ENOTDIR, "layer: '%s': %m", path);
	}
	/* The daemon must be able to list the layer; check now, not on first use. */
	{
		_cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			int r = -errno;
			close(fd);
			return log_error_errno(r, "layer: '%s': %m", path);
		}
	}
	/*
	 * Something mounted inside a layer directory is not part of the
	 * layer: overlayfs looks entries up in the layer's own filesystem
	 * and shows what lies underneath.  A non-recursive clone of the
	 * layer's mount has no submounts at all, so it shows the same.  It
	 * needs CAP_SYS_ADMIN (root, or a user namespace of one's own);
	 * without it, RESOLVE_NO_XDEV at least keeps us out of submounts.
	 */
	{
		int clone = syscall(SYS_open_tree, fd, "",
				    OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH);

		if (clone >= 0) {
			close(fd);
			fd = clone;
		} else {
			log_debug_errno(-errno, "layer '%s': no private clone of its mount (%m); submounts stay hidden",
					 path);
		}
	}
	abs = realpath(path, NULL);
	l->path = abs ? TAKE_PTR(abs) : strdup(path);
	if (!l->path) {
		close(fd);
		return log_error_errno(-ENOMEM, "layer: '%s': %m", path);
	}
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

int layer_stack_open(char *const *paths, size_t n, struct layer_stack **ret)
{
	struct layer_stack *s;
	int r;

	if (n == 0)
		return log_error_errno(-EINVAL, "lowerdir: (empty): no layers given");
	if (n > LAYER_MAX)
		return log_error_errno(-E2BIG, "lowerdir: %zu layers: too many (at most %d)",
				       n, LAYER_MAX);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->layers = calloc(n, sizeof(*s->layers));
	if (!s->layers) {
		free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		r = layer_init(&s->layers[i], paths[i]);
		if (r < 0) {
			layer_stack_free(s);
			return r;
		}
		s->n++;
	}
	*ret = s;
	return 0;
}

struct layer_stack *layer_stack_free(struct layer_stack *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (s->layers[i].fd >= 0)
			close(s->layers[i].fd);
		free(s->layers[i].path);
	}
	free(s->layers);
	free(s);
	return NULL;
}

int layer_digest(const struct layer *l, char out[33])
{
	_cleanup_closedir_ DIR *d = NULL;
	struct hash128_state *h;
	struct dirent *de;
	struct stat st;
	char buf[512];
	int fd, n;

	fd = layer_open(l, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	h = hash128_new();
	if (!h)
		return -ENOMEM;
	if (fstat(dirfd(d), &st) == 0) {
		n = snprintf(buf, sizeof(buf), "root %o %u %u %lld.%09ld\n", st.st_mode,
			     st.st_uid, st.st_gid, (long long)st.st_mtim.tv_sec,
			     st.st_mtim.tv_nsec);
		hash128_update(h, buf, n);
	}
	/* Order-independent would need sorting; readdir order of an unchanged
	 * directory is stable, which is all a digest of identity needs. */
	while ((de = readdir(d))) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		n = snprintf(buf, sizeof(buf), "%s %o %lld %lld.%09ld\n", de->d_name,
			     st.st_mode, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			     st.st_mtim.tv_nsec);
		hash128_update(h, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1);
	}
	hash128_final_hex(h, out);
	return 0;
}
