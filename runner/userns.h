/* SPDX-License-Identifier: MIT */
/*
 * userns.h - the user namespace of a rootless container.
 *
 * The caller becomes root (uid/gid 0) inside.  When /etc/subuid and
 * /etc/subgid give the caller a range and newuidmap/newgidmap exist, ids
 * 1..N map onto that range (so -u 1000 works); otherwise only 0 is mapped
 * (a single-id map, which an unprivileged process may write itself).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct idmap {
	uid_t uid; /* the caller's ids: 0 inside */
	gid_t gid;
	unsigned long sub_uid, n_uid; /* subordinate ranges, n = 0: none */
	unsigned long sub_gid, n_gid;
};

/* Looks up the caller's subordinate ranges. */
void userns_plan(struct idmap *ret);
/* Writes /proc/PID/{uid_map,setgroups,gid_map} (after the child unshared). */
int userns_write_maps(pid_t pid, const struct idmap *m);
