/* ops.c: rate workloads on a path list: open+close, failed lookups, a
 * compile-like include search, refused writes, and a reader racing a
 * write flood.
 *
 * Every path is resolved relative to an fd of the tree's root, so the cost
 * measured is the file system's, not the string handling's.  Refused-write
 * workloads expect an error (EROFS on every system they are run against);
 * a write open that succeeds is counted in "errors". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int open_root(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ops_openclose(const char *root, const struct pathlist *l, uint64_t n, struct result *ret)
{
	struct result res = { 0 };
	int rfd = open_root(root);

	if (rfd < 0)
		return rfd;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		int fd = openat(rfd, l->paths[i % l->n], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			res.errors++;
		else
			close(fd);
	}
	res.ns = now_ns() - t0;
	res.ops = n;
	close(rfd);
	*ret = res;
	return 0;
}

/* Names are deterministic, so a warm run asks the same questions again and
 * measures how well negative answers are cached. */
int ops_neglookup(const char *root, const struct pathlist *dirs, uint64_t n, struct result *ret)
{
	struct result res = { 0 };
	struct stat st;
	char path[4096];
	int rfd = open_root(root);

	if (rfd < 0)
		return rfd;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/nx-%llu.h", dirs->paths[i % dirs->n],
			 (unsigned long long)(i / dirs->n));
		if (fstatat(rfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			res.errors++;
	}
	res.ns = now_ns() - t0;
	res.ops = n;
	close(rfd);
	*ret = res;
	return 0;
}

static int read_all(int fd, char *buf, size_t sz, uint64_t *bytes)
{
	ssize_t n;
	while ((n = read(fd, buf, sz)) > 0)
		*bytes += (uint64_t)n;
	return n < 0 ? -errno : 0;
}

/* What a C compiler does with "#include <x.h>": try each -I directory in
 * order (failed lookups), then open and read the header it finds. */
int ops_compile(const char *root, const struct pathlist *incdirs, const struct pathlist *headers, unsigned units,
		struct result *ret)
{
	struct result res = { 0 };
	char path[4096], buf[65536];
	int rfd = open_root(root);

	if (rfd < 0)
		return rfd;
	uint64_t t0 = now_ns();
	for (unsigned u = 0; u < units; u++) {
		for (size_t h = 0; h < headers->n; h++) {
			int fd = -1;
			for (size_t d = 0; d < incdirs->n && fd < 0; d++) {
				snprintf(path, sizeof(path), "%s/%s", incdirs->paths[d], headers->paths[h]);
				fd = openat(rfd, path, O_RDONLY | O_CLOEXEC);
				res.ops++;
			}
			if (fd < 0) {
				res.errors++;
				continue;
			}
			if (read_all(fd, buf, sizeof(buf), &res.bytes) < 0)
				res.errors++;
			close(fd);
		}
	}
	res.ns = now_ns() - t0;
	close(rfd);
	*ret = res;
	return 0;
}

/* Attempts write opens until `seconds` have passed (the clock is read every
 * 64 attempts).  Stops early when *stop becomes non-zero. */
static void refuse_loop(int rfd, const struct pathlist *l, double seconds, volatile sig_atomic_t *stop,
			struct result *res)
{
	uint64_t t0 = now_ns(), limit = (uint64_t)(seconds * 1e9);

	for (uint64_t i = 0;; i++) {
		if ((i & 63) == 0 && ((seconds > 0 && now_ns() - t0 >= limit) || (stop && *stop)))
			break;
		int fd = openat(rfd, l->paths[i % l->n], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			res->errors++;
			close(fd);
		}
		res->ops++;
	}
	res->ns = now_ns() - t0;
}

int ops_refused(const char *root, const struct pathlist *l, double seconds, struct result *ret)
{
	struct result res = { 0 };
	int rfd = open_root(root);

	if (rfd < 0)
		return rfd;
	refuse_loop(rfd, l, seconds, NULL, &res);
	close(rfd);
	*ret = res;
	return 0;
}

static volatile sig_atomic_t flood_stop;

static void on_term(int sig)
{
	flood_stop = 1;
}

/* A flooder child: refused writes until SIGTERM, then reports its result
 * through the pipe.  PR_SET_PDEATHSIG ends it if the driver dies. */
static void flooder(int rfd, const struct pathlist *l, int wfd)
{
	struct result res = { 0 };
	struct sigaction sa = { .sa_handler = on_term };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigaction(SIGTERM, &sa, NULL);
	refuse_loop(rfd, l, 0, &flood_stop, &res);
	if (write(wfd, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

static void reader_for(int rfd, const struct pathlist *l, double seconds, struct result *res)
{
	uint64_t t0 = now_ns(), limit = (uint64_t)(seconds * 1e9);

	for (uint64_t i = 0; (i & 63) != 0 || now_ns() - t0 < limit; i++) {
		int fd = openat(rfd, l->paths[i % l->n], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			res->errors++;
		else
			close(fd);
		res->ops++;
	}
	res->ns = now_ns() - t0;
}

int ops_contention(const char *root, const struct pathlist *l, double seconds, unsigned flooders,
		   struct result *ret_alone, struct result *ret_flood, struct result *ret_writes)
{
	struct result alone = { 0 }, flood = { 0 }, writes = { 0 };
	pid_t pids[64];
	int pfd[2], r = 0;
	int rfd = open_root(root);

	if (rfd < 0)
		return rfd;
	if (flooders > 64)
		flooders = 64;
	reader_for(rfd, l, seconds, &alone);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	unsigned started = 0;
	for (; started < flooders; started++) {
		pids[started] = fork();
		if (pids[started] < 0) {
			r = -errno;
			break;
		}
		if (pids[started] == 0)
			flooder(rfd, l, pfd[1]);
	}
	close(pfd[1]);
	if (r == 0)
		reader_for(rfd, l, seconds, &flood);
	for (unsigned i = 0; i < started; i++)
		kill(pids[i], SIGTERM);
	for (unsigned i = 0; i < started; i++) {
		struct result w;
		if (read(pfd[0], &w, sizeof(w)) == sizeof(w)) {
			writes.ops += w.ops;
			writes.errors += w.errors;
			writes.ns = w.ns > writes.ns ? w.ns : writes.ns;
		}
		waitpid(pids[i], NULL, 0);
	}
	close(pfd[0]);
out:
	close(rfd);
	if (r < 0)
		return r;
	*ret_alone = alone;
	*ret_flood = flood;
	*ret_writes = writes;
	return 0;
}
