/* SPDX-License-Identifier: MIT */
/*
 * detach.h - a child that outlives its caller lets go of the caller's
 * standard descriptors.
 *
 * Whoever starts amberfs (a shell's command substitution, a test, an
 * engine) may wait for EOF on the stdout and stderr it handed over, so a
 * daemon and its helpers must not keep them open: after a fork they point
 * stdin, stdout and stderr at /dev/null with detach_stdio().  Nothing here
 * logs; the callers have no one left to tell.
 */
#pragma once

#include <stdbool.h>

/*
 * Points stdin, stdout and, unless keep_stderr (a child whose messages
 * should still reach its caller), stderr at /dev/null.  null_fd is
 * /dev/null opened earlier (before Landlock forbids opening it), or -1 to
 * open it here; it is closed unless it is one of 0, 1, 2.  Returns 0, or
 * -errno when /dev/null cannot be opened (then nothing was changed).
 */
int detach_stdio(int null_fd, bool keep_stderr);
