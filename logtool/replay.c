/* SPDX-License-Identifier: MIT */
/*
 * replay.c - "amber-log replay --onto DIR": what would have happened had the
 * root been writable.
 *
 * The scratch tree is a kernel overlayfs in a private mount namespace:
 * lowerdir = the layers of the first start record (or --layers), upperdir
 * DIR/upper, workdir DIR/work, mounted on DIR/merged.  The image's layers
 * are never written; the changes land in DIR/upper, which stays after the
 * run (overlay format: whiteouts for deletions).  The mount itself vanishes
 * with the private namespace when amber-log exits, so nothing is left
 * mounted even on a crash.  Without root the namespace is a user namespace
 * of amber-log's own (only the caller's ids mapped; overlay with userxattr).
 * --copy instead copies one directory (--layers
 * DIR, e.g. a mounted amberfs view or an unpacked rootfs) to DIR/merged
 * with cp -a and replays on that: no mount, no privilege needed beyond
 * what the operations themselves require.
 *
 * Every attempt is applied in log order with the same system call the
 * process made, on paths resolved strictly inside the scratch root
 * (openat2 RESOLVE_IN_ROOT, final component never followed): a hostile log
 * cannot reach outside DIR.  An attempt that fails on the scratch tree
 * (ENOENT, ENOTEMPTY, ...) is listed as "would have failed" and changes
 * nothing.  Content the log does not hold is never made up.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "changeset.h"
#include "cleanup.h"
#include "log.h"
#include "logtool.h"
#include "optlist.h"
#include "strv.h"

struct replay {
	int root;                 /* O_PATH fd of the scratch root */
	struct changeset *cs;
	uint64_t applied, failed, skipped, events;
	bool json;
	bool rootless;            /* started without root (then runs in a user namespace) */
	FILE *failures;           /* memstream of the failure lines */
	char *fail_buf;
	size_t fail_len;
};

static int openat2_in_root(int root, const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	long fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Opens the parent of path (inside root) and returns the last component. */
static int open_parent(int root, const char *path, char **ret_name)
{
	_cleanup_free_ char *dup = strdup(path);
	char *slash, *name;
	int fd;

	if (!dup)
		return -ENOMEM;
	while (strlen(dup) > 1 && dup[strlen(dup) - 1] == '/')
		dup[strlen(dup) - 1] = '\0';
	if (strcmp(dup, "/") == 0) {
		/* the root itself: operate on "." of the root */
		fd = openat2_in_root(root, ".", O_PATH | O_DIRECTORY, 0);
		if (fd >= 0 && !(*ret_name = strdup("."))) {
			close(fd);
			return -ENOMEM;
		}
		return fd;
	}
	slash = strrchr(dup, '/');
	name = slash ? slash + 1 : dup;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (slash)
		*slash = '\0';
	fd = openat2_in_root(root, slash ? dup : ".", O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	*ret_name = strdup(name);
	if (!*ret_name) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

static int64_t arg_int(const struct record *r, const char *key, int64_t def)
{
	char path[64];
	snprintf(path, sizeof(path), "args.%s", key);
	return json_get_int(record_obj(r), path, def);
}

static int64_t arg_mode(const struct record *r, int64_t def)
{
	const char *m = json_get_str(record_obj(r), "args.mode");
	char *end;

	if (!m)
		return def;
	long v = strtol(m, &end, 8);
	return *end ? def : v;
}

static bool arg_has_flag(const struct record *r, const char *key, const char *flag)
{
	char path[64];
	snprintf(path, sizeof(path), "args.%s", key);
	struct json_object *a = json_get_path(record_obj(r), path);
	if (!a || !json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (json_object_is_type(json_object_array_get_idx(a, i), json_type_string) &&
		    strcmp(json_object_get_string(json_object_array_get_idx(a, i)), flag) == 0)
			return true;
	return false;
}

static char type_char(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	default: return 'f';
	}
}

static mode_t mknod_type(const struct record *r)
{
	mode_t t = audit_file_type_from_string(json_get_str(record_obj(r), "args.type"));

	/* what mknod(2) makes; anything else, or no type, is a regular file */
	return t == S_IFCHR || t == S_IFBLK || t == S_IFIFO || t == S_IFSOCK ? t : S_IFREG;
}

static dev_t arg_rdev(const struct record *r)
{
	const char *s = json_get_str(record_obj(r), "args.rdev");
	unsigned ma, mi;

	if (s && sscanf(s, "%u:%u", &ma, &mi) == 2)
		return makedev(ma, mi);
	return (dev_t)json_get_int(record_obj(r), "args.rdev", 0);
}

/* Gives a new entry the creator's fsuid/fsgid, as the real create would. */
static void own_new(int dirfd, const char *name, const struct record *r)
{
	if (r->uid >= 0)
		(void)fchownat(dirfd, name, (uid_t)r->uid, (gid_t)r->gid, AT_SYMLINK_NOFOLLOW);
}

static int do_create(struct replay *rp, const struct record *r)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = -1;
	const enum audit_action a = r->action_id;
	int64_t mode = arg_mode(r, -1);
	char type = 'f', detail[512] = "";
	/* a symlink's own path: file.path as amberfs writes it, or file.new_path
	 * (then file.path is the target) */
	const char *path = a == AUDIT_SYMLINK && r->new_path_exact ? r->new_path_exact : r->path_exact;
	int k = 0;

	if (a == AUDIT_LINK) {
		_cleanup_free_ char *oname = NULL;
		_cleanup_close_ int odir = -1;
		if (!r->new_path_exact)
			return -EINVAL;
		if ((odir = open_parent(rp->root, r->path_exact, &oname)) < 0 ||
		    (dir = open_parent(rp->root, r->new_path_exact, &name)) < 0)
			return odir < 0 ? odir : dir;
		if (linkat(odir, oname, dir, name, 0) < 0)
			return -errno;
		snprintf(detail, sizeof(detail), "to %s", r->path_exact);
		cs_create(rp->cs, r->new_path_exact, 'h', -1, -1, -1, detail, r->seq);
		return 0;
	}
	if ((dir = open_parent(rp->root, path, &name)) < 0)
		return dir;
	if (a == AUDIT_CREATE) {
		k = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, (mode_t)(mode < 0 ? 0644 : mode));
		if (k >= 0)
			close(k);
	} else if (a == AUDIT_MKDIR) {
		type = 'd';
		k = mkdirat(dir, name, (mode_t)(mode < 0 ? 0755 : mode));
	} else if (a == AUDIT_MKNOD) {
		mode_t t = mknod_type(r);
		type = type_char(t);
		k = mknodat(dir, name, t | (mode_t)(mode < 0 ? 0644 : mode), arg_rdev(r));
	} else { /* symlink */
		const char *target = json_get_str(record_obj(r), "args.target");
		if (!target && path != r->path_exact)
			target = r->path_exact;
		type = 'l';
		if (!target)
			return -EINVAL;
		k = symlinkat(target, dir, name);
		snprintf(detail, sizeof(detail), "-> %s", target);
		mode = -1;
	}
	if (k < 0)
		return -errno;
	own_new(dir, name, r);
	/* the real mode after the umask-free create */
	struct stat st;
	if (type == 'l')
		mode = -1; /* symlink modes mean nothing */
	else if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		mode = st.st_mode & 07777;
	cs_create(rp->cs, path, type, mode, r->uid, r->gid, detail[0] ? detail : NULL,
		  r->seq);
	return 0;
}

static unsigned rename_flags(const struct record *r)
{
	size_t n;
	const struct audit_flag_name *t = audit_rename_flag_table(&n);
	unsigned f = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i].bit && arg_has_flag(r, "rename_flags", t[i].name))
			f |= t[i].bit;
	return f;
}

static int do_remove(struct replay *rp, const struct record *r)
{
	_cleanup_free_ char *name = NULL, *nname = NULL;
	_cleanup_close_ int dir = -1, ndir = -1;
	struct stat st;

	if ((dir = open_parent(rp->root, r->path_exact, &name)) < 0)
		return dir;
	if (r->action_id == AUDIT_UNLINK || r->action_id == AUDIT_RMDIR) {
		if (unlinkat(dir, name, r->action_id == AUDIT_RMDIR ? AT_REMOVEDIR : 0) < 0)
			return -errno;
		cs_delete(rp->cs, r->path_exact, r->seq);
		return 0;
	}
	/* rename */
	if (!r->new_path_exact)
		return -EINVAL;
	if ((ndir = open_parent(rp->root, r->new_path_exact, &nname)) < 0)
		return ndir;
	unsigned flags = rename_flags(r);
	bool target_existed = fstatat(ndir, nname, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (renameat2(dir, name, ndir, nname, flags) < 0)
		return -errno;
	cs_rename(rp->cs, r->path_exact, r->new_path_exact, flags & RENAME_EXCHANGE, target_existed, r->seq);
	if (flags & RENAME_WHITEOUT)
		cs_mark(rp->cs, r->path_exact, CS_CREATED, NULL, r->seq);
	return 0;
}

static int parse_time_arg(const struct record *r, const char *key, struct timespec *ts)
{
	char path[32];
	snprintf(path, sizeof(path), "args.%s", key);
	const char *s = json_get_str(record_obj(r), path);

	if (!s) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_OMIT;
		return 0;
	}
	if (!strcmp(s, AUDIT_TIME_NOW)) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_NOW;
		return 0;
	}
	return rfc3339_parse(s, ts);
}

static int do_attr(struct replay *rp, const struct record *r)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = -1;
	const enum audit_action a = r->action_id;
	char proc[4200];
	struct stat st;

	if ((dir = open_parent(rp->root, r->path_exact, &name)) < 0)
		return dir;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dir, name);
	if (a == AUDIT_CHMOD) {
		int64_t mode = arg_mode(r, -1);
		if (mode < 0)
			return -EINVAL;
		if (fchmodat(dir, name, (mode_t)mode, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		cs_chmod(rp->cs, r->path_exact, st.st_mode & 07777, (mode_t)mode, r->seq);
	} else if (a == AUDIT_CHOWN) {
		int64_t uid = arg_int(r, "uid", -1), gid = arg_int(r, "gid", -1);
		if (fchownat(dir, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		cs_chown(rp->cs, r->path_exact, uid, gid, r->seq);
	} else if (a == AUDIT_TRUNCATE) {
		int64_t size = arg_int(r, "size", -1);
		if (size < 0)
			return -EINVAL;
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		_cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || ftruncate(fd, size) < 0)
			return -errno;
		cs_truncate(rp->cs, r->path_exact, st.st_size, size, r->seq);
	} else if (a == AUDIT_UTIMES) {
		struct timespec ts[2];
		if (parse_time_arg(r, "atime", &ts[0]) < 0 || parse_time_arg(r, "mtime", &ts[1]) < 0)
			return -EINVAL;
		if (utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		cs_mark(rp->cs, r->path_exact, CS_TIMES, NULL, r->seq);
	} else if (a == AUDIT_REMOVEXATTR) {
		const char *x = json_get_str(record_obj(r), "args.name");
		if (!x)
			return -EINVAL;
		if (lremovexattr(proc, x) < 0)
			return -errno;
		cs_xattr(rp->cs, r->path_exact, x, true, r->seq);
	} else { /* setxattr: the value is not in the log; do not invent one */
		cs_xattr(rp->cs, r->path_exact, json_get_str(record_obj(r), "args.name"), false, r->seq);
	}
	return 0;
}

static int do_content(struct replay *rp, const struct record *r)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int dir = -1;
	const enum audit_action a = r->action_id;
	struct stat st;
	char note[128];

	if ((dir = open_parent(rp->root, r->path_exact, &name)) < 0)
		return dir;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (a == AUDIT_OPEN_WRITE || a == AUDIT_OPEN_TRUNC) {
		bool trunc = a == AUDIT_OPEN_TRUNC || arg_has_flag(r, "flags", audit_open_flag_name(O_TRUNC));
		if (S_ISDIR(st.st_mode) && a != AUDIT_OPEN_TRUNC)
			return -EISDIR;
		if (trunc && S_ISREG(st.st_mode)) {
			_cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			cs_mark(rp->cs, r->path_exact, CS_WOULD_TRUNCATE, NULL, r->seq);
		} else {
			cs_mark(rp->cs, r->path_exact, CS_OPENED_WRITE, NULL, r->seq);
		}
		return 0;
	}
	if (a == AUDIT_IOCTL) {
		snprintf(note, sizeof(note), "ioctl %s: effect unknown", str_or_dash(json_get_str(record_obj(r), "args.cmd")));
		cs_mark(rp->cs, r->path_exact, CS_IOCTL, note, r->seq);
		return 0;
	}
	snprintf(note, sizeof(note), "%s of %" PRId64 " bytes at offset %" PRId64 ": content unknown", r->action,
		 arg_int(r, "length", -1), arg_int(r, "offset", -1));
	cs_mark(rp->cs, r->path_exact, CS_WRITTEN, note, r->seq);
	return 0;
}

static int apply(struct replay *rp, const struct record *r)
{
	if (!r->action || !r->path_exact || r->path_exact[0] != '/')
		return -EINVAL;
	switch (r->action_id) {
	case AUDIT_CREATE:
	case AUDIT_MKDIR:
	case AUDIT_MKNOD:
	case AUDIT_SYMLINK:
	case AUDIT_LINK:
		return do_create(rp, r);
	case AUDIT_UNLINK:
	case AUDIT_RMDIR:
	case AUDIT_RENAME:
		return do_remove(rp, r);
	case AUDIT_CHMOD:
	case AUDIT_CHOWN:
	case AUDIT_TRUNCATE:
	case AUDIT_UTIMES:
	case AUDIT_SETXATTR:
	case AUDIT_REMOVEXATTR:
		return do_attr(rp, r);
	case AUDIT_OPEN_WRITE:
	case AUDIT_OPEN_TRUNC:
	case AUDIT_WRITE:
	case AUDIT_FALLOCATE:
	case AUDIT_COPY_FILE_RANGE:
	case AUDIT_IOCTL:
	case _AUDIT_ACTION_MAX:
	case _AUDIT_ACTION_INVALID: /* an action this reader does not know: content */
	default:
		return do_content(rp, r);
	}
}

static int replay_one(void *ud, const struct reader_line *line, const struct record *r)
{
	struct replay *rp = ud;
	int k;

	if (!record_is_event(r))
		return 0;
	rp->events++;
	/* a summary repeats an attempt already applied: the same call again
	 * changes nothing more (or fails the same way) */
	if (r->kind == AUDIT_KIND_SUMMARY) {
		rp->skipped++;
		return 0;
	}
	k = apply(rp, r);
	if (k >= 0) {
		rp->applied++;
		return 0;
	}
	rp->failed++;
	if (rp->json) {
		struct json_object *o = json_object_new_object(), *f = json_object_new_object();
		json_object_object_add(f, "seq", json_object_new_int64(r->seq));
		json_object_object_add(f, "action", json_object_new_string(str_or_dash(r->action)));
		/* a name that is not UTF-8: U+FFFD and path_hex, as in the log */
		esc_json_add_bytes(f, "path", str_or_dash(r->path_exact));
		if (r->new_path_exact)
			esc_json_add_bytes(f, "new_path", r->new_path_exact);
		json_object_object_add(f, "error", json_object_new_string(strerror(-k)));
		json_object_object_add(o, "failure", f);
		fprintf(rp->failures, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (rp->failed <= 1000) {
		fprintf(rp->failures, "\tseq %-8" PRId64 " ", r->seq);
		esc_column(rp->failures, r->action, 15, false);
		fputc(' ', rp->failures);
		esc_puts(rp->failures, r->path_exact);
		if (r->new_path_exact) {
			fputs(" -> ", rp->failures);
			esc_puts(rp->failures, r->new_path_exact);
		}
		fprintf(rp->failures, ": %s\n", strerror(-k));
	}
	(void)line;
	return 0;
}

/* ---- the scratch tree ---- */

static int find_start(void *ud, const struct reader_line *line, const struct record *r)
{
	struct strv *l = ud;
	struct json_object *arr;

	if (r->kind != AUDIT_KIND_START)
		return 0;
	arr = json_get_path(record_obj(r), "layers");
	if (!arr || !json_object_is_type(arr, json_type_array))
		return -EBADMSG;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		/* order by "index" (0 = top); fall back to array order */
		for (size_t j = 0; j < n; j++) {
			struct json_object *e = json_object_array_get_idx(arr, j);
			int64_t idx = json_get_int(e, "index", (int64_t)j);
			const char *p = json_get_str(e, "path"), *hex = json_get_str(e, "path_hex");
			_cleanup_free_ char *exact = hex ? malloc(strlen(hex) / 2 + 1) : NULL;
			/* a layer name that is not UTF-8: its exact bytes */
			if (exact && hex_decode(hex, strlen(hex), exact) >= 0)
				p = exact;
			if (idx == (int64_t)i && p && strv_push(l, p) < 0)
				return -ENOMEM;
		}
	}
	(void)line;
	return -ECANCELED; /* found: stop reading */
}

static int write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -errno;
	return 0;
}

/* Rootless: a user namespace where we are root (mapped to our own uid and
 * gid only) with its own mount namespace, where kernel overlayfs may be
 * mounted (Linux >= 5.11, with "userxattr").  Other uids are not mapped, so
 * chown to them fails and is listed as a failure. */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", map) < 0)
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	return write_file("/proc/self/gid_map", map) < 0 ? -errno : 0;
}

static int mount_overlay(const char *dir, const struct strv *l)
{
	_cleanup_free_ char *lower = NULL, *upper = NULL, *work = NULL, *merged = NULL;

	if (asprintf(&upper, "%s/upper", dir) < 0 || asprintf(&work, "%s/work", dir) < 0 ||
	    asprintf(&merged, "%s/merged", dir) < 0)
		return log_error_errno(ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i][0] != '/') {
			/* the layer list comes from the log: escaped */
			_cleanup_free_ char *safe = esc_strdup(l->v[i]);
			return log_error_errno(EINVAL, "layer '%s' is not an absolute path: give --layers",
					       safe ? safe : "?");
		}
	}
	/* the kernel's lowerdir= takes the escapes of common/optlist.h */
	if (optlist_join(l->v, l->n, &lower) < 0)
		return -ENOMEM;
	_cleanup_free_ char *full = NULL;
	bool rootless = geteuid() != 0;
	if (asprintf(&full, "lowerdir=%s,upperdir=%s,workdir=%s%s", lower, upper, work,
		     rootless ? ",userxattr" : "") < 0)
		return -ENOMEM;
	if (rootless ? enter_userns() < 0 : unshare(CLONE_NEWNS) < 0)
		return log_error_errno(errno, "cannot make a private mount namespace: %m (use --copy)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(errno, "cannot make mounts private: %m");
	if (mount("overlay", merged, "overlay", 0, full) < 0) {
		int r = -errno;
		_cleanup_free_ char *safe = esc_strdup(full);
		return log_error_errno(r, "cannot mount the scratch overlay on '%s' (%s): %m", merged,
				       safe ? safe : "?");
	}
	return 0;
}

static int copy_tree(const char *src, const char *dst)
{
	_cleanup_free_ char *from = NULL;
	pid_t pid;
	int status;

	if (asprintf(&from, "%s/.", src) < 0)
		return -ENOMEM;
	pid = fork();
	if (pid < 0)
		return log_error_errno(errno, "fork: %m");
	if (pid == 0) {
		execlp("cp", "cp", "-a", "--", from, dst, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(EIO, "cp -a '%s' '%s' failed", src, dst);
	return 0;
}

static bool dir_is_empty(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return false;
	return true;
}

static int setup_scratch(const char *dir, const struct strv *l, bool copy, int *ret_root)
{
	char sub[3][4200];
	static const char *const names[] = { "upper", "work", "merged" };

	if (!dir_is_empty(dir))
		return log_error_errno(EEXIST, "--onto '%s' must be an empty or new directory", dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "cannot create '%s': %m", dir);
	for (int i = 0; i < 3; i++) {
		snprintf(sub[i], sizeof(sub[i]), "%s/%s", dir, names[i]);
		if ((!copy || i == 2) && mkdir(sub[i], 0755) < 0)
			return log_error_errno(errno, "cannot create '%s': %m", sub[i]);
	}
	if (copy) {
		if (l->n != 1)
			return log_error_errno(EINVAL, "--copy needs exactly one directory in --layers (a merged view)");
		int k = copy_tree(l->v[0], sub[2]);
		if (k < 0)
			return k;
	} else {
		int k = mount_overlay(dir, l);
		if (k < 0)
			return k;
	}
	int fd = open(sub[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "cannot open '%s': %m", sub[2]);
	*ret_root = fd;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log replay --onto DIR [--layers TOP:...:BOTTOM] [--copy] [--json] LOG...\n"
	      "\n"
	      "Applies the logged attempts, in order, to a scratch copy of the image and reports the change\n"
	      "set, like git status: created, deleted, renamed, chmod-ed, chown-ed, truncated, xattr-changed,\n"
	      "times-changed; and what the log cannot tell: \"opened for writing\" and \"would have truncated\"\n"
	      "(a refused open never wrote a byte, so no content is invented), writes and ioctls (content\n"
	      "unknown), xattr values (unknown). Attempts that fail on the writable copy too (ENOENT,\n"
	      "ENOTEMPTY, ...) are listed as \"would have failed\".\n"
	      "\n"
	      "The scratch copy: by default a kernel overlayfs, mounted in a private mount namespace (so it\n"
	      "disappears when amber-log exits), with the layers of the log's first start record (or --layers)\n"
	      "as lowerdir and DIR/upper as upperdir: the layers are never written, and DIR/upper keeps the\n"
	      "result (overlay format) afterwards. Without root it runs in a user namespace of its own\n"
	      "(Linux >= 5.11, userxattr); a chown to another id, or a change to a file the user may not\n"
	      "write, then fails. Kernel overlayfs understands overlay whiteouts but not OCI .wh. files: for\n"
	      "OCI layers, mount the image with amberfs and pass --copy --layers MOUNTPOINT, which copies that\n"
	      "merged view to DIR/merged with cp -a (no mount).\n"
	      "DIR must be empty or absent. --json prints one object per changed path, then one\n"
	      "{\"failure\":{...}} per failed attempt.\n",
	      f);
}

static int replay_run(const char *onto, struct strv *l, bool copy, bool json, char **files, size_t n)
{
	struct replay rp = { .root = -1, .json = json, .rootless = geteuid() != 0 };
	struct scan_stats st;
	int k, rc = EXIT_USAGE;

	rp.failures = open_memstream(&rp.fail_buf, &rp.fail_len);
	rp.cs = changeset_new();
	if (!rp.failures || !rp.cs)
		goto out;
	if (setup_scratch(onto, l, copy, &rp.root) < 0)
		goto out;
	k = scan_series(files, n, replay_one, &rp, &st);
	if (k < 0) {
		(void)log_error_errno(k, "replay failed: %m");
		goto out;
	}
	fflush(rp.failures);
	if (json) {
		changeset_print(rp.cs, stdout, true);
		fwrite(rp.fail_buf, 1, rp.fail_len, stdout);
	} else {
		printf("Replayed %" PRIu64 " attempt records onto %s/merged (%s): %" PRIu64 " applied, %" PRIu64
		       " would have failed, %" PRIu64 " summary records (repeats) not re-applied.\n",
		       rp.events, onto, copy ? "a copy of the merged view" : "kernel overlay; changes kept in upper/",
		       rp.applied, rp.failed, rp.skipped);
		printf("\nChanges (%zu paths):\n", changeset_size(rp.cs));
		changeset_print(rp.cs, stdout, false);
		if (rp.failed) {
			printf("\nWould have failed even on a writable root:\n");
			if (rp.rootless)
				printf("\t(replayed without root: EPERM, EACCES and EINVAL from chown may come from the "
				       "replaying user's own rights, not from the image)\n");
			fwrite(rp.fail_buf, 1, rp.fail_len, stdout);
			if (rp.failed > 1000)
				printf("\t... and %" PRIu64 " more\n", rp.failed - 1000);
		}
	}
	rc = st.bad_lines || st.file_errors || st.truncated ? EXIT_PROBLEMS : EXIT_CLEAN;
out:
	if (rp.root >= 0)
		close(rp.root);
	if (!copy && rc != EXIT_USAGE) {
		char m[4200];
		snprintf(m, sizeof(m), "%s/merged", onto);
		(void)umount2(m, MNT_DETACH);
	}
	if (rp.failures)
		fclose(rp.failures);
	free(rp.fail_buf);
	changeset_free(rp.cs);
	return rc;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "onto", required_argument, NULL, 'o' },
		{ "layers", required_argument, NULL, 'l' },
		{ "copy", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{},
	};
	struct strv l = { 0 };
	const char *onto = NULL, *spec = NULL;
	bool copy = false, json = false;
	int c, rc = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "ho:l:cj", opts, NULL)) >= 0) {
		switch (c) {
		case 'h': usage(stdout); return EXIT_CLEAN;
		case 'o': onto = optarg; break;
		case 'l': spec = optarg; break;
		case 'c': copy = true; break;
		case 'j': json = true; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!onto || optind >= argc) {
		if (!onto)
			log_error("--onto DIR is required");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (spec) {
		size_t bad = 0;
		int k = optlist_split(spec, &l, &bad);

		if (k == -EINVAL) {
			log_error("--layers '%s': empty layer at position %zu; expected TOP:...:BOTTOM", spec, bad);
			goto out;
		}
		if (k < 0) {
			log_error_errno(k, "--layers: %m");
			goto out;
		}
	} else {
		int k = scan_series(argv + optind, (size_t)(argc - optind), find_start, &l, NULL);
		if (k == -EBADMSG || (k != -ECANCELED && k < 0) || l.n == 0) {
			log_error("no start record with a layer list in the log: give --layers TOP:...:BOTTOM");
			goto out;
		}
	}
	rc = replay_run(onto, &l, copy, json, argv + optind, (size_t)(argc - optind));
out:
	strv_free(&l);
	return rc;
}
