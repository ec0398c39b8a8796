/* SPDX-License-Identifier: MIT */
/*
 * main.c - amber-image: import OCI and Docker archives into a verified
 * layer store, and inspect, verify, mount or remove what it holds.
 * Parses the command line and calls libamberimage (image.h); see
 * docs/images.md for the manual.
 *
 * Exit status: 0 success; 1 verify found drift; 2 anything failed (the
 * message says what) or the command line was wrong.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "image.h"
#include "log.h"
#include "parse.h"

#ifndef AMBERFS_BUILD_PATH
#define AMBERFS_BUILD_PATH ""
#endif
#ifndef AMBER_IMAGE_BUILD_PATH
#define AMBER_IMAGE_BUILD_PATH ""
#endif
#ifndef AMBER_BINDIR
#define AMBER_BINDIR "/usr/local/bin"
#endif

#define EXIT_DRIFT 1
#define EXIT_FAIL 2

struct cli {
	const char *store, *mount_opts;
	bool quiet, json;
	uint64_t max_entry;
	char **args; /* positional: command and its arguments */
	int n_args;
};

static void usage(FILE *f)
{
	fputs("usage: amber-image [--store DIR] [--quiet] COMMAND ...\n"
	      "  import SOURCE [NAME[:TAG]]   import an image; SOURCE is one of\n"
	      "                               oci:DIR[:REF]  oci-archive:FILE[:REF]\n"
	      "                               docker-archive:FILE[:NAME:TAG]\n"
	      "  list [--json]                the images in the store\n"
	      "  inspect IMAGE                name, id, digests, layers and config (JSON)\n"
	      "  config IMAGE [--json]        Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, Labels\n"
	      "  layers IMAGE                 the lowerdir string of its layers (top first)\n"
	      "  mount IMAGE MNT [-o OPTS]    serve it read-only with amberfs at MNT (OPTS: more amberfs options)\n"
	      "  verify [IMAGE] [--json]      re-check unpacked layers against their import manifests\n"
	      "  rm IMAGE...                  remove names (their layers stay until gc)\n"
	      "  gc                           remove layers and blobs no image uses\n"
	      "Options:\n"
	      "  --store DIR          the store (default: /var/lib/amber for root,\n"
	      "                       $XDG_DATA_HOME/amber or ~/.local/share/amber for a user)\n"
	      "  -q, --quiet          no progress, no warnings\n"
	      "  --json               JSON output (list, config, verify)\n"
	      "  --max-file-size SIZE refuse layer entries larger than SIZE (default 16G)\n"
	      "  -v, --verbose        debug messages\n"
	      "IMAGE is NAME[:TAG] (default tag latest) or an id (sha256:HEX or 12+ hex digits).\n"
	      "Exit status: 0 ok, 1 verify found drift, 2 failure.\n",
	      f);
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	enum { OPT_STORE = 256, OPT_JSON, OPT_MAX_FILE, OPT_VERSION };
	static const struct option opts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "max-file-size", required_argument, NULL, OPT_MAX_FILE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	int o;

	while ((o = getopt_long(argc, argv, "qvho:", opts, NULL)) >= 0) {
		switch (o) {
		case OPT_STORE:
			c->store = optarg;
			break;
		case 'q':
			c->quiet = true;
			log_set_level(LOG_LEVEL_ERROR);
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_MAX_FILE:
			if (parse_size(optarg, &c->max_entry) < 0 || c->max_entry == 0) {
				log_error("--max-file-size: '%s' is not a size", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			c->mount_opts = optarg;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("amber-image %s\n", AMBER_VERSION);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	c->args = argv + optind;
	c->n_args = argc - optind;
	if (c->n_args < 1) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static bool want_args(const struct cli *c, int min, int max)
{
	if (c->n_args - 1 >= min && c->n_args - 1 <= max)
		return true;
	log_error("%s: wrong number of arguments (see amber-image --help)", c->args[0]);
	return false;
}

static const char *amberfs_binary(void)
{
	const char *e = getenv("AMBERFS");
	char self[4096];
	ssize_t n;

	if (e && *e)
		return e;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if (strcmp(self, AMBER_IMAGE_BUILD_PATH) == 0 && access(AMBERFS_BUILD_PATH, X_OK) == 0)
			return AMBERFS_BUILD_PATH;
	}
	if (access(AMBER_BINDIR "/amberfs", X_OK) == 0)
		return AMBER_BINDIR "/amberfs";
	return "amberfs"; /* PATH */
}

static int cmd_mount(struct image_store *s, const struct cli *c)
{
	struct image_resolved *img = NULL;
	_cleanup_free_ char *lower = NULL, *opts = NULL;
	const char *fs = amberfs_binary();
	int r;

	if ((r = image_resolve(s, c->args[1], &img)) < 0)
		return r;
	r = image_lowerdir(img, &lower);
	image_resolved_free(img);
	if (r < 0)
		return r;
	/* xattr_permissions=2: the owners and modes a rootless import kept in
	 * user.containers.override_stat (the store drops that xattr from
	 * images, so every one there was written by the import). */
	if (asprintf(&opts, "lowerdir=%s,xattr_permissions=2%s%s", lower, c->mount_opts ? "," : "",
		     c->mount_opts ? c->mount_opts : "") < 0)
		return -ENOMEM;
	store_close(s); /* amberfs outlives us: drop the store lock first */
	execlp(fs, fs, "-o", opts, c->args[2], (char *)NULL);
	return log_error_errno(-errno, "cannot run amberfs ('%s'): %m", fs);
}

static int cmd_resolved(struct image_store *s, const struct cli *c)
{
	struct image_resolved *img = NULL;
	_cleanup_free_ char *lower = NULL;
	const char *cmd = c->args[0];
	int r;

	if ((r = image_resolve(s, c->args[1], &img)) < 0)
		return r;
	if (strcmp(cmd, "inspect") == 0)
		r = image_print_inspect(img, stdout);
	else if (strcmp(cmd, "config") == 0)
		r = image_print_config(img, stdout);
	else if ((r = image_lowerdir(img, &lower)) >= 0)
		r = printf("%s\n", lower) < 0 ? -EIO : 0;
	image_resolved_free(img);
	return r;
}

static int cmd_import(struct image_store *s, const struct cli *c, bool in_userns)
{
	_cleanup_free_ char *name = NULL;
	struct image_import_opts o = {
		.source = c->args[1],
		.name = c->n_args > 2 ? c->args[2] : NULL,
		.owners = geteuid() == 0 ? UNPACK_OWNERS_NATIVE : UNPACK_OWNERS_OVERRIDE,
		.in_userns = in_userns,
		.progress = !c->quiet && isatty(STDERR_FILENO),
		.max_entry_size = c->max_entry,
	};
	int r = image_import(s, &o, &name);

	if (r >= 0 && !c->quiet)
		printf("%s\n", name);
	return r;
}

/* Commands that write layer trees or read their owners run as root of the
 * import's user namespace, when the user has a subordinate range. */
static bool needs_userns(const char *cmd)
{
	return strcmp(cmd, "import") == 0 || strcmp(cmd, "verify") == 0 || strcmp(cmd, "gc") == 0;
}

static int run(const struct cli *c, const char *store_path, bool in_userns)
{
	const char *cmd = c->args[0];
	bool exclusive = strcmp(cmd, "rm") == 0 || strcmp(cmd, "gc") == 0;
	struct image_store *s = NULL;
	int r;

	if ((r = store_open(store_path, strcmp(cmd, "import") == 0, exclusive, &s)) < 0)
		return r;
	if (strcmp(cmd, "import") == 0)
		r = want_args(c, 1, 2) ? cmd_import(s, c, in_userns) : -EINVAL;
	else if (strcmp(cmd, "list") == 0)
		r = want_args(c, 0, 0) ? image_list(s, c->json, stdout) : -EINVAL;
	else if (strcmp(cmd, "inspect") == 0 || strcmp(cmd, "config") == 0 || strcmp(cmd, "layers") == 0)
		r = want_args(c, 1, 1) ? cmd_resolved(s, c) : -EINVAL;
	else if (strcmp(cmd, "mount") == 0)
		r = want_args(c, 2, 2) ? cmd_mount(s, c) : -EINVAL;
	else if (strcmp(cmd, "verify") == 0)
		r = want_args(c, 0, 1) ? image_verify(s, c->n_args > 1 ? c->args[1] : NULL, c->json, stdout) : -EINVAL;
	else if (strcmp(cmd, "rm") == 0) {
		r = want_args(c, 1, 1000) ? 0 : -EINVAL;
		for (int i = 1; i < c->n_args && r >= 0; i++)
			r = image_remove(s, c->args[i]);
	} else if (strcmp(cmd, "gc") == 0)
		r = want_args(c, 0, 0) ? image_gc(s, stdout) : -EINVAL;
	else
		r = log_error_errno(-EINVAL, "unknown command '%s' (see amber-image --help)", cmd);
	store_close(s);
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *store_path = NULL;
	struct image_idmap map;
	struct cli c = { 0 };
	bool in_userns = false;
	int r, status;

	log_init("amber-image");
	r = parse_cli(argc, argv, &c);
	if (r != 0)
		return r > 0 ? 0 : EXIT_FAIL;
	if (c.store)
		store_path = strdup(c.store);
	else if (store_default_path(&store_path) < 0)
		return EXIT_FAIL;
	if (!store_path)
		return EXIT_FAIL;
	if (needs_userns(c.args[0]) && image_idmap_plan(&map)) {
		r = image_idmap_enter(&map, &status);
		if (r < 0)
			return EXIT_FAIL;
		if (r > 0)
			return status; /* the parent: the child did the work */
		in_userns = true;
	}
	r = run(&c, store_path, in_userns);
	if (r < 0)
		return EXIT_FAIL;
	return r > 0 ? EXIT_DRIFT : 0;
}
