/* SPDX-License-Identifier: MIT */
/*
 * mounts.h - carries out a validated spec inside the container's mount
 * namespace, then pivots into it and masks /proc like Docker.
 *
 * Every destination is resolved beneath the new root with
 * openat2(RESOLVE_IN_ROOT), and mounts are attached to that file
 * descriptor with the new mount API (fsopen/open_tree + move_mount), so a
 * symlink in the image (/tmp -> /) can never redirect a mount onto the
 * host.  A destination missing from the image is created only when its
 * parent is writable (a tmpfs or a volume); on the read-only root amberfs
 * has synthesized it already (synthdir=).
 */
#pragma once

#include <stdbool.h>

#include "spec.h"

/* root: the directory where the amberfs root is mounted (host path).
 * Mounts everything in s except s->ops[0] (the root itself). */
int mounts_apply(const struct spec *s, const char *root);
/* pivot_root into root; the old root is detached. */
int mounts_pivot(const char *root);
/* After pivot: masked and read-only /proc and /sys paths, /dev read-only. */
int mounts_finish(void);
