/* SPDX-License-Identifier: MIT */
/*
 * main.c - amber-log: the forensic reader of amberfs audit logs.
 * Dispatches to one command module; each parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "logtool.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "verify", cmd_verify, "check the chain, seq and completeness of a log series" },
	{ "show", cmd_show, "timeline of attempts, with filters (table, or --json)" },
	{ "summary", cmd_summary, "counts by path, executable, user and action" },
	{ "tree", cmd_tree, "process tree with each process's attempts" },
	{ "replay", cmd_replay, "apply the attempts to a scratch copy, report the change set" },
	{ "export", cmd_export, "NDJSON for SIEMs: --format ecs|ocsf" },
	{ "schema", cmd_schema, "the names in the log: kinds, actions, reasons, flags (or --json)" },
};

static void usage(FILE *f)
{
	fputs("Usage: amber-log COMMAND [options] LOG...\n"
	      "Several LOG files form one rotated series, oldest first (LOG.2 LOG.1 LOG).\n\nCommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fputs("\n'amber-log COMMAND --help' describes each command. See docs/amber-log.md.\n", f);
}

int main(int argc, char **argv)
{
	log_init("amber-log");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("amber-log %s\n", AMBER_VERSION);
		return EXIT_CLEAN;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
