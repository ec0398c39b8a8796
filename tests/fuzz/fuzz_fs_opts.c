/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fs_opts.c - amberfs's command line (fs/opts.c).
 *
 * The input is an argv, one argument per line (argv[0] = "amberfs"),
 * parsed as amberfs's main() does: a fuse_args handed to opts_parse(),
 * then opts_free() and fuse_opt_free_args().  The whole input is also
 * given, as one string, to the list splitter (common/optlist.h) and to
 * the path normalizer that synthdir= uses, which take option values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "log.h"
#include "optlist.h"
#include "opts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("amberfs");
	fuzz_quiet_stdout(); /* --help, --version */
	return 0;
}

static void fuzz_lists(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), *norm = NULL;
	struct strv v = { 0 };
	size_t bad = 0;

	if (!s)
		return;
	if (optlist_split(s, &v, &bad) == 0)
		strv_free(&v);
	if (opts_normalize_abs(s, &norm) == 0)
		free(norm);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_config cfg;
	char **argv = NULL;
	int argc = 0;

	fuzz_lists(data, size);
	if (fuzz_args_new(data, size, "amberfs", &argc, &argv) < 0)
		return 0;
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	(void)opts_parse(&args, &cfg);
	opts_free(&cfg);
	fuse_opt_free_args(&args);
	fuzz_args_free(argc, argv);
	return 0;
}
