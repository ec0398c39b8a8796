/* SPDX-License-Identifier: MIT */
/* confine.c - Landlock, seccomp and the unmount helper; see confine.h. */
#include "confine.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "detach.h"
#include "log.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#define ACCESS_FS_TRUNCATE (1ULL << 14)
#define ACCESS_FS_IOCTL_DEV (1ULL << 15)

struct confine {
	pid_t helper;
	int fd; /* write end: a byte = "unmount now", EOF = "the daemon died" */
	/* Made by the preparing thread while the daemon mounts: */
	pthread_t prep;
	bool prep_running;
	const struct fs_config *cfg;
	struct sock_filter *bpf; /* the compiled seccomp filter, or NULL */
	size_t bpf_len;          /* in instructions */
	int bpf_r;               /* why there is no bpf */
};

/* The mountpoint as /proc/self/mountinfo writes it (octal escapes). */
static void mountinfo_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 5 < size; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\\')
			o += snprintf(out + o, size - o, "\\%03o", (unsigned char)*in);
		else
			out[o++] = *in;
	}
	out[o] = '\0';
}

/*
 * The "major:minor" of the last fuse.amberfs mount on mnt, or whether that
 * mount is still there.  Read from mountinfo: a stat() of a FUSE mount
 * whose daemon does not serve yet, or any more, would hang or fail.
 */
static bool mountinfo_find(const char *mnt, const char *want_dev, char *ret_dev, size_t size)
{
	char want[3 * PATH_MAX], line[8192];
	bool found = false;
	FILE *f;

	mountinfo_escape(mnt, want, sizeof(want));
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return want_dev != NULL; /* cannot tell: try to unmount */
	while (fgets(line, sizeof(line), f)) {
		char d[32], mp[3 * PATH_MAX];
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "fuse.amberfs ", 13) != 0)
			continue;
		if (sscanf(line, "%*d %*d %31s %*s %12287s", d, mp) != 2 || strcmp(mp, want) != 0)
			continue;
		if (want_dev && strcmp(d, want_dev) != 0)
			continue;
		found = true;
		if (ret_dev)
			snprintf(ret_dev, size, "%s", d);
	}
	fclose(f);
	return found;
}

static _Noreturn void helper_main(int rfd, const char *mnt, const char *dev)
{
	char c;

	/* Ctrl-C reaches the whole process group: outlive the daemon. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (rfd != 3) {
		dup2(rfd, 3);
		rfd = 3;
	}
	/* Hold nothing of the daemon's, least of all /dev/fuse, nor the
	 * caller's stdout/stderr (a caller may wait for their EOF). */
	syscall(SYS_close_range, 4, ~0U, 0);
	(void)detach_stdio(-1, false);
	/* 'u': unmount now; 'q': already unmounted, just go; EOF (the daemon
	 * died): unmount if the mount still looks like ours. */
	if (read(rfd, &c, 1) == 1 && c == 'q')
		_exit(0);
	if (!mountinfo_find(mnt, dev, NULL, 0))
		_exit(0);
	if (umount2(mnt, MNT_DETACH) == 0)
		_exit(0);
	execlp("fusermount3", "fusermount3", "-u", "-q", "-z", mnt, (char *)NULL);
	_exit(1);
}

static int spawn_helper(const char *mnt, struct confine *c)
{
	char dev[32];
	int p[2];

	if (!mountinfo_find(mnt, NULL, dev, sizeof(dev)))
		return -ENOENT;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c->helper = fork();
	if (c->helper < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (c->helper == 0) {
		close(p[1]);
		helper_main(p[0], mnt, dev);
	}
	close(p[0]);
	c->fd = p[1];
	return 0;
}

static int landlock_add(int ruleset, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };

	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return -errno;
	return 0;
}

static int landlock_add_path(int ruleset, const char *path, uint64_t access)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return landlock_add(ruleset, fd, access);
}

/* A rule for the directory that holds path (an absolute path). */
static int landlock_add_dir_of(int ruleset, const char *path, uint64_t access)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;

	if (!dir)
		return -ENOMEM;
	if (!slash)
		return landlock_add_path(ruleset, ".", access);
	slash[slash == dir ? 1 : 0] = '\0';
	return landlock_add_path(ruleset, dir, access);
}

static uint64_t landlock_handled(int abi)
{
	uint64_t h = (1ULL << 13) - 1;

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= ACCESS_FS_IOCTL_DEV;
	return h;
}

static int apply_landlock(const struct fs_config *cfg, const struct layer_stack *ls)
{
	const uint64_t ro = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	struct landlock_ruleset_attr attr = { 0 };
	_cleanup_close_ int rs = -1;
	int abi, r = 0;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		log_warning_errno(-errno, "Landlock: (kernel): not available (%m); the daemon runs without filesystem confinement");
		return 0;
	}
	attr.handled_access_fs = landlock_handled(abi);
	rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return -errno;
	for (size_t i = 0; r == 0 && i < ls->n; i++)
		r = landlock_add(rs, ls->layers[i].fd, ro);
	if (r == 0)
		r = landlock_add_path(rs, "/proc", ro);
#ifdef __SANITIZE_ADDRESS__
	/* Sanitizer builds only: LeakSanitizer reads its suppressions file at
	 * exit, wherever LSAN_OPTIONS points. */
	if (r == 0)
		r = landlock_add_path(rs, "/", ro);
#endif
	if (r == 0 && cfg->log_path)
		r = landlock_add_dir_of(rs, cfg->log_path,
					ro | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |
					LANDLOCK_ACCESS_FS_REMOVE_FILE | (abi >= 3 ? ACCESS_FS_TRUNCATE : 0));
	/* The pidfile is removed at exit. */
	if (r == 0 && cfg->pidfile)
		r = landlock_add_dir_of(rs, cfg->pidfile, LANDLOCK_ACCESS_FS_REMOVE_FILE);
	if (r < 0)
		return r;
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		return -errno;
	return 0;
}

/* Calls that can change the filesystem or escape; everything else is allowed. */
static const int seccomp_denied[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(mount), SCMP_SYS(umount2),
	SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(process_vm_writev),
#ifndef __SANITIZE_ADDRESS__
	/* LeakSanitizer inspects the process with ptrace at exit. */
	SCMP_SYS(ptrace),
#endif
	SCMP_SYS(bpf), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(unshare), SCMP_SYS(setns),
	SCMP_SYS(chmod), SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown),
	SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(mknod),
	SCMP_SYS(mknodat), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat),
	SCMP_SYS(rmdir), SCMP_SYS(setxattr), SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr),
	SCMP_SYS(removexattr), SCMP_SYS(lremovexattr), SCMP_SYS(fremovexattr), SCMP_SYS(utime),
	SCMP_SYS(utimes), SCMP_SYS(utimensat), SCMP_SYS(futimesat), SCMP_SYS(truncate),
	SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(reboot), SCMP_SYS(settimeofday),
	SCMP_SYS(clock_settime), SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(keyctl),
	SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(userfaultfd), SCMP_SYS(perf_event_open),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(fanotify_init),
	SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(fsopen), SCMP_SYS(fsmount),
	SCMP_SYS(fsconfig), SCMP_SYS(fspick), SCMP_SYS(mount_setattr),
};
/* Needed by log rotation and the pidfile's removal only.  flock(2) must stay
 * allowed: the writer holds a shared lock on the log (docs/audit-log.md). */
static const int seccomp_rotation[] = {
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2),
};

static int seccomp_rules(const struct fs_config *cfg, scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(seccomp_denied); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), seccomp_denied[i], 0);
	for (size_t i = 0; r == 0 && !cfg->log_path && !cfg->pidfile && i < ELEMENTSOF(seccomp_rotation); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), seccomp_rotation[i], 0);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

/* The filter as BPF, compiled by libseccomp (its export is what its load
 * would hand the kernel). */
static int seccomp_compile(const struct fs_config *cfg, struct sock_filter **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct sock_filter *bpf;
	scmp_filter_ctx ctx;
	off_t size;
	int r;

	r = seccomp_rules(cfg, &ctx);
	if (r < 0)
		return r;
	fd = memfd_create("amberfs-seccomp", MFD_CLOEXEC);
	r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(*bpf) != 0 || size / sizeof(*bpf) > BPF_MAXINSNS)
		return -EINVAL;
	bpf = malloc(size);
	if (!bpf)
		return -ENOMEM;
	if (pread(fd, bpf, size, 0) != size) {
		free(bpf);
		return -EIO;
	}
	*ret = bpf;
	*ret_len = size / sizeof(*bpf);
	return 0;
}

/* Loads the compiled filter for every thread (the audit writer exists). */
static int seccomp_load_bpf(const struct confine *c)
{
	struct sock_fprog prog = { .len = c->bpf_len, .filter = c->bpf };
	long r;

	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r < 0)
		return -errno;
	if (r > 0)
		return -EBUSY; /* a thread that could not take the filter */
	return 0;
}

static int apply_seccomp(const struct confine *c)
{
	scmp_filter_ctx ctx;
	int r;

	if (c->bpf)
		return seccomp_load_bpf(c);
	/* Not compiled ahead (see confine_prepare()): the libseccomp way. */
	r = seccomp_rules(c->cfg, &ctx);
	if (r < 0)
		return r;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

static void *prepare_main(void *p)
{
	struct confine *c = p;

	/* glibc loads libgcc_s on the first pthread_cancel (libfuse cancels
	 * its workers at exit); once confined it could not read the file. */
	if (!dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE))
		log_debug("cannot preload libgcc_s.so.1: %s", dlerror());
	c->bpf_r = seccomp_compile(c->cfg, &c->bpf, &c->bpf_len);
	return NULL;
}

static void prepare_join(struct confine *c)
{
	if (!c->prep_running)
		return;
	pthread_join(c->prep, NULL);
	c->prep_running = false;
}

int confine_prepare(const struct fs_config *cfg, struct confine **ret)
{
	struct confine *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->cfg = cfg;
	c->bpf_r = -EAGAIN;
	r = pthread_create(&c->prep, NULL, prepare_main, c);
	if (r != 0)
		log_debug_errno(-r, "confinement: cannot prepare ahead (%m); preparing later");
	c->prep_running = r == 0;
	*ret = c;
	return 0;
}

int confine_apply(struct confine *c, const struct layer_stack *ls)
{
	const struct fs_config *cfg = c->cfg;
	int r;

	prepare_join(c);
	if (!c->bpf && c->bpf_r != -EAGAIN)
		log_debug_errno(c->bpf_r, "seccomp: cannot compile ahead (%m); compiling now");
	if (c->bpf_r == -EAGAIN)
		prepare_main(c);
	r = spawn_helper(cfg->mountpoint, c);
	if (r < 0)
		return log_error_errno(r, "unmount helper: '%s': cannot start it: %m", cfg->mountpoint);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return log_error_errno(-errno, "confinement: no_new_privs: %m");
	r = apply_landlock(cfg, ls);
	if (r < 0)
		return log_error_errno(r, "confinement: Landlock: %m");
	r = apply_seccomp(c);
	/* No seccomp in this kernel (or under valgrind): say so, go on. */
	if (r == -EOPNOTSUPP || r == -ENOSYS || r == -EINVAL)
		log_warning_errno(r, "seccomp: (kernel): not available (%m); the daemon runs without a syscall filter");
	else if (r < 0)
		return log_error_errno(r, "seccomp: (filter): %m");
	return 0;
}

bool confine_unmount(struct confine *c, bool still_mounted)
{
	char u = still_mounted ? 'u' : 'q';
	int status;

	if (!c || c->fd < 0 || c->helper <= 0)
		return false;
	if (write(c->fd, &u, 1) != 1) {
		/* the helper acts on EOF as well */
	}
	close(c->fd);
	c->fd = -1;
	while (waitpid(c->helper, &status, 0) < 0 && errno == EINTR)
		;
	c->helper = 0;
	return true;
}

struct confine *confine_free(struct confine *c)
{
	if (!c)
		return NULL;
	prepare_join(c);
	(void)confine_unmount(c, true);
	free(c->bpf);
	free(c);
	return NULL;
}
