/* SPDX-License-Identifier: MIT */
/*
 * inode.c - node allocation, the hard-link map and fuse_ino_t mapping;
 * see inode.h for the id spaces.
 *
 * Nodes are carved from large slabs, one list for files and one for
 * directories (no per-node malloc header, freed at once at unmount).  The hard-link map is an open-addressing table keyed
 * by (layer, dev, ino) hashed with xxhash; it is only touched while a
 * directory is being merged, under the merge lock of index.c, plus its own
 * mutex for safety.  (A table of its own, not index.c's name table: its
 * key is a fixed-size value, not a name in an array of entries.)
 */
#include "inode.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "hash.h"
#include "index.h"

#define SLAB_BYTES (256 * 1024)

_Static_assert(sizeof(struct node) == 80, "keep nodes compact");
_Static_assert(offsetof(struct dir_node, node) == 0, "slabs_free() reads nodes at each record");

/* Nodes of one size, carved in order; iterated at unmount. */
struct slab {
	struct slab *next;
	size_t used, size;
	_Alignas(16) unsigned char mem[];
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
	struct slab *files, *dirs; /* struct node, struct dir_node */
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
	t->root = inode_node_new(t, NULL, true);
	if (!t->root) {
		inode_table_free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

/* node is the first member of struct dir_node: both lists hold nodes at off. */
static void slabs_free(struct slab *s)
{
	while (s) {
		struct slab *next = s->next;

		for (size_t off = 0; off < s->used; off += s->size) {
			struct node *n = (struct node *)(s->mem + off);

			if (n->blk & NODE_WIDE_TIMES)
				free((void *)(uintptr_t)n->attr.atime);
		}
		free(s);
		s = next;
	}
}

struct inode_table *inode_table_free(struct inode_table *t)
{
	if (!t)
		return NULL;
	/* Tables first: they name nodes of any slab. */
	for (struct slab *s = t->dirs; s; s = s->next)
		for (size_t off = 0; off < s->used; off += s->size)
			dir_table_free(atomic_load(&((struct dir_node *)(s->mem + off))->table));
	slabs_free(t->dirs);
	slabs_free(t->files);
	free(t->hl);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return NULL;
}

/* A fresh record of size bytes from *list; called with t->lock held. */
static void *slab_take(struct slab **list, size_t size)
{
	struct slab *s = *list;

	if (!s || s->used + size > SLAB_BYTES - sizeof(*s)) {
		s = malloc(SLAB_BYTES);
		if (!s)
			return NULL;
		s->next = *list;
		s->used = 0;
		s->size = size;
		*list = s;
	}
	s->used += size;
	return s->mem + s->used - size;
}

struct node *inode_node_new(struct inode_table *t, struct node *parent, bool dir)
{
	size_t size = dir ? sizeof(struct dir_node) : sizeof(struct node);
	struct node *n = NULL;
	void *p;

	pthread_mutex_lock(&t->lock);
	/* st_ino is 32 bits: 4G nodes would need 320 GiB first. */
	if (t->next_ino <= UINT32_MAX && (p = slab_take(dir ? &t->dirs : &t->files, size))) {
		memset(p, 0, size);
		n = dir ? &((struct dir_node *)p)->node : p;
		n->ino = (uint32_t)t->next_ino++;
	}
	pthread_mutex_unlock(&t->lock);
	if (n)
		n->parent = parent;
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

#define NS 1000000000LL

static bool time_fits(const struct timespec *ts)
{
	return ts->tv_sec > INT64_MIN / NS + 1 && ts->tv_sec < INT64_MAX / NS - 1;
}

static int64_t time_pack(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NS + ts->tv_nsec;
}

static struct timespec time_unpack(int64_t ns)
{
	int64_t sec = ns / NS, rem = ns % NS;

	if (rem < 0) {
		sec--;
		rem += NS;
	}
	return (struct timespec){ .tv_sec = sec, .tv_nsec = rem };
}

static int node_set_times3(struct node *n, const struct timespec *a, const struct timespec *m,
			   const struct timespec *c)
{
	struct timespec *wide;

	if (time_fits(a) && time_fits(m) && time_fits(c)) {
		n->attr.atime = time_pack(a);
		n->attr.mtime = time_pack(m);
		n->attr.ctime = time_pack(c);
		return 0;
	}
	wide = malloc(3 * sizeof(*wide));
	if (!wide)
		return -ENOMEM;
	wide[0] = *a;
	wide[1] = *m;
	wide[2] = *c;
	n->attr.atime = (int64_t)(uintptr_t)wide;
	n->blk |= NODE_WIDE_TIMES;
	return 0;
}

void node_set_times(struct node *n, const struct timespec *ts)
{
	(void)node_set_times3(n, ts, ts, ts); /* the clock is in range */
}

static uint8_t blk_code(blksize_t b)
{
	return b <= 0 ? 0 : (uint8_t)(64 - __builtin_clzll((unsigned long long)b));
}

int node_attr_from_stat(struct node *n, const struct stat *st)
{
	struct node_attr *a = &n->attr;

	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->nlink = st->st_nlink;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	n->rdev = (uint32_t)st->st_rdev;
	n->blk = blk_code(st->st_blksize);
	return node_set_times3(n, &st->st_atim, &st->st_mtim, &st->st_ctim);
}

void node_attr_to_stat(const struct node *n, struct stat *st)
{
	const struct node_attr *a = &n->attr;
	uint8_t code = n->blk & ~NODE_WIDE_TIMES;

	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = a->mode;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_nlink = a->nlink;
	st->st_size = a->size;
	st->st_blocks = a->blocks;
	st->st_rdev = n->rdev;
	st->st_blksize = code ? (blksize_t)1 << (code - 1) : 0;
	if (n->blk & NODE_WIDE_TIMES) {
		const struct timespec *wide = (const struct timespec *)(uintptr_t)a->atime;

		st->st_atim = wide[0];
		st->st_mtim = wide[1];
		st->st_ctim = wide[2];
	} else {
		st->st_atim = time_unpack(a->atime);
		st->st_mtim = time_unpack(a->mtime);
		st->st_ctim = time_unpack(a->ctime);
	}
}

char *node_path(const struct node *n, bool absolute)
{
	size_t len = 0;
	char *buf, *p;

	for (const struct node *c = n; c->parent; c = c->parent)
		len += strlen(node_name(c)) + 1;
	buf = malloc(len + 2);
	if (!buf)
		return NULL;
	p = buf + len;
	*p = '\0';
	for (const struct node *c = n; c->parent; c = c->parent) {
		const char *name = node_name(c);
		size_t l = strlen(name);

		p -= l;
		memcpy(p, name, l);
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
