/* SPDX-License-Identifier: MIT */
/* series.c - the writer's lock and rotation names; see series.h. */
#include "series.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"
#include "log.h"

#define WAIT_POLL_MS 20

int series_writer_active(const char *path)
{
	/* O_NONBLOCK: a FIFO given by mistake must not hang the open */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0; /* nobody else holds it; closing the fd lets go */
	if (errno == EWOULDBLOCK)
		return 1;
	return -errno;
}

static uint64_t elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (uint64_t)ms;
}

int series_wait_writer(const char *path, uint64_t timeout_ms)
{
	const struct timespec nap = { 0, WAIT_POLL_MS * 1000000L };
	struct timespec start;
	bool told = false;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int r = series_writer_active(path);
		if (r == 0 || r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		if (elapsed_ms(&start) >= timeout_ms)
			return -ETIMEDOUT;
		if (!told) {
			log_info("'%s' is still being written (a writer holds its lock): waiting for it to finish, "
				 "at most %" PRIu64 " s", path, timeout_ms / 1000);
			told = true;
		}
		nanosleep(&nap, NULL);
	}
}

/* N of "FILE.N" (decimal, no leading zero) and the length of FILE in
 * *ret_base_len; 0 when path has no such suffix. */
static unsigned long rotation_index(const char *path, size_t *ret_base_len)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	unsigned long n;
	char *end;

	if (!dot || dot == path || (slash && dot < slash + 2) || dot[1] < '1' || dot[1] > '9')
		return 0;
	errno = 0;
	n = strtoul(dot + 1, &end, 10);
	if (errno || *end || n >= 1000000)
		return 0;
	*ret_base_len = (size_t)(dot - path);
	return n;
}

char *series_older_name(const char *path)
{
	size_t base;
	unsigned long n = rotation_index(path, &base);
	char *s;

	if (n == 0)
		return asprintf(&s, "%s.1", path) < 0 ? NULL : s;
	return asprintf(&s, "%.*s.%lu", (int)base, path, n + 1) < 0 ? NULL : s;
}

char *series_newer_name(const char *path)
{
	size_t base;
	unsigned long n = rotation_index(path, &base);
	char *s;

	if (n == 0)
		return NULL;
	if (n == 1)
		return strndup(path, base);
	return asprintf(&s, "%.*s.%lu", (int)base, path, n - 1) < 0 ? NULL : s;
}

bool series_other_file_exists(const char *path, char *const *files, size_t n)
{
	struct stat st, g;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	for (size_t i = 0; i < n; i++)
		if (stat(files[i], &g) == 0 && g.st_dev == st.st_dev && g.st_ino == st.st_ino)
			return false;
	return true;
}
