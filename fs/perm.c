/* SPDX-License-Identifier: MIT */
/*
 * perm.c - the daemon's permission check (see perm.h).
 *
 * perm_decide() follows the kernel's generic_permission() and
 * posix_acl_permission() step by step, so that a caller gets from amberfs
 * the answer a kernel overlayfs mount of the same layers gives.
 */
#include "perm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

enum {
	ACL_USER_OBJ = 0x01,
	ACL_USER = 0x02,
	ACL_GROUP_OBJ = 0x04,
	ACL_GROUP = 0x08,
	ACL_MASK = 0x10,
	ACL_OTHER = 0x20,
};

#define ACL_XATTR_VERSION 2

static bool in_group(const struct perm_caller *c, gid_t gid)
{
	if (c->gid == gid)
		return true;
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

static int granted(unsigned have, int want)
{
	return (have & want) == (unsigned)want ? 0 : -EACCES;
}

/* The entry's perm, limited by the mask entry if there is one. */
static int acl_masked(const struct perm_acl *acl, size_t i, int want)
{
	for (size_t j = i + 1; j < acl->n; j++)
		if (acl->e[j].tag == ACL_MASK)
			return granted(acl->e[i].perm & acl->e[j].perm, want);
	return granted(acl->e[i].perm, want);
}

/* posix_acl_permission(): 0, -EACCES, or -EAGAIN when the ACL is unusable. */
static int acl_decide(const struct perm_caller *c, const struct perm_object *o, int want)
{
	const struct perm_acl *acl = o->acl;
	bool found = false;

	for (size_t i = 0; i < acl->n; i++) {
		const struct perm_acl_entry *e = &acl->e[i];

		switch (e->tag) {
		case ACL_USER_OBJ:
			if (c->uid == o->uid)
				return granted(e->perm, want);
			break;
		case ACL_USER:
			if (c->uid == e->id)
				return acl_masked(acl, i, want);
			break;
		case ACL_GROUP_OBJ:
		case ACL_GROUP:
			if (in_group(c, e->tag == ACL_GROUP_OBJ ? o->gid : e->id)) {
				found = true;
				if ((e->perm & want) == (unsigned)want)
					return acl_masked(acl, i, want);
			}
			break;
		case ACL_MASK:
			break;
		case ACL_OTHER:
			return found ? -EACCES : granted(e->perm, want);
		default:
			return -EAGAIN;
		}
	}
	return -EAGAIN;
}

/* acl_permission_check(): mode bits, or the ACL where there is one. */
static int dac_decide(const struct perm_caller *c, const struct perm_object *o, int mask)
{
	unsigned mode = o->mode;

	if (c->uid == o->uid)
		return granted((mode >> 6) & 7, mask);
	if (o->acl && (mode & S_IRWXG)) {
		int r = acl_decide(c, o, mask);

		if (r != -EAGAIN)
			return r;
	}
	if ((mask & (mode ^ (mode >> 3))) && in_group(c, o->gid))
		mode >>= 3;
	return granted(mode & 7, mask);
}

static bool has_cap(const struct perm_caller *c, int cap)
{
	/* See perm.h: only the mount namespace's root has capabilities. */
	return c->uid == 0 && (c->cap_eff & (UINT64_C(1) << cap));
}

int perm_decide(const struct perm_caller *c, const struct perm_object *o, int mask)
{
	mask &= PERM_R | PERM_W | PERM_X;
	if (dac_decide(c, o, mask) == 0)
		return 0;
	if (S_ISDIR(o->mode)) {
		if (!(mask & PERM_W) && has_cap(c, PERM_CAP_DAC_READ_SEARCH))
			return 0;
		return has_cap(c, PERM_CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if (mask == PERM_R && has_cap(c, PERM_CAP_DAC_READ_SEARCH))
		return 0;
	if ((!(mask & PERM_X) || (o->mode & 0111)) && has_cap(c, PERM_CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

static void parse_groups(struct perm_caller *c, const char *s)
{
	char *end;

	while (c->n_groups < PERM_MAX_GROUPS) {
		unsigned long g = strtoul(s, &end, 10);

		if (end == s)
			break;
		c->groups[c->n_groups++] = (gid_t)g;
		s = end;
	}
}

void perm_load_caller(struct perm_caller *c)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[4096];

	if (c->loaded)
		return;
	c->loaded = true;
	c->n_groups = 0;
	c->cap_eff = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->tid);
	f = fopen(path, "re");
	if (!f)
		return; /* no groups, no capabilities: the narrower answer */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7) == 0)
			parse_groups(c, line + 7);
		else if (strncmp(line, "CapEff:", 7) == 0)
			c->cap_eff = strtoull(line + 7, NULL, 16);
	}
}

/*
 * Whether the answer depends on the caller's supplementary groups.  They
 * can take access away as well as give it: a 0604 file of one of the
 * caller's groups is not readable by it, whatever "other" may do.
 */
static bool groups_matter(const struct perm_caller *c, const struct perm_object *o, int mask)
{
	if (c->uid == o->uid)
		return false;
	if (o->acl && (o->mode & S_IRWXG))
		return true; /* named groups */
	return (mask & (o->mode ^ (o->mode >> 3)) & 7) && c->gid != o->gid;
}

int perm_check(struct perm_caller *c, const struct perm_object *o, int mask)
{
	int r;

	if (!c->loaded && groups_matter(c, o, mask))
		perm_load_caller(c);
	r = perm_decide(c, o, mask);
	if (r == 0 || c->loaded)
		return r;
	perm_load_caller(c); /* capabilities */
	return perm_decide(c, o, mask);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int perm_acl_parse(const void *buf, size_t len, struct perm_acl *ret)
{
	const unsigned char *p = buf;
	size_t n;

	if (len < 4 || (len - 4) % 8 != 0 || le32(p) != ACL_XATTR_VERSION)
		return -EINVAL;
	n = (len - 4) / 8;
	if (n > PERM_MAX_ACL)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *e = p + 4 + 8 * i;

		ret->e[i].tag = e[0] | e[1] << 8;
		ret->e[i].perm = (e[2] | e[3] << 8) & 7;
		ret->e[i].id = le32(e + 4);
	}
	ret->n = n;
	return 0;
}
