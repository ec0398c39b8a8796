/* SPDX-License-Identifier: MIT */
/*
 * subid.h - a user's subordinate id range, from /etc/subuid or /etc/subgid,
 * for the programs that make user namespaces mapped onto it (amber-run's
 * containers, amber-image's rootless imports).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Looks up the first "NAME-or-ID:START:COUNT" line of file for the user
 * (name may be NULL: the numeric id only) with COUNT > 0.  Writes *start and
 * *count and returns true when there is one; false when there is none or
 * the file cannot be read.  Lines are read up to 4 KiB each, at most 100000.
 */
bool subid_lookup(const char *file, const char *name, unsigned long id, unsigned long *start, unsigned long *count);

/*
 * Runs the setuid helper prog (newuidmap or newgidmap) to give process pid
 * the map "0 -> id (1 id), 1.. -> sub (n ids)", the one amber-run's
 * containers and amber-image's imports use.  0, or -errno (-EPERM when the
 * helper failed).
 */
int subid_write_map(const char *prog, pid_t pid, unsigned long id, unsigned long sub, unsigned long n);
