/* SPDX-License-Identifier: MIT */
/* test_opts.c - option parsing: lists as given, escapes, validation (the list
 * syntax itself: tests/unit/common/test_optlist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

static void test_normalize(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: rejected */
	} cases[] = {
		{ "/tmp", "/tmp" },
		{ "//tmp///x/", "/tmp/x" },
		{ "/data/a b", "/data/a b" },
		{ "tmp", NULL },
		{ "/", NULL },
		{ "/a/../b", NULL },
		{ "/a/./b", NULL },
		{ "/..", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		int r = opts_normalize_abs(cases[i].in, &out);

		if (!cases[i].out) {
			assert_int_equal(r, -EINVAL);
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

/* opts_parse() edits its fuse_args; give it a private copy of argv. */
static int parse(const char **argv, struct fs_config *cfg)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	int r;

	for (int i = 0; argv[i]; i++)
		fuse_opt_add_arg(&args, argv[i]);
	r = opts_parse(&args, cfg);
	fuse_opt_free_args(&args);
	return r;
}

static void test_parse(void **state)
{
	struct fs_config cfg;
	const char *ok[] = { "amberfs", "-o", "lowerdir=a\\:1:b,log=/tmp/x.log,deny_errno=EPERM",
			     "-o", "synthdir=/tmp:/data//v/,log_policy=drop,log_max_size=1M,log_keep=3",
			     "-s", "mnt", NULL };
	const char *helper[] = { "amberfs", "src", "mnt", "-o", "lowerdir=a", NULL };

	assert_int_equal(parse(ok, &cfg), 0);
	assert_int_equal(cfg.lowerdirs.n, 2);
	assert_string_equal(cfg.lowerdirs.v[0], "a:1");
	assert_string_equal(cfg.lowerdirs.v[1], "b");
	assert_string_equal(cfg.log_path, "/tmp/x.log");
	assert_int_equal(cfg.deny_errno, EPERM);
	assert_int_equal(cfg.synthdirs.n, 2);
	assert_string_equal(cfg.synthdirs.v[1], "/data/v");
	assert_true(cfg.log_drop);
	assert_int_equal(cfg.log_max_size, 1 << 20);
	assert_int_equal(cfg.log_keep, 3);
	assert_true(cfg.single_thread);
	assert_string_equal(cfg.mountpoint, "mnt");
	opts_free(&cfg);

	assert_int_equal(parse(helper, &cfg), 0);
	assert_string_equal(cfg.source, "src");
	assert_string_equal(cfg.mountpoint, "mnt");
	opts_free(&cfg);
}

/* What common/optlist.h escapes comes back unchanged: ',' ':' and '\' in a
 * list element (taken from argv) and in a plain value (through fuse_opt). */
static void test_parse_escapes(void **state)
{
	struct fs_config cfg;
	const char *argv[] = { "amberfs", "-o",
			       "lowerdir=/l/a\\,b\\:c\\\\d:/l/e,log=/tmp/x\\,y\\:z\\\\.log,"
			       "synthdir=/s\\,1:/s\\:2,pidfile=/p\\,q",
			       "mnt", NULL };

	(void)state;
	assert_int_equal(parse(argv, &cfg), 0);
	assert_int_equal(cfg.lowerdirs.n, 2);
	assert_string_equal(cfg.lowerdirs.v[0], "/l/a,b:c\\d");
	assert_string_equal(cfg.lowerdirs.v[1], "/l/e");
	assert_string_equal(cfg.log_path, "/tmp/x,y:z\\.log");
	assert_int_equal(cfg.synthdirs.n, 2);
	assert_string_equal(cfg.synthdirs.v[0], "/s,1");
	assert_string_equal(cfg.synthdirs.v[1], "/s:2");
	assert_string_equal(cfg.pidfile, "/p,q");
	opts_free(&cfg);
}

static void test_squash(void **state)
{
	static const struct {
		const char *opts;
		int64_t uid, gid; /* expected; ret < 0 when refused */
		int ret;
	} cases[] = {
		{ "lowerdir=a", -1, -1, 0 },
		{ "lowerdir=a,squash_to_root", 0, 0, 0 },
		{ "lowerdir=a,squash_to_uid=1000", 1000, -1, 0 },
		{ "lowerdir=a,squash_to_gid=100", -1, 100, 0 },
		{ "lowerdir=a,squash_to_uid=1000,squash_to_gid=1001", 1000, 1001, 0 },
		{ "lowerdir=a,squash_to_uid=0,squash_to_gid=0", 0, 0, 0 },
		{ "lowerdir=a,squash_to_uid=4294967294", 4294967294LL, -1, 0 },
		{ "lowerdir=a,squash_to_root,squash_to_uid=0", 0, 0, 0 },
		{ "lowerdir=a,squash_to_uid=1,squash_to_uid=2", 2, -1, 0 }, /* last wins */
		{ "lowerdir=a,squash_to_uid=4294967295", 0, 0, -ERANGE },
		{ "lowerdir=a,squash_to_gid=99999999999999999999", 0, 0, -ERANGE },
		{ "lowerdir=a,squash_to_uid=-1", 0, 0, -EINVAL },
		{ "lowerdir=a,squash_to_uid=", 0, 0, -EINVAL },
		{ "lowerdir=a,squash_to_uid=1k", 0, 0, -EINVAL },
		{ "lowerdir=a,squash_to_gid= 5", 0, 0, -EINVAL },
		{ "lowerdir=a,squash_to_root,squash_to_uid=1000", 0, 0, -EINVAL },
		{ "lowerdir=a,squash_to_root,squash_to_gid=5", 0, 0, -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "amberfs", "-o", cases[i].opts, "mnt", NULL };
		struct fs_config cfg;
		int r = parse(argv, &cfg);

		assert_int_equal(r, cases[i].ret);
		if (r == 0) {
			assert_int_equal(cfg.squash_uid, cases[i].uid);
			assert_int_equal(cfg.squash_gid, cases[i].gid);
		}
		opts_free(&cfg);
	}
}

/* Numbers and sizes: exact values up to the limit, an error past it (never a
 * wrapped or clipped value). */
static void test_numbers(void **state)
{
	static const struct {
		const char *opts;
		int ret;
		uint64_t max_size;
		unsigned keep, threads;
	} cases[] = {
		{ "lowerdir=a", 0, 0, 5, 4 },
		{ "lowerdir=a,log_max_size=0", 0, 0, 5, 4 },
		{ "lowerdir=a,log_max_size=4096", 0, 4096, 5, 4 },
		{ "lowerdir=a,log_max_size=4k", 0, 4096, 5, 4 },
		{ "lowerdir=a,log_max_size=2T", 0, 2ULL << 40, 5, 4 },
		{ "lowerdir=a,log_max_size=17179869183G", 0, 17179869183ULL << 30, 5, 4 },
		{ "lowerdir=a,log_max_size=18446744073709551615", 0, UINT64_MAX, 5, 4 },
		{ "lowerdir=a,log_max_size=17179869184G", -ERANGE },  /* 2^64: used to become 0 */
		{ "lowerdir=a,log_max_size=18446744073709551616", -ERANGE },
		{ "lowerdir=a,log_max_size=99999999999999999999K", -ERANGE },
		{ "lowerdir=a,log_max_size=16777216T", -ERANGE },
		{ "lowerdir=a,log_max_size=4095", -EINVAL },
		{ "lowerdir=a,log_max_size=-1", -EINVAL },
		{ "lowerdir=a,log_max_size=1.5G", -EINVAL },
		{ "lowerdir=a,log_max_size= 4096", -EINVAL },
		{ "lowerdir=a,log_keep=0", 0, 0, 0, 4 },            /* documented: keep none */
		{ "lowerdir=a,log_keep=1000", 0, 0, 1000, 4 },
		{ "lowerdir=a,log_keep=1001", -ERANGE },
		{ "lowerdir=a,log_keep=4294967297", -ERANGE },        /* used to wrap to 1 */
		{ "lowerdir=a,log_keep=18446744073709551617", -ERANGE },
		{ "lowerdir=a,log_keep=1k", -EINVAL },
		{ "lowerdir=a,threads=1024", 0, 0, 5, 1024 },
		{ "lowerdir=a,threads=0", -ERANGE },
		{ "lowerdir=a,threads=4294967312", -ERANGE },         /* used to wrap to 16 */
		{ "lowerdir=a,threads=2m", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "amberfs", "-o", cases[i].opts, "mnt", NULL };
		struct fs_config cfg;
		int r = parse(argv, &cfg);

		if (r != cases[i].ret)
			fail_msg("'%s': %d, want %d", cases[i].opts, r, cases[i].ret);
		if (r == 0 && (cfg.log_max_size != cases[i].max_size || cfg.log_keep != cases[i].keep ||
			       cfg.threads != cases[i].threads))
			fail_msg("'%s': log_max_size %llu, log_keep %u, threads %u", cases[i].opts,
				 (unsigned long long)cfg.log_max_size, cfg.log_keep, cfg.threads);
		opts_free(&cfg);
	}
}

/* meta.KEY=VALUE: rendered into options_json, refused when malformed. */
static void test_meta(void **state)
{
	static const struct {
		const char *opts;
		int ret;
		const char *meta; /* expected "meta" member, NULL: none */
	} cases[] = {
		{ "lowerdir=a", 0, NULL },
		{ "lowerdir=a,meta.container_id=c1,meta.bundle=/b/x", 0,
		  ",\"meta\":{\"container_id\":\"c1\",\"bundle\":\"/b/x\"}}" },
		{ "lowerdir=a,meta.io.kubernetes.cri/pod-name=web\\,1", 0,
		  ",\"meta\":{\"io.kubernetes.cri/pod-name\":\"web,1\"}}" },
		{ "lowerdir=a,meta.k=\"q\"", 0, ",\"meta\":{\"k\":\"\\\"q\\\"\"}}" },
		{ "lowerdir=a,meta.k=1,meta.j=,meta.k=2", 0, ",\"meta\":{\"j\":\"\",\"k\":\"2\"}}" },
		{ "lowerdir=a,meta.k", -EINVAL, NULL },
		{ "lowerdir=a,meta.=v", -EINVAL, NULL },
		{ "lowerdir=a,meta.a b=v", -EINVAL, NULL },
		{ "lowerdir=a,meta.a\"b=v", -EINVAL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "amberfs", "-o", cases[i].opts, "mnt", NULL };
		struct fs_config cfg;
		int r = parse(argv, &cfg);
		const char *m;

		if (r != cases[i].ret)
			fail_msg("'%s': %d, want %d", cases[i].opts, r, cases[i].ret);
		if (r == 0) {
			m = strstr(cfg.options_json, ",\"meta\":");
			if (cases[i].meta ? !m || strcmp(m, cases[i].meta) != 0 : m != NULL)
				fail_msg("'%s': options %s", cases[i].opts, cfg.options_json);
		}
		opts_free(&cfg);
	}
}

static void test_parse_errors(void **state)
{
	static const char *const bad[][5] = {
		{ "amberfs", "mnt", NULL },                                   /* no lowerdir */
		{ "amberfs", "-o", "lowerdir=a::b", "mnt", NULL },            /* empty element */
		{ "amberfs", "-o", "lowerdir=a", NULL },                      /* no mountpoint */
		{ "amberfs", "-o", "lowerdir=a,deny_errno=ENOENT", "mnt", NULL },
		{ "amberfs", "-o", "lowerdir=a,log_policy=maybe", "mnt", NULL },
		{ "amberfs", "-o", "lowerdir=a,synthdir=rel", "mnt", NULL },
		{ "amberfs", "-o", "lowerdir=a,log_max_size=12x", "mnt", NULL },
		{ "amberfs", "-o", "lowerdir=a,threads=0", "mnt", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fs_config cfg;

		assert_true(parse((const char **)bad[i], &cfg) < 0);
		opts_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_squash),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
