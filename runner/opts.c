/* SPDX-License-Identifier: MIT */
/*
 * opts.c - getopt_long table for amber-run (see opts.h).
 *
 * Options stop at the first non-option word (the layer list), as in
 * "docker run": everything after the layers is the command, untouched.
 */
#include "opts.h"
#include "target.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "input.h"
#include "log.h"
#include "optlist.h"
#include "parse.h"

void opts_free(struct run_opts *o)
{
	strv_free(&o->layers);
	strv_free(&o->tmpfs);
	strv_free(&o->volumes);
	strv_free(&o->ro_binds);
	strv_free(&o->env);
	strv_free(&o->argv);
	free(o->workdir);
	free(o->user);
	free(o->hostname);
	free(o->name);
	free(o->log_path);
	free(o->seccomp_file);
	free(o->target);
	free(o->entrypoint);
	free(o->store);
	strv_free(&o->fs_options);
	*o = (struct run_opts){ 0 };
}

static bool env_key_valid(const char *k, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (k[i] == '\0' || k[i] == '=')
			return false;
	return true;
}

int env_add(struct strv *env, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);
	_cleanup_free_ char *kv = NULL;

	if (!env_key_valid(entry, klen))
		return log_error_errno(-EINVAL, "invalid environment entry '%s': expected KEY=VALUE or KEY", entry);
	if (!eq) {
		const char *v = getenv(entry);

		if (!v) /* As docker: "-e KEY" with KEY unset adds nothing. */
			return 0;
		if (asprintf(&kv, "%s=%s", entry, v) < 0)
			return -ENOMEM;
		entry = kv;
	}
	/* Later entries override: drop an earlier one with the same key. */
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], entry, klen) == 0 && env->v[i][klen] == '=') {
			free(env->v[i]);
			memmove(env->v + i, env->v + i + 1, (env->n - i) * sizeof(char *));
			env->n--;
			break;
		}
	return strv_push(env, entry);
}

int env_add_file(struct strv *env, const char *path)
{
	_cleanup_free_ char *text = NULL;
	char *cursor, *line;
	unsigned lineno = 0;
	size_t len;
	int r;

	r = input_read("--env-file", path, INPUT_MAX_CONFIG, &text, &len);
	if (r < 0)
		return r;
	if (strlen(text) != len)
		return log_error_errno(-EINVAL, "--env-file '%s' contains a NUL byte", path);
	cursor = text;
	while ((line = input_next_line(&cursor))) {
		size_t l = strlen(line);
		char *p = line;

		lineno++;
		while (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		r = env_add(env, p);
		if (r < 0)
			return log_error_errno(r, "--env-file '%s': line %u is not KEY=VALUE", path, lineno);
	}
	return 0;
}

void opts_usage(FILE *f)
{
	fputs("usage: amber-run [OPTIONS] LAYER[:LAYER...] [--] COMMAND [ARG...]\n"
	      "       amber-run [OPTIONS] IMAGE|TRANSPORT:REF [[--] COMMAND [ARG...]]\n"
	      "Run COMMAND in a container whose root is the read-only amberfs merge of\n"
	      "the layers (top first, as overlayfs lowerdir). Every refused write is logged.\n"
	      "The first argument is\n"
	      "  - a transport reference (oci:DIR[:REF], oci-archive:FILE[:REF],\n"
	      "    docker-archive:FILE[:NAME:TAG]): imported into the image store on first\n"
	      "    use (amber-image import), then run as an image;\n"
	      "  - a layer list when it holds a '/', starts with '.', or every ':'-separated\n"
	      "    part is an existing directory;\n"
	      "  - otherwise an image of the store (NAME[:TAG] or id; see amber-image list).\n"
	      "An image runs its Entrypoint and Cmd (COMMAND replaces Cmd), with its Env\n"
	      "(-e wins), WorkingDir (-w wins), User (-u wins) and StopSignal.\n"
	      "\n"
	      "      --entrypoint CMD      replace the image's Entrypoint (\"\" clears it)\n"
	      "      --store DIR           the image store (default: amber-image's)\n"
	      "  --tmpfs DST[:OPTS]        tmpfs on DST (OPTS: size=N,mode=M,uid=,gid=,noexec,...)\n"
	      "  -v, --volume SRC:DST[:ro|rw]  bind the host path SRC on DST\n"
	      "  --ro-bind SRC:DST         bind SRC on DST read-only\n"
	      "  -e, --env KEY[=VAL]       set an environment variable\n"
	      "      --env-file FILE       read KEY=VAL lines\n"
	      "  -w, --workdir DIR         working directory inside the container\n"
	      "  -u, --user UID[:GID]      user (numbers, or names from the image's /etc/passwd)\n"
	      "      --hostname NAME       host name (default: the container name)\n"
	      "      --name NAME           container name (default log file name)\n"
	      "      --net none|host       network namespace (default none)\n"
	      "      --owners auto|image|root  owners shown for the image's files (default auto:\n"
	      "                            root when rootless and the layers' owners cannot be mapped)\n"
	      "  -t, --tty                 allocate a pseudo-terminal\n"
	      "      --log FILE            audit log of refused writes\n"
	      "      --log-max-size SIZE   rotate the log at SIZE (default 64M; 0: never)\n"
	      "      --log-keep N          rotated log files kept (default 4; 0: none)\n"
	      "      --seccomp default|unconfined|FILE  system call filter\n"
	      "      --cap-add CAP, --cap-drop CAP  change the default capability set\n"
	      "      --no-init             run COMMAND as PID 1 (no reaping init)\n"
	      "  -q, --quiet               no summary line at exit\n"
	      "  -h, --help, --version\n"
	      "Exit status: COMMAND's, 128+N if killed by signal N, 125 runner error,\n"
	      "126 COMMAND cannot be executed, 127 COMMAND not found.\n",
	      f);
}

enum {
	ARG_TMPFS = 0x100, ARG_RO_BIND, ARG_ENV_FILE, ARG_HOSTNAME, ARG_NAME, ARG_NET,
	ARG_LOG, ARG_SECCOMP, ARG_CAP_ADD, ARG_CAP_DROP, ARG_NO_INIT, ARG_VERSION, ARG_OWNERS,
	ARG_LOG_MAX_SIZE, ARG_LOG_KEEP, ARG_ENTRYPOINT, ARG_STORE,
};

static const struct option long_opts[] = {
	{ "tmpfs", required_argument, NULL, ARG_TMPFS },
	{ "volume", required_argument, NULL, 'v' },
	{ "ro-bind", required_argument, NULL, ARG_RO_BIND },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, ARG_ENV_FILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "hostname", required_argument, NULL, ARG_HOSTNAME },
	{ "name", required_argument, NULL, ARG_NAME },
	{ "net", required_argument, NULL, ARG_NET },
	{ "owners", required_argument, NULL, ARG_OWNERS },
	{ "entrypoint", required_argument, NULL, ARG_ENTRYPOINT },
	{ "store", required_argument, NULL, ARG_STORE },
	{ "tty", no_argument, NULL, 't' },
	{ "log", required_argument, NULL, ARG_LOG },
	{ "log-max-size", required_argument, NULL, ARG_LOG_MAX_SIZE },
	{ "log-keep", required_argument, NULL, ARG_LOG_KEEP },
	{ "seccomp", required_argument, NULL, ARG_SECCOMP },
	{ "cap-add", required_argument, NULL, ARG_CAP_ADD },
	{ "cap-drop", required_argument, NULL, ARG_CAP_DROP },
	{ "no-init", no_argument, NULL, ARG_NO_INIT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, ARG_VERSION },
	{},
};

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int parse_caps(const char *arg, uint64_t *mask)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t bit;

		if (cap_from_name(t, &bit) < 0)
			return log_error_errno(-EINVAL, "unknown capability '%s' (e.g. NET_ADMIN, SYS_PTRACE, ALL)", t);
		*mask |= bit;
	}
	return 0;
}

/* A container name names the default log file (NAME.log): one plain
 * file name, printable, with no '/'. */
static int parse_name(struct run_opts *o, const char *arg)
{
	size_t len = strlen(arg);

	if (len == 0)
		return log_error_errno(-EINVAL, "--name: the name is empty");
	if (len > NAME_MAX - 4 || strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0)
		return log_error_errno(-EINVAL, "--name '%s': give a file name of at most %d bytes", arg,
				       NAME_MAX - 4);
	for (const char *p = arg; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return log_error_errno(-EINVAL, "--name: control character 0x%02x at byte %zu; the name "
					       "must be printable", (unsigned)(unsigned char)*p, (size_t)(p - arg));
		if (*p == '/')
			return log_error_errno(-EINVAL, "--name '%s': the name must not contain '/'", arg);
	}
	return set_str(&o->name, arg);
}

static int parse_log_max_size(struct run_opts *o, const char *arg)
{
	uint64_t v;
	int r = parse_size(arg, &v);

	if (r == -ERANGE)
		return log_error_errno(-EINVAL, "--log-max-size '%s': too large (at most 2^64-1 bytes)", arg);
	if (r < 0 || (v > 0 && v < LOG_MAX_SIZE_MIN))
		return log_error_errno(-EINVAL, "--log-max-size '%s': give 0 (no rotation) or a size of at least "
				       "4096 bytes (suffixes K, M, G, T)", arg);
	o->log_max_size = v;
	return 0;
}

static int parse_log_keep(struct run_opts *o, const char *arg)
{
	uint64_t v;

	if (parse_uint(arg, LOG_KEEP_MAX, &v) < 0)
		return log_error_errno(-EINVAL, "--log-keep '%s': give a number from 0 to %u", arg, LOG_KEEP_MAX);
	o->log_keep = (unsigned)v;
	return 0;
}

static int parse_one(struct run_opts *o, int c, const char *arg)
{
	switch (c) {
	case ARG_TMPFS: return strv_push(&o->tmpfs, arg);
	case 'v': return strv_push(&o->volumes, arg);
	case ARG_RO_BIND: return strv_push(&o->ro_binds, arg);
	case 'e': return env_add(&o->env, arg);
	case ARG_ENV_FILE: return env_add_file(&o->env, arg);
	case 'w': return set_str(&o->workdir, arg);
	case 'u': return set_str(&o->user, arg);
	case ARG_HOSTNAME: return set_str(&o->hostname, arg);
	case ARG_NAME: return parse_name(o, arg);
	case ARG_LOG: return set_str(&o->log_path, arg);
	case ARG_LOG_MAX_SIZE: return parse_log_max_size(o, arg);
	case ARG_LOG_KEEP: return parse_log_keep(o, arg);
	case 't': o->tty = true; return 0;
	case 'q': o->quiet = true; return 0;
	case ARG_NO_INIT: o->no_init = true; return 0;
	case 'h': o->help = true; return 0;
	case ARG_VERSION: o->version = true; return 0;
	case ARG_CAP_ADD: return parse_caps(arg, &o->cap_add);
	case ARG_CAP_DROP: return parse_caps(arg, &o->cap_drop);
	case ARG_ENTRYPOINT: return set_str(&o->entrypoint, arg);
	case ARG_STORE: return set_str(&o->store, arg);
	case ARG_OWNERS:
		if (strcmp(arg, "auto") == 0)
			o->owners = OWNERS_AUTO;
		else if (strcmp(arg, "image") == 0)
			o->owners = OWNERS_IMAGE;
		else if (strcmp(arg, "root") == 0)
			o->owners = OWNERS_ROOT;
		else
			return log_error_errno(-EINVAL, "--owners '%s': expected 'auto', 'image' or 'root'", arg);
		return 0;
	case ARG_NET:
		if (strcmp(arg, "none") == 0)
			o->net = NET_NONE;
		else if (strcmp(arg, "host") == 0)
			o->net = NET_HOST;
		else
			return log_error_errno(-EINVAL, "--net '%s': expected 'none' or 'host'", arg);
		return 0;
	case ARG_SECCOMP:
		if (strcmp(arg, "default") == 0)
			o->seccomp = SECCOMP_MODE_DEFAULT;
		else if (strcmp(arg, "unconfined") == 0)
			o->seccomp = SECCOMP_MODE_UNCONFINED;
		else {
			o->seccomp = SECCOMP_MODE_FILE;
			return set_str(&o->seccomp_file, arg);
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static int parse_positional(struct run_opts *o, int argc, char **argv, int i)
{
	size_t bad;
	int r;

	if (i >= argc)
		return log_error_errno(-EINVAL, "missing LAYER[:LAYER...] or IMAGE, and COMMAND (see --help)");
	if (argv[i][0] == '\0')
		return log_error_errno(-EINVAL, "empty layer list");
	if ((r = set_str(&o->target, argv[i])) < 0)
		return r;
	/* A transport reference is not a list (its paths may hold ':'). */
	if (target_kind(argv[i]) != TARGET_TRANSPORT) {
		r = optlist_split(argv[i], &o->layers, &bad);
		if (r == -EINVAL)
			return log_error_errno(r, "empty layer path at position %zu in '%s'", bad, argv[i]);
		if (r < 0)
			return r;
	}
	i++;
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	/* Only an image has a command of its own (target_resolve() checks
	 * the lists this cannot tell apart without the file system). */
	if (i >= argc && strchr(o->target, '/') && target_kind(o->target) != TARGET_TRANSPORT)
		return log_error_errno(-EINVAL, "missing COMMAND after the layer list (see --help)");
	for (; i < argc; i++) {
		r = strv_push(&o->argv, argv[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int opts_parse(int argc, char **argv, struct run_opts *ret)
{
	struct run_opts o = { .log_max_size = LOG_MAX_SIZE_DEFAULT, .log_keep = LOG_KEEP_DEFAULT };
	int c, r = 0;

	optind = 0; /* full reinitialisation: opts_parse may run many times */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+v:e:w:u:tqh", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			if (optopt >= 0x100 || (optopt > 0 && strchr("vewu", optopt)))
				r = log_error_errno(-EINVAL, "option '%s' needs a value (see --help)", bad);
			else if (optopt > 0)
				r = log_error_errno(-EINVAL, "unknown option '-%c' (see --help)", optopt);
			else
				r = log_error_errno(-EINVAL, "unknown option '%s' (see --help)", bad);
			goto fail;
		}
		r = parse_one(&o, c, optarg);
		if (r < 0)
			goto fail;
	}
	if (o.help || o.version) {
		*ret = o;
		return OPTS_EXIT_OK;
	}
	r = parse_positional(&o, argc, argv, optind);
	if (r < 0)
		goto fail;
	*ret = o;
	return OPTS_RUN;
fail:
	opts_free(&o);
	return r == -ENOMEM ? r : -EINVAL;
}
