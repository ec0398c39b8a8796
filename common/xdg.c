/* SPDX-License-Identifier: MIT */
/* xdg.c - the XDG base directories; see xdg.h. */
#include "xdg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
	const char *var, *home_sub; /* home_sub NULL: no fallback */
} dirs[] = {
	[XDG_STATE] = { "XDG_STATE_HOME", ".local/state" },
	[XDG_CACHE] = { "XDG_CACHE_HOME", ".cache" },
	[XDG_DATA] = { "XDG_DATA_HOME", ".local/share" },
	[XDG_RUNTIME] = { "XDG_RUNTIME_DIR", NULL },
};

static const char *absolute_env(const char *var)
{
	const char *v = getenv(var);

	return v && v[0] == '/' ? v : NULL;
}

const char *xdg_env(enum xdg_dir d)
{
	return absolute_env(dirs[d].var);
}

int xdg_path(enum xdg_dir d, const char *sub, char **ret)
{
	const char *base = xdg_env(d), *home = NULL;
	int r;

	if (!base && dirs[d].home_sub)
		home = absolute_env("HOME");
	if (!base && !home)
		return -ENOENT;
	if (base)
		r = asprintf(ret, "%s%s%s", base, sub ? "/" : "", sub ? sub : "");
	else
		r = asprintf(ret, "%s/%s%s%s", home, dirs[d].home_sub, sub ? "/" : "", sub ? sub : "");
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}
