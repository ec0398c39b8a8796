/* SPDX-License-Identifier: MIT */
/*
 * xdg.h - the per-user directories of the XDG Base Directory
 * specification, for what a program keeps for its user: logs (state),
 * caches, data, and runtime files.
 *
 * A variable counts only when it holds an absolute path (the specification
 * says to ignore a relative one).  Where a variable is not set, state,
 * cache and data fall back to ~/.local/state, ~/.cache and ~/.local/share
 * ($HOME, absolute too); runtime has no fallback.  Whether root uses
 * these or a system directory (/var/log, /var/cache, /run) is for each
 * caller to say.  Pure functions of the environment; nothing here logs.
 */
#pragma once

enum xdg_dir {
	XDG_STATE,   /* $XDG_STATE_HOME, ~/.local/state */
	XDG_CACHE,   /* $XDG_CACHE_HOME, ~/.cache */
	XDG_DATA,    /* $XDG_DATA_HOME, ~/.local/share */
	XDG_RUNTIME, /* $XDG_RUNTIME_DIR */
};

/* The variable's value when it is an absolute path, else NULL. */
const char *xdg_env(enum xdg_dir d);

/*
 * The directory, with "/sub" appended unless sub is NULL, in a new string.
 * Returns 0, -ENOENT (neither the variable nor $HOME is an absolute path;
 * *ret is left alone) or -ENOMEM.
 */
int xdg_path(enum xdg_dir d, const char *sub, char **ret);
