/* SPDX-License-Identifier: MIT */
/*
 * fuzz_runner_seccomp.c - amber-run's seccomp profile reader
 * (runner/seccomp_filter.c: the Docker-format JSON of --seccomp FILE).
 *
 * The input is the profile file.  It is compiled as amber-run compiles
 * it, by seccomp_prog_get() without a cache (json-c, the rules handed to
 * libseccomp, the export of the BPF program), once with Docker's default
 * capability set and once with all capabilities, since "includes" and
 * "excludes" rules depend on them.  Nothing is loaded into the kernel.
 */
#include <stdint.h>

#include "caps.h"
#include "cleanup.h"
#include "fuzz_util.h"
#include "log.h"
#include "seccomp_filter.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_file file = { .fd = -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("amber-run");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t cap_sets[] = { CAPS_DEFAULT, CAPS_ALL };

	if (fuzz_file_init(&file) < 0 || fuzz_file_set(&file, data, size) < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(cap_sets); i++) {
		struct seccomp_prog prog = { 0 };

		if (seccomp_prog_get(SECCOMP_MODE_FILE, file.path, cap_sets[i], NULL, &prog) >= 0)
			seccomp_prog_free(&prog);
	}
	return 0;
}
