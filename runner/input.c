/* SPDX-License-Identifier: MIT */
/*
 * input.c - bounded reads of input files (see input.h).
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

static int fail(const char *what, const char *path, size_t max, int r)
{
	if (!what)
		return r;
	if (r == -EINVAL)
		return log_error_errno(r, "%s '%s' is not a regular file", what, path);
	if (r == -EFBIG)
		return log_error_errno(r, "%s '%s' is larger than %zu KiB", what, path, max >> 10);
	return log_error_errno(r, "cannot read %s '%s': %m", what, path);
}

int input_read(const char *what, const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap;
	struct stat st;

	if (fd < 0)
		return fail(what, path, max, -errno);
	if (fstat(fd, &st) < 0)
		return fail(what, path, max, -errno);
	if (!S_ISREG(st.st_mode))
		return fail(what, path, max, -EINVAL);
	if ((uintmax_t)st.st_size > max)
		return fail(what, path, max, -EFBIG);
	/* One byte more than allowed tells a file that grew past max. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n == cap) {
			char *nb;

			if (cap > max)
				return fail(what, path, max, -EFBIG);
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(what, path, max, -errno);
		if (k == 0)
			break;
		n += k;
	}
	if (n > max)
		return fail(what, path, max, -EFBIG);
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = n;
	return 0;
}

char *input_next_line(char **cursor)
{
	char *line = *cursor, *nl;

	if (!line || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}
