/* SPDX-License-Identifier: MIT */
/*
 * input.h - bounded reads of the files amber-run takes as input.
 *
 * Every file the runner reads whole (--env-file, a seccomp profile,
 * /etc/subuid and /etc/subgid, the host's /etc/hosts and resolv.conf, the
 * image's /etc/passwd and /etc/group) goes through input_read().  It opens
 * with O_NONBLOCK | O_NOCTTY, so neither a FIFO nor a terminal can block
 * the open, then accepts only a regular file: /dev/zero, a FIFO or a
 * socket could make a read last forever or grow without end.  The size is
 * capped twice, by fstat() and while reading (a file may grow meanwhile).
 * Nothing here blocks signals: a run can be interrupted while it reads.
 */
#pragma once

#include <stddef.h>

#define INPUT_MAX_CONFIG (1u << 20)    /* --env-file, seccomp profile, subid, hosts */
#define INPUT_MAX_IMAGE_DB (16u << 20) /* the image's /etc/passwd and /etc/group */

/*
 * Reads the regular file path, at most max bytes, into a NUL-terminated
 * buffer the caller frees.  -EINVAL: not a regular file; -EFBIG: larger
 * than max; else the -errno of open/read.  With what (e.g. "--env-file")
 * the failure is logged once, naming what and path; with NULL it is not.
 */
int input_read(const char *what, const char *path, size_t max, char **ret, size_t *ret_len);

/* Splits off the next line of *cursor (at '\n', which is dropped);
 * NULL at the end of the text. */
char *input_next_line(char **cursor);
