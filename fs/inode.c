/* SPDX-License-Identifier: MIT */
/*
 * inode.c - node allocation, the hard-link map and fuse_ino_t mapping;
 * see inode.h for the id spaces.
 *
 * Nodes are carved from large slabs (no per-node malloc header, freed at
 * once at unmount).  The hard-link map is an open-addressing table keyed
 * by (layer, dev, ino) hashed with xxhash; it is only touched while a
 * directory is being merged, under the merge lock of index.c, plus its own
 * mutex for safety.  (A table of its own, not index.c's name table: its
 * key is a fixed-size value, not a name in an array of entries.)
 */
#include "inode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "hash.h"
#include "index.h"

#define SLAB_NODES 4096

struct slab {
	struct slab *next;
	size_t used;
	struct node nodes[SLAB_NODES];
};

struct hl_key {
	uint32_t layer;
	dev_t dev;
	ino_t ino;
};

struct hl_slot {
	struct hl_key key;
	struct node *node;
};

struct inode_table {
	pthread_mutex_t lock;
	struct slab *slabs;
	uint64_t next_ino;
	struct node *root;
	struct hl_slot *hl;
	size_t hl_cap, hl_len;
};

int inode_table_new(struct inode_table **ret)
{
	struct inode_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->next_ino = 1;
	t->root = inode_node_new(t, NULL, "");
	if (!t->root) {
		inode_table_free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

struct inode_table *inode_table_free(struct inode_table *t)
{
	if (!t)
		return NULL;
	/* Tables first: their entries point at nodes of any slab. */
	for (struct slab *s = t->slabs; s; s = s->next)
		for (size_t i = 0; i < s->used; i++)
			dir_table_free(atomic_load(&s->nodes[i].table));
	while (t->slabs) {
		struct slab *s = t->slabs;

		t->slabs = s->next;
		for (size_t i = 0; i < s->used; i++) {
			free(s->nodes[i].name);
			free(s->nodes[i].dlayers);
		}
		free(s);
	}
	free(t->hl);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return NULL;
}

struct node *inode_node_new(struct inode_table *t, struct node *parent, const char *name)
{
	struct node *n;
	char *copy = strdup(name);

	if (!copy)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if (!t->slabs || t->slabs->used == SLAB_NODES) {
		struct slab *s = malloc(sizeof(*s));

		if (!s) {
			pthread_mutex_unlock(&t->lock);
			free(copy);
			return NULL;
		}
		s->next = t->slabs;
		s->used = 0;
		t->slabs = s;
	}
	n = &t->slabs->nodes[t->slabs->used++];
	memset(n, 0, sizeof(*n));
	n->ino = t->next_ino++;
	pthread_mutex_unlock(&t->lock);
	n->parent = parent;
	n->name = copy;
	return n;
}

static uint64_t hl_hash(const struct hl_key *k)
{
	return hash64(k, sizeof(*k));
}

static struct hl_slot *hl_slot_find(struct hl_slot *tab, size_t cap, const struct hl_key *k)
{
	size_t i = hl_hash(k) & (cap - 1);

	while (tab[i].node && memcmp(&tab[i].key, k, sizeof(*k)) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int hl_grow(struct inode_table *t)
{
	size_t cap = t->hl_cap ? t->hl_cap * 2 : 256;
	struct hl_slot *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < t->hl_cap; i++)
		if (t->hl[i].node)
			*hl_slot_find(tab, cap, &t->hl[i].key) = t->hl[i];
	free(t->hl);
	t->hl = tab;
	t->hl_cap = cap;
	return 0;
}

static struct hl_key hl_key_make(uint32_t layer, dev_t dev, ino_t ino)
{
	struct hl_key k;

	memset(&k, 0, sizeof(k)); /* padding takes part in hashing */
	k.layer = layer;
	k.dev = dev;
	k.ino = ino;
	return k;
}

struct node *inode_hardlink_find(struct inode_table *t, uint32_t layer, dev_t dev, ino_t ino)
{
	struct hl_key k = hl_key_make(layer, dev, ino);
	struct node *n = NULL;

	pthread_mutex_lock(&t->lock);
	if (t->hl_cap)
		n = hl_slot_find(t->hl, t->hl_cap, &k)->node;
	pthread_mutex_unlock(&t->lock);
	return n;
}

int inode_hardlink_add(struct inode_table *t, uint32_t layer, dev_t dev, ino_t ino, struct node *n)
{
	struct hl_key k = hl_key_make(layer, dev, ino);
	struct hl_slot *s;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	if ((t->hl_len + 1) * 4 > t->hl_cap * 3)
		r = hl_grow(t);
	if (r == 0) {
		s = hl_slot_find(t->hl, t->hl_cap, &k);
		if (!s->node) {
			s->key = k;
			s->node = n;
			t->hl_len++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

struct node *inode_root(struct inode_table *t)
{
	return t->root;
}

struct node *inode_from_fuse(struct inode_table *t, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return t->root;
	return (struct node *)(uintptr_t)ino;
}

fuse_ino_t inode_to_fuse(struct inode_table *t, const struct node *n)
{
	if (n == t->root)
		return FUSE_ROOT_ID;
	return (fuse_ino_t)(uintptr_t)n;
}

void inode_ref(struct node *n, uint64_t count)
{
	atomic_fetch_add_explicit(&n->nlookup, count, memory_order_relaxed);
}

void inode_unref(struct node *n, uint64_t count)
{
	atomic_fetch_sub_explicit(&n->nlookup, count, memory_order_relaxed);
}

unsigned char node_xattrs_classify(const char *list, ssize_t len)
{
	if (len == 0)
		return NODE_XATTRS_NONE;
	for (ssize_t i = 0; i < len; i += strnlen(list + i, len - i) + 1)
		if (strcmp(list + i, "system.posix_acl_access") == 0)
			return NODE_XATTRS_ACL;
	return NODE_XATTRS_SOME;
}

void node_xattrs_learn_fd(struct node *n, int fd)
{
	char buf[4096];
	ssize_t len = flistxattr(fd, buf, sizeof(buf));
	unsigned char v;

	if (len < 0 && errno == ERANGE) {
		/* A long list: look for the ACL by name instead. */
		v = fgetxattr(fd, "system.posix_acl_access", NULL, 0) >= 0 ? NODE_XATTRS_ACL
									: NODE_XATTRS_SOME;
	} else if (len < 0) {
		return; /* unknown: learnt later through the O_PATH route */
	} else {
		v = node_xattrs_classify(buf, len);
	}
	atomic_store_explicit(&n->xattrs, v, memory_order_relaxed);
}

void node_attr_from_stat(struct node_attr *a, const struct stat *st)
{
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->nlink = st->st_nlink;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->rdev = st->st_rdev;
	a->blksize = st->st_blksize;
	a->atime = st->st_atim.tv_sec;
	a->atime_ns = st->st_atim.tv_nsec;
	a->mtime = st->st_mtim.tv_sec;
	a->mtime_ns = st->st_mtim.tv_nsec;
	a->ctime = st->st_ctim.tv_sec;
	a->ctime_ns = st->st_ctim.tv_nsec;
}

void node_attr_to_stat(const struct node *n, struct stat *st)
{
	const struct node_attr *a = &n->attr;

	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = a->mode;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_nlink = a->nlink;
	st->st_size = a->size;
	st->st_blocks = a->blocks;
	st->st_rdev = a->rdev;
	st->st_blksize = a->blksize;
	st->st_atim.tv_sec = a->atime;
	st->st_atim.tv_nsec = a->atime_ns;
	st->st_mtim.tv_sec = a->mtime;
	st->st_mtim.tv_nsec = a->mtime_ns;
	st->st_ctim.tv_sec = a->ctime;
	st->st_ctim.tv_nsec = a->ctime_ns;
}

char *node_path(const struct node *n, bool absolute)
{
	size_t len = 0;
	char *buf, *p;

	for (const struct node *c = n; c->parent; c = c->parent)
		len += strlen(c->name) + 1;
	buf = malloc(len + 2);
	if (!buf)
		return NULL;
	p = buf + len;
	*p = '\0';
	for (const struct node *c = n; c->parent; c = c->parent) {
		size_t l = strlen(c->name);

		p -= l;
		memcpy(p, c->name, l);
		*--p = '/';
	}
	if (len == 0) {
		strcpy(buf, absolute ? "/" : "");
		return buf;
	}
	/* relative paths drop the leading '/' */
	if (!absolute)
		memmove(buf, buf + 1, len);
	return buf;
}
