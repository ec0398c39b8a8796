/* SPDX-License-Identifier: MIT */
/*
 * idmap.h - the user namespace of a rootless import.
 *
 * With a subordinate id range (/etc/subuid and /etc/subgid, and the
 * newuidmap/newgidmap helpers of the uidmap package), an unprivileged
 * import runs as root of a user namespace mapped exactly like the one
 * amber-run gives a rootless container: 0 -> the caller, 1..N -> the
 * range.  Files then get the image's owners, as the container will see
 * them.  Without a range there is no such namespace; the import records
 * owners in xattrs instead (unpack.h, UNPACK_OWNERS_OVERRIDE).
 *
 * Commands that write or remove layer trees (import, gc) and verify (which
 * reads owners) enter the namespace; the others do not need to.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct image_idmap {
	uid_t uid;
	gid_t gid;
	unsigned long sub_uid, n_uid, sub_gid, n_gid;
};

/* True when the caller (not root) has both ranges and the helpers exist. */
bool image_idmap_plan(struct image_idmap *ret);

/*
 * Forks.  The child unshares a user namespace, waits for the parent to
 * write its maps, becomes uid/gid 0 in it and returns 0: it goes on with
 * the command.  The parent waits for the child and returns 1 with the
 * child's exit status in *ret_status.  -errno when the namespace cannot be
 * made (in the parent, nothing forked is left).
 */
int image_idmap_enter(const struct image_idmap *m, int *ret_status);
