/* SPDX-License-Identifier: MIT */
/*
 * image.h - libamberimage's public API: import an image into the store,
 * resolve a stored image for running it, verify, remove, collect garbage.
 * amber-image is a thin CLI over this; amber-run links it too.
 *
 * An image in the store is found by its name (NAME:TAG; a NAME without a
 * tag means NAME:latest) or by its id ("sha256:" + the config's digest, or
 * a unique prefix of the hex of at least 12 digits).  Resolving reads only
 * the store (the image record and its config blob, checked against its
 * digest), never the archive it came from.
 *
 * Functions take an open store (store.h) and return 0 or -errno, having
 * logged the reason; out-parameters are written only on success.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "oci.h"
#include "store.h"
#include "unpack.h"

struct image_import_opts {
	const char *source;       /* "oci:DIR[:REF]" ... (source.h) */
	const char *name;         /* NAME[:TAG] to store it as; NULL: what the source says */
	enum unpack_owners owners;
	bool in_userns;           /* NATIVE inside a user namespace (recorded per layer) */
	bool progress;            /* show progress on stderr */
	uint64_t max_entry_size;  /* 0: the default */
};

/* Imports; *ret_name (optional) gets the name it was stored under. */
int image_import(struct image_store *s, const struct image_import_opts *o, char **ret_name);

struct image_resolved {
	char *name;            /* NAME:TAG */
	char *id;              /* sha256:<config digest> */
	char *manifest_digest; /* NULL for a docker-archive import (no manifest) */
	char *source;          /* where it was imported from */
	char **diff_ids;       /* base layer first, as in the config */
	char **layer_dirs;     /* top layer first, as amberfs's lowerdir wants */
	size_t n_layers;
	struct oci_config config; /* entrypoint, cmd, env, working_dir, user, stop_signal, labels */
};

int image_resolve(struct image_store *s, const char *ref, struct image_resolved **ret);
struct image_resolved *image_resolved_free(struct image_resolved *r);

/* "lowerdir" value: layer_dirs joined by ':', with ':' and '\' escaped by
 * '\' (amberfs's rule); -EINVAL if a path holds a ',' (an option
 * separator no escape can carry). */
int image_lowerdir(const struct image_resolved *r, char **ret);

/* Writes the image's run configuration (Entrypoint, Cmd, Env, WorkingDir,
 * User, StopSignal, Labels) as a JSON object, or the whole inspect record. */
int image_print_config(const struct image_resolved *r, FILE *out);
int image_print_inspect(const struct image_resolved *r, FILE *out);

/* Re-checks one image (ref) or every image (NULL) against the manifests
 * written at import.  Returns the number of drifted files (0: clean) or
 * -errno; the report goes to out, as text or JSON. */
int image_verify(struct image_store *s, const char *ref, bool json, FILE *out);

int image_list(struct image_store *s, bool json, FILE *out);
/* Removes the name; its layers stay until image_gc(). */
int image_remove(struct image_store *s, const char *ref);
/* Removes layers and blobs no image uses, and leftovers of interrupted
 * imports.  Needs the store locked exclusively. */
int image_gc(struct image_store *s, FILE *out);

/* NAME -> NAME:latest (NAME:TAG and NAME@... unchanged). */
int image_normalize_name(const char *name, char **ret);
