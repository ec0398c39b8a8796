/* SPDX-License-Identifier: MIT */
/*
 * fuzz_runner_opts.c - amber-run's command line (runner/opts.c) and what
 * the runner makes of it before anything is mounted (runner/spec.c): the
 * --tmpfs, -v and --ro-bind values become a mount list, which is checked
 * against the whitelist.
 *
 * The input is an argv, one argument per line (argv[0] = "amber-run").
 * Inputs that name an --env-file are skipped: the file would be any file
 * of this machine, so what an input covers would depend on the machine;
 * the env-file reader has a target of its own (fuzz_runner_envfile.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "log.h"
#include "opts.h"
#include "spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("amber-run");
	fuzz_quiet_stdout();
	return 0;
}

/* getopt_long takes any unambiguous prefix: "--env-" already is --env-file. */
static bool names_env_file(int argc, char **argv)
{
	static const char opt[] = "--env-file";

	for (int i = 1; i < argc; i++) {
		size_t n = strcspn(argv[i], "=");

		if (n >= strlen("--env-") && n <= strlen(opt) && strncmp(argv[i], opt, n) == 0)
			return true;
	}
	return false;
}

static void fuzz_spec(const struct run_opts *o)
{
	struct spec s = { 0 };
	struct strv synth = { 0 };

	if (spec_build(o, NULL, &s) < 0)
		return;
	if (spec_validate(&s, false) >= 0)
		(void)spec_synthdirs(&s, &synth);
	strv_free(&synth);
	spec_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_opts o;
	char **argv = NULL;
	int argc = 0;

	if (fuzz_args_new(data, size, "amber-run", &argc, &argv) < 0)
		return 0;
	if (!names_env_file(argc, argv) && opts_parse(argc, argv, &o) >= 0) {
		fuzz_spec(&o);
		opts_free(&o);
	}
	fuzz_args_free(argc, argv);
	return 0;
}
