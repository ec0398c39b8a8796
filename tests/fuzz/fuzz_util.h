/* SPDX-License-Identifier: MIT */
/*
 * fuzz_util.h - what the fuzz targets share (see README.md beside this file).
 *
 * A target turns its input into what the parser takes from outside: an
 * argv (one argument per line of the input) or a file (a memfd, named by
 * its /proc/self/fd path, so the parser opens it with its own open/fopen
 * exactly as it opens a file named on the command line).  Everything here
 * belongs to the calling thread; libFuzzer runs one input at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Arguments beyond this are dropped (a command line is not a data format). */
#define FUZZ_MAX_ARGS 256

/*
 * Splits data on '\n' into argv[1..] (argv[0] = argv0), NULL-terminated.
 * A NUL byte ends its argument early, as it would in a real argv.  The
 * caller owns *ret_argv and frees it with fuzz_args_free().
 */
int fuzz_args_new(const uint8_t *data, size_t size, const char *argv0, int *ret_argc, char ***ret_argv);
void fuzz_args_free(int argc, char **argv);

/* A memfd that holds one input at a time; path names it for open(2). */
struct fuzz_file {
	int fd;
	char path[64];
};

/* Creates the memfd once (fd < 0 before the first call).  Returns 0 or -errno. */
int fuzz_file_init(struct fuzz_file *f);
/* Replaces the file's contents with size bytes at data.  Returns 0 or -errno. */
int fuzz_file_set(struct fuzz_file *f, const void *data, size_t size);

/* Sends stdout to /dev/null unless $AMBER_FUZZ_VERBOSE is set: the
 * commands print reports nobody reads while fuzzing. */
void fuzz_quiet_stdout(void);
