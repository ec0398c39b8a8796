/* SPDX-License-Identifier: MIT */
/*
 * fuzz_runner_envfile.c - amber-run's --env-file reader (env_add_file()
 * in runner/opts.c) and the -e entries it shares env_add() with.
 *
 * The input is the file, read twice into one environment list (the second
 * pass replaces every key the first one set, which exercises the "later
 * entries win" path), then each of its lines is also given as a -e value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "log.h"
#include "opts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_file file = { .fd = -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("amber-run");
	/* "-e KEY" copies KEY from our environment: give it one to find. */
	setenv("AMBER_FUZZ_SET", "value", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv env = { 0 };
	char **lines = NULL;
	int n = 0;

	if (fuzz_file_init(&file) < 0 || fuzz_file_set(&file, data, size) < 0)
		return 0;
	if (env_add_file(&env, file.path) >= 0)
		(void)env_add_file(&env, file.path);
	strv_free(&env);
	if (fuzz_args_new(data, size, "-", &n, &lines) < 0)
		return 0;
	for (int i = 1; i < n; i++)
		(void)env_add(&env, lines[i]);
	strv_free(&env);
	fuzz_args_free(n, lines);
	return 0;
}
