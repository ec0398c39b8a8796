/* SPDX-License-Identifier: MIT */
/* progpath.c - find another program of the project; see progpath.h. */
#include "progpath.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* Set by common/meson.build: the build tree and the install directory. */
#ifndef AMBER_BUILD_ROOT
#define AMBER_BUILD_ROOT ""
#endif
#ifndef AMBER_BINDIR
#define AMBER_BINDIR "/usr/local/bin"
#endif

/* The paths found, one per program name, kept for the life of the process
 * (the project has three programs that others run). */
static struct {
	char name[64];
	char path[PATH_MAX];
} found[8];

static bool executable(const char *p)
{
	return p && *p && access(p, X_OK) == 0;
}

/* A copy of path that lives on, in name's slot of found[]; NULL when the
 * name is too long or every slot holds another name. */
static const char *keep(const char *name, const char *path)
{
	for (size_t i = 0; i < ELEMENTSOF(found); i++) {
		if (found[i].name[0] && strcmp(found[i].name, name) != 0)
			continue;
		if ((size_t)snprintf(found[i].name, sizeof(found[i].name), "%s", name) >= sizeof(found[i].name))
			break;
		snprintf(found[i].path, sizeof(found[i].path), "%s", path);
		return found[i].path;
	}
	return NULL;
}

static bool in_build_tree(const char *self)
{
	size_t rl = strlen(AMBER_BUILD_ROOT);

	return rl > 0 && strncmp(self, AMBER_BUILD_ROOT, rl) == 0 && self[rl] == '/';
}

const char *progpath_find(const char *name, const char *env, const char *build_path)
{
	const char *e = env ? getenv(env) : NULL, *kept;
	char self[PATH_MAX], path[PATH_MAX];
	ssize_t n;

	if (e && *e)
		return e;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		const char *slash;

		self[n] = '\0';
		if (in_build_tree(self) && executable(build_path))
			return build_path;
		slash = strrchr(self, '/');
		if (slash &&
		    (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - self), self, name) < sizeof(path) &&
		    executable(path) && (kept = keep(name, path)))
			return kept;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", AMBER_BINDIR, name) < sizeof(path) && executable(path) &&
	    (kept = keep(name, path)))
		return kept;
	return name; /* PATH */
}
