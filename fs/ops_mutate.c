/* SPDX-License-Identifier: MIT */
/*
 * ops_mutate.c - every mutating operation, refused through gate_reject().
 *
 * Each handler only describes the attempt (its action, the paths, the
 * arguments worth recording) and replies with what the gate returns, so
 * every refused request yields exactly one audit event.
 */
#include "ops_mutate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

static struct node *node_of(fuse_req_t req, fuse_ino_t ino)
{
	struct amberfs *fs = fuse_req_userdata(req);

	return inode_from_fuse(fs->inodes, ino);
}

static void refuse_now(fuse_req_t req, enum audit_action action, fuse_ino_t ino,
		       const char *name, fuse_ino_t ino2, const char *name2,
		       const struct audit_args *args)
{
	struct amberfs *fs = fuse_req_userdata(req);
	int r = gate_reject(fs->gate, req, action, node_of(req, ino), name,
			    ino2 ? node_of(req, ino2) : NULL, name2, args);

	fuse_reply_err(req, -r);
}

/* A refusal that may wait for room in the audit queue, with its own copy
 * of every string the request lent it. */
struct refuse_job {
	fuse_req_t req;
	enum audit_action action;
	fuse_ino_t ino, ino2;
	const char *name, *name2;
	struct audit_args args;
	char data[];
};

static void refuse_job_run(void *arg)
{
	struct refuse_job *j = arg;

	refuse_now(j->req, j->action, j->ino, j->name, j->ino2, j->name2, &j->args);
	free(j);
}

/* Appends len bytes of src (NULL stays NULL) to the job's data. */
static const void *job_copy(char **at, const void *src, size_t len)
{
	char *p = *at;

	if (!src)
		return NULL;
	memcpy(p, src, len);
	*at += len;
	return p;
}

static struct refuse_job *refuse_job_new(fuse_req_t req, enum audit_action action,
					 fuse_ino_t ino, const char *name, fuse_ino_t ino2,
					 const char *name2, const struct audit_args *args)
{
	struct audit_args a = args ? *args : (struct audit_args){ 0 };
	size_t n1 = name ? strlen(name) + 1 : 0, n2 = name2 ? strlen(name2) + 1 : 0;
	size_t an = a.name ? strlen(a.name) + 1 : 0, at = a.target ? strlen(a.target) + 1 : 0;
	size_t av = a.value ? a.length : 0;
	struct refuse_job *j;
	char *p;

	if (av > 65536)
		return NULL; /* xattr values are at most 64 KiB */
	j = malloc(sizeof(*j) + n1 + n2 + an + at + av);
	if (!j)
		return NULL;
	p = j->data;
	*j = (struct refuse_job){ .req = req, .action = action, .ino = ino, .ino2 = ino2 };
	j->name = job_copy(&p, name, n1);
	j->name2 = job_copy(&p, name2, n2);
	a.name = job_copy(&p, a.name, an);
	a.target = job_copy(&p, a.target, at);
	a.value = job_copy(&p, a.value, av);
	j->args = a;
	return j;
}

/*
 * Refuses and replies.  On the loop thread (see offload.h) a refusal that
 * would wait for room in a full audit queue moves to the pool, so that the
 * wait never holds the other processes' requests.
 */
static void refuse(fuse_req_t req, enum audit_action action, fuse_ino_t ino,
		   const char *name, fuse_ino_t ino2, const char *name2,
		   const struct audit_args *args)
{
	struct amberfs *fs = fuse_req_userdata(req);
	struct refuse_job *j;

	if (fs->offload && audit_congested(fs->audit) &&
	    (j = refuse_job_new(req, action, ino, name, ino2, name2, args))) {
		if (offload_submit(fs->offload, refuse_job_run, j) == 0)
			return;
		free(j);
	}
	refuse_now(req, action, ino, name, ino2, name2, args);
}

void ops_refuse(fuse_req_t req, enum audit_action action, fuse_ino_t ino,
		const struct audit_args *args)
{
	refuse(req, action, ino, NULL, 0, NULL, args);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	enum audit_action action = gate_setattr_action(to_set);
	struct audit_args args = { 0 };

	if (action == AUDIT_TRUNCATE) {
		args.has = AUDIT_ARG_SIZE;
		args.size = attr->st_size;
	} else if (action == AUDIT_CHOWN) {
		args.has = AUDIT_ARG_UID | AUDIT_ARG_GID;
		args.uid = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		args.gid = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;
	} else if (action == AUDIT_CHMOD) {
		args.has = AUDIT_ARG_MODE;
		args.mode = attr->st_mode & 07777;
	} else {
		if (to_set & FUSE_SET_ATTR_ATIME) {
			args.has |= AUDIT_ARG_ATIME;
			args.atime = attr->st_atim;
		} else if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
			args.has |= AUDIT_ARG_ATIME;
			args.atime.tv_nsec = UTIME_NOW;
		}
		if (to_set & FUSE_SET_ATTR_MTIME) {
			args.has |= AUDIT_ARG_MTIME;
			args.mtime = attr->st_mtim;
		} else if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
			args.has |= AUDIT_ARG_MTIME;
			args.mtime.tv_nsec = UTIME_NOW;
		}
	}
	refuse(req, action, ino, NULL, 0, NULL, &args);
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct audit_args args = { .has = AUDIT_ARG_MODE | AUDIT_ARG_RDEV, .mode = mode, .rdev = rdev };

	refuse(req, AUDIT_MKNOD, parent, name, 0, NULL, &args);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct audit_args args = { .has = AUDIT_ARG_MODE, .mode = mode & 07777 };

	refuse(req, AUDIT_MKDIR, parent, name, 0, NULL, &args);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, AUDIT_UNLINK, parent, name, 0, NULL, NULL);
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	refuse(req, AUDIT_RMDIR, parent, name, 0, NULL, NULL);
}

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct audit_args args = { .has = AUDIT_ARG_TARGET, .target = link };

	refuse(req, AUDIT_SYMLINK, parent, name, 0, NULL, &args);
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags)
{
	struct audit_args args = { .has = flags ? AUDIT_ARG_RENAME_FLAGS : 0, .rename_flags = flags };

	refuse(req, AUDIT_RENAME, parent, name, newparent, newname, &args);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	refuse(req, AUDIT_LINK, ino, NULL, newparent, newname, NULL);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	struct audit_args args = {
		.has = AUDIT_ARG_FLAGS | AUDIT_ARG_MODE, .flags = fi->flags, .mode = mode & 07777,
	};

	refuse(req, AUDIT_CREATE, parent, name, 0, NULL, &args);
}

void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
		  struct fuse_file_info *fi)
{
	struct audit_args args = {
		.has = AUDIT_ARG_OFFSET | AUDIT_ARG_LENGTH, .offset = off, .length = fuse_buf_size(bufv),
	};

	refuse(req, AUDIT_WRITE, ino, NULL, 0, NULL, &args);
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
		  struct fuse_file_info *fi)
{
	struct audit_args args = {
		.has = AUDIT_ARG_OFFSET | AUDIT_ARG_LENGTH | AUDIT_ARG_MODE,
		.offset = offset, .length = length, .mode = mode,
	};

	refuse(req, AUDIT_FALLOCATE, ino, NULL, 0, NULL, &args);
}

void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct audit_args args = {
		.has = AUDIT_ARG_OFFSET | AUDIT_ARG_LENGTH, .offset = off_out, .length = len,
	};

	refuse(req, AUDIT_COPY_FILE_RANGE, ino_out, NULL, 0, NULL, &args);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		 size_t size, int flags)
{
	struct audit_args args = {
		.has = AUDIT_ARG_NAME | AUDIT_ARG_LENGTH | AUDIT_ARG_VALUE,
		.name = name, .value = value, .length = size,
	};

	refuse(req, AUDIT_SETXATTR, ino, NULL, 0, NULL, &args);
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct audit_args args = { .has = AUDIT_ARG_NAME, .name = name };

	refuse(req, AUDIT_REMOVEXATTR, ino, NULL, 0, NULL, &args);
}

/*
 * Answers a query (FS_IOC_GETFLAGS, FS_IOC_FSGETXATTR) from the backing
 * file.  The kernel asks for the current flags before every
 * FS_IOC_SETFLAGS, so the query must work for the attempt to reach us.
 */
static void ioctl_query(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
			struct fuse_file_info *fi, size_t out_bufsz)
{
	char buf[256] = { 0 };
	struct node *n = node_of(req, ino);

	if (cmd != FS_IOC_GETFLAGS && cmd != FS_IOC_FSGETXATTR) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (out_bufsz > sizeof(buf))
		out_bufsz = sizeof(buf);
	/* Directories have no backing fd open: report no flags. */
	if (fi && S_ISREG(n->attr.mode) && ioctl((int)fi->fh, cmd, buf) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_ioctl(req, 0, buf, out_bufsz);
}

void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	      size_t in_bufsz, size_t out_bufsz)
{
	struct audit_args args = { .has = AUDIT_ARG_CMD, .cmd = cmd };

	/* Only requests that hand data to the file can change it
	 * (FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR, FICLONE, ...); queries are
	 * answered and are not attempts. */
	if (!(_IOC_DIR(cmd) & _IOC_WRITE)) {
		ioctl_query(req, ino, cmd, fi, out_bufsz);
		return;
	}
	refuse(req, AUDIT_IOCTL, ino, NULL, 0, NULL, &args);
}
