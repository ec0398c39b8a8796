/* SPDX-License-Identifier: MIT */
/*
 * target.h - what amber-run's first argument names: a layer list, an
 * image of the store, or an archive to import into the store first.
 *
 *   oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG]
 *       a transport reference: imported with amber-image on first use
 *       (an image of the store that was imported from the very same
 *       reference is used as it is, without reading the archive again);
 *   anything with a '/', starting with '.', or whose every ':'-separated
 *   part is an existing directory
 *       a layer list, top first;
 *   anything else
 *       an image of the store (NAME[:TAG] or an id, as amber-image takes).
 *
 * For an image, target_resolve() rewrites the run options the way
 * "docker run" applies an image's config: the layers; the command
 * (Entrypoint and Cmd, with --entrypoint and a given COMMAND overriding
 * them); Env under the -e/--env-file entries; WorkingDir and User unless
 * -w and -u were given; StopSignal for SIGTERM.  It adds the amberfs
 * options that serve the store (xattr_permissions=2) and name the image
 * in the audit log's start record (meta.image, meta.image_id,
 * meta.manifest_digest, meta.diff_ids).
 */
#pragma once

#include "opts.h"

enum target_kind {
	TARGET_LAYERS,
	TARGET_IMAGE,
	TARGET_TRANSPORT,
};

enum target_kind target_kind(const char *arg);

/* Resolves o->target; 0 or -errno after one message. */
int target_resolve(struct run_opts *o);
