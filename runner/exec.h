/* SPDX-License-Identifier: MIT */
/*
 * exec.h - the last steps in the command's own process, after pivot_root:
 * user and groups, working directory, capabilities, no_new_privs,
 * seccomp, execve.  Exit codes (exitcode.h): EXIT_NOT_FOUND, EXIT_CANNOT_EXEC,
 * and EXIT_RUNNER when a step before exec fails.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "seccomp_filter.h"

struct exec_user {
	uid_t uid;
	gid_t gid;
	char *home;      /* from the image's /etc/passwd, or "/" */
	char *name;      /* NULL when the uid has no passwd entry */
	gid_t groups[64];
	int n_groups;
};

/* Resolves "UID[:GID]" or "NAME[:GROUP]" (NULL = root) in the image's
 * /etc/passwd and /etc/group (paths given for tests). */
int exec_user_resolve(const char *spec, const char *passwd, const char *group, struct exec_user *ret);
void exec_user_free(struct exec_user *u);

struct exec_config {
	char **argv;
	char **env;                    /* HOME is added when missing */
	const char *workdir;           /* NULL: the user's home if root-owned?, else "/" */
	const struct exec_user *user;
	uint64_t caps;
	const struct seccomp_prog *seccomp; /* insns NULL: unconfined */
	int tty_fd;                    /* slave side of the pty, or -1 */
};

/* Never returns. */
_Noreturn void exec_command(const struct exec_config *c);
