/* SPDX-License-Identifier: MIT */
/*
 * bundle.h - the caller's OCI bundle, and the private copy amber-oci runs.
 *
 * bundle_load() reads BUNDLE/config.json (json-c) and resolves root.path
 * (relative to the bundle) to an absolute path without symlinks: that
 * directory, or the overlay an engine mounted there, becomes amberfs's one
 * layer.
 *
 * Mountpoints.  With a read-only root the runtime cannot create a missing
 * mount target.  bundle_mountpoints() lists the missing directory targets
 * for amberfs to synthesize (synthdir=), and creates missing file targets
 * (a bind mount of a file) in the root directory itself before it is
 * mounted, as runc and crun would have done there.  Targets below an
 * earlier mount (/dev/pts below /dev) live in that mount, not in the root,
 * and are left alone.  Every path is resolved inside the root
 * (RESOLVE_IN_ROOT), as the runtimes resolve it.
 *
 * bundle_write_private() writes DIR/config.json: the same document with
 * root.path set to the amberfs mountpoint, root.readonly false (amberfs
 * refuses every write itself and logs it; a read-only remount would make
 * the kernel refuse first and nothing would be logged), and relative bind
 * sources made absolute against the caller's bundle.
 */
#pragma once

#include <stddef.h>

#include "strv.h"

struct json_object;

struct bundle {
	char *dir;                 /* the caller's bundle, absolute */
	char *rootfs;              /* root.path, absolute, no symlinks */
	struct json_object *config;
	struct strv synthdirs;     /* after bundle_mountpoints() */
};

int bundle_load(const char *dir, struct bundle **ret);
struct bundle *bundle_free(struct bundle *b);

/* Fills b->synthdirs; creates missing file targets (warns when it cannot). */
int bundle_mountpoints(struct bundle *b);

/* The annotation's value, or NULL. */
const char *bundle_annotation(const struct bundle *b, const char *key);

/* Calls fn(key, value, userdata) for each annotation; stops at fn's error. */
int bundle_annotations(const struct bundle *b, int (*fn)(const char *, const char *, void *), void *userdata);

int bundle_write_private(const struct bundle *b, const char *mountpoint, const char *dir);
