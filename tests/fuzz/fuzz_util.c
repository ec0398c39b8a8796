/* SPDX-License-Identifier: MIT */
/* fuzz_util.c - argv and file helpers of the fuzz targets; see fuzz_util.h. */
#include "fuzz_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void fuzz_args_free(int argc, char **argv)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

int fuzz_args_new(const uint8_t *data, size_t size, const char *argv0, int *ret_argc, char ***ret_argv)
{
	const char *p = (const char *)data, *end = p + size;
	char **argv = calloc(FUZZ_MAX_ARGS + 2, sizeof(char *));
	int argc = 0;

	if (!argv)
		return -ENOMEM;
	argv[argc] = strdup(argv0);
	if (!argv[argc++])
		goto oom;
	while (p < end && argc <= FUZZ_MAX_ARGS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		argv[argc] = strndup(p, n); /* stops at a NUL byte */
		if (!argv[argc++])
			goto oom;
		p += n + (nl ? 1 : 0);
	}
	*ret_argc = argc;
	*ret_argv = argv;
	return 0;
oom:
	fuzz_args_free(argc, argv);
	return -ENOMEM;
}

int fuzz_file_init(struct fuzz_file *f)
{
	if (f->fd >= 0)
		return 0;
	f->fd = memfd_create("amber-fuzz", MFD_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	return 0;
}

int fuzz_file_set(struct fuzz_file *f, const void *data, size_t size)
{
	const char *p = data;
	size_t done = 0;

	if (ftruncate(f->fd, 0) < 0)
		return -errno;
	while (done < size) {
		ssize_t k = pwrite(f->fd, p + done, size - done, (off_t)done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		done += (size_t)k;
	}
	return 0;
}

void fuzz_quiet_stdout(void)
{
	if (getenv("AMBER_FUZZ_VERBOSE"))
		return;
	if (!freopen("/dev/null", "w", stdout))
		perror("fuzz: /dev/null");
}
