/* SPDX-License-Identifier: MIT */
/*
 * inode.h - the nodes of the merged tree and their identities.
 *
 * Three id spaces meet here:
 *   - layer identity: (layer index, st_dev, st_ino) of a backing entry;
 *   - node: one struct node per visible merged entry.  Directories are one
 *     node per merged path; non-directories are one node per backing inode
 *     of one layer, so paths hard-linked inside a layer share a node;
 *   - fuse_ino_t: the node's address (FUSE_ROOT_ID for the root), and the
 *     st_ino we report: a per-mount counter kept in the node.
 * The tree never changes after mount, so nodes are never freed before
 * unmount: a fuse_ino_t stays valid and stable for the life of the mount
 * whatever the kernel forgets, and forget only maintains the lookup count.
 * Memory therefore grows with the entries the kernel has seen, bounded by
 * the size of the image (about 150 bytes plus the name per entry).
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#define NODE_LAYER_SYNTH UINT32_MAX /* synthesized directory: no backing */

/* Whether the backing entry has any xattr: most have none, and the kernel
 * asks for security.capability on every exec and write.  ACL: some, one of
 * them a POSIX access ACL, which every permission check must then read. */
enum { NODE_XATTRS_UNKNOWN, NODE_XATTRS_NONE, NODE_XATTRS_SOME, NODE_XATTRS_ACL };

/* The attributes we report; compact, since there is one per entry. */
struct node_attr {
	uint32_t mode, uid, gid, nlink;
	int64_t size, blocks;
	uint64_t rdev;
	int64_t atime, mtime, ctime;
	uint32_t atime_ns, mtime_ns, ctime_ns;
	uint32_t blksize;
};

struct dir_table; /* index.c */

struct node {
	struct node *parent;      /* NULL for the root */
	char *name;               /* component name; "" for the root */
	uint64_t ino;             /* the st_ino we report */
	uint32_t layer;           /* layer the attributes come from */
	uint32_t n_dlayers;       /* directories: layers that merge, top first */
	uint32_t *dlayers;
	struct node_attr attr;
	atomic_uint_fast64_t nlookup;
	atomic_uchar xattrs;      /* NODE_XATTRS_*: learnt on first use */
	_Atomic(struct dir_table *) table; /* directories: merged on first use */
};

struct inode_table;

int inode_table_new(struct inode_table **ret);
struct inode_table *inode_table_free(struct inode_table *t);

/* Creates a node; the table owns it.  name is copied. */
struct node *inode_node_new(struct inode_table *t, struct node *parent, const char *name);
/*
 * For a non-directory with st_nlink > 1: the node already made for this
 * backing inode of this layer, if any.  Callers hold the merge lock.
 */
struct node *inode_hardlink_find(struct inode_table *t, uint32_t layer, dev_t dev, ino_t ino);
int inode_hardlink_add(struct inode_table *t, uint32_t layer, dev_t dev, ino_t ino, struct node *n);

struct node *inode_root(struct inode_table *t);
struct node *inode_from_fuse(struct inode_table *t, fuse_ino_t ino);
fuse_ino_t inode_to_fuse(struct inode_table *t, const struct node *n);

void inode_ref(struct node *n, uint64_t count);
void inode_unref(struct node *n, uint64_t count);

void node_attr_from_stat(struct node_attr *a, const struct stat *st);

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
