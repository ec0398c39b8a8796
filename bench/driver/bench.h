/* amber-bench: the timing driver of the benchmark suite.
 *
 * Each subcommand runs one workload against a directory tree (a mount or a
 * plain directory), times it with CLOCK_MONOTONIC and prints exactly one
 * JSON object on stdout: {"ns":..,"ops":..,"bytes":..,"errors":..} plus
 * workload-specific fields.  The shell orchestrator (bench/run) adds the
 * system/workload/iteration labels; nothing here knows about systems.
 *
 * Functions return >= 0 on success and -errno on failure; only main.c
 * prints diagnostics. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct result {
	uint64_t ns;     /* wall time of the measured part */
	uint64_t ops;    /* operations the workload counts */
	uint64_t bytes;  /* bytes read, where it applies */
	uint64_t errors; /* unexpected outcomes (should stay 0) */
};

uint64_t now_ns(void);
void result_print(const struct result *r, const char *extra_json);

/* walk.c: whole-tree walks from ROOT. */
int walk_stat(const char *root, struct result *ret);
int walk_readdir(const char *root, struct result *ret);
int walk_readall(const char *root, struct result *ret);

/* list.c: a file holding one relative path per line. */
struct pathlist {
	char **paths;
	size_t n;
};
int pathlist_load(const char *file, struct pathlist *ret);
void pathlist_free(struct pathlist *l);

/* ops.c: rate workloads over a path list, relative to ROOT. */
int ops_openclose(const char *root, const struct pathlist *l, uint64_t n, struct result *ret);
int ops_neglookup(const char *root, const struct pathlist *dirs, uint64_t n, struct result *ret);
int ops_compile(const char *root, const struct pathlist *incdirs, const struct pathlist *headers, unsigned units,
		struct result *ret);
int ops_refused(const char *root, const struct pathlist *l, double seconds, struct result *ret);
int ops_contention(const char *root, const struct pathlist *l, double seconds, unsigned flooders,
		   struct result *ret_alone, struct result *ret_flood, struct result *ret_writes);

/* spawn.c: start a mount command, time until PROBE answers stat(). */
int spawn_mount(char **argv, const char *probe, const char *logfile, const char *pidfile, double timeout_s,
		bool wait_exit, struct result *ret, int *ret_pid);
