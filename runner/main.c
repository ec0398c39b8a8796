/* SPDX-License-Identifier: MIT */
/*
 * main.c - amber-run: a rootless, read-only container runner whose root is
 * an amberfs mount.  Parses the options and hands them to run_container();
 * see run.h for the process model and docs/amber-run.md for the manual.
 */
#include <stdio.h>

#include "exitcode.h"
#include "log.h"
#include "opts.h"
#include "run.h"
#include "target.h"

int main(int argc, char **argv)
{
	struct run_opts o;
	int r, code;

	log_init("amber-run");
	r = opts_parse(argc, argv, &o);
	if (r < 0)
		return EXIT_RUNNER;
	if (r == OPTS_EXIT_OK) {
		if (o.version)
			printf("amber-run %s\n", AMBER_VERSION);
		else
			opts_usage(stdout);
		opts_free(&o);
		return 0;
	}
	if (target_resolve(&o) < 0) {
		opts_free(&o);
		return EXIT_RUNNER;
	}
	code = run_container(&o);
	opts_free(&o);
	return code;
}
