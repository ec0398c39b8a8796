/* SPDX-License-Identifier: MIT */
/*
 * test_image_parse.c - table-driven tests of libamberimage's pure parts:
 * tar entry names, transport references, the override xattr value, store
 * name escaping, digests and the image JSON parsers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "digest.h"
#include "image.h"
#include "oci.h"
#include "source.h"
#include "store.h"
#include "unpack.h"

static void test_clean_path(void **state)
{
	static const struct {
		const char *in, *out;
		int r;
	} cases[] = {
		{ "a/b", "a/b", 0 },          { "./a//b/", "a/b", 0 },     { ".", "", 0 },
		{ "./", "", 0 },              { "a/./b", "a/b", 0 },       { "/etc/passwd", NULL, -EPERM },
		{ "../x", NULL, -EPERM },     { "a/../../x", NULL, -EPERM }, { "a/..", NULL, -EPERM },
		{ "..a/b", "..a/b", 0 },      { "a/.wh..wh..opq", "a/.wh..wh..opq", 0 },
	};
	char *out, *longname;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = NULL;
		assert_int_equal(unpack_clean_path(cases[i].in, &out, &why), cases[i].r);
		if (cases[i].r == 0)
			assert_string_equal(out, cases[i].out);
		free(out);
	}
	longname = malloc(5000);
	memset(longname, 'a', 4999);
	longname[4999] = '\0';
	assert_int_equal(unpack_clean_path(longname, &out, &why), -ENAMETOOLONG);
	free(longname);
}

static void test_parse_ref(void **state)
{
	enum source_transport t;
	char *path, *ref;

	assert_int_equal(source_parse_ref("oci:/a/b:v1", &t, &path, &ref), 0);
	assert_int_equal(t, SOURCE_OCI);
	assert_string_equal(path, "/a/b");
	assert_string_equal(ref, "v1");
	free(path);
	free(ref);
	assert_int_equal(source_parse_ref("docker-archive:x.tar:amber/test:1", &t, &path, &ref), 0);
	assert_int_equal(t, SOURCE_DOCKER_ARCHIVE);
	assert_string_equal(path, "x.tar");
	assert_string_equal(ref, "amber/test:1");
	free(path);
	free(ref);
	assert_int_equal(source_parse_ref("oci-archive:x.tar", &t, &path, &ref), 0);
	assert_null(ref);
	free(path);
	assert_int_equal(source_parse_ref("docker://x", &t, &path, &ref), -EINVAL);
	assert_int_equal(source_parse_ref("oci:", &t, &path, &ref), -EINVAL);
	assert_int_equal(source_parse_ref("x.tar", &t, &path, &ref), -EINVAL);
}

static void test_override_format(void **state)
{
	char b[96];

	assert_int_equal(unpack_format_override(1000, 1000, S_IFREG | 0640, 0, b, sizeof(b)), 0);
	assert_string_equal(b, "1000:1000:0640:file");
	assert_int_equal(unpack_format_override(0, 0, S_IFREG | 04755, 0, b, sizeof(b)), 0);
	assert_string_equal(b, "0:0:4755:file");
	assert_int_equal(unpack_format_override(0, 0, S_IFDIR | 01777, 0, b, sizeof(b)), 0);
	assert_string_equal(b, "0:0:1777:dir");
	assert_int_equal(unpack_format_override(0, 0, S_IFCHR | 0666, makedev(1, 3), b, sizeof(b)), 0);
	assert_string_equal(b, "0:0:0666:char-1-3");
	assert_int_equal(unpack_format_override(5, 6, S_IFBLK | 0600, makedev(8, 0), b, sizeof(b)), 0);
	assert_string_equal(b, "5:6:0600:block-8-0");
	assert_int_equal(unpack_format_override(0, 0, S_IFIFO | 0644, 0, b, sizeof(b)), 0);
	assert_string_equal(b, "0:0:0644:pipe");
	assert_int_equal(unpack_format_override(0, 0, S_IFREG, 0, b, 4), -ERANGE);
}

static void test_names(void **state)
{
	char *e, *n;

	assert_int_equal(store_escape_name("localhost/app:v1", &e), 0);
	assert_string_equal(e, "localhost%2Fapp%3Av1");
	free(e);
	assert_int_equal(store_escape_name(".hidden", &e), 0);
	assert_string_equal(e, "%2Ehidden");
	free(e);
	assert_int_equal(store_escape_name("", &e), -EINVAL);
	assert_int_equal(image_normalize_name("app", &n), 0);
	assert_string_equal(n, "app:latest");
	free(n);
	assert_int_equal(image_normalize_name("reg:5000/app", &n), 0);
	assert_string_equal(n, "reg:5000/app:latest");
	free(n);
	assert_int_equal(image_normalize_name("reg:5000/app:v2", &n), 0);
	assert_string_equal(n, "reg:5000/app:v2");
	free(n);
}

static void test_digest(void **state)
{
	char d[DIGEST_STR_MAX];
	const char *hex;

	assert_int_equal(digest_buf("abc", 3, d), 0);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(digest_parse(d, &hex), 0);
	assert_ptr_equal(hex, d + 7);
	assert_int_equal(digest_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", NULL),
			 -EINVAL);
	assert_int_equal(digest_parse("sha512:ba78", NULL), -EINVAL);
	assert_int_equal(digest_parse("sha256:../../etc/passwd", NULL), -EINVAL);
}

#define S(lit) (lit), strlen(lit)

/* digest_buf (sha256.c) against libcrypto's stream (digest_new), over
 * every padding case: lengths 0 to 200 (55/56 and 63/64/65 bytes change
 * the number of final blocks) and some larger ones; plus FIPS 180-4's
 * two-block example. */
static void test_digest_buf_matches_stream(void **state)
{
	static const size_t big[] = { 1000, 4095, 4096, 65537, 1000003 };
	struct digest *d = digest_new();
	char a[DIGEST_STR_MAX], b[DIGEST_STR_MAX];
	unsigned char *buf = malloc(1000003);

	assert_non_null(d);
	assert_non_null(buf);
	for (size_t i = 0; i < 1000003; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 8));
	for (size_t n = 0; n <= 200 + sizeof(big) / sizeof(big[0]); n++) {
		size_t len = n <= 200 ? n : big[n - 201];

		assert_int_equal(digest_buf(buf, len, a), 0);
		digest_update(d, buf, len);
		digest_final(d, b);
		assert_string_equal(a, b);
	}
	assert_int_equal(digest_buf(S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), a), 0);
	assert_string_equal(a, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_int_equal(digest_buf("", 0, a), 0);
	assert_string_equal(a, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_free(d);
	free(buf);
}


#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void test_json(void **state)
{
	static const char manifest[] =
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":7},"
		"\"layers\":[{\"digest\":\"" D2 "\",\"size\":9}]}";
	static const char config[] =
		"{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D2 "\"]},"
		"\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":null,\"Env\":[\"A=1\"],"
		"\"User\":\"1000\",\"Labels\":{\"k\":\"v\"}}}";
	static const char index[] =
		"{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},"
		"\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}]}";
	struct oci_manifest m;
	struct oci_config c;
	struct oci_index x;
	struct docker_manifest dm;
	const char *why;

	assert_int_equal(oci_parse_manifest(manifest, strlen(manifest), &m, &why), 0);
	assert_string_equal(m.config.digest, D1);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layers[0].size, 9);
	oci_manifest_done(&m);
	assert_int_equal(oci_parse_config(config, strlen(config), &c, &why), 0);
	assert_string_equal(c.entrypoint[1], "-c");
	assert_null(c.cmd);
	assert_string_equal(c.user, "1000");
	assert_string_equal(c.labels[0], "k=v");
	assert_int_equal(c.n_diff_ids, 1);
	oci_config_done(&c);
	assert_int_equal(oci_parse_index(index, strlen(index), &x, &why), 0);
	assert_string_equal(x.manifests[0].ref_name, "t");
	assert_true(x.manifests[0].has_platform);
	oci_index_done(&x);
	/* Refusals: bad digest, negative size, trailing garbage, wrong types. */
	assert_int_equal(oci_parse_manifest(S("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:zz\",\"size\":1},"
					      "\"layers\":[]}"), &m, &why), -EBADMSG);
	oci_manifest_done(&m);
	assert_int_equal(oci_parse_index(S("{\"schemaVersion\":2,\"manifests\":[]} x"), &x, &why), -EBADMSG);
	oci_index_done(&x);
	assert_int_equal(oci_parse_config(S("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]},"
					    "\"config\":{\"Cmd\":\"sh\"}}"), &c, &why), -EBADMSG);
	oci_config_done(&c);
	assert_int_equal(docker_parse_manifest(S("[{\"Config\":\"c.json\",\"Layers\":[\"a/layer.tar\"]}]"), &dm, &why),
			 0);
	assert_string_equal(dm.entries[0].layers[0], "a/layer.tar");
	docker_manifest_done(&dm);
	assert_int_equal(docker_parse_manifest(S("[]"), &dm, &why), -EBADMSG);
	docker_manifest_done(&dm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_path),   cmocka_unit_test(test_parse_ref), cmocka_unit_test(test_override_format),
		cmocka_unit_test(test_names),        cmocka_unit_test(test_digest),    cmocka_unit_test(test_digest_buf_matches_stream),    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
