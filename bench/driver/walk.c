/* walk.c: the three whole-tree walks (stat, readdir-only, read-all).
 *
 * All walks descend with openat(O_NOFOLLOW|O_DIRECTORY) relative to the
 * parent's fd, so symlinks are never followed and path length never
 * matters.  The readdir walk trusts d_type and stats only when the file
 * system answers DT_UNKNOWN, as `find -type d` would. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

enum walk_kind { WALK_STAT, WALK_READDIR, WALK_READALL };

struct walk {
	enum walk_kind kind;
	struct result res;
	char *buf;
	size_t bufsz;
};

static int read_file(struct walk *w, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		w->res.errors++;
		return 0;
	}
	for (;;) {
		ssize_t n = read(fd, w->buf, w->bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			w->res.errors++;
		if (n <= 0)
			break;
		w->res.bytes += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static int entry_type(struct walk *w, int dirfd, const struct dirent *de)
{
	struct stat st;

	if (w->kind != WALK_STAT && de->d_type != DT_UNKNOWN)
		return de->d_type;
	if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		w->res.errors++;
		return DT_UNKNOWN;
	}
	return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

static int walk_dir(struct walk *w, int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		int r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0)))
			continue;
		w->res.ops++;
		int t = entry_type(w, dirfd(d), de);
		if (t == DT_DIR) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				w->res.errors++;
				continue;
			}
			int r = walk_dir(w, sub);
			if (r < 0)
				w->res.errors++;
		} else if (t == DT_REG && w->kind == WALK_READALL) {
			read_file(w, dirfd(d), de->d_name);
		}
	}
	closedir(d);
	return 0;
}

static int walk_run(const char *root, enum walk_kind kind, struct result *ret)
{
	struct walk w = { .kind = kind, .bufsz = 128 * 1024 };
	uint64_t t0 = now_ns();
	int fd, r;

	w.buf = malloc(w.bufsz);
	if (!w.buf)
		return -ENOMEM;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(w.buf);
		return r;
	}
	r = walk_dir(&w, fd);
	w.res.ns = now_ns() - t0;
	free(w.buf);
	if (r < 0)
		return r;
	*ret = w.res;
	return 0;
}

int walk_stat(const char *root, struct result *ret)
{
	return walk_run(root, WALK_STAT, ret);
}

int walk_readdir(const char *root, struct result *ret)
{
	return walk_run(root, WALK_READDIR, ret);
}

int walk_readall(const char *root, struct result *ret)
{
	return walk_run(root, WALK_READALL, ret);
}
