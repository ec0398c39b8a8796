/* SPDX-License-Identifier: MIT */
/*
 * mounts.c - the mount(2) side of the runner (see mounts.h).
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

static int openat2_in_root(int root_fd, const char *path, int flags, int *ret)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = path[0] == '/' && path[1] ? path + 1 : path[0] == '/' ? "." : path;
	int fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));

	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

static unsigned long attr_from_flags(unsigned long ms)
{
	unsigned long a = 0;

	if (ms & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

/* Attach a detached mount (fsmount/open_tree fd) onto target_fd. */
static int attach(int mnt_fd, int target_fd, const char *dst)
{
	if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_error_errno(-errno, "cannot mount on '%s': %m", dst);
	return 0;
}

static int set_attr(int mnt_fd, unsigned long attr, bool recursive, const char *dst)
{
	struct mount_attr a = { .attr_set = attr };

	if (attr == 0)
		return 0;
	if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
		return log_error_errno(-errno, "cannot set mount flags on '%s': %m", dst);
	return 0;
}

/* Bind host path src (fd or path) onto target_fd with the given MS_ flags. */
static int bind_path(const char *src, int target_fd, const char *dst, unsigned long flags)
{
	_cleanup_close_ int t = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	int r;

	if (t < 0)
		return log_error_errno(-errno, "cannot bind '%s' on '%s': %m", src, dst);
	r = set_attr(t, attr_from_flags(flags), true, dst);
	if (r < 0)
		return r;
	return attach(t, target_fd, dst);
}

/* fsopen(type) + key=value options + fsmount with flags, attached on target. */
static int new_fs(const char *type, const char *data, int target_fd, const char *dst, unsigned long flags)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	_cleanup_close_ int m = -1;
	_cleanup_free_ char *copy = data ? strdup(data) : NULL;
	char *save = NULL;

	if (fs < 0)
		return log_error_errno(-errno, "fsopen(%s) for '%s': %m", type, dst);
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		int r;

		if (eq) {
			*eq = '\0';
			r = fsconfig(fs, FSCONFIG_SET_STRING, t, eq + 1, 0);
		} else {
			r = fsconfig(fs, FSCONFIG_SET_FLAG, t, NULL, 0);
		}
		if (r < 0)
			return log_error_errno(-errno, "%s on '%s': option '%s' refused: %m", type, dst, t);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return log_error_errno(-errno, "cannot create %s for '%s': %m", type, dst);
	m = fsmount(fs, FSMOUNT_CLOEXEC, attr_from_flags(flags));
	if (m < 0)
		return log_error_errno(-errno, "cannot mount %s on '%s': %m", type, dst);
	return attach(m, target_fd, dst);
}

/*
 * Opens dst beneath the root (O_PATH).  When it is missing, creates it (a
 * directory, or an empty file for file binds) if its parent is writable:
 * a tmpfs or a volume mounted earlier.  On the amberfs root this fails
 * with EROFS, which means amberfs did not synthesize it.
 */
static int open_target(int root_fd, const char *dst, bool dir, int *ret)
{
	_cleanup_free_ char *parent = strdup(dst);
	_cleanup_close_ int pfd = -1;
	char *slash;
	int r, fd;

	r = openat2_in_root(root_fd, dst, O_PATH, ret);
	if (r != -ENOENT)
		return r < 0 ? log_error_errno(r, "mount destination '%s': %m", dst) : 0;
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	*slash = '\0';
	r = openat2_in_root(root_fd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, &pfd);
	if (r == -ENOENT && parent[0]) {
		/* Create missing parents too (inside a tmpfs or volume). */
		r = open_target(root_fd, parent, true, &pfd);
		if (r < 0)
			return r;
	} else if (r < 0) {
		return log_error_errno(r, "mount destination '%s': parent: %m", dst);
	}
	if (dir)
		r = mkdirat(pfd, slash + 1, 0755) < 0 ? -errno : 0;
	else {
		fd = openat(pfd, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		r = fd < 0 ? -errno : close(fd);
	}
	if (r < 0 && r != -EEXIST)
		return log_error_errno(r, "mount destination '%s' does not exist in the image and cannot be created: %m%s",
				       dst, !dir && r == -EROFS ? " (a file target must exist in the image, or lie on a "
							       "tmpfs or volume: amberfs synthesizes directories only)"
							     : "");
	return openat2_in_root(pfd, slash + 1, O_PATH, ret) < 0
		       ? log_error_errno(-errno, "mount destination '%s': %m", dst)
		       : 0;
}

/* Whether gid (as seen here) is mapped in our user namespace. */
static bool gid_mapped(unsigned long gid)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/gid_map", "re");
	unsigned long inside, outside, count;

	if (!f)
		return false;
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		if (gid >= inside && gid - inside < count)
			return true;
	return false;
}

static int make_dev(int root_fd, const struct mount_op *op)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
	};
	_cleanup_close_ int target = -1, dev = -1;
	int r;

	r = open_target(root_fd, "/dev", true, &target);
	if (r < 0)
		return r;
	r = new_fs("tmpfs", "mode=0755,size=65536k", target, "/dev", op->flags);
	if (r < 0)
		return r;
	r = openat2_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, &dev);
	if (r < 0)
		return log_error_errno(r, "cannot open the new /dev: %m");
	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		_cleanup_close_ int node = -1;
		_cleanup_free_ char *host = NULL, *dst = NULL;

		if (asprintf(&host, "/dev/%s", nodes[i]) < 0 || asprintf(&dst, "/dev/%s", nodes[i]) < 0)
			return -ENOMEM;
		if (access(host, F_OK) < 0)
			continue;
		/* Bind the host's node on an empty file: mknod is not allowed in
		 * a user namespace, and the same code then serves root. */
		if ((r = open_target(root_fd, dst, false, &node)) < 0 ||
		    (r = bind_path(host, node, dst, MS_NOSUID | MS_NOEXEC)) < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0 && errno != EEXIST)
			return log_error_errno(-errno, "cannot create /dev/%s: %m", links[i][0]);
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		return log_error_errno(-errno, "cannot create /dev/pts, /dev/shm: %m");
	{
		_cleanup_close_ int pts = -1, shm = -1;

		if ((r = openat2_in_root(root_fd, "/dev/pts", O_PATH, &pts)) < 0 ||
		    (r = openat2_in_root(root_fd, "/dev/shm", O_PATH, &shm)) < 0)
			return log_error_errno(r, "cannot open /dev/pts or /dev/shm: %m");
		/* gid=5 (tty) only when the user namespace maps it. */
		r = new_fs("devpts", gid_mapped(5) ? "newinstance,ptmxmode=0666,mode=0620,gid=5"
						   : "newinstance,ptmxmode=0666,mode=0620",
			   pts, "/dev/pts", MS_NOSUID | MS_NOEXEC);
		if (r < 0)
			return r;
		r = new_fs("tmpfs", "mode=1777,size=65536k", shm, "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A new sysfs needs a network namespace owned by our user namespace; with
 * --net host in a rootless container there is none, so the host's /sys is
 * bound instead (recursively, read-only).
 */
static int make_sys(int root_fd, const struct mount_op *op)
{
	_cleanup_close_ int target = -1, fs = -1, m = -1;
	int r;

	if ((r = open_target(root_fd, op->dst, true, &target)) < 0)
		return r;
	fs = fsopen("sysfs", FSOPEN_CLOEXEC);
	if (fs >= 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, attr_from_flags(op->flags));
	if (m >= 0)
		return attach(m, target, op->dst);
	log_debug_errno(-errno, "new sysfs refused (%m): binding the host's /sys read-only");
	return bind_path("/sys", target, op->dst, op->flags);
}

static int apply_one(int root_fd, const struct mount_op *op)
{
	_cleanup_close_ int target = -1;
	int r;

	switch (op->kind) {
	case MOUNT_PROC:
		if ((r = open_target(root_fd, op->dst, true, &target)) < 0)
			return r;
		return new_fs("proc", NULL, target, op->dst, op->flags);
	case MOUNT_DEV:
		return make_dev(root_fd, op);
	case MOUNT_SYSFS:
		return make_sys(root_fd, op);
	case MOUNT_TMPFS:
		if ((r = open_target(root_fd, op->dst, true, &target)) < 0)
			return r;
		return new_fs("tmpfs", op->data, target, op->dst, op->flags);
	case MOUNT_BIND:
		if ((r = open_target(root_fd, op->dst, op->src_is_dir, &target)) < 0)
			return r;
		return bind_path(op->src, target, op->dst, op->flags);
	case MOUNT_ETC_FILE: {
		struct stat st;

		r = openat2_in_root(root_fd, op->dst, O_PATH, &target);
		if (r == -ENOENT && op->optional)
			return 0;
		if (r < 0)
			return log_error_errno(r, "cannot open '%s' in the image: %m", op->dst);
		if (fstat(target, &st) < 0 || !S_ISREG(st.st_mode))
			return 0; /* not a file in this image: leave it alone */
		return bind_path(op->src, target, op->dst, op->flags);
	}
	case MOUNT_ROOTFS:
	case _MOUNT_KIND_MAX:
	case _MOUNT_KIND_INVALID:
	default:
		return log_error_errno(-EINVAL, "internal: unexpected mount kind on '%s'", op->dst);
	}
}

int mounts_apply(const struct spec *s, const char *root)
{
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (root_fd < 0)
		return log_error_errno(-errno, "cannot open the container root '%s': %m", root);
	/* Device nodes in an image must not work: nodev on the root. */
	r = set_attr(root_fd, MOUNT_ATTR_NODEV, false, "/");
	if (r < 0)
		return r;
	for (size_t i = 1; i < s->n; i++) {
		r = apply_one(root_fd, &s->ops[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int mounts_pivot(const char *root)
{
	_cleanup_close_ int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fchdir(fd) < 0)
		return log_error_errno(-errno, "cannot enter the container root '%s': %m", root);
	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * "." then removes the old root without needing a directory for it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return log_error_errno(-errno, "pivot_root into '%s': %m", root);
	if (umount2(".", MNT_DETACH) < 0)
		return log_error_errno(-errno, "cannot detach the old root: %m");
	if (chdir("/") < 0)
		return log_error_errno(-errno, "chdir /: %m");
	return 0;
}

static int mask_path(const char *path)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : log_error_errno(-errno, "cannot mask '%s': %m", path);
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return new_fs("tmpfs", "size=0,mode=0555", fd, path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	return bind_path("/dev/null", fd, path, MS_RDONLY | MS_NOSUID | MS_NOEXEC);
}

static int readonly_path(const char *path)
{
	_cleanup_close_ int t = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
							   AT_SYMLINK_NOFOLLOW);
	_cleanup_close_ int fd = -1;
	int r;

	if (t < 0)
		return errno == ENOENT ? 0 : log_error_errno(-errno, "cannot make '%s' read-only: %m", path);
	r = set_attr(t, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true, path);
	if (r < 0)
		return r;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open '%s': %m", path);
	return attach(t, fd, path);
}

int mounts_finish(void)
{
	/* Docker's masked and read-only /proc and /sys paths. */
	static const char *const masked[] = {
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/proc/sysrq-trigger", "/sys/firmware", "/sys/devices/virtual/powercap",
	};
	static const char *const readonly[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	};
	_cleanup_close_ int dev = -1;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(masked); i++)
		if ((r = mask_path(masked[i])) < 0)
			return r;
	for (size_t i = 0; i < ELEMENTSOF(readonly); i++)
		if ((r = readonly_path(readonly[i])) < 0)
			return r;
	/* /dev itself is read-only once populated (its pts, shm and device
	 * nodes are separate mounts and stay usable). */
	dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dev < 0)
		return log_error_errno(-errno, "cannot open /dev: %m");
	return set_attr(dev, MOUNT_ATTR_RDONLY, false, "/dev");
}
