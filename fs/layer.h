/* SPDX-License-Identifier: MIT */
/*
 * layer.h - one image directory and the fixed stack of them.
 *
 * A layer is held by an O_PATH fd on its root, opened once at start-up.
 * Every later access is relative to that fd and never follows a symlink:
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS),
 * so a hostile layer ("etc -> /", "x -> ../../..") cannot reach the host.
 * Paths longer than PATH_MAX are walked in PATH_MAX-sized pieces with the
 * same flags.  The stack is immutable after layer_stack_open().
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define LAYER_MAX 4096

struct layer {
	char *path;   /* absolute path as resolved at start-up */
	int fd;       /* O_PATH | O_DIRECTORY on the layer root */
	dev_t dev;
	ino_t ino;
};

struct layer_stack {
	size_t n;
	struct layer *layers; /* [0] is the top */
};

/*
 * Opens every path (relative ones against the cwd).  On failure logs one
 * message naming the layer and returns -errno; *ret is untouched.
 */
int layer_stack_open(char *const *paths, size_t n, struct layer_stack **ret);
struct layer_stack *layer_stack_free(struct layer_stack *s);

/*
 * Opens REL (relative, no leading '/'; "" or "." for the root) beneath the
 * layer without following any symlink.  With O_PATH|O_NOFOLLOW a trailing
 * symlink is opened itself.  Returns an fd or -errno.
 */
int layer_open(const struct layer *l, const char *rel, int flags);

/* The same, relative to dirfd, a directory opened with layer_open() (rel
 * shorter than PATH_MAX). */
int layer_openat(int dirfd, const char *rel, int flags);

/* Digest of the layer root's identity and top-level listing (start record). */
int layer_digest(const struct layer *l, char out[33]);
