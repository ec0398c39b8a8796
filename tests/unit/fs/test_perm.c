/* SPDX-License-Identifier: MIT */
/*
 * test_perm.c - the daemon's permission decision against the kernel's
 * rules (generic_permission, posix_acl_permission), table-driven.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "perm.h"

#define CAP(x) (UINT64_C(1) << (x))
#define ALLCAPS (CAP(PERM_CAP_DAC_OVERRIDE) | CAP(PERM_CAP_DAC_READ_SEARCH))

struct mode_case {
	const char *what;
	uid_t uid;
	gid_t gid;
	gid_t group; /* one supplementary group, or 0 */
	uint64_t caps;
	uint32_t ouid, ogid, mode;
	int mask;
	int want;
};

static const struct mode_case mode_cases[] = {
	{ "owner reads 0600", 1000, 1000, 0, 0, 1000, 0, S_IFREG | 0600, PERM_R, 0 },
	{ "other reads 0600", 1001, 1001, 0, 0, 1000, 0, S_IFREG | 0600, PERM_R, -EACCES },
	{ "other reads 0644", 1001, 1001, 0, 0, 1000, 0, S_IFREG | 0644, PERM_R, 0 },
	{ "owner bits win over other", 1000, 1000, 0, 0, 1000, 0, S_IFREG | 0077, PERM_R, -EACCES },
	{ "group via primary gid", 1001, 50, 0, 0, 0, 50, S_IFREG | 0640, PERM_R, 0 },
	{ "group via supplementary", 1001, 1001, 50, 0, 0, 50, S_IFREG | 0640, PERM_R, 0 },
	{ "group bits win over other", 1001, 50, 0, 0, 0, 50, S_IFREG | 0604, PERM_R, -EACCES },
	{ "supplementary group bits win over other", 1001, 1001, 50, 0, 0, 50, S_IFREG | 0604, PERM_R,
	  -EACCES },
	{ "not in group: other", 1001, 1001, 0, 0, 0, 50, S_IFREG | 0640, PERM_R, -EACCES },
	{ "search 0711 dir", 1001, 1001, 0, 0, 0, 0, S_IFDIR | 0711, PERM_X, 0 },
	{ "list 0711 dir", 1001, 1001, 0, 0, 0, 0, S_IFDIR | 0711, PERM_R, -EACCES },
	{ "search 0700 dir", 1001, 1001, 0, 0, 0, 0, S_IFDIR | 0700, PERM_X, -EACCES },
	{ "root searches 0700 dir", 0, 0, 0, ALLCAPS, 1000, 0, S_IFDIR | 0700, PERM_X, 0 },
	{ "root lists 0000 dir", 0, 0, 0, ALLCAPS, 1000, 0, S_IFDIR | 0000, PERM_R, 0 },
	{ "root reads 0000 file", 0, 0, 0, ALLCAPS, 1000, 0, S_IFREG | 0000, PERM_R, 0 },
	{ "root execs 0644 file", 0, 0, 0, ALLCAPS, 1000, 0, S_IFREG | 0644, PERM_X, -EACCES },
	{ "root execs 0100 file", 0, 0, 0, ALLCAPS, 1000, 0, S_IFREG | 0100, PERM_X, 0 },
	{ "root without caps", 0, 0, 0, 0, 1000, 0, S_IFREG | 0600, PERM_R, -EACCES },
	{ "root with read-search only", 0, 0, 0, CAP(PERM_CAP_DAC_READ_SEARCH), 1000, 0,
	  S_IFREG | 0600, PERM_R, 0 },
	{ "read-search does not exec", 0, 0, 0, CAP(PERM_CAP_DAC_READ_SEARCH), 1000, 0,
	  S_IFREG | 0700, PERM_X, -EACCES },
	{ "caps of a non-root caller ignored", 1001, 1001, 0, ALLCAPS, 0, 0, S_IFREG | 0600,
	  PERM_R, -EACCES },
	{ "exec 0711 as other", 1001, 1001, 0, 0, 0, 0, S_IFREG | 0711, PERM_X, 0 },
	{ "read 0711 as other", 1001, 1001, 0, 0, 0, 0, S_IFREG | 0711, PERM_R, -EACCES },
	{ "read+search needs both", 1001, 1001, 0, 0, 0, 0, S_IFDIR | 0751, PERM_R | PERM_X, -EACCES },
};

static void caller_for(const struct mode_case *c, struct perm_caller *p)
{
	*p = (struct perm_caller){ .uid = c->uid, .gid = c->gid, .loaded = true,
				   .cap_eff = c->caps };
	if (c->group)
		p->groups[p->n_groups++] = c->group;
}

static void test_mode_bits(void **state)
{
	for (size_t i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++) {
		const struct mode_case *c = &mode_cases[i];
		struct perm_object o = { .uid = c->ouid, .gid = c->ogid, .mode = c->mode };
		struct perm_caller p;
		int r;

		caller_for(c, &p);
		r = perm_decide(&p, &o, c->mask);
		if (r != c->want)
			fail_msg("%s: got %d, want %d", c->what, r, c->want);
	}
}

/* The xattr form: version 2, then (tag, perm, id) little-endian. */
static size_t acl_bytes(unsigned char *buf, const uint32_t (*e)[3], size_t n)
{
	memset(buf, 0, 4);
	buf[0] = 2;
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = buf + 4 + 8 * i;

		p[0] = e[i][0] & 0xff;
		p[1] = e[i][0] >> 8;
		p[2] = e[i][1];
		p[3] = 0;
		p[4] = e[i][2] & 0xff;
		p[5] = (e[i][2] >> 8) & 0xff;
		p[6] = (e[i][2] >> 16) & 0xff;
		p[7] = e[i][2] >> 24;
	}
	return 4 + 8 * n;
}

/* user::rw- user:2000:rw- group::r-- group:60:rw- mask::r-- other::--- */
static const uint32_t acl_entries[][3] = {
	{ 0x01, 6, 0 }, { 0x02, 6, 2000 }, { 0x04, 4, 0 }, { 0x08, 6, 60 },
	{ 0x10, 4, 0 }, { 0x20, 0, 0 },
};

static void test_acl(void **state)
{
	unsigned char buf[4 + 8 * 6];
	struct perm_acl acl;
	struct perm_object o = { .uid = 1000, .gid = 50, .mode = S_IFREG | 0640, .acl = &acl };
	struct perm_caller p = { .loaded = true };

	assert_int_equal(perm_acl_parse(buf, acl_bytes(buf, acl_entries, 6), &acl), 0);
	assert_int_equal(acl.n, 6);

	/* named user: rw- masked to r-- */
	p = (struct perm_caller){ .uid = 2000, .gid = 2000, .loaded = true };
	assert_int_equal(perm_decide(&p, &o, PERM_R), 0);
	assert_int_equal(perm_decide(&p, &o, PERM_W), -EACCES);
	/* named group through a supplementary group */
	p = (struct perm_caller){ .uid = 3000, .gid = 3000, .loaded = true, .n_groups = 1,
				  .groups = { 60 } };
	assert_int_equal(perm_decide(&p, &o, PERM_R), 0);
	/* owning group */
	p = (struct perm_caller){ .uid = 3000, .gid = 50, .loaded = true };
	assert_int_equal(perm_decide(&p, &o, PERM_R), 0);
	/* other: nothing, even though the mode alone would not say so */
	p = (struct perm_caller){ .uid = 3000, .gid = 3000, .loaded = true };
	assert_int_equal(perm_decide(&p, &o, PERM_R), -EACCES);
	/* owner: the mode's owner bits */
	p = (struct perm_caller){ .uid = 1000, .gid = 1, .loaded = true };
	assert_int_equal(perm_decide(&p, &o, PERM_R | PERM_W), 0);
}

static void test_acl_group_found_but_short(void **state)
{
	/* group::--x group:60:r-- other::rwx: in a group that does not
	 * grant, other is not consulted. */
	static const uint32_t e[][3] = {
		{ 0x01, 7, 0 }, { 0x04, 1, 0 }, { 0x08, 4, 60 }, { 0x10, 7, 0 }, { 0x20, 7, 0 },
	};
	unsigned char buf[4 + 8 * 5];
	struct perm_acl acl;
	struct perm_object o = { .uid = 0, .gid = 50, .mode = S_IFREG | 0777, .acl = &acl };
	struct perm_caller p = { .uid = 3000, .gid = 60, .loaded = true };

	assert_int_equal(perm_acl_parse(buf, acl_bytes(buf, e, 5), &acl), 0);
	assert_int_equal(perm_decide(&p, &o, PERM_W), -EACCES);
	assert_int_equal(perm_decide(&p, &o, PERM_R), 0);
}

static void test_acl_parse_bad(void **state)
{
	unsigned char buf[64] = { 2, 0, 0, 0 };
	struct perm_acl acl;

	assert_int_equal(perm_acl_parse(buf, 3, &acl), -EINVAL);
	assert_int_equal(perm_acl_parse(buf, 4 + 7, &acl), -EINVAL);
	buf[0] = 1;
	assert_int_equal(perm_acl_parse(buf, 12, &acl), -EINVAL);
}

static void test_searchable_by_all(void **state)
{
	assert_true(perm_searchable_by_all(S_IFDIR | 0755));
	assert_true(perm_searchable_by_all(S_IFDIR | 0711));
	assert_false(perm_searchable_by_all(S_IFDIR | 0700));
	assert_false(perm_searchable_by_all(S_IFDIR | 0750));
	assert_false(perm_searchable_by_all(S_IFDIR | 0705));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_bits),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_acl_group_found_but_short),
		cmocka_unit_test(test_acl_parse_bad),
		cmocka_unit_test(test_searchable_by_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
