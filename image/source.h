/* SPDX-License-Identifier: MIT */
/*
 * source.h - where an image comes from: skopeo-style transport references.
 *
 *   oci:DIR[:REF]                     an OCI image layout directory
 *   oci-archive:FILE[:REF]            the same, as a tar file
 *   docker-archive:FILE[:NAME:TAG]    `docker save` / `podman save` output,
 *                                     the legacy manifest.json form and the
 *                                     OCI-in-docker form (blobs/sha256/...)
 *
 * source_open() reads and checks everything but the layers: the index
 * (choosing REF, then this machine's platform in a multi-platform index),
 * the manifest and the config, each against the SHA-256 and size its
 * descriptor gives; a mismatch is -EBADMSG with the blob named in the log.
 * The layers are streamed afterwards by source_for_each_layer(), in the
 * order the source holds them, so an archive is read in one sequential
 * pass; the caller checks their digests (see unpack.h).
 *
 * Members of an archive and files of a layout are opened relative to the
 * layout (openat2 RESOLVE_BENEATH) or looked up by name in the archive;
 * a reference in a manifest cannot reach outside the source.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci.h"
#include "unpack.h"

enum source_transport {
	SOURCE_OCI,
	SOURCE_OCI_ARCHIVE,
	SOURCE_DOCKER_ARCHIVE,
	_SOURCE_TRANSPORT_MAX,
	_SOURCE_TRANSPORT_INVALID = -EINVAL,
};

struct source_layer {
	char *member;      /* file in the layout or archive */
	char *blob_digest; /* the descriptor's digest; NULL when the source gives none */
	int64_t size;      /* -1 when unknown */
	char *diff_id;     /* from the config */
};

struct source_image {
	char *name;            /* NAME:TAG or REF the source gives, or NULL */
	char *manifest_digest; /* NULL for a docker-archive without a manifest */
	char *manifest;        /* raw bytes (NULL as above) */
	size_t manifest_len;
	char *config_digest; /* the image id */
	char *config;        /* raw bytes */
	size_t config_len;
	struct oci_config parsed;
	struct source_layer *layers; /* base first */
	size_t n_layers;
};

struct source;

/* Parses "TRANSPORT:..." into its parts (exposed for the tests). */
int source_parse_ref(const char *spec, enum source_transport *ret_t, char **ret_path, char **ret_ref);
const char *source_transport_name(enum source_transport t);

int source_open(const char *spec, struct source **ret);
const struct source_image *source_image(const struct source *s);
struct source *source_free(struct source *s);

/* Called once per wanted layer, with a stream of its blob; returns 0 or
 * -errno (which stops the iteration and is returned). */
typedef int (*source_layer_fn)(void *userdata, size_t index, unpack_read_fn read, void *read_userdata);

/* wanted[i]: stream layer i.  Every wanted layer is visited exactly once
 * (a layer listed twice: once); -ENOENT if one is missing from the source. */
int source_for_each_layer(struct source *s, const bool *wanted, source_layer_fn fn, void *userdata);
