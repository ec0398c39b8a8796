/* SPDX-License-Identifier: MIT */
/* opts.c - command-line parsing and validation; see opts.h. */
#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_fmt.h"
#include "cleanup.h"
#include "layer.h"
#include "log.h"
#include "optlist.h"
#include "parse.h"
#include "strv.h"

struct raw_opts {
	char *lowerdir, *synthdir, *log, *pidfile, *deny_errno, *log_policy;
	char *log_max_size, *log_keep, *threads, *squash_uid, *squash_gid, *xattr_perms;
	int kernel_ro, nosplice, noopendir, noconfine, squash_to_root;
	char *nonopt[3];
	int n_nonopt;
	int foreground, debug, single, help, version;
	struct strv meta; /* "KEY=VALUE" of each meta.KEY=VALUE, in order */
	int meta_err;
};

/* meta.KEY=VALUE: free-form labels for the start record (see opts.h) */
#define META_PREFIX "meta."
#define META_MAX 256
#define META_KEY_MAX 253
#define META_VALUE_MAX 4096

enum { KEY_FOREGROUND, KEY_DEBUG, KEY_SINGLE, KEY_HELP, KEY_VERSION };

#define OPT(t, f) { t, offsetof(struct raw_opts, f), 1 }
static const struct fuse_opt opt_table[] = {
	{ "lowerdir=%s", offsetof(struct raw_opts, lowerdir), 0 },
	{ "synthdir=%s", offsetof(struct raw_opts, synthdir), 0 },
	{ "log=%s", offsetof(struct raw_opts, log), 0 },
	{ "pidfile=%s", offsetof(struct raw_opts, pidfile), 0 },
	{ "deny_errno=%s", offsetof(struct raw_opts, deny_errno), 0 },
	{ "log_policy=%s", offsetof(struct raw_opts, log_policy), 0 },
	{ "log_max_size=%s", offsetof(struct raw_opts, log_max_size), 0 },
	{ "log_keep=%s", offsetof(struct raw_opts, log_keep), 0 },
	{ "threads=%s", offsetof(struct raw_opts, threads), 0 },
	{ "squash_to_uid=%s", offsetof(struct raw_opts, squash_uid), 0 },
	{ "squash_to_gid=%s", offsetof(struct raw_opts, squash_gid), 0 },
	OPT("squash_to_root", squash_to_root),
	{ "xattr_permissions=%s", offsetof(struct raw_opts, xattr_perms), 0 },
	OPT("kernel_ro", kernel_ro),
	OPT("nosplice", nosplice),
	OPT("noopendir", noopendir),
	OPT("noconfine", noconfine),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("-s", KEY_SINGLE),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END,
};

static int meta_add(struct raw_opts *o, const char *kv)
{
	if (o->meta.n >= META_MAX)
		o->meta_err = -E2BIG;
	else if (strv_push(&o->meta, kv) < 0)
		o->meta_err = -ENOMEM;
	return 0; /* ours: not passed on to libfuse */
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct raw_opts *o = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (o->n_nonopt < 3)
			o->nonopt[o->n_nonopt] = strdup(arg);
		o->n_nonopt++;
		return 0;
	case KEY_FOREGROUND:
		o->foreground = 1;
		return 0;
	case KEY_DEBUG:
		o->debug = 1;
		return 1; /* libfuse prints requests too */
	case KEY_SINGLE:
		o->single = 1;
		return 0;
	case KEY_HELP:
		o->help = 1;
		return 0;
	case KEY_VERSION:
		o->version = 1;
		return 0;
	default:
		if (key == FUSE_OPT_KEY_OPT && strncmp(arg, META_PREFIX, strlen(META_PREFIX)) == 0)
			return meta_add(o, arg + strlen(META_PREFIX));
		return 1; /* libfuse's own option */
	}
}

int opts_normalize_abs(const char *in, char **ret)
{
	char *out, *o;
	const char *p = in;

	if (in[0] != '/')
		return -EINVAL;
	out = malloc(strlen(in) + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	while (*p) {
		const char *end;
		size_t l;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		l = end - p;
		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.') ||
		    l > NAME_MAX) {
			free(out);
			return -EINVAL;
		}
		*o++ = '/';
		memcpy(o, p, l);
		o += l;
		p = end;
	}
	*o = '\0';
	if (o == out) { /* "/" itself always exists */
		free(out);
		return -EINVAL;
	}
	*ret = out;
	return 0;
}

static int parse_errno(const char *s)
{
	static const struct { const char *name; int err; } names[] = {
		{ "EROFS", EROFS }, { "EPERM", EPERM }, { "EACCES", EACCES },
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].err;
	return -EINVAL;
}

static void print_help(const char *prog)
{
	printf("usage: %s [-f] [-d] [-s] -o lowerdir=TOP:...:BOTTOM[,options] MOUNTPOINT\n"
	       "\n"
	       "Serves a stack of layer directories as one immutable merged tree;\n"
	       "every change is refused and recorded.\n"
	       "\n"
	       "amberfs options:\n"
	       "    -o lowerdir=A:B:C      layers, top first ('\\' escapes ':', ',' and '\\')\n"
	       "    -o log=FILE            append the audit log (JSON Lines) to FILE\n"
	       "    -o log_policy=block|drop  when the log queue is full (default block)\n"
	       "    -o log_max_size=N[KMGT] rotate the log at N bytes\n"
	       "    -o log_keep=K          rotated files kept (default 5; 0: none)\n"
	       "    -o deny_errno=E        EROFS (default), EPERM or EACCES\n"
	       "    -o kernel_ro           mount read-only: the kernel refuses, nothing is logged\n"
	       "    -o synthdir=/a:/b      synthesize missing directories (mountpoints)\n"
	       "    -o pidfile=FILE        write the daemon's pid once the mount is ready\n"
	       "    -o nosplice            copy read data instead of splicing it\n"
	       "    -o noopendir           no round trip per directory open; UNSAFE with\n"
	       "                           directories not readable by every caller\n"
	       "    -o threads=N           at most N threads for requests that may block\n"
	       "                           (reads, first merges; default 4)\n"
	       "    -o squash_to_root      show every entry as owned by uid 0 and gid 0\n"
	       "    -o squash_to_uid=N     show every entry as owned by uid N\n"
	       "    -o squash_to_gid=N     show every entry as owned by gid N\n"
	       "    -o xattr_permissions=N owner and mode from an xattr where present: 1\n"
	       "                           user.fuseoverlayfs.override_stat, 2\n"
	       "                           user.containers.override_stat (default 0: off)\n"
	       "    -o meta.KEY=VALUE      a label for the log's start record (options.meta)\n"
	       "    -o noconfine           skip Landlock and seccomp (debugging only)\n"
	       "    -f  foreground   -d  debug   -s  single-threaded\n"
	       "\n"
	       "Unmount with 'fusermount3 -u MOUNTPOINT', 'umount' or SIGTERM.\n",
	       prog);
}

static int cfg_lists(struct raw_opts *o, struct fs_config *cfg)
{
	size_t bad = 0;
	int r;

	if (!o->lowerdir)
		return log_error_errno(-EINVAL,
			"lowerdir: (none given): usage: amberfs -o lowerdir=TOP:...:BOTTOM MOUNTPOINT");
	r = optlist_split(o->lowerdir, &cfg->lowerdirs, &bad);
	if (r == -EINVAL)
		return log_error_errno(r, "lowerdir: '%s': empty element at position %zu",
				       o->lowerdir, bad);
	if (r < 0)
		return log_error_errno(r, "lowerdir: '%s': %m", o->lowerdir);
	if (cfg->lowerdirs.n > LAYER_MAX)
		return log_error_errno(-E2BIG, "lowerdir: %zu layers: too many (at most %d)",
				       cfg->lowerdirs.n, LAYER_MAX);
	if (!o->synthdir)
		return 0;
	r = optlist_split(o->synthdir, &cfg->synthdirs, &bad);
	if (r == -EINVAL)
		return log_error_errno(r, "synthdir: '%s': empty element at position %zu",
				       o->synthdir, bad);
	if (r < 0)
		return log_error_errno(r, "synthdir: '%s': %m", o->synthdir);
	for (size_t i = 0; i < cfg->synthdirs.n; i++) {
		char *norm;

		r = opts_normalize_abs(cfg->synthdirs.v[i], &norm);
		if (r < 0)
			return log_error_errno(r, "synthdir: '%s': not an absolute path without '.' or '..'",
					       cfg->synthdirs.v[i]);
		free(cfg->synthdirs.v[i]);
		cfg->synthdirs.v[i] = norm;
	}
	return 0;
}

/*
 * A number option from lo to hi.  Every number amberfs takes goes through
 * common/parse.h: nothing wraps, nothing is clipped, and the message says
 * which option, what was given and what fits.
 */
static int parse_number(const char *key, const char *s, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	uint64_t v;
	int r;

	r = parse_uint(s, hi, &v);
	if (r == 0 && v < lo)
		r = -ERANGE;
	if (r < 0)
		return log_error_errno(r, "%s: '%s': %s; give a number from %llu to %llu", key, s,
				       r == -ERANGE ? "out of range" : "not a number",
				       (unsigned long long)lo, (unsigned long long)hi);
	*ret = v;
	return 0;
}

static int parse_log_max_size(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	r = parse_size(s, &v);
	if (r == -ERANGE)
		return log_error_errno(r, "log_max_size: '%s': too large (at most 2^64-1 bytes, e.g. 16777215T); give 0 (no rotation) or a size of at least 4096",
				       s);
	if (r < 0 || (v > 0 && v < 4096))
		return log_error_errno(-EINVAL, "log_max_size: '%s': give 0 (no rotation) or a size of at least 4096 bytes (suffixes K, M, G, T)",
				       s);
	*ret = v;
	return 0;
}

static int cfg_scalars(struct raw_opts *o, struct fs_config *cfg)
{
	uint64_t v;
	int r;

	cfg->deny_errno = EROFS;
	cfg->log_keep = 5;
	cfg->threads = 4;
	if (o->deny_errno && (cfg->deny_errno = parse_errno(o->deny_errno)) < 0)
		return log_error_errno(-EINVAL, "deny_errno: '%s': use EROFS, EPERM or EACCES",
				       o->deny_errno);
	if (o->log_policy) {
		if (strcmp(o->log_policy, "drop") == 0)
			cfg->log_drop = true;
		else if (strcmp(o->log_policy, "block") != 0)
			return log_error_errno(-EINVAL, "log_policy: '%s': use block or drop",
					       o->log_policy);
	}
	if (o->log_max_size && (r = parse_log_max_size(o->log_max_size, &cfg->log_max_size)) < 0)
		return r;
	/* 0: no old file is kept, the full file is deleted at rotation */
	if (o->log_keep) {
		r = parse_number("log_keep", o->log_keep, 0, 1000, &v);
		if (r < 0)
			return r;
		cfg->log_keep = v;
	}
	if (o->threads) {
		r = parse_number("threads", o->threads, 1, 1024, &v);
		if (r < 0)
			return r;
		cfg->threads = v;
	}
	cfg->kernel_ro = o->kernel_ro;
	cfg->nosplice = o->nosplice;
	cfg->noopendir = o->noopendir;
	cfg->noconfine = o->noconfine;
	cfg->foreground = o->foreground || o->debug;
	cfg->debug = o->debug;
	cfg->single_thread = o->single;
	return 0;
}

/*
 * An owner id for squash_to_uid=/squash_to_gid=.  (uid_t)-1 is not an id:
 * chown() reads it as "leave unchanged", so the range stops one below.
 */
static int parse_squash_id(const char *key, const char *s, int64_t *ret)
{
	uint64_t v;
	int r;

	r = parse_number(key, s, 0, UINT32_MAX - 1, &v);
	if (r < 0)
		return r;
	*ret = (int64_t)v;
	return 0;
}

/*
 * squash_to_root is squash_to_uid=0,squash_to_gid=0 (as in fuse-overlayfs);
 * with another uid or gid as well it would say two things, so it is refused.
 */
static int cfg_squash(struct raw_opts *o, struct fs_config *cfg)
{
	int r;

	cfg->squash_uid = cfg->squash_gid = -1;
	if (o->squash_uid && (r = parse_squash_id("squash_to_uid", o->squash_uid, &cfg->squash_uid)) < 0)
		return r;
	if (o->squash_gid && (r = parse_squash_id("squash_to_gid", o->squash_gid, &cfg->squash_gid)) < 0)
		return r;
	if (!o->squash_to_root)
		return 0;
	if (cfg->squash_uid > 0 || cfg->squash_gid > 0)
		return log_error_errno(-EINVAL, "squash_to_root: conflicts with squash_to_uid=%s,squash_to_gid=%s: give one or the other",
				       o->squash_uid ?: "(unset)", o->squash_gid ?: "(unset)");
	cfg->squash_uid = cfg->squash_gid = 0;
	return 0;
}

/* xattr_permissions=0|1|2, as in fuse-overlayfs: which xattr, if any,
 * carries the owner and mode a rootless import could not set. */
static int cfg_xattr_perms(const struct raw_opts *o, struct fs_config *cfg)
{
	cfg->override_xattr = NULL;
	if (!o->xattr_perms || strcmp(o->xattr_perms, "0") == 0)
		return 0;
	if (strcmp(o->xattr_perms, "1") == 0)
		cfg->override_xattr = "user.fuseoverlayfs.override_stat";
	else if (strcmp(o->xattr_perms, "2") == 0)
		cfg->override_xattr = "user.containers.override_stat";
	else
		return log_error_errno(-EINVAL, "xattr_permissions=%s: expected 0, 1 (user.fuseoverlayfs.override_stat) or 2 (user.containers.override_stat)",
				       o->xattr_perms);
	return 0;
}

/* A meta key: what annotation keys are made of (reverse-DNS, k8s "prefix/name"),
 * so it needs no escaping in JSON. */
static bool meta_key_valid(const char *k, size_t n)
{
	if (n == 0 || n > META_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", k[i]))
			return false;
	return true;
}

/*
 * {"KEY":"VALUE",...} from the meta.KEY=VALUE options, in the order given;
 * a key given twice keeps its last value.  NULL (and no error) without any.
 */
static int meta_render(const struct raw_opts *o, char **ret)
{
	struct afmt_buf b = AFMT_BUF_INIT;

	*ret = NULL;
	if (o->meta_err == -E2BIG)
		return log_error_errno(-E2BIG, "meta: more than %d meta.KEY=VALUE options", META_MAX);
	if (o->meta_err < 0)
		return log_error_errno(o->meta_err, "meta: %m");
	if (o->meta.n == 0)
		return 0;
	for (size_t i = 0; i < o->meta.n; i++) {
		const char *m = o->meta.v[i], *eq = strchr(m, '=');
		size_t kl = eq ? (size_t)(eq - m) : strlen(m);

		if (!eq || !meta_key_valid(m, kl))
			return log_error_errno(-EINVAL, "meta: '%s': give meta.KEY=VALUE, KEY of 1 to %d characters from A-Z a-z 0-9 . _ / -",
					       m, META_KEY_MAX);
		if (strlen(eq + 1) > META_VALUE_MAX)
			return log_error_errno(-E2BIG, "meta: '%.*s': value longer than %d bytes", (int)kl, m,
					       META_VALUE_MAX);
	}
	afmt_obj_begin(&b);
	for (size_t i = 0; i < o->meta.n; i++) {
		size_t kl = strcspn(o->meta.v[i], "=");
		_cleanup_free_ char *key = strndup(o->meta.v[i], kl);
		bool later = false;

		for (size_t j = i + 1; j < o->meta.n && !later; j++)
			later = strncmp(o->meta.v[j], o->meta.v[i], kl + 1) == 0;
		if (later)
			continue;
		if (!key) {
			afmt_free(&b);
			return log_error_errno(-ENOMEM, "out of memory");
		}
		afmt_kv_strz(&b, key, o->meta.v[i] + kl + 1);
	}
	afmt_obj_end(&b);
	if (afmt_failed(&b)) {
		afmt_free(&b);
		return log_error_errno(-ENOMEM, "out of memory");
	}
	*ret = b.data;
	return 0;
}

static char *make_options_json(const struct fs_config *cfg, const char *meta)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"deny_errno\":%d,\"kernel_ro\":%s,\"log_policy\":\"%s\","
		     "\"log_max_size\":%llu,\"log_keep\":%u,\"threads\":%u,"
		     "\"single_thread\":%s,\"splice\":%s,\"opendir\":%s,\"synthdirs\":%zu,"
		     "\"squash_uid\":%lld,\"squash_gid\":%lld,\"xattr_permissions\":\"%s\"%s%s}",
		     cfg->deny_errno, cfg->kernel_ro ? "true" : "false",
		     cfg->log_drop ? "drop" : "block", (unsigned long long)cfg->log_max_size,
		     cfg->log_keep, cfg->threads, cfg->single_thread ? "true" : "false",
		     cfg->nosplice ? "false" : "true", cfg->noopendir ? "false" : "true",
		     cfg->synthdirs.n,
		     (long long)cfg->squash_uid, (long long)cfg->squash_gid,
		     cfg->override_xattr ? cfg->override_xattr : "",
		     meta ? ",\"meta\":" : "", meta ?: "") < 0)
		return NULL;
	return s;
}

static void raw_free(struct raw_opts *o)
{
	free(o->lowerdir);
	free(o->synthdir);
	free(o->log);
	free(o->pidfile);
	free(o->deny_errno);
	free(o->log_policy);
	free(o->log_max_size);
	free(o->log_keep);
	free(o->threads);
	free(o->squash_uid);
	free(o->squash_gid);
	free(o->xattr_perms);
	for (int i = 0; i < 3 && i < o->n_nonopt; i++)
		free(o->nonopt[i]);
	strv_free(&o->meta);
}

/*
 * The value of KEY= as written on the command line.  fuse_opt removes one
 * level of backslashes, which would turn "a\:b" into two layers; list
 * options are taken from argv directly so that '\' escapes work as in
 * overlayfs (common/optlist.h).  An escaped ',' does not end the option
 * here either, as in fuse_opt.  The last occurrence wins, as with fuse_opt.
 */
static char *raw_option(int argc, char **argv, const char *key)
{
	size_t kl = strlen(key);
	char *found = NULL;

	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "-o") == 0 && i + 1 < argc)
			s = argv[++i];
		else if (strncmp(s, "-o", 2) == 0)
			s += 2;
		else
			continue;
		while (*s) {
			const char *e = s;

			while (*e && *e != ',')
				e += (e[0] == '\\' && e[1]) ? 2 : 1;
			if ((size_t)(e - s) > kl && strncmp(s, key, kl) == 0) {
				free(found);
				found = strndup(s + kl, e - s - kl);
			}
			s = *e ? e + 1 : e;
		}
	}
	return found;
}

static int opts_parse_raw(struct fuse_args *args, struct raw_opts *o, struct fs_config *cfg)
{
	_cleanup_free_ char *raw_lower = raw_option(args->argc, args->argv, "lowerdir=");
	_cleanup_free_ char *raw_synth = raw_option(args->argc, args->argv, "synthdir=");
	_cleanup_free_ char *meta = NULL;
	int r;

	if (fuse_opt_parse(args, o, opt_table, opt_proc) < 0)
		return log_error_errno(-EINVAL, "command line: (unparsable): see amberfs --help");
	if (o->lowerdir && raw_lower) {
		free(o->lowerdir);
		o->lowerdir = TAKE_PTR(raw_lower);
	}
	if (o->synthdir && raw_synth) {
		free(o->synthdir);
		o->synthdir = TAKE_PTR(raw_synth);
	}
	if (o->help) {
		print_help(args->argv[0]);
		return 1;
	}
	if (o->version) {
		printf("amberfs %s (libfuse %s)\n", AMBER_VERSION, fuse_pkgversion());
		return 1;
	}
	if (o->n_nonopt == 0)
		return log_error_errno(-EINVAL, "mountpoint: (none given): usage: amberfs -o lowerdir=TOP:...:BOTTOM MOUNTPOINT");
	if (o->n_nonopt > 2)
		return log_error_errno(-EINVAL, "argument: '%s': one too many; usage: amberfs -o lowerdir=... MOUNTPOINT",
				       o->nonopt[2]);
	r = cfg_lists(o, cfg);
	if (r < 0)
		return r;
	r = cfg_scalars(o, cfg);
	if (r < 0)
		return r;
	r = cfg_squash(o, cfg);
	if (r < 0)
		return r;
	r = cfg_xattr_perms(o, cfg);
	if (r < 0)
		return r;
	r = meta_render(o, &meta);
	if (r < 0)
		return r;
	cfg->mountpoint = TAKE_PTR(o->nonopt[o->n_nonopt - 1]);
	if (o->n_nonopt == 2)
		cfg->source = TAKE_PTR(o->nonopt[0]);
	cfg->log_path = TAKE_PTR(o->log);
	cfg->pidfile = TAKE_PTR(o->pidfile);
	cfg->options_json = make_options_json(cfg, meta);
	if (!cfg->options_json)
		return log_error_errno(-ENOMEM, "out of memory");
	return 0;
}

int opts_parse(struct fuse_args *args, struct fs_config *cfg)
{
	struct raw_opts o = { 0 };
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = opts_parse_raw(args, &o, cfg);
	raw_free(&o);
	return r;
}

void opts_free(struct fs_config *cfg)
{
	strv_free(&cfg->lowerdirs);
	strv_free(&cfg->synthdirs);
	free(cfg->source);
	free(cfg->mountpoint);
	free(cfg->log_path);
	free(cfg->pidfile);
	free(cfg->options_json);
	memset(cfg, 0, sizeof(*cfg));
}
