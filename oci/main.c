/* SPDX-License-Identifier: MIT */
/*
 * main.c - amber-oci: an OCI runtime (runc's command line) that runs the
 * container on an amberfs root and delegates everything else to crun or
 * runc.  See docs/oci-runtime.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cleanup.h"
#include "commands.h"
#include "log.h"
#include "runtime.h"
#include "sink.h"

static void usage(FILE *f)
{
	fputs("usage: amber-oci [--runtime-binary PATH] [RUNTIME GLOBAL OPTIONS] COMMAND [ARGS...]\n"
	      "\n"
	      "An OCI runtime: create puts the container's root on an amberfs mount\n"
	      "(every write refused and logged); every command is passed to crun or\n"
	      "runc with the same global options (--root, --log, --log-format,\n"
	      "--systemd-cgroup, --rootless, --debug, ...).\n"
	      "\n"
	      "  --runtime-binary PATH  the runtime to wrap (also $AMBER_OCI_RUNTIME;\n"
	      "                         default crun, or runc where crun cannot run)\n"
	      "  annotation org.amber.log=FILE  the audit log (default\n"
	      "                         /var/log/amber/ID.log, rootless ~/.local/state/amber/ID.log)\n",
	      f);
}

static int run(int argc, char **argv, const char **fwd)
{
	_cleanup_free_ char **rargv = NULL;
	struct oci_globals g;
	const char *cmd;
	char **args;
	size_t n;
	int ci, r;

	r = args_globals(argc, argv, fwd, &g, &ci);
	if (r < 0)
		return r;
	if (g.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	r = sink_open(g.log, g.log_format);
	if (r < 0)
		return r;
	if (g.help || (ci >= argc && !g.version)) {
		usage(g.help ? stdout : stderr);
		return g.help ? 0 : 2;
	}
	if (g.version) {
		printf("amber-oci version %s (runtime: %s)\n", AMBER_VERSION, runtime_pick(&g));
		fflush(stdout);
	}
	cmd = ci < argc ? argv[ci] : NULL;
	args = argv + ci + (cmd ? 1 : 0);
	n = argc - ci - (cmd ? 1 : 0);
	log_debug("%s %s, runtime %s", cmd ? cmd : "(version)", n ? args[n - 1] : "", runtime_pick(&g));
	if (cmd && strcmp(cmd, "create") == 0)
		return cmd_create(&g, args, n);
	if (cmd && strcmp(cmd, "delete") == 0)
		return cmd_delete(&g, args, n);
	if (cmd && strcmp(cmd, "state") == 0)
		return cmd_state(&g, args, n);
	if (cmd && strcmp(cmd, "run") == 0)
		return log_error_errno(-EOPNOTSUPP, "'run' is not supported: use create, then start");
	r = runtime_argv(&g, cmd, args, n, &rargv);
	if (r < 0)
		return r;
	return runtime_exec(rargv);
}

int main(int argc, char **argv)
{
	const char **fwd = calloc(argc + 1, sizeof(*fwd));
	int r;

	log_init("amber-oci");
	if (!fwd)
		return 1;
	r = run(argc, argv, fwd);
	free(fwd);
	return r < 0 ? 1 : r;
}
