/* SPDX-License-Identifier: MIT */
/*
 * fuzz_logtool_replay.c - "amber-log replay" over a hostile log
 * (logtool/replay.c, changeset.c): the attempts are applied, with real
 * system calls, to a scratch tree that replay resolves every path in with
 * openat2(RESOLVE_IN_ROOT).
 *
 * The input is one log file (a memfd), replayed with --layers IMAGE
 * --onto SCRATCH: IMAGE is a small tree made once (the paths the seed logs
 * name, so that renames, unlinks and chmods find something).  As root the
 * scratch tree is replay's own kernel overlay (its default mode: the first
 * run moves this process into a private mount namespace, each later run
 * into a new one); otherwise, or with $AMBER_FUZZ_REPLAY_COPY set, --copy,
 * which forks cp -a for every run and is several times slower.  SCRATCH,
 * under a private temporary directory ($TMPDIR, else /dev/shm), is
 * unmounted and removed after each run.  Inputs of odd length run with
 * --json.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuzz_util.h"
#include "log.h"
#include "logtool.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_file file = { .fd = -1 };
static char base[4096], image[4200], onto[4200], merged[4300];
static bool overlay;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		fprintf(stderr, "fuzz: cannot remove '%s': %m\n", path);
	return 0;
}

/* Unlike unprivileged users, root needs no chmod to empty a mode-000
 * directory; as another user, make each directory writable first. */
static int make_writable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		(void)chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static void remove_tree(const char *path)
{
	if (geteuid() != 0)
		(void)nftw(path, make_writable, 16, FTW_PHYS);
	(void)nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The image: directories end in '/'. */
static void make_image(void)
{
	static const char *const paths[] = {
		"/",       "/etc/",      "/etc/passwd", "/etc/hosts",   "/etc/shadow", "/data/",    "/data/a",
		"/data/c", "/data/sub/", "/data/full/", "/data/full/x", "/var/",       "/var/log/", "/var/log/app.log",
		"/tmp/",
	};

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		char p[4400];
		size_t l = strlen(paths[i]);
		int fd;

		snprintf(p, sizeof(p), "%s/image%s", base, paths[i]);
		if (paths[i][l - 1] == '/') {
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				goto fail;
			continue;
		}
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, "x\n", 2) != 2)
			goto fail;
		close(fd);
	}
	snprintf(image, sizeof(image), "%s/image", base);
	return;
fail:
	fprintf(stderr, "fuzz: cannot make the image under '%s': %m\n", base);
	abort();
}

static void cleanup(void)
{
	if (base[0])
		remove_tree(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	log_init("amber-log");
	fuzz_quiet_stdout();
	/* A tmpfs: on ext4, creating and deleting the scratch tree thousands
	 * of times a minute spends most of the run in inode allocation. */
	if (!tmp || tmp[0] != '/')
		tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
													 : "/tmp";
	snprintf(base, sizeof(base), "%s/amber-fuzz-replay-XXXXXX", tmp);
	if (!mkdtemp(base)) {
		fprintf(stderr, "fuzz: mkdtemp '%s': %m\n", base);
		abort();
	}
	snprintf(onto, sizeof(onto), "%s/onto", base);
	snprintf(merged, sizeof(merged), "%s/merged", onto);
	overlay = geteuid() == 0 && !getenv("AMBER_FUZZ_REPLAY_COPY");
	atexit(cleanup);
	make_image();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[10] = { "replay", "--layers", image, "--onto", onto };
	int argc = 5;

	if (fuzz_file_init(&file) < 0 || fuzz_file_set(&file, data, size) < 0)
		return 0;
	if (!overlay)
		argv[argc++] = "--copy";
	if (size & 1)
		argv[argc++] = "--json";
	argv[argc++] = file.path;
	optind = 0;
	(void)cmd_replay(argc, argv);
	/* replay unmounts its overlay, but not on every error path */
	if (overlay)
		(void)umount2(merged, MNT_DETACH);
	remove_tree(onto);
	return 0;
}
