/* SPDX-License-Identifier: MIT */
/*
 * seccomp_filter.h - the container's system call filter (libseccomp).
 *
 * The default profile is an allowlist in the spirit of Docker's: the
 * calls ordinary programs make are allowed; mount and the new mount API,
 * namespace creation (unshare/clone with CLONE_NEW*, setns), keyctl and
 * add_key, bpf, ptrace and process_vm_*, kernel modules, kexec, reboot,
 * clock setting, perf_event_open, userfaultfd, io_uring ... fail with EPERM,
 * clone3 with ENOSYS (so libc falls back to clone, whose flags a classic
 * filter can inspect).  Adding a capability re-allows what it governs, as
 * Docker does (--cap-add SYS_PTRACE allows ptrace, SYS_ADMIN mount, ...).
 * A FILE profile uses Docker's JSON format (subset: defaultAction,
 * defaultErrnoRet, syscalls[].names/action/errnoRet/args/includes/excludes);
 * it must be a regular file of at most 1 MiB, read once (input.h).
 */
#pragma once

#include <stdint.h>

#include "opts.h"

/* An opaque libseccomp filter: what seccomp_prog_get() compiles.  The
 * runner never holds one; the unit tests build one to check the rules. */
struct seccomp_filter;

/* mode DEFAULT or FILE; caps is the container's final capability set.
 * UNCONFINED returns NULL in *ret and 0. */
int seccomp_filter_build(enum seccomp_mode mode, const char *file, uint64_t caps,
			 struct seccomp_filter **ret);
void seccomp_filter_free(struct seccomp_filter *f);

/*
 * The classic-BPF program of a profile, as the kernel takes it.  The
 * runner compiles it before creating any namespace (a bad FILE profile is
 * reported at once) and caches it by a hash of everything it depends on
 * (profile rules or file contents, capability set, libseccomp version),
 * so a start with a warm cache compiles nothing.
 */
struct seccomp_prog {
	void *insns;  /* struct sock_filter[], NULL: unconfined */
	size_t n;
};
/* cache_dir NULL: no cache. */
int seccomp_prog_get(enum seccomp_mode mode, const char *file, uint64_t caps, const char *cache_dir,
		     struct seccomp_prog *ret);
/* Installs it on the calling thread (no_new_privs must be set). */
int seccomp_prog_load(const struct seccomp_prog *p);
void seccomp_prog_free(struct seccomp_prog *p);
/* $XDG_CACHE_HOME/amber-run, else /var/cache/amber-run for root and
 * ~/.cache/amber-run for others; created if missing.  NULL if impossible. */
char *seccomp_cache_dir(void);
