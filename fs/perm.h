/* SPDX-License-Identifier: MIT */
/*
 * perm.h - who may read, search and execute what: the daemon's own
 * permission check.
 *
 * amberfs mounts without the kernel's default_permissions.  That check
 * would answer EACCES to a non-root writer before the daemon hears of the
 * attempt, where a read-only kernel overlayfs answers EROFS (its read-only
 * check comes first).  Without it every write intent reaches the gate, and
 * reads, searches and execs are checked here instead, with the kernel's
 * rules: owner, group (primary and supplementary), other; POSIX access
 * ACLs; CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
 *
 * The decision itself (perm_decide) is a pure function, table-tested.  The
 * caller's supplementary groups and capabilities are read from
 * /proc/<tid>/status only when the answer depends on them (a non-owner, on
 * an entry whose group and other bits differ for the request, or with an
 * ACL; a refusal that a capability could lift), which is uncommon:
 * the caller is blocked in its syscall until we reply, so the tid cannot
 * be reused meanwhile.  Capabilities are honoured for callers whose uid is
 * 0 in the mount's user namespace only: a process that made a user
 * namespace of its own has a full effective set there, but no power over
 * files of the mount's namespace, and we cannot see which namespace it is in.
 *
 * Thread-safe; no locks, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The mask bits, as access(2) and the kernel's MAY_* use them. */
enum {
	PERM_X = 1,
	PERM_W = 2,
	PERM_R = 4,
};

#define PERM_MAX_GROUPS 64
#define PERM_MAX_ACL 32

/* One POSIX ACL entry (the xattr's on-disk form, decoded). */
struct perm_acl_entry {
	uint16_t tag; /* ACL_USER_OBJ=1, ACL_USER=2, ACL_GROUP_OBJ=4, ACL_GROUP=8, ACL_MASK=16, ACL_OTHER=32 */
	uint16_t perm;
	uint32_t id;
};

struct perm_acl {
	size_t n;
	struct perm_acl_entry e[PERM_MAX_ACL];
};

/* What is being accessed: presented owner and mode, and its ACL if any. */
struct perm_object {
	uint32_t uid, gid, mode;
	const struct perm_acl *acl; /* NULL: none */
};

/* Who asks.  groups and caps are filled in by perm_load_caller(). */
struct perm_caller {
	uid_t uid;
	gid_t gid;
	pid_t tid;
	bool loaded;       /* groups and caps read (or failed: none assumed) */
	size_t n_groups;
	gid_t groups[PERM_MAX_GROUPS];
	uint64_t cap_eff;
};

#define PERM_CAP_DAC_OVERRIDE 1
#define PERM_CAP_DAC_READ_SEARCH 2

/*
 * 0 or -EACCES.  mask is PERM_R|PERM_W|PERM_X.  Decides from what *c
 * holds; when c->loaded is false and the answer is "no", the answer might
 * still be "yes" with supplementary groups or capabilities:
 * perm_check() handles that.
 */
int perm_decide(const struct perm_caller *c, const struct perm_object *o, int mask);

/* Reads Groups and CapEff of c->tid from /proc (once). */
void perm_load_caller(struct perm_caller *c);

/* perm_decide, loading the caller's groups and capabilities first where
 * the answer depends on them (groups can refuse as well as grant). */
int perm_check(struct perm_caller *c, const struct perm_object *o, int mask);

/* Decodes a system.posix_acl_access value; -EINVAL if malformed. */
int perm_acl_parse(const void *buf, size_t len, struct perm_acl *ret);

/* Whether every caller may search a directory with this mode and no ACL
 * (then what lies below it may be cached by the kernel for everyone). */
static inline bool perm_searchable_by_all(uint32_t mode)
{
	return (mode & 0111) == 0111;
}
