/* SPDX-License-Identifier: MIT */
/*
 * opts.h - amber-run's command line, parsed into one plain struct.
 *
 * Parsing is pure: it reads argv and the environment (for "-e KEY" and
 * --env-file), never touches a mount or a namespace, so the unit tests can
 * drive it table by table.  Values that need the file system (layers exist,
 * volume sources exist) are checked later, by spec_validate().
 * All strings in struct run_opts are owned by it; opts_free() releases them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "strv.h"

enum net_mode { NET_NONE, NET_HOST };

enum seccomp_mode { SECCOMP_MODE_DEFAULT, SECCOMP_MODE_UNCONFINED, SECCOMP_MODE_FILE };

/* Who the files of the image are shown as owned by (amberfs squash_to_root). */
enum owners_mode {
	OWNERS_AUTO,  /* root when rootless and the layers' owners cannot be mapped */
	OWNERS_IMAGE, /* the layers' owners, as the user namespace maps them */
	OWNERS_ROOT,  /* every file owned by root */
};

struct run_opts {
	struct strv layers;     /* top first, unescaped (common/optlist.h) */
	struct strv tmpfs;      /* raw "DST[:opts]" */
	struct strv volumes;    /* raw "SRC:DST[:ro|rw]" */
	struct strv ro_binds;   /* raw "SRC:DST" */
	struct strv env;        /* "KEY=VAL", later entries win */
	char *workdir;
	char *user;             /* raw "UID[:GID]" or names, resolved in the image */
	char *hostname;
	char *name;             /* container name: default log file name */
	char *log_path;
	uint64_t log_max_size;  /* bytes, 0: no rotation (amberfs log_max_size=) */
	unsigned log_keep;      /* rotated files kept (amberfs log_keep=, 0: none) */
	char *seccomp_file;
	enum net_mode net;
	enum owners_mode owners;
	enum seccomp_mode seccomp;
	uint64_t cap_add;       /* bit masks of CAP_* numbers */
	uint64_t cap_drop;
	bool tty, no_init, quiet, help, version;
	struct strv argv;       /* the command (may be empty for an image) */
	/* The image side (runner/target.h). */
	char *target;           /* the first argument: layers, IMAGE or TRANSPORT:REF */
	char *entrypoint;       /* --entrypoint ("" clears the image's), NULL: unset */
	char *store;            /* --store DIR, NULL: the default image store */
	int stop_signal;        /* the image's StopSignal, sent for SIGTERM; 0: SIGTERM */
	struct strv fs_options; /* more amberfs -o options (an image's) */
};

/* The audit log is capped unless asked otherwise: a flood of refused
 * writes must not fill the disk (at most 64 MiB x (1 + 4 rotated files)). */
#define LOG_MAX_SIZE_DEFAULT (64ULL << 20)
#define LOG_MAX_SIZE_MIN 4096ULL /* what amberfs accepts */
#define LOG_KEEP_DEFAULT 4u
#define LOG_KEEP_MAX 1000u

enum opts_result {
	OPTS_RUN = 0,       /* run the container */
	OPTS_EXIT_OK = 1,   /* --help / --version printed: exit 0 */
};

/*
 * Parses argv into *ret (which it initializes).  Returns OPTS_RUN or
 * OPTS_EXIT_OK, or -EINVAL after printing one message that names the bad
 * argument; *ret is then freed again.
 */
int opts_parse(int argc, char **argv, struct run_opts *ret);
void opts_free(struct run_opts *o);

/* Adds one env entry ("KEY=VAL", or "KEY" taken from our environment). */
int env_add(struct strv *env, const char *entry);
/* Reads KEY=VAL lines (blank lines and '#' comments skipped) from a
 * regular file of at most 1 MiB. */
int env_add_file(struct strv *env, const char *path);

void opts_usage(FILE *f);
