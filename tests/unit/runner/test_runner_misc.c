/* SPDX-License-Identifier: MIT */
/*
 * test_runner_misc.c - capability names and sets, user resolution in an
 * image's /etc/passwd and /etc/group, subordinate id lookup, the amberfs
 * option string, bounded input files, and that the seccomp profiles
 * compile (and that /dev/zero or a FIFO is no profile).
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
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "exec.h"
#include "fsd.h"
#include "input.h"
#include "seccomp_filter.h"
#include "userns.h"
#include "subid.h"

static char dir[] = "/tmp/amber-run-unitXXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	write_file("passwd", "root:x:0:0:root:/root:/bin/sh\n"
			     "user:x:1000:1000:u:/home/user:/bin/sh\n"
			     "svc:x:999:50::/:/bin/false\n");
	write_file("group", "root:x:0:\nuser:x:1000:\nstaff:x:50:user,svc\naudio:x:29:svc\nusers:x:100:user2\n");
	write_file("subuid", "alice:100000:65536\n1234:200000:1000\nbroken\nbob:x:y\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_caps(void **state)
{
	static const struct { const char *name; int r; uint64_t mask; } t[] = {
		{ "chown", 0, 1ULL << 0 }, { "CAP_SYS_ADMIN", 0, 1ULL << 21 }, { "Net_Raw", 0, 1ULL << 13 },
		{ "ALL", 0, CAPS_ALL }, { "cap_all", 0, CAPS_ALL }, { "checkpoint_restore", 0, 1ULL << 40 },
		{ "nope", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "CAP_", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t m = 0;

		assert_int_equal(cap_from_name(t[i].name, &m), t[i].r);
		if (t[i].r == 0)
			assert_true(m == t[i].mask);
	}
	/* Docker's default set, as /proc/PID/status prints it. */
	assert_true(CAPS_DEFAULT == 0xa80425fbULL);
	assert_true(caps_compute(0, 0) == CAPS_DEFAULT);
	assert_true(caps_compute(1ULL << 19, 1ULL << 13) == ((CAPS_DEFAULT | (1ULL << 19)) & ~(1ULL << 13)));
	assert_string_equal(cap_to_name(21), "sys_admin");
	assert_null(cap_to_name(99));
}

static void test_user(void **state)
{
	static const struct {
		const char *spec;
		int r;
		unsigned uid, gid;
		const char *home;
		int n_groups;
	} t[] = {
		{ NULL, 0, 0, 0, "/root", 1 },
		{ "0", 0, 0, 0, "/root", 1 },
		{ "1000", 0, 1000, 1000, "/home/user", 2 },   /* + staff */
		{ "user", 0, 1000, 1000, "/home/user", 2 },
		{ "svc", 0, 999, 50, "/", 2 },                /* staff is primary; + audio */
		{ "1000:29", 0, 1000, 29, "/home/user", 2 },  /* audio, + staff */
		{ "user:audio", 0, 1000, 29, "/home/user", 2 },
		{ "4242", 0, 4242, 0, "/", 1 },               /* no entry: gid 0, home / */
		{ "4242:7", 0, 4242, 7, "/", 1 },
		{ "nobody", -ESRCH }, { "user:nogroup", -ESRCH },
	};
	char passwd[256], group[256];

	(void)state;
	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(group, sizeof(group), "%s/group", dir);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct exec_user u;
		int r = exec_user_resolve(t[i].spec, passwd, group, &u);

		if (r != t[i].r)
			fail_msg("user '%s': %d, want %d", t[i].spec ?: "(null)", r, t[i].r);
		if (r < 0)
			continue;
		assert_int_equal(u.uid, t[i].uid);
		assert_int_equal(u.gid, t[i].gid);
		assert_string_equal(u.home, t[i].home);
		if (u.n_groups != t[i].n_groups)
			fail_msg("user '%s': %d groups, want %d", t[i].spec ?: "(null)", u.n_groups, t[i].n_groups);
		assert_int_equal(u.groups[0], t[i].gid);
		exec_user_free(&u);
	}
}

static void test_subid(void **state)
{
	char path[256];
	unsigned long s = 0, n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/subuid", dir);
	assert_true(subid_lookup(path, "alice", 1001, &s, &n));
	assert_int_equal(s, 100000);
	assert_int_equal(n, 65536);
	assert_true(subid_lookup(path, "nobody-here", 1234, &s, &n));
	assert_int_equal(s, 200000);
	assert_false(subid_lookup(path, "bob", 7, &s, &n));
	assert_false(subid_lookup(path, NULL, 7, &s, &n));
	assert_false(subid_lookup("/nonexistent/subuid", "alice", 1, &s, &n));
}

static void test_fsd_options(void **state)
{
	struct strv layers = { 0 }, synth = { 0 };
	struct fsd_config c = { .layers = &layers, .synthdirs = &synth, .log_path = "/l/log",
				.pidfile = "/s/pid", .mountpoint = "/s/root" };
	char *o = NULL;

	(void)state;
	strv_push(&layers, "/i/top");
	strv_push(&layers, "/i/base");
	assert_int_equal(fsd_options(&c, &o), 0);
	assert_string_equal(o, "lowerdir=/i/top:/i/base,log=/l/log,pidfile=/s/pid");
	free(o);
	strv_push(&synth, "/proc");
	strv_push(&synth, "/data");
	assert_int_equal(fsd_options(&c, &o), 0);
	assert_string_equal(o, "lowerdir=/i/top:/i/base,synthdir=/proc:/data,log=/l/log,pidfile=/s/pid");
	free(o);
	/* The log's cap, with rotation only. */
	c.log_max_size = 64ULL << 20;
	c.log_keep = 0;
	assert_int_equal(fsd_options(&c, &o), 0);
	assert_string_equal(o, "lowerdir=/i/top:/i/base,synthdir=/proc:/data,log=/l/log,log_max_size=67108864,"
			       "log_keep=0,pidfile=/s/pid");
	free(o);
	c.log_max_size = 0;
	c.log_keep = 4;
	assert_int_equal(fsd_options(&c, &o), 0);
	assert_string_equal(o, "lowerdir=/i/top:/i/base,synthdir=/proc:/data,log=/l/log,pidfile=/s/pid");
	free(o);
	/* ',' ':' and '\' in a path are escaped (common/optlist.h). */
	strv_push(&synth, "/a,b");
	strv_push(&layers, "/i/x:y\\z,");
	c.log_path = "/l/a,b:c";
	c.pidfile = "/s/p\\";
	assert_int_equal(fsd_options(&c, &o), 0);
	assert_string_equal(o, "lowerdir=/i/top:/i/base:/i/x\\:y\\\\z\\,,synthdir=/proc:/data:/a\\,b,"
			       "log=/l/a\\,b\\:c,pidfile=/s/p\\\\");
	free(o);
	strv_free(&layers);
	strv_free(&synth);
}

static void test_seccomp_build(void **state)
{
	struct seccomp_filter *f = NULL;
	char path[256];

	(void)state;
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_DEFAULT, NULL, CAPS_DEFAULT, &f), 0);
	assert_non_null(f);
	seccomp_filter_free(f);
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_DEFAULT, NULL, CAPS_ALL, &f), 0);
	seccomp_filter_free(f);
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_UNCONFINED, NULL, CAPS_DEFAULT, &f), 0);
	assert_null(f);
	/* A Docker-format profile. */
	snprintf(path, sizeof(path), "%s/profile.json", dir);
	write_file("profile.json",
		   "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"syscalls\":["
		   "{\"names\":[\"read\",\"write\",\"no_such_call\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		   "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
		   "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
		   "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_PTRACE\"]}}]}");
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_FILE, path, CAPS_DEFAULT, &f), 0);
	seccomp_filter_free(f);
	write_file("bad.json", "{\"defaultAction\":\"SCMP_ACT_MAYBE\"}");
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_FILE, path, CAPS_DEFAULT, &f), -EINVAL);
	write_file("notjson", "{{{");
	snprintf(path, sizeof(path), "%s/notjson", dir);
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_FILE, path, CAPS_DEFAULT, &f), -EINVAL);
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_FILE, "/nonexistent.json", CAPS_DEFAULT, &f), -EINVAL);
	/* Never read forever: not a regular file, or too large. */
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_FILE, "/dev/zero", CAPS_DEFAULT, &f), -EINVAL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(seccomp_filter_build(SECCOMP_MODE_FILE, path, CAPS_DEFAULT, &f), -EINVAL);
	{
		struct seccomp_prog p = { 0 };

		assert_int_equal(seccomp_prog_get(SECCOMP_MODE_FILE, "/dev/zero", CAPS_DEFAULT, dir, &p), -EINVAL);
		assert_int_equal(seccomp_prog_get(SECCOMP_MODE_FILE, path, CAPS_DEFAULT, dir, &p), -EINVAL);
		assert_null(p.insns);
	}
	unlink(path);
}

static void test_caps_resolve(void **state)
{
	uint64_t bnd = ((1ULL << 41) - 1) & ~(1ULL << 24), caps = 0; /* no sys_resource */
	int missing = -1;

	(void)state;
	/* ALL: every grantable capability, not one more */
	assert_int_equal(caps_resolve(CAPS_ALL, 0, bnd, &caps, &missing), 0);
	assert_true(caps == bnd);
	/* the default set, cut to what can be granted */
	assert_int_equal(caps_resolve(0, 0, CAPS_DEFAULT & ~1ULL, &caps, &missing), 0);
	assert_true(caps == (CAPS_DEFAULT & ~1ULL));
	assert_int_equal(caps_resolve(1ULL << 21, 0, bnd, &caps, &missing), 0);
	assert_true(caps == (CAPS_DEFAULT | 1ULL << 21));
	assert_int_equal(caps_resolve(1ULL << 21, CAPS_ALL, bnd, &caps, &missing), 0);
	assert_true(caps == 1ULL << 21);
	/* a named capability that cannot be granted: refused, by number */
	caps = 7;
	assert_int_equal(caps_resolve(1ULL << 24 | 1ULL << 21, 0, bnd, &caps, &missing), -EPERM);
	assert_int_equal(missing, 24);
	assert_true(caps == 7);
	assert_string_equal(cap_to_name(missing), "sys_resource");
	/* what this process may grant: its bounding set, as the kernel shows it */
	{
		FILE *f = fopen("/proc/self/status", "re");
		unsigned long long shown = ~0ULL;
		char line[256];

		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapBnd: %llx", &shown) == 1)
				break;
		fclose(f);
		assert_true(caps_grantable() == shown);
	}
}

static void test_input(void **state)
{
	char path[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/input", dir);
	write_file("input", "a\nbb\n\nlast");
	assert_int_equal(input_read(NULL, path, 64, &text, &len), 0);
	assert_int_equal(len, 10);
	{
		char *cur = text;

		assert_string_equal(input_next_line(&cur), "a");
		assert_string_equal(input_next_line(&cur), "bb");
		assert_string_equal(input_next_line(&cur), "");
		assert_string_equal(input_next_line(&cur), "last");
		assert_null(input_next_line(&cur));
	}
	free(text);
	/* exactly the cap is fine, one byte more is not */
	assert_int_equal(input_read(NULL, path, 10, &text, &len), 0);
	free(text);
	text = NULL;
	assert_int_equal(input_read(NULL, path, 9, &text, &len), -EFBIG);
	assert_null(text);
	assert_int_equal(input_read("test", "/dev/zero", 64, &text, &len), -EINVAL);
	assert_int_equal(input_read(NULL, "/nonexistent/x", 64, &text, &len), -ENOENT);
	assert_int_equal(input_read(NULL, dir, 64, &text, &len), -EINVAL);
	snprintf(path, sizeof(path), "%s/fifo2", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* a FIFO with no writer: refused at once, never waited for */
	assert_int_equal(input_read(NULL, path, 64, &text, &len), -EINVAL);
	unlink(path);
	/* an empty file */
	snprintf(path, sizeof(path), "%s/empty", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(input_read(NULL, path, 64, &text, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
}

static void test_seccomp_prog_cache(void **state)
{
	struct seccomp_prog a = { 0 }, b = { 0 }, c = { 0 };
	char cache[256], cmd[512];
	FILE *ls;
	int files = 0;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	assert_int_equal(mkdir(cache, 0700), 0);
	/* Cold: compiled and cached; warm: read back, byte for byte. */
	assert_int_equal(seccomp_prog_get(SECCOMP_MODE_DEFAULT, NULL, CAPS_DEFAULT, cache, &a), 0);
	assert_non_null(a.insns);
	assert_true(a.n > 100);
	assert_int_equal(seccomp_prog_get(SECCOMP_MODE_DEFAULT, NULL, CAPS_DEFAULT, cache, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.insns, b.insns, a.n * 8);
	/* Another capability set is another program (ptrace allowed). */
	assert_int_equal(seccomp_prog_get(SECCOMP_MODE_DEFAULT, NULL, CAPS_DEFAULT | (1ULL << 19), cache, &c), 0);
	assert_true(c.n != a.n || memcmp(a.insns, c.insns, a.n * 8) != 0);
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^seccomp-.*\\.bpf$'", cache);
	ls = popen(cmd, "r");
	assert_non_null(ls);
	assert_int_equal(fscanf(ls, "%d", &files), 1);
	pclose(ls);
	assert_int_equal(files, 2);
	seccomp_prog_free(&a);
	seccomp_prog_free(&b);
	seccomp_prog_free(&c);
	/* Unconfined: no program; no cache: still compiles. */
	assert_int_equal(seccomp_prog_get(SECCOMP_MODE_UNCONFINED, NULL, CAPS_DEFAULT, cache, &a), 0);
	assert_null(a.insns);
	assert_int_equal(seccomp_prog_get(SECCOMP_MODE_DEFAULT, NULL, CAPS_DEFAULT, NULL, &a), 0);
	assert_non_null(a.insns);
	seccomp_prog_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_subid),
		cmocka_unit_test(test_fsd_options),
		cmocka_unit_test(test_caps_resolve),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_seccomp_build),
		cmocka_unit_test(test_seccomp_prog_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
