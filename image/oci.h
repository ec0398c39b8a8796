/* SPDX-License-Identifier: MIT */
/*
 * oci.h - the JSON documents of an image: OCI image index, image manifest
 * (and their Docker schema 2 twins), image config, and the manifest.json of
 * a `docker save` archive.  Parsing only, through json-c; no I/O.
 *
 * Each oci_parse_*() takes untrusted bytes (not NUL-terminated), checks
 * what this store relies on (digests well formed, sizes not negative,
 * schemaVersion 2, rootfs.type "layers") and fills a struct the caller
 * frees with the matching *_done() (safe on a zeroed or half-filled struct).
 * They return 0, -EBADMSG (not JSON, or not the expected shape: the
 * message in *ret_why, a static string, says what), or -ENOMEM.  Nothing
 * here logs.  Strings are copies; string vectors are NULL-terminated.
 * These are the fuzz targets' entry points (tests/fuzz/fuzz_image_json.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DOCKER_MEDIA_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_ANNOTATION_REF "org.opencontainers.image.ref.name"
/* The largest JSON document read whole (index, manifest, config). */
#define OCI_JSON_MAX (16u << 20)

struct oci_platform {
	char *os, *architecture, *variant;
};

struct oci_descriptor {
	char *media_type;
	char *digest; /* "sha256:<hex>", checked */
	int64_t size;
	char *ref_name; /* annotation org.opencontainers.image.ref.name, or NULL */
	bool has_platform;
	struct oci_platform platform;
};

struct oci_index {
	struct oci_descriptor *manifests;
	size_t n_manifests;
};

struct oci_manifest {
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t n_layers;
};

/* The parts of an image config that running it needs (config.* fields). */
struct oci_config {
	char *os, *architecture;
	char **entrypoint; /* NULL: not set */
	char **cmd;
	char **env;
	char *working_dir, *user, *stop_signal;
	char **labels; /* "KEY=VALUE" strings, in the order of the document */
	char **diff_ids;
	size_t n_diff_ids;
};

struct docker_manifest_entry {
	char *config; /* path of the config inside the archive */
	char **repo_tags;
	char **layers; /* paths inside the archive, base layer first */
	size_t n_layers;
};

struct docker_manifest {
	struct docker_manifest_entry *entries;
	size_t n_entries;
};

bool oci_is_index_media_type(const char *t);
bool oci_is_manifest_media_type(const char *t);

int oci_parse_index(const char *buf, size_t len, struct oci_index *ret, const char **ret_why);
int oci_parse_manifest(const char *buf, size_t len, struct oci_manifest *ret, const char **ret_why);
int oci_parse_config(const char *buf, size_t len, struct oci_config *ret, const char **ret_why);
int docker_parse_manifest(const char *buf, size_t len, struct docker_manifest *ret, const char **ret_why);

/* The index's media type field, to tell an index from a manifest when a
 * descriptor does not say (returns a malloc'd copy or NULL). */
char *oci_peek_media_type(const char *buf, size_t len);

void oci_index_done(struct oci_index *x);
void oci_manifest_done(struct oci_manifest *x);
void oci_config_done(struct oci_config *x);
void docker_manifest_done(struct docker_manifest *x);
void oci_descriptor_done(struct oci_descriptor *d);

/* This machine's platform in OCI terms (GOOS/GOARCH names). */
void oci_host_platform(struct oci_platform *ret_static);
/* Whether p (from an index) can run here: os and architecture equal, and
 * the variant equal when both give one. */
bool oci_platform_matches(const struct oci_platform *p, const struct oci_platform *host);

/* NULL-terminated string vectors. */
size_t image_strv_length(char *const *v);
char **image_strv_free(char **v);
