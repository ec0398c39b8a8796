/* SPDX-License-Identifier: MIT */
/*
 * inode.h - the nodes of the merged tree and their identities.
 *
 * Three id spaces meet here:
 *   - layer identity: (layer index, st_dev, st_ino) of a backing entry;
 *   - node: one struct node per visible merged entry, made when the entry
 *     is first looked up or listed.  Directories are one node per merged path; non-directories are one node per backing inode
 *     of one layer, so paths hard-linked inside a layer share a node;
 *   - fuse_ino_t: the node's address (FUSE_ROOT_ID for the root), and the
 *     st_ino we report: a per-mount counter kept in the node.
 * The tree never changes after mount, so nodes are never freed before
 * unmount: a fuse_ino_t stays valid and stable for the life of the mount
 * whatever the kernel forgets, and forget has nothing to do.
 * Memory therefore grows with the entries the kernel has looked up, bounded
 * by the size of the image: an 80-byte node (88 for a directory), plus the
 * entry of the parent's merged table (index.h).
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#define NODE_LAYER_SYNTH UINT16_MAX /* synthesized directory: no backing */

/* Whether the backing entry has any xattr: most have none, and the kernel
 * asks for security.capability on every exec and write.  ACL: some, one of
 * them a POSIX access ACL, which every permission check must then read. */
enum { NODE_XATTRS_UNKNOWN, NODE_XATTRS_NONE, NODE_XATTRS_SOME, NODE_XATTRS_ACL };

/*
 * The attributes we report; compact, since there is one per entry.  Times
 * are nanoseconds since the epoch, which covers the years 1678 to 2262;
 * a node with a time outside that range has NODE_WIDE_TIMES set and atime
 * holds a pointer to its three struct timespec instead.
 */
struct node_attr {
	uint32_t mode, uid, gid, nlink;
	int64_t size, blocks;
	int64_t atime, mtime, ctime;
};

#define NODE_WIDE_TIMES 0x80 /* in node.blk */

/*
 * 80 bytes.  rdev keeps the 32 bits FUSE passes (the kernel's dev_t);
 * blk keeps log2(st_blksize) + 1 (0 for 0): the kernel keeps only the
 * log2 of what we report.  The name lives in the parent's merged table.
 */
struct node {
	struct node *parent;  /* NULL for the root */
	uint32_t name;        /* offset of the name in the parent's table */
	uint32_t ino;         /* the st_ino we report */
	struct node_attr attr;
	uint32_t rdev;
	uint16_t layer;       /* layer the attributes come from */
	uint8_t blk;          /* blksize code, | NODE_WIDE_TIMES */
	atomic_uchar xattrs;  /* NODE_XATTRS_*: learnt on first use */
};

struct dir_table; /* index.c */

/* A directory: a node plus its merged table, built on first use. */
struct dir_node {
	struct node node;
	_Atomic(struct dir_table *) table;
};

static inline struct dir_node *node_dir(struct node *n)
{
	return (struct dir_node *)((char *)n - offsetof(struct dir_node, node));
}

struct inode_table;

int inode_table_new(struct inode_table **ret);
struct inode_table *inode_table_free(struct inode_table *t);

/* Creates a zeroed node with its st_ino; the table owns it.  dir: a
 * struct dir_node (S_ISDIR nodes must be one). */
struct node *inode_node_new(struct inode_table *t, struct node *parent, bool dir);
/*
 * For a non-directory with st_nlink > 1: the node already made for this
 * backing inode of this layer, if any.  Callers hold the merge lock.
 */
struct node *inode_hardlink_find(struct inode_table *t, uint32_t layer, dev_t dev, ino_t ino);
int inode_hardlink_add(struct inode_table *t, uint32_t layer, dev_t dev, ino_t ino, struct node *n);

struct node *inode_root(struct inode_table *t);
struct node *inode_from_fuse(struct inode_table *t, fuse_ino_t ino);
fuse_ino_t inode_to_fuse(struct inode_table *t, const struct node *n);

/* The kernel's lookup counts are not kept: nodes live until unmount
 * whatever it forgets, so nothing would read them. */
static inline void inode_ref(struct node *n, uint64_t count)
{
	(void)n;
	(void)count;
}

static inline void inode_unref(struct node *n, uint64_t count)
{
	(void)n;
	(void)count;
}

/* Sets n's attributes (attr, rdev, blk) from st. -ENOMEM. */
int node_attr_from_stat(struct node *n, const struct stat *st);
/* Sets all three times of n to ts (a node made without a stat). */
void node_set_times(struct node *n, const struct timespec *ts);

/* NODE_XATTRS_NONE, _SOME or _ACL for a listxattr() result (len < 0: the
 * list could not be read, SOME). */
unsigned char node_xattrs_classify(const char *list, ssize_t len);
/* Learns n->xattrs from fd, an open (not O_PATH) fd of its backing entry. */
void node_xattrs_learn_fd(struct node *n, int fd);
void node_attr_to_stat(const struct node *n, struct stat *st);

/*
 * Path of n relative to a layer root ("" for the root), into a malloc'ed
 * string.  With leading '/' when absolute is true (merged-tree path).
 */
char *node_path(const struct node *n, bool absolute);
