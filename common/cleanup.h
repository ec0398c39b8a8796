/* SPDX-License-Identifier: MIT */
/*
 * cleanup.h - scope-bound resource release for the whole project.
 *
 * The GNU cleanup attribute runs a function when a variable leaves scope, so
 * every early return releases what was acquired without a ladder of gotos.
 * Ownership moves out of a guarded variable with TAKE_PTR()/TAKE_FD().
 * Every helper here preserves errno: a caller may return -errno after a
 * failed call even though cleanups ran in between.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void closep(int *fd)
{
	int saved = errno;
	if (*fd >= 0)
		close(*fd);
	errno = saved;
}

static inline void closedirp(DIR **d)
{
	int saved = errno;
	if (*d)
		closedir(*d);
	errno = saved;
}

static inline void fclosep(FILE **f)
{
	int saved = errno;
	if (*f)
		fclose(*f);
	errno = saved;
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Defines func##p(type *) that calls func(*p) when *p is set. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)          \
	static inline void func##p(type *p)              \
	{                                                \
		int saved_ = errno;                      \
		if (*p)                                  \
			func(*p);                        \
		errno = saved_;                          \
	}

#define TAKE_PTR(p)                            \
	({                                     \
		typeof(p) take_tmp_ = (p);     \
		(p) = NULL;                    \
		take_tmp_;                     \
	})

#define TAKE_FD(fd)                            \
	({                                     \
		int take_fd_ = (fd);           \
		(fd) = -1;                     \
		take_fd_;                      \
	})

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
