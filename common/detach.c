/* SPDX-License-Identifier: MIT */
/* detach.c - let go of the standard descriptors; see detach.h. */
#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int detach_stdio(int null_fd, bool keep_stderr)
{
	int last = keep_stderr ? STDOUT_FILENO : STDERR_FILENO;

	if (null_fd < 0)
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	for (int fd = STDIN_FILENO; fd <= last; fd++)
		if (fd != null_fd)
			(void)dup2(null_fd, fd); /* dup2 clears close-on-exec */
	if (null_fd > STDERR_FILENO)
		close(null_fd);
	else
		(void)fcntl(null_fd, F_SETFD, 0); /* it is a standard descriptor now */
	return 0;
}
