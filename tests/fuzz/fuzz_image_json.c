/* SPDX-License-Identifier: MIT */
/*
 * fuzz_image_json.c - amber-image's parsers of an image's JSON documents
 * (image/oci.c): the OCI image index, the image manifest, the image config
 * and a docker-archive's manifest.json, all of which come from the archive
 * being imported, before any digest has vouched for anything but their
 * bytes.  The input goes to every parser; each result is freed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "oci.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("amber-image");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *why = NULL;
	struct oci_index idx;
	struct oci_manifest m;
	struct oci_config c;
	struct docker_manifest dm;
	struct oci_platform host;

	oci_host_platform(&host);
	if (oci_parse_index(buf, size, &idx, &why) == 0)
		for (size_t i = 0; i < idx.n_manifests; i++)
			if (idx.manifests[i].has_platform)
				(void)oci_platform_matches(&idx.manifests[i].platform, &host);
	oci_index_done(&idx);
	(void)oci_parse_manifest(buf, size, &m, &why);
	oci_manifest_done(&m);
	(void)oci_parse_config(buf, size, &c, &why);
	oci_config_done(&c);
	(void)docker_parse_manifest(buf, size, &dm, &why);
	docker_manifest_done(&dm);
	free(oci_peek_media_type(buf, size));
	return 0;
}
