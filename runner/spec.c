/* SPDX-License-Identifier: MIT */
/*
 * spec.c - builds and validates the mount list (see spec.h).
 *
 * Why a whitelist and not "whatever the user asked": the runner mounts as
 * root (of a user namespace, or for real), so a destination that lands in
 * /proc or /dev, a tmpfs with "dev" or "suid", or a path that climbs out
 * of the root with ".." must be refused before the first mount(2).
 */
#include "spec.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "optlist.h"
#include "parse.h"

static const char *const kind_names[_MOUNT_KIND_MAX] = {
	[MOUNT_ROOTFS] = "rootfs", [MOUNT_PROC] = "proc", [MOUNT_DEV] = "dev", [MOUNT_SYSFS] = "sysfs",
	[MOUNT_TMPFS] = "tmpfs", [MOUNT_BIND] = "bind", [MOUNT_ETC_FILE] = "etc-file",
};

const char *mount_kind_to_string(enum mount_kind k)
{
	return k >= 0 && k < _MOUNT_KIND_MAX ? kind_names[k] : NULL;
}

int path_clean(const char *in, char **ret)
{
	size_t len = strlen(in);
	_cleanup_free_ char *out = malloc(len + 2);
	size_t n = 0;

	if (!out)
		return -ENOMEM;
	if (in[0] != '/')
		return -EINVAL;
	for (const char *p = in; *p;) {
		const char *e;
		size_t l;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		l = e - p;
		if (l == 0 || (l == 1 && p[0] == '.')) {
			/* nothing */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (n == 0)
				return -EXDEV;
			do /* back to the '/' that starts the last component */
				n--;
			while (n > 0 && out[n] != '/');
		} else {
			out[n] = '/';
			memcpy(out + n + 1, p, l);
			n += l + 1;
		}
		p = e;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

void mount_op_free(struct mount_op *op)
{
	free(op->src);
	free(op->dst);
	free(op->data);
	*op = (struct mount_op){ 0 };
}

void spec_free(struct spec *s)
{
	for (size_t i = 0; i < s->n; i++)
		mount_op_free(&s->ops[i]);
	free(s->ops);
	s->ops = NULL;
	s->n = 0;
}

static int clean_dst(const char *what, const char *arg, const char *dst, char **ret)
{
	int r;

	if (dst[0] == '\0')
		return log_error_errno(-EINVAL, "%s '%s': empty destination", what, arg);
	r = path_clean(dst, ret);
	if (r == -EINVAL)
		return log_error_errno(r, "%s '%s': destination '%s' must be an absolute path", what, arg, dst);
	if (r == -EXDEV)
		return log_error_errno(-EINVAL, "%s '%s': destination '%s' escapes the root with '..'", what, arg, dst);
	return r;
}

/*
 * The kernel reads size= and nr_inodes= with memparse(), which wraps
 * silently on overflow, and takes a leading 0 as octal (uid= and gid= too);
 * 0 means "no limit".  So every number is checked here (common/parse.h)
 * and handed on in plain decimal: size=17179869184g must not become an
 * unlimited tmpfs.
 */
#define TMPFS_SIZE_MAX ((uint64_t)INT64_MAX) /* bytes; the kernel rounds up to pages */

static int tmpfs_size(const char *arg, const char *key, const char *v, char **ret)
{
	size_t digits = strspn(v, "0123456789");
	uint64_t n;
	int r;

	if (strcmp(key, "size") == 0 && digits > 0 && v[digits] == '%' && v[digits + 1] == '\0') {
		/* a share of RAM: 1% to 100% */
		if (digits > 3 || (n = strtoull(v, NULL, 10)) < 1 || n > 100)
			return log_error_errno(-EINVAL, "--tmpfs '%s': %s=%s: give a percentage from 1%% to 100%%",
					       arg, key, v);
		return asprintf(ret, "%s=%" PRIu64 "%%", key, n) < 0 ? -ENOMEM : 0;
	}
	r = parse_size(v, &n);
	if (r == -ERANGE || (r == 0 && strcmp(key, "size") == 0 && n > TMPFS_SIZE_MAX))
		return log_error_errno(-EINVAL, "--tmpfs '%s': %s=%s is too large (at most %" PRIu64 "%s)", arg,
				       key, v, strcmp(key, "size") == 0 ? TMPFS_SIZE_MAX : UINT64_MAX,
				       strcmp(key, "size") == 0 ? " bytes" : "");
	if (r < 0)
		return log_error_errno(-EINVAL, "--tmpfs '%s': bad value in '%s=%s' (a number, optionally "
				       "with k, m, g or t%s)", arg, key, v, strcmp(key, "size") == 0 ? ", or N%" : "");
	if (n == 0)
		return log_error_errno(-EINVAL, "--tmpfs '%s': %s=0 would mean no limit at all; give a limit", arg,
				       key);
	return asprintf(ret, "%s=%" PRIu64, key, n) < 0 ? -ENOMEM : 0;
}

/* uid=, gid=: a 32-bit id (not -1); mode=: octal, at most 07777. */
static int tmpfs_id_or_mode(const char *arg, const char *key, const char *v, char **ret)
{
	uint64_t n = 0;

	if (strcmp(key, "mode") == 0) {
		size_t len = strspn(v, "01234567");

		if (len == 0 || v[len] != '\0' || len > 5 || (n = strtoull(v, NULL, 8)) > 07777)
			return log_error_errno(-EINVAL, "--tmpfs '%s': bad value in 'mode=%s' (octal, at most 7777)",
					       arg, v);
		return asprintf(ret, "mode=%04" PRIo64, n) < 0 ? -ENOMEM : 0;
	}
	if (parse_uint(v, UINT32_MAX - 1, &n) < 0)
		return log_error_errno(-EINVAL, "--tmpfs '%s': bad value in '%s=%s' (a number below 4294967295)", arg,
				       key, v);
	return asprintf(ret, "%s=%" PRIu64, key, n) < 0 ? -ENOMEM : 0;
}

static int data_append(char **data, const char *opt)
{
	char *nd;

	if (asprintf(&nd, "%s%s%s", *data ? *data : "", *data ? "," : "", opt) < 0)
		return -ENOMEM;
	free(*data);
	*data = nd;
	return 0;
}

static int tmpfs_option(struct mount_op *op, const char *arg, const char *opt, char **data)
{
	static const struct { const char *name; unsigned long set, clear; } words[] = {
		{ "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
		{ "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
		{ "nosuid", MS_NOSUID, 0 }, { "nodev", MS_NODEV, 0 },
	};
	static const char *const keys[] = { "size", "nr_inodes", "mode", "uid", "gid" };
	const char *eq = strchr(opt, '=');

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcmp(opt, words[i].name) == 0) {
			op->flags = (op->flags | words[i].set) & ~words[i].clear;
			return 0;
		}
	for (size_t i = 0; eq && i < ELEMENTSOF(keys); i++) {
		size_t kl = strlen(keys[i]);
		_cleanup_free_ char *norm = NULL;
		int r;

		if ((size_t)(eq - opt) != kl || strncmp(opt, keys[i], kl) != 0)
			continue;
		if (i < 2) /* size, nr_inodes */
			r = tmpfs_size(arg, keys[i], eq + 1, &norm);
		else
			r = tmpfs_id_or_mode(arg, keys[i], eq + 1, &norm);
		if (r < 0)
			return r;
		return data_append(data, norm);
	}
	return log_error_errno(-EINVAL,
			       "--tmpfs '%s': option '%s' is not allowed (allowed: size=, mode=, uid=, gid=, "
			       "nr_inodes=, ro, rw, exec, noexec, nosuid, nodev)",
			       arg, opt);
}

static bool data_has(const char *data, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = data; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			return true;
	return false;
}

int spec_parse_tmpfs(const char *arg, struct mount_op *ret)
{
	struct mount_op op = { .kind = MOUNT_TMPFS, .flags = MS_NOSUID | MS_NODEV };
	_cleanup_free_ char *copy = strdup(arg);
	_cleanup_free_ char *data = NULL;
	char *colon, *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (colon && *colon == '\0')
		return log_error_errno(-EINVAL, "--tmpfs '%s': empty option list after ':'", arg);
	for (char *t = colon ? strtok_r(colon, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		r = tmpfs_option(&op, arg, t, &data);
		if (r < 0)
			return r;
	}
	r = clean_dst("--tmpfs", arg, copy, &op.dst);
	if (r < 0)
		return r;
	if ((!data_has(data, "mode") && (r = data_append(&data, "mode=1777")) < 0) ||
	    (!data_has(data, "size") && (r = data_append(&data, "size=" TMPFS_DEFAULT_SIZE)) < 0)) {
		free(op.dst);
		return r;
	}
	op.data = TAKE_PTR(data);
	*ret = op;
	return 0;
}

static int absolute_src(const char *src, char **ret)
{
	_cleanup_free_ char *cwd = NULL;

	if (src[0] == '/')
		return path_clean(src, ret) < 0 ? -EINVAL : 0;
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return -errno;
	_cleanup_free_ char *joined = NULL;
	if (asprintf(&joined, "%s/%s", cwd, src) < 0)
		return -ENOMEM;
	return path_clean(joined, ret) < 0 ? -EINVAL : 0;
}

int spec_parse_volume(const char *arg, bool force_ro, struct mount_op *ret)
{
	const char *what = force_ro ? "--ro-bind" : "--volume";
	struct mount_op op = { .kind = MOUNT_BIND, .flags = MS_NOSUID | MS_NODEV };
	static const char *const part_names[] = { "source", "destination", "mode" };
	struct strv parts = { 0 };
	size_t bad;
	int r;

	r = optlist_split(arg, &parts, &bad);
	if (r == -EINVAL && bad <= ELEMENTSOF(part_names))
		return log_error_errno(r, "%s '%s': empty %s", what, arg, part_names[bad - 1]);
	if (r < 0 && r != -EINVAL)
		return r;
	if (r < 0 || parts.n < 2 || parts.n > (force_ro ? 2u : 3u)) {
		r = log_error_errno(-EINVAL, "%s '%s': expected %s", what, arg,
				    force_ro ? "SRC:DST" : "SRC:DST[:ro|rw]");
		goto out;
	}
	if (parts.n == 3) {
		if (strcmp(parts.v[2], "ro") == 0)
			op.flags |= MS_RDONLY;
		else if (strcmp(parts.v[2], "rw") != 0) {
			r = log_error_errno(-EINVAL, "%s '%s': mode '%s' must be 'ro' or 'rw'", what, arg, parts.v[2]);
			goto out;
		}
	}
	if (force_ro)
		op.flags |= MS_RDONLY;
	r = clean_dst(what, arg, parts.v[1], &op.dst);
	if (r < 0)
		goto out;
	r = absolute_src(parts.v[0], &op.src);
	if (r < 0) {
		r = log_error_errno(r, "%s '%s': cannot make the source path absolute: %m", what, arg);
		goto out;
	}
	*ret = op;
	op = (struct mount_op){ 0 };
out:
	mount_op_free(&op);
	strv_free(&parts);
	return r;
}

static int spec_add(struct spec *s, struct mount_op *op)
{
	struct mount_op *n = realloc(s->ops, (s->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->ops = n;
	s->ops[s->n++] = *op;
	*op = (struct mount_op){ 0 };
	return 0;
}

static int spec_add_simple(struct spec *s, enum mount_kind kind, const char *src, const char *dst,
			   unsigned long flags, bool optional)
{
	struct mount_op op = { .kind = kind, .flags = flags, .optional = optional };

	op.dst = strdup(dst);
	op.src = src ? strdup(src) : NULL;
	if (!op.dst || (src && !op.src)) {
		mount_op_free(&op);
		return -ENOMEM;
	}
	return spec_add(s, &op);
}

static size_t path_depth(const char *p)
{
	size_t d = 0;

	for (; *p; p++)
		d += *p == '/';
	return d;
}

static int cmp_depth(const void *a, const void *b)
{
	const struct mount_op *x = a, *y = b;
	size_t dx = path_depth(x->dst), dy = path_depth(y->dst);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	/* Keep command-line order between equals (qsort is not stable). */
	return x < y ? -1 : x > y;
}

static bool spec_has_dst(const struct spec *s, const char *dst)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ops[i].dst, dst) == 0)
			return true;
	return false;
}

static int spec_add_user(const struct run_opts *o, struct spec *s)
{
	struct mount_op op;
	int r;

	for (size_t i = 0; i < o->tmpfs.n; i++) {
		r = spec_parse_tmpfs(o->tmpfs.v[i], &op);
		if (r < 0 || (r = spec_add(s, &op)) < 0)
			return r;
	}
	for (size_t i = 0; i < o->volumes.n; i++) {
		r = spec_parse_volume(o->volumes.v[i], false, &op);
		if (r < 0 || (r = spec_add(s, &op)) < 0)
			return r;
	}
	for (size_t i = 0; i < o->ro_binds.n; i++) {
		r = spec_parse_volume(o->ro_binds.v[i], true, &op);
		if (r < 0 || (r = spec_add(s, &op)) < 0)
			return r;
	}
	return 0;
}

int spec_add_etc_files(struct spec *s, const char *etc_dir)
{
	static const char *const etc_files[] = { "hosts", "hostname", "resolv.conf" };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
		_cleanup_free_ char *src = NULL, *dst = NULL;

		if (asprintf(&src, "%s/%s", etc_dir, etc_files[i]) < 0 || asprintf(&dst, "/etc/%s", etc_files[i]) < 0)
			return -ENOMEM;
		if (spec_has_dst(s, dst)) /* a volume provides it */
			continue;
		r = spec_add_simple(s, MOUNT_ETC_FILE, src, dst, MS_RDONLY | MS_NOSUID | MS_NODEV, true);
		if (r < 0)
			return r;
	}
	return 0;
}

int spec_build(const struct run_opts *o, const char *etc_dir, struct spec *ret)
{
	struct spec s = { 0 };
	size_t first_user;
	int r;

	if ((r = spec_add_simple(&s, MOUNT_ROOTFS, NULL, "/", 0, false)) < 0 ||
	    (r = spec_add_simple(&s, MOUNT_PROC, NULL, "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, false)) < 0 ||
	    (r = spec_add_simple(&s, MOUNT_DEV, NULL, "/dev", MS_NOSUID | MS_NOEXEC, false)) < 0 ||
	    (r = spec_add_simple(&s, MOUNT_SYSFS, NULL, "/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, false)) < 0)
		goto fail;
	first_user = s.n;
	r = spec_add_user(o, &s);
	if (r < 0)
		goto fail;
	/* Parents before children: "-v x:/data --tmpfs /data/cache" works. */
	qsort(s.ops + first_user, s.n - first_user, sizeof(*s.ops), cmp_depth);
	if (etc_dir && (r = spec_add_etc_files(&s, etc_dir)) < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	spec_free(&s);
	return r;
}

static bool path_under(const char *p, const char *dir)
{
	size_t l = strlen(dir);

	return strncmp(p, dir, l) == 0 && (p[l] == '\0' || p[l] == '/');
}

static int validate_user_op(const struct mount_op *op, bool check_sources)
{
	const char *what = op->kind == MOUNT_TMPFS ? "--tmpfs" : "--volume";
	struct stat st;

	if (strcmp(op->dst, "/") == 0)
		return log_error_errno(-EINVAL, "%s on '/': the root is the image; mount below it", what);
	if (path_under(op->dst, "/proc") || path_under(op->dst, "/dev") || path_under(op->dst, "/sys"))
		return log_error_errno(-EINVAL, "%s on '%s': /proc, /dev and /sys are set up by amber-run", what,
				       op->dst);
	if (op->kind != MOUNT_BIND)
		return 0;
	if (!op->src || op->src[0] != '/')
		return log_error_errno(-EINVAL, "--volume on '%s': the source must be an absolute path", op->dst);
	if (!check_sources)
		return 0;
	if (stat(op->src, &st) < 0)
		return log_error_errno(-errno, "volume source '%s' (for '%s'): %m", op->src, op->dst);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return log_error_errno(-EINVAL, "volume source '%s': not a directory or a regular file", op->src);
	return 0;
}

int spec_validate(struct spec *s, bool check_sources)
{
	static const struct { enum mount_kind kind; const char *dst; } fixed[] = {
		{ MOUNT_ROOTFS, "/" }, { MOUNT_PROC, "/proc" }, { MOUNT_DEV, "/dev" }, { MOUNT_SYSFS, "/sys" },
	};
	int r;

	if (s->n < ELEMENTSOF(fixed))
		return log_error_errno(-EINVAL, "internal: mount list lacks the root, /proc, /dev or /sys");
	for (size_t i = 0; i < s->n; i++) {
		struct mount_op *op = &s->ops[i];
		_cleanup_free_ char *clean = NULL;

		if (!op->dst || path_clean(op->dst, &clean) < 0 || strcmp(clean, op->dst) != 0)
			return log_error_errno(-EINVAL, "mount destination '%s' is not a clean absolute path",
					       op->dst ? op->dst : "(null)");
		if (i >= ELEMENTSOF(fixed) && (op->kind == MOUNT_TMPFS || op->kind == MOUNT_BIND) &&
		    (r = validate_user_op(op, check_sources)) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->ops[j].dst, op->dst) == 0)
				return log_error_errno(-EINVAL, "two mounts on '%s'", op->dst);
		if (i < ELEMENTSOF(fixed)) {
			if (op->kind != fixed[i].kind || strcmp(op->dst, fixed[i].dst) != 0)
				return log_error_errno(-EINVAL, "internal: mount %zu must be %s on %s", i,
						       mount_kind_to_string(fixed[i].kind), fixed[i].dst);
			continue;
		}
		switch (op->kind) {
		case MOUNT_TMPFS:
		case MOUNT_BIND:
			if (op->kind == MOUNT_BIND && check_sources) {
				struct stat st;

				op->src_is_dir = stat(op->src, &st) == 0 && S_ISDIR(st.st_mode);
			}
			break;
		case MOUNT_ETC_FILE:
			if (!path_under(op->dst, "/etc") || !op->src)
				return log_error_errno(-EINVAL, "internal: bad /etc file mount '%s'", op->dst);
			break;
		case MOUNT_ROOTFS:
		case MOUNT_PROC:
		case MOUNT_DEV:
		case MOUNT_SYSFS:
		case _MOUNT_KIND_MAX:
		case _MOUNT_KIND_INVALID:
		default:
			return log_error_errno(-EINVAL, "mount %zu: kind '%s' is not allowed on '%s'", i,
					       mount_kind_to_string(op->kind) ?: "?", op->dst);
		}
	}
	return 0;
}

int spec_synthdirs(const struct spec *s, struct strv *ret)
{
	int r;

	for (size_t i = 1; i < s->n; i++) {
		const struct mount_op *op = &s->ops[i];

		if (op->kind == MOUNT_ETC_FILE || (op->kind == MOUNT_BIND && !op->src_is_dir))
			continue;
		r = strv_push(ret, op->dst);
		if (r < 0)
			return r;
	}
	return 0;
}
