/* SPDX-License-Identifier: MIT */
/*
 * fuzz_logtool.c - amber-log's input path: the line reader
 * (logtool/reader.c), the record scanner (record.c), the lazy json-c
 * view of a record and every read-only command that consumes them.
 *
 * The input is a log series: form feeds (0x0c, which a log never holds:
 * JSON forbids it outside strings, and inside them as a raw byte) split it
 * into at most four files, oldest first.  Each file is a memfd named by
 * its /proc/self/fd path, and each command is called through its cmd_*()
 * entry point with a real argv, exactly as main.c dispatches it, so the
 * option handling, the series scanner and the command's own use of the
 * records all run.  replay, which writes to a scratch tree, has a target
 * of its own (fuzz_logtool_replay.c).
 */
#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "log.h"
#include "logtool.h"

#define MAX_FILES 4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_file files[MAX_FILES] = {
	{ .fd = -1 },
	{ .fd = -1 },
	{ .fd = -1 },
	{ .fd = -1 },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("amber-log");
	fuzz_quiet_stdout();
	return 0;
}

/* Splits the input at form feeds into the memfds; returns how many files. */
static size_t load_series(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	size_t n = 0;

	while (n < MAX_FILES) {
		const uint8_t *ff = n + 1 < MAX_FILES ? memchr(p, '\f', (size_t)(end - p)) : NULL;
		size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);

		if (fuzz_file_init(&files[n]) < 0 || fuzz_file_set(&files[n], p, len) < 0)
			return 0;
		n++;
		if (!ff)
			break;
		p = ff + 1;
	}
	return n;
}

static void run(int (*cmd)(int, char **), const char *const *opts, size_t n_files)
{
	char *argv[16 + MAX_FILES + 1];
	int argc = 0;

	for (; *opts; opts++)
		argv[argc++] = (char *)*opts;
	for (size_t i = 0; i < n_files; i++)
		argv[argc++] = files[i].path;
	argv[argc] = NULL;
	optind = 0; /* main() calls one command per process; we call many */
	(void)cmd(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const verify[] = { "verify", NULL };
	static const char *const show[] = { "show", NULL };
	static const char *const show_json[] = { "show", "--json", "--all", NULL };
	static const char *const show_when[] = { "show",     "--since",    "2026-11-29T11:04:45.5Z",
						 "--until",  "2026-11-30", "--path",
						 "/etc/*",   "--action",   "open_write",
						 "--action", "rename",     NULL };
	static const char *const show_who[] = { "show",   "--json", "--pid", "100",    "--uid", "0",
						"--name", "s*",     "--exe", "/bin/*", NULL };
	static const char *const summary[] = { "summary", NULL };
	static const char *const summary_json[] = { "summary", "--json", "--top", "2", NULL };
	static const char *const tree[] = { "tree", NULL };
	static const char *const tree_json[] = { "tree", "--json", NULL };
	static const char *const ecs[] = { "export", "--format", "ecs", "--hostname", "h", NULL };
	static const char *const ocsf[] = { "export", "--format", "ocsf", NULL };
	size_t n = load_series(data, size);

	if (n == 0)
		return 0;
	run(cmd_verify, verify, n);
	run(cmd_show, show, n);
	run(cmd_show, show_json, n);
	run(cmd_show, show_when, n);
	run(cmd_show, show_who, n);
	run(cmd_summary, summary, n);
	run(cmd_summary, summary_json, n);
	run(cmd_tree, tree, n);
	run(cmd_tree, tree_json, n);
	run(cmd_export, ecs, n);
	run(cmd_export, ocsf, n);
	return 0;
}
