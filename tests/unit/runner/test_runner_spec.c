/* SPDX-License-Identifier: MIT */
/*
 * test_runner_spec.c - the mount spec: path cleaning, --tmpfs and -v
 * parsing, the whitelist, ordering and the synthdir list.  Table-driven.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "opts.h"
#include "spec.h"

static void test_path_clean(void **state)
{
	static const struct { const char *in; int r; const char *out; } t[] = {
		{ "/", 0, "/" }, { "/a", 0, "/a" }, { "/a/", 0, "/a" }, { "//a//b/", 0, "/a/b" },
		{ "/a/./b", 0, "/a/b" }, { "/a/b/..", 0, "/a" }, { "/a/../b", 0, "/b" },
		{ "/a/b/../../c", 0, "/c" }, { "/..", -EXDEV, NULL }, { "/a/../..", -EXDEV, NULL },
		{ "/../etc", -EXDEV, NULL }, { "a", -EINVAL, NULL }, { "", -EINVAL, NULL },
		{ "./a", -EINVAL, NULL }, { "/a/..b", 0, "/a/..b" }, { "/.../x", 0, "/.../x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *out = NULL;
		int r = path_clean(t[i].in, &out);

		if (r != t[i].r)
			fail_msg("path_clean('%s') = %d, want %d", t[i].in, r, t[i].r);
		if (r == 0) {
			assert_string_equal(out, t[i].out);
			free(out);
		}
	}
}

static void test_tmpfs(void **state)
{
	static const struct {
		const char *arg;
		int r;
		const char *dst, *data;
		unsigned long flags;
	} t[] = {
		{ "/tmp", 0, "/tmp", "mode=1777,size=64m", MS_NOSUID | MS_NODEV },
		{ "/run/x/", 0, "/run/x", "mode=1777,size=64m", MS_NOSUID | MS_NODEV },
		/* numbers reach the kernel in plain decimal (mode in octal) */
		{ "/t:size=1m", 0, "/t", "size=1048576,mode=1777", MS_NOSUID | MS_NODEV },
		{ "/t:mode=0700,uid=5,gid=6", 0, "/t", "mode=0700,uid=5,gid=6,size=64m", MS_NOSUID | MS_NODEV },
		{ "/t:mode=700,uid=010", 0, "/t", "mode=0700,uid=10,size=64m", MS_NOSUID | MS_NODEV },
		{ "/t:noexec,ro", 0, "/t", "mode=1777,size=64m", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY },
		{ "/t:size=50%,nr_inodes=1k", 0, "/t", "size=50%,nr_inodes=1024,mode=1777", MS_NOSUID | MS_NODEV },
		{ "/t:size=100%", 0, "/t", "size=100%,mode=1777", MS_NOSUID | MS_NODEV },
		{ "/t:size=010", 0, "/t", "size=10,mode=1777", MS_NOSUID | MS_NODEV },
		{ "/t:size=8589934591g", 0, "/t", "size=9223372035781033984,mode=1777", MS_NOSUID | MS_NODEV },
		{ "tmp", -EINVAL }, { "", -EINVAL }, { "/../x", -EINVAL }, { "/t:", -EINVAL },
		{ "/t:dev", -EINVAL }, { "/t:suid", -EINVAL }, { "/t:size=", -EINVAL },
		{ "/t:size=1x", -EINVAL }, { "/t:mode=9", -EINVAL }, { "/t:mode=17777", -EINVAL },
		{ "/t:uid=-1", -EINVAL }, { "/t:huge=always", -EINVAL }, { "/t:exec", 0, "/t", NULL, MS_NOSUID | MS_NODEV },
		/* sizes that wrap, do not fit, or mean "no limit" */
		{ "/tmp:size=17179869184g", -EINVAL }, { "/t:size=18446744073709551615", -EINVAL },
		{ "/t:size=99999999999999999999", -EINVAL }, { "/t:size=8589934592g", -EINVAL },
		{ "/t:nr_inodes=99999999999999999999", -EINVAL }, { "/t:nr_inodes=17179869184g", -EINVAL },
		{ "/t:size=0", -EINVAL }, { "/t:size=0k", -EINVAL }, { "/t:nr_inodes=0", -EINVAL },
		{ "/t:size=0%", -EINVAL }, { "/t:size=101%", -EINVAL }, { "/t:size=%", -EINVAL },
		{ "/t:size=-1", -EINVAL }, { "/t:size= 1", -EINVAL }, { "/t:size=0x10", -EINVAL },
		{ "/t:uid=4294967295", -EINVAL }, { "/t:gid=99999999999999999999", -EINVAL },
		{ "/t:mode=", -EINVAL }, { "/t:mode=-1", -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mount_op op = { 0 };
		int r = spec_parse_tmpfs(t[i].arg, &op);

		if (r != t[i].r)
			fail_msg("--tmpfs '%s' = %d, want %d", t[i].arg, r, t[i].r);
		if (r < 0)
			continue;
		assert_int_equal(op.kind, MOUNT_TMPFS);
		assert_string_equal(op.dst, t[i].dst);
		if (t[i].data)
			assert_string_equal(op.data, t[i].data);
		assert_int_equal(op.flags, t[i].flags);
		mount_op_free(&op);
	}
}

static void test_volume(void **state)
{
	static const struct {
		const char *arg;
		bool ro_bind;
		int r;
		const char *src, *dst;
		bool ro;
	} t[] = {
		{ "/a:/b", false, 0, "/a", "/b", false },
		{ "/a:/b:ro", false, 0, "/a", "/b", true },
		{ "/a:/b:rw", false, 0, "/a", "/b", false },
		{ "/a/:/b/c/", false, 0, "/a", "/b/c", false },
		{ "/a\\:x:/b", false, 0, "/a:x", "/b", false },
		{ "/a:/b", true, 0, "/a", "/b", true },
		{ "/a:/x/../b", false, 0, "/a", "/b", false },
		{ "/a", false, -EINVAL }, { "/a:", false, -EINVAL }, { ":/b", false, -EINVAL },
		{ "/a:b", false, -EINVAL }, { "/a:/b:rx", false, -EINVAL }, { "/a:/b:ro:x", false, -EINVAL },
		{ "/a:/../b", false, -EINVAL }, { "/a:/b:ro", true, -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mount_op op = { 0 };
		int r = spec_parse_volume(t[i].arg, t[i].ro_bind, &op);

		if (r != t[i].r)
			fail_msg("-v '%s' = %d, want %d", t[i].arg, r, t[i].r);
		if (r < 0)
			continue;
		assert_int_equal(op.kind, MOUNT_BIND);
		assert_string_equal(op.src, t[i].src);
		assert_string_equal(op.dst, t[i].dst);
		assert_int_equal(!!(op.flags & MS_RDONLY), t[i].ro);
		mount_op_free(&op);
	}
}

static void test_relative_source(void **state)
{
	struct mount_op op = { 0 };
	char *cwd = getcwd(NULL, 0), *want = NULL;

	(void)state;
	assert_int_equal(spec_parse_volume("data/x:/d", false, &op), 0);
	assert_true(asprintf(&want, "%s/data/x", strcmp(cwd, "/") == 0 ? "" : cwd) > 0);
	assert_string_equal(op.src, want);
	mount_op_free(&op);
	free(want);
	free(cwd);
}

/* Builds a spec from argv-like option lists and validates it. */
static int build(const char *const *tmpfs, const char *const *vols, struct spec *s, bool etc)
{
	struct run_opts o = { 0 };
	int r;

	for (; tmpfs && *tmpfs; tmpfs++)
		strv_push(&o.tmpfs, *tmpfs);
	for (; vols && *vols; vols++)
		strv_push(&o.volumes, *vols);
	r = spec_build(&o, etc ? "/run/etc" : NULL, s);
	opts_free(&o);
	if (r < 0)
		return r;
	r = spec_validate(s, true);
	if (r < 0)
		spec_free(s);
	return r;
}

static void test_whitelist(void **state)
{
	static const struct {
		const char *tmpfs[4];
		const char *vols[4];
		int r;
	} t[] = {
		{ { "/tmp" }, { "/tmp:/data" }, 0 },
		{ { "/" }, {}, -EINVAL },                  /* the root is the image */
		{ {}, { "/tmp:/" }, -EINVAL },
		{ { "/proc" }, {}, -EINVAL },              /* set up by amber-run */
		{ { "/proc/sys" }, {}, -EINVAL },
		{ {}, { "/tmp:/dev/x" }, -EINVAL },
		{ { "/dev/shm" }, {}, -EINVAL },
		{ { "/sys/fs/cgroup" }, {}, -EINVAL },
		{ { "/procx" }, {}, 0 },                   /* not under /proc */
		{ { "/a", "/a" }, {}, -EINVAL },           /* two mounts on /a */
		{ { "/a" }, { "/tmp:/a/" }, -EINVAL },
		{ {}, { "/nonexistent-amber-src:/x" }, -ENOENT },
		{ {}, { "/dev/null:/x" }, -EINVAL },       /* not a file or directory */
		{ {}, { "/etc/hostname:/etc/hostname" }, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spec s = { 0 };
		int r = build(t[i].tmpfs, t[i].vols, &s, false);

		if (r != t[i].r)
			fail_msg("row %zu (%s %s): %d, want %d", i, t[i].tmpfs[0] ?: "", t[i].vols[0] ?: "", r, t[i].r);
		if (r == 0)
			spec_free(&s);
	}
}

static void test_order_and_synth(void **state)
{
	const char *tmpfs[] = { "/data/cache", "/tmp", NULL };
	const char *vols[] = { "/tmp:/data", "/etc/hostname:/etc/hosts:ro", NULL };
	struct strv synth = { 0 };
	struct spec s = { 0 };

	(void)state;
	assert_int_equal(build(tmpfs, vols, &s, true), 0);
	/* root, proc, dev, sys, then parents first, then the generated /etc files
	 * (hosts is skipped: a volume provides it). */
	assert_int_equal(s.n, 10);
	assert_int_equal(s.ops[0].kind, MOUNT_ROOTFS);
	assert_int_equal(s.ops[1].kind, MOUNT_PROC);
	assert_int_equal(s.ops[2].kind, MOUNT_DEV);
	assert_int_equal(s.ops[3].kind, MOUNT_SYSFS);
	assert_true(s.ops[3].flags & MS_RDONLY);
	assert_string_equal(s.ops[4].dst, "/tmp");
	assert_string_equal(s.ops[5].dst, "/data");
	assert_string_equal(s.ops[6].dst, "/data/cache");
	assert_string_equal(s.ops[7].dst, "/etc/hosts");
	assert_int_equal(s.ops[8].kind, MOUNT_ETC_FILE);
	assert_string_equal(s.ops[8].dst, "/etc/hostname");
	assert_string_equal(s.ops[9].dst, "/etc/resolv.conf");
	assert_string_equal(s.ops[9].src, "/run/etc/resolv.conf");
	assert_true(s.ops[7].flags & MS_RDONLY);
	assert_false(s.ops[5].flags & MS_RDONLY);
	/* Directories only: /etc/hosts is a file bind, /etc files are not synthesized. */
	assert_int_equal(spec_synthdirs(&s, &synth), 0);
	assert_int_equal(synth.n, 6);
	assert_string_equal(synth.v[0], "/proc");
	assert_string_equal(synth.v[1], "/dev");
	assert_string_equal(synth.v[2], "/sys");
	assert_string_equal(synth.v[3], "/tmp");
	assert_string_equal(synth.v[4], "/data");
	assert_string_equal(synth.v[5], "/data/cache");
	strv_free(&synth);
	spec_free(&s);
}

static void test_validate_fixed(void **state)
{
	struct spec s = { 0 };
	struct mount_op bad = { 0 };

	(void)state;
	assert_int_equal(build(NULL, NULL, &s, false), 0);
	/* A spec whose first entry is not the root is refused. */
	bad = s.ops[0];
	s.ops[0] = s.ops[1];
	s.ops[1] = bad;
	assert_int_equal(spec_validate(&s, true), -EINVAL);
	s.ops[1] = s.ops[0];
	s.ops[0] = bad;
	/* An unclean destination is refused. */
	free(s.ops[2].dst);
	s.ops[2].dst = strdup("/dev/");
	assert_int_equal(spec_validate(&s, true), -EINVAL);
	spec_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_relative_source),
		cmocka_unit_test(test_whitelist),
		cmocka_unit_test(test_order_and_synth),
		cmocka_unit_test(test_validate_fixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
