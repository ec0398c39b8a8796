/* SPDX-License-Identifier: MIT */
/*
 * audit_schema.c - the tables of audit_schema.h.  The order of each table is
 * the order listings show (amber-log schema, `--action` help, genlog), and
 * the order of the flag tables is the order args.flags lists the names in:
 * changing it changes the bytes of the log.
 */
#include "audit_schema.h"

#include <fcntl.h>
#include <stdio.h> /* RENAME_* */
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h" /* ELEMENTSOF */

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

/* glibc defines O_LARGEFILE as 0 on 64-bit targets, but the kernel still
 * sets its own bit in the flags FUSE forwards. */
#if defined(__x86_64__) || defined(__i386__)
#define KERNEL_O_LARGEFILE 0100000
#elif defined(__aarch64__) || defined(__arm__)
#define KERNEL_O_LARGEFILE 0400000
#else
#define KERNEL_O_LARGEFILE 0
#endif

static const char *const kind_names[_AUDIT_KIND_MAX] = {
	[AUDIT_KIND_START] = "start", [AUDIT_KIND_ATTEMPT] = "attempt", [AUDIT_KIND_SUMMARY] = "summary",
	[AUDIT_KIND_LOSS] = "loss",   [AUDIT_KIND_ROTATE] = "rotate",   [AUDIT_KIND_STOP] = "stop",
};

static const char *const action_names[_AUDIT_ACTION_MAX] = {
	[AUDIT_OPEN_WRITE] = "open_write",
	[AUDIT_OPEN_TRUNC] = "open_trunc",
	[AUDIT_CREATE] = "create",
	[AUDIT_MKNOD] = "mknod",
	[AUDIT_MKDIR] = "mkdir",
	[AUDIT_SYMLINK] = "symlink",
	[AUDIT_LINK] = "link",
	[AUDIT_UNLINK] = "unlink",
	[AUDIT_RMDIR] = "rmdir",
	[AUDIT_RENAME] = "rename",
	[AUDIT_CHMOD] = "chmod",
	[AUDIT_CHOWN] = "chown",
	[AUDIT_TRUNCATE] = "truncate",
	[AUDIT_UTIMES] = "utimes",
	[AUDIT_SETXATTR] = "setxattr",
	[AUDIT_REMOVEXATTR] = "removexattr",
	[AUDIT_WRITE] = "write",
	[AUDIT_FALLOCATE] = "fallocate",
	[AUDIT_COPY_FILE_RANGE] = "copy_file_range",
	[AUDIT_IOCTL] = "ioctl",
};

static const char *const loss_reason_names[_AUDIT_LOSS_REASON_MAX] = {
	[AUDIT_LOSS_QUEUE_FULL] = "queue_full",
	[AUDIT_LOSS_QUEUE_TIMEOUT] = "queue_timeout",
	[AUDIT_LOSS_WRITE_ERROR] = "write_error",
};

static const char *const rotate_reason_names[_AUDIT_ROTATE_REASON_MAX] = {
	[AUDIT_ROTATE_SIZE] = "size",
	[AUDIT_ROTATE_REOPEN] = "reopen",
};

/* O_SYNC includes O_DSYNC's bit: listed first so it wins. */
static const struct audit_flag_name open_flags[] = {
	{ O_CREAT, "O_CREAT" },
	{ O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" },
	{ O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" },
	{ O_NONBLOCK, "O_NONBLOCK" },
	{ O_SYNC, "O_SYNC" },
	{ O_DSYNC, "O_DSYNC" },
	{ O_ASYNC, "O_ASYNC" },
	{ O_DIRECT, "O_DIRECT" },
	{ KERNEL_O_LARGEFILE, "O_LARGEFILE" },
	{ O_TMPFILE, "O_TMPFILE" },
	{ O_DIRECTORY, "O_DIRECTORY" },
	{ O_NOFOLLOW, "O_NOFOLLOW" },
	{ O_NOATIME, "O_NOATIME" },
	{ O_CLOEXEC, "O_CLOEXEC" },
	{ O_PATH, "O_PATH" },
};

static const char *const open_access_names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

static const struct audit_flag_name rename_flags[] = {
	{ RENAME_NOREPLACE, "RENAME_NOREPLACE" },
	{ RENAME_EXCHANGE, "RENAME_EXCHANGE" },
	{ RENAME_WHITEOUT, "RENAME_WHITEOUT" },
};

static const struct {
	mode_t type;
	const char *name;
} file_types[] = {
	{ S_IFREG, "reg" },  { S_IFDIR, "dir" },   { S_IFCHR, "chr" }, { S_IFBLK, "blk" },
	{ S_IFIFO, "fifo" }, { S_IFSOCK, "sock" }, { S_IFLNK, "lnk" },
};

static const char *to_string(const char *const *t, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? t[i] : NULL;
}

static int from_string(const char *const *t, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

const char *audit_kind_to_string(enum audit_kind k)
{
	return to_string(kind_names, ELEMENTSOF(kind_names), k);
}

enum audit_kind audit_kind_from_string(const char *s)
{
	return from_string(kind_names, ELEMENTSOF(kind_names), s);
}

const char *audit_action_to_string(enum audit_action a)
{
	return to_string(action_names, ELEMENTSOF(action_names), a);
}

enum audit_action audit_action_from_string(const char *s)
{
	return from_string(action_names, ELEMENTSOF(action_names), s);
}

const char *audit_loss_reason_to_string(enum audit_loss_reason r)
{
	return to_string(loss_reason_names, ELEMENTSOF(loss_reason_names), r);
}

enum audit_loss_reason audit_loss_reason_from_string(const char *s, const char **ret_errno_name)
{
	const char *w = loss_reason_names[AUDIT_LOSS_WRITE_ERROR];
	size_t n = strlen(w);

	if (ret_errno_name)
		*ret_errno_name = "";
	if (s && strncmp(s, w, n) == 0 && s[n] == AUDIT_LOSS_ERRNO_SEP) {
		if (ret_errno_name)
			*ret_errno_name = s + n + 1;
		return AUDIT_LOSS_WRITE_ERROR;
	}
	return from_string(loss_reason_names, ELEMENTSOF(loss_reason_names), s);
}

const char *audit_rotate_reason_to_string(enum audit_rotate_reason r)
{
	return to_string(rotate_reason_names, ELEMENTSOF(rotate_reason_names), r);
}

enum audit_rotate_reason audit_rotate_reason_from_string(const char *s)
{
	return from_string(rotate_reason_names, ELEMENTSOF(rotate_reason_names), s);
}

const char *audit_open_access_name(unsigned accmode)
{
	return open_access_names[accmode & O_ACCMODE];
}

const struct audit_flag_name *audit_open_flag_table(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(open_flags);
	return open_flags;
}

const struct audit_flag_name *audit_rename_flag_table(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(rename_flags);
	return rename_flags;
}

static const char *flag_name(const struct audit_flag_name *t, size_t n, unsigned bit)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].bit && t[i].bit == bit)
			return t[i].name;
	return NULL;
}

const char *audit_open_flag_name(unsigned bit)
{
	return flag_name(open_flags, ELEMENTSOF(open_flags), bit);
}

const char *audit_rename_flag_name(unsigned bit)
{
	return flag_name(rename_flags, ELEMENTSOF(rename_flags), bit);
}

const char *audit_file_type_to_string(mode_t m)
{
	for (size_t i = 0; i < ELEMENTSOF(file_types); i++)
		if ((m & S_IFMT) == file_types[i].type)
			return file_types[i].name;
	return NULL;
}

mode_t audit_file_type_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(file_types); i++)
		if (strcmp(s, file_types[i].name) == 0)
			return file_types[i].type;
	return 0;
}

const char *audit_file_type_name_at(size_t i)
{
	return i < ELEMENTSOF(file_types) ? file_types[i].name : NULL;
}
