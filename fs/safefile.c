/* SPDX-License-Identifier: MIT */
/* safefile.c - the daemon's own files, opened safely; see safefile.h. */
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

struct pidfile {
	int dirfd;
	int fd; /* held open, so that its inode number cannot go to another file */
	char *name;
	dev_t dev;
	ino_t ino;
};

int safefile_open_dir(const char *path, int *ret_dirfd, char **ret_name)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash, *name;
	char *n;
	int fd;

	if (!path || !*path)
		return -EINVAL;
	slash = strrchr(path, '/');
	name = slash ? slash + 1 : path;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	n = strdup(name);
	if (!dir || !n) {
		free(n);
		return -ENOMEM;
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		free(n);
		return r;
	}
	*ret_dirfd = fd;
	*ret_name = n;
	return 0;
}

int safefile_abs_path(int dirfd, const char *name, char **ret)
{
	char link[64], dir[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		return -errno;
	if (n == 0 || dir[0] != '/')
		return -ENOENT; /* " (deleted)" or not a path at all */
	dir[n] = '\0';
	if (asprintf(ret, "%s%s%s", dir, n == 1 ? "" : "/", name) < 0)
		return -ENOMEM;
	return 0;
}

/* A file we may append to: ours alone, and nothing else's in disguise. */
static int check_log_stat(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_uid != geteuid())
		return -EPERM;
	if (st->st_nlink > 1)
		return -EMLINK;
	return 0;
}

int safefile_open_log(int dirfd, const char *name, int access, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r, fl;

	/* O_NONBLOCK: a FIFO planted under the name must not block us (it
	 * fails with ENXIO or is refused below); cleared once checked. */
	fd = openat(dirfd, name,
		    access | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		/* Say what is there rather than "No such device or address"
		 * (a FIFO) or "Permission denied" (a symlink in a sticky
		 * directory); a directory keeps its EISDIR. */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISLNK(st.st_mode))
				r = -ELOOP;
			else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
				r = -EINVAL;
		}
		return r;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	r = check_log_stat(&st);
	if (r < 0)
		return r;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const char *safefile_refusal(int r)
{
	switch (r) {
	case -ELOOP: return "is a symbolic link, which amberfs never writes through";
	case -EINVAL: return "is not a regular file";
	case -EPERM: return "belongs to another user (or may not be written at all)";
	case -EMLINK: return "has more than one hard link, so it may be another file too";
	default: return NULL;
	}
}

/* A fresh file with a random name in dirfd: O_EXCL, so nobody else's. */
static int create_temp(int dirfd, char *ret_name, size_t size, int *ret_fd)
{
	for (int i = 0; i < 100; i++) {
		uint64_t rnd;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(ret_name, size, ".amberfs-pid.%016llx", (unsigned long long)rnd);
		fd = openat(dirfd, ret_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

int pidfile_write(const char *path, pid_t pid, struct pidfile **ret)
{
	_cleanup_close_ int dirfd = -1, fd = -1;
	_cleanup_free_ char *name = NULL;
	char tmp[64], buf[32];
	struct pidfile *p;
	struct stat st;
	int r;

	r = safefile_open_dir(path, &dirfd, &name);
	if (r < 0)
		return r;
	r = create_temp(dirfd, tmp, sizeof(tmp), &fd);
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	r = write_all(fd, buf, strlen(buf));
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	/* rename() replaces the name itself: a symlink there is not followed */
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM; /* the file stays: harmless, and the pid is in it */
	*p = (struct pidfile){ .dirfd = TAKE_FD(dirfd), .fd = TAKE_FD(fd), .name = TAKE_PTR(name),
			       .dev = st.st_dev, .ino = st.st_ino };
	*ret = p;
	return 0;
}

struct pidfile *pidfile_remove(struct pidfile *p)
{
	struct stat st;

	if (!p)
		return NULL;
	/* Compared by inode, not by reading it: the confined daemon may remove
	 * a file in that directory but not read one. */
	if (fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == p->dev &&
	    st.st_ino == p->ino)
		(void)unlinkat(p->dirfd, p->name, 0);
	close(p->fd);
	close(p->dirfd);
	free(p->name);
	free(p);
	return NULL;
}
