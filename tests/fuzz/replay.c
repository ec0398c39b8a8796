/* SPDX-License-Identifier: MIT */
/*
 * replay.c - feeds every file of a corpus to a fuzz target, without
 * libFuzzer: the gcc builds (plain and ASan+UBSan) link it instead of
 * -fsanitize=fuzzer, so the committed corpora run as ordinary tests.
 *
 *   fuzz_NAME-corpus DIR|FILE...
 *
 * Files are replayed in name order.  A crash or a sanitizer report ends
 * the process (the sanitizers abort, with UBSAN_OPTIONS=halt_on_error=1),
 * and so fails the test; a corpus directory without any file fails too,
 * so that a moved corpus is not silently "green".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int read_file(int dirfd, const char *name, uint8_t **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k;

		if (size == cap) {
			uint8_t *b = realloc(buf, cap ? cap * 2 : 4096);

			if (!b)
				return -ENOMEM;
			buf = b;
			cap = cap ? cap * 2 : 4096;
		}
		k = read(fd, buf + size, cap - size);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		size += (size_t)k;
	}
	*ret = TAKE_PTR(buf);
	*ret_size = size;
	return 0;
}

/* libFuzzer hands the target a buffer of exactly size bytes; so do we
 * (a copy), so that ASan sees a read past the end. */
static int run_one(int dirfd, const char *name)
{
	_cleanup_free_ uint8_t *buf = NULL, *exact = NULL;
	size_t size = 0;
	int r;

	r = read_file(dirfd, name, &buf, &size);
	if (r < 0) {
		fprintf(stderr, "replay: '%s': %s\n", name, strerror(-r));
		return r;
	}
	exact = malloc(size ? size : 1);
	if (!exact)
		return -ENOMEM;
	memcpy(exact, buf, size);
	LLVMFuzzerTestOneInput(exact, size);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Returns the number of inputs replayed, or -errno. */
static int run_dir(const char *dir)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **list = NULL;
	int n, done = 0, r = 0;

	if (dfd < 0)
		return -errno;
	n = scandir(dir, &list, skip_dots, by_name);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (r >= 0 && fstatat(dfd, list[i]->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
			r = run_one(dfd, list[i]->d_name);
			done += r >= 0;
		}
		free(list[i]);
	}
	free(list);
	return r < 0 ? r : done;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int r;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: '%s': %s\n", argv[i], strerror(errno));
			return 1;
		}
		r = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_one(AT_FDCWD, argv[i]) < 0 ? -EIO : 1;
		if (r < 0) {
			fprintf(stderr, "replay: '%s': %s\n", argv[i], strerror(-r));
			return 1;
		}
		fprintf(stderr, "replay: %d input(s) from '%s'\n", r, argv[i]);
		total += r;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input at all\n");
		return 1;
	}
	return 0;
}
