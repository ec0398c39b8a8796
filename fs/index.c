/* SPDX-License-Identifier: MIT */
/*
 * index.c - merging one directory across the layer stack; see index.h.
 *
 * Merges are serialized by one lock (they are one-off work per directory);
 * readers take the finished table with an acquire load and never lock.
 * While merging, a temporary table also remembers whiteouts ("tombstones")
 * and which directories are sealed (nothing below them may merge); only
 * visible entries survive into the final table.  Both tables are the same
 * kind of hash table, name_slot()'s.
 */
#include "index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "hash.h"
#include "log.h"
#include "strv.h"
#include "whiteout.h"

struct index {
	const struct layer_stack *layers;
	struct inode_table *inodes;
	pthread_mutex_t merge_lock;
	struct strv synth; /* synthdir=, a copy */
	struct timespec mount_time;
	uid_t uid;
	gid_t gid;
	int64_t squash_uid, squash_gid; /* -1: show the layers' owners */
	const char *override_xattr;     /* xattr_permissions=, or NULL */
};

/* One name met while merging. */
struct mslot {
	char *name;     /* owned */
	struct node *node; /* NULL for a tombstone */
	bool is_dir, sealed;
};

struct merge {
	struct index *ix;
	struct node *dir;
	const char *rel;     /* dir's path relative to a layer root */
	struct mslot *v;
	size_t n, alloc;
	uint32_t *slots;
	size_t cap;
};

/*
 * The name tables of the merge (struct mslot) and of the final table
 * (struct dir_entry): cap slots, a power of two kept at most three quarters
 * full, each 0 or the index + 1 of an element of arr (stride bytes each,
 * its name first); open addressing, linear probing over hash64().  Returns
 * the slot that holds name, or the empty slot where it goes.
 */
static inline size_t name_slot(const uint32_t *slots, size_t cap, const void *arr, size_t stride,
			       const char *name)
{
	size_t i = hash64(name, strlen(name)) & (cap - 1);

	while (slots[i] && strcmp(*(char *const *)((const char *)arr + (slots[i] - 1) * stride), name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}
_Static_assert(offsetof(struct mslot, name) == 0, "name_slot() reads the name first");
_Static_assert(offsetof(struct dir_entry, name) == 0, "name_slot() reads the name first");

static size_t slot_for(const uint32_t *slots, size_t cap, const struct mslot *v, const char *name)
{
	return name_slot(slots, cap, v, sizeof(*v), name);
}

static struct mslot *merge_find(struct merge *m, const char *name)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = slot_for(m->slots, m->cap, m->v, name);
	return m->slots[i] ? &m->v[m->slots[i] - 1] : NULL;
}

static int merge_grow(struct merge *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t k = 0; k < m->n; k++)
		slots[slot_for(slots, cap, m->v, m->v[k].name)] = k + 1;
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

static struct mslot *merge_add(struct merge *m, const char *name)
{
	struct mslot *s;
	int r;

	if ((m->n + 1) * 4 > m->cap * 3 && (r = merge_grow(m)) < 0)
		return NULL;
	if (m->n == m->alloc) {
		size_t alloc = m->alloc ? m->alloc * 2 : 32;
		struct mslot *v = realloc(m->v, alloc * sizeof(*v));

		if (!v)
			return NULL;
		m->v = v;
		m->alloc = alloc;
	}
	s = &m->v[m->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	m->slots[slot_for(m->slots, m->cap, m->v, name)] = ++m->n;
	return s;
}

static char *path_join(const char *rel, const char *name)
{
	char *p;

	if (rel[0] == '\0')
		return strdup(name);
	if (asprintf(&p, "%s/%s", rel, name) < 0)
		return NULL;
	return p;
}

/* xattr of an entry inside an open directory, without following it. */
static ssize_t entry_getxattr(int dirfd, const char *name, const char *attr, char *buf,
			      size_t size)
{
	char path[64 + NAME_MAX];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	return lgetxattr(path, attr, buf, size);
}

static bool entry_is_xattr_whiteout(int dirfd, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(whiteout_xattr_names); i++)
		if (entry_getxattr(dirfd, name, whiteout_xattr_names[i], NULL, 0) >= 0)
			return true;
	return false;
}

/* Is directory REL of layer L opaque (hides the layers below it)? */
static bool layer_dir_is_opaque(const struct layer *l, const char *rel)
{
	_cleanup_close_ int fd = layer_open(l, rel, O_RDONLY | O_DIRECTORY);
	char v[8];

	if (fd < 0)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(whiteout_opaque_xattr_names); i++) {
		ssize_t len = fgetxattr(fd, whiteout_opaque_xattr_names[i], v, sizeof(v));

		if (len > 0 && whiteout_opaque_value(v, len))
			return true;
	}
	return faccessat(fd, WHITEOUT_OCI_OPAQUE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int dlayers_append(struct node *n, uint32_t layer)
{
	uint32_t *v = realloc(n->dlayers, (n->n_dlayers + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[n->n_dlayers++] = layer;
	n->dlayers = v;
	return 0;
}

/* A name seen again in a lower layer: does the lower copy merge in? */
static int merge_seen_again(struct merge *m, struct mslot *s, int dirfd,
			    const struct dirent *de, uint32_t layer)
{
	const struct layer_stack *ls = m->ix->layers;
	_cleanup_free_ char *child = NULL;
	unsigned char type = de->d_type;
	struct stat st;

	if (!s->node || !s->is_dir || s->sealed)
		return 0;
	if (type == DT_UNKNOWN) {
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;
		type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	}
	if (type != DT_DIR) {
		/* A non-directory (or whiteout) below a directory stops the merge. */
		s->sealed = true;
		return 0;
	}
	child = path_join(m->rel, de->d_name);
	if (!child)
		return -ENOMEM;
	if (layer_dir_is_opaque(&ls->layers[s->node->dlayers[s->node->n_dlayers - 1]], child)) {
		s->sealed = true;
		return 0;
	}
	return dlayers_append(s->node, layer);
}

/*
 * The TYPE field of an override value: what an unprivileged import had to
 * store as an empty regular file (a device node, a fifo, a socket) is
 * presented as what the image says it is.  Other types must be the
 * entry's own.  false: a type we do not take.
 */
static bool override_type(const char *t, struct stat *st)
{
	unsigned maj, min;
	char kind[8], end;

	if (strcmp(t, "file") == 0 || strcmp(t, "dir") == 0 || strcmp(t, "symlink") == 0)
		return (strcmp(t, "file") == 0 && S_ISREG(st->st_mode)) ||
		       (strcmp(t, "dir") == 0 && S_ISDIR(st->st_mode)) ||
		       (strcmp(t, "symlink") == 0 && S_ISLNK(st->st_mode));
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	if (strcmp(t, "pipe") == 0 || strcmp(t, "socket") == 0) {
		st->st_mode = (st->st_mode & ~S_IFMT) | (t[0] == 'p' ? S_IFIFO : S_IFSOCK);
		return true;
	}
	if (sscanf(t, "%5[a-z]-%u-%u%c", kind, &maj, &min, &end) != 3 ||
	    (strcmp(kind, "char") != 0 && strcmp(kind, "block") != 0))
		return false;
	st->st_mode = (st->st_mode & ~S_IFMT) | (kind[0] == 'c' ? S_IFCHR : S_IFBLK);
	st->st_rdev = makedev(maj, min);
	return true;
}

/*
 * "UID:GID:MODE[:TYPE]" (MODE octal, the 12 permission bits; older writers
 * add type bits, which are ignored), as rootless podman, fuse-overlayfs and
 * amber-image write it for owners, modes and special files that an
 * unprivileged user could not create.  A malformed value is ignored.
 */
static void apply_override_stat(const struct index *ix, int dirfd, const char *name,
				struct stat *st)
{
	char buf[96], *p, *end;
	unsigned long long v[3];
	struct stat o = *st;
	ssize_t len;

	if (!ix->override_xattr)
		return;
	len = entry_getxattr(dirfd, name, ix->override_xattr, buf, sizeof(buf) - 1);
	if (len <= 0)
		return;
	buf[len] = '\0';
	p = buf;
	for (int i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoull(p, &end, i == 2 ? 8 : 10);
		if (errno || end == p || *p == '-' || *p == '+' ||
		    (*end != ':' && !(i == 2 && *end == '\0')))
			return;
		p = end + 1;
	}
	if (v[0] >= UINT32_MAX || v[1] >= UINT32_MAX || (v[2] & ~(unsigned long long)(S_IFMT | 07777)))
		return;
	if (*end == ':' && !override_type(p, &o))
		return;
	o.st_uid = (uid_t)v[0];
	o.st_gid = (gid_t)v[1];
	o.st_mode = (o.st_mode & S_IFMT) | (mode_t)(v[2] & 07777);
	*st = o;
}

/* The owner we present: the layer's, unless squash_to_* says otherwise. */
static void present_owner(const struct index *ix, struct node_attr *a)
{
	if (ix->squash_uid >= 0)
		a->uid = (uint32_t)ix->squash_uid;
	if (ix->squash_gid >= 0)
		a->gid = (uint32_t)ix->squash_gid;
}

/* A name seen for the first time, in layer L. */
static int merge_first(struct merge *m, int dirfd, const char *name, uint32_t layer)
{
	struct inode_table *it = m->ix->inodes;
	struct node *n = NULL;
	struct mslot *s;
	struct stat st;
	bool hardlink;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		log_debug_errno(-errno, "layer %u: cannot stat '%s/%s': %m", layer, m->rel, name);
		return 0;
	}
	s = merge_add(m, name);
	if (!s)
		return -ENOMEM;
	if (whiteout_is_chardev(&st) ||
	    (whiteout_maybe_xattr(&st) && entry_is_xattr_whiteout(dirfd, name)))
		return 0; /* tombstone */

	hardlink = !S_ISDIR(st.st_mode) && st.st_nlink > 1;
	if (hardlink)
		n = inode_hardlink_find(it, layer, st.st_dev, st.st_ino);
	if (!n) {
		n = inode_node_new(it, m->dir, name);
		if (!n)
			return -ENOMEM;
		apply_override_stat(m->ix, dirfd, name, &st);
		node_attr_from_stat(&n->attr, &st);
		present_owner(m->ix, &n->attr);
		n->layer = layer;
		if (S_ISDIR(st.st_mode) && dlayers_append(n, layer) < 0)
			return -ENOMEM;
		if (hardlink && inode_hardlink_add(it, layer, st.st_dev, st.st_ino, n) < 0)
			return -ENOMEM;
	}
	s->node = n;
	s->is_dir = S_ISDIR(st.st_mode);
	return 0;
}

static int merge_oci_whiteouts(struct merge *m, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mslot *s = merge_find(m, names[i]);

		if (!s) {
			if (!merge_add(m, names[i]))
				return -ENOMEM;
		} else if (s->node && s->is_dir) {
			s->sealed = true;
		}
	}
	return 0;
}

static int merge_layer(struct merge *m, uint32_t layer)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **wh = NULL;
	size_t n_wh = 0;
	struct dirent *de;
	int fd, r = 0;

	fd = layer_open(&m->ix->layers->layers[layer], m->rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return log_debug_errno(fd, "layer %u: cannot open '%s': %m", layer, m->rel);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	/* The directory's own copy is open anyway: learn whether it has
	 * xattrs (an ACL matters to every permission check below it). */
	if (layer == m->dir->layer &&
	    atomic_load_explicit(&m->dir->xattrs, memory_order_relaxed) == NODE_XATTRS_UNKNOWN)
		node_xattrs_learn_fd(m->dir, dirfd(d));
	while (r == 0 && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name, *target;
		struct mslot *s;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    whiteout_is_oci_opaque(name))
			continue;
		if ((target = whiteout_oci_target(name))) {
			char **v = realloc(wh, (n_wh + 1) * sizeof(*wh));

			if (!v || !(v[n_wh] = strdup(target))) {
				wh = v ? v : wh;
				r = -ENOMEM;
				break;
			}
			wh = v;
			n_wh++;
			continue;
		}
		if (whiteout_is_internal_name(name))
			continue;
		s = merge_find(m, name);
		r = s ? merge_seen_again(m, s, dirfd(d), de, layer)
		      : merge_first(m, dirfd(d), name, layer);
	}
	if (r == 0 && errno != 0)
		r = -errno;
	/* OCI whiteouts hide lower layers only, never a sibling in this one. */
	if (r == 0)
		r = merge_oci_whiteouts(m, wh, n_wh);
	for (size_t i = 0; i < n_wh; i++)
		free(wh[i]);
	free(wh);
	return r;
}

/* Adds the synthesized directories that belong directly under m->dir. */
static int merge_synth(struct merge *m)
{
	struct index *ix = m->ix;
	size_t rl = strlen(m->rel);

	for (size_t i = 0; i < ix->synth.n; i++) {
		const char *p = ix->synth.v[i] + 1, *end;
		_cleanup_free_ char *comp = NULL;
		struct mslot *s;
		struct node *n;

		if (rl) {
			if (strncmp(p, m->rel, rl) != 0 || p[rl] != '/')
				continue;
			p += rl + 1;
		}
		end = strchrnul(p, '/');
		comp = strndup(p, end - p);
		if (!comp)
			return -ENOMEM;
		s = merge_find(m, comp);
		if (s && s->node) {
			if (!s->is_dir)
				log_warning("synthdir '%s': '%s' exists in the image and is not a directory",
					    ix->synth.v[i], comp);
			continue;
		}
		if (!s && !(s = merge_add(m, comp)))
			return -ENOMEM;
		n = inode_node_new(ix->inodes, m->dir, comp);
		if (!n)
			return -ENOMEM;
		n->layer = NODE_LAYER_SYNTH;
		n->attr.mode = S_IFDIR | 0755;
		n->attr.nlink = 2;
		n->attr.uid = ix->uid;
		n->attr.gid = ix->gid;
		n->attr.blksize = 4096;
		n->attr.atime = n->attr.mtime = n->attr.ctime = ix->mount_time.tv_sec;
		n->attr.atime_ns = n->attr.mtime_ns = n->attr.ctime_ns = ix->mount_time.tv_nsec;
		s->node = n;
		s->is_dir = true;
	}
	return 0;
}

static void merge_release(struct merge *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	free(m->slots);
}

/* Turns the visible part of the merge into the final table. */
static int merge_finish(struct merge *m, struct dir_table **ret)
{
	struct dir_table *t = calloc(1, sizeof(*t));
	size_t visible = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		visible += m->v[i].node != NULL;
	t->cap = 8;
	while (t->cap * 3 < visible * 4 + 4)
		t->cap *= 2;
	t->entries = calloc(visible ? visible : 1, sizeof(*t->entries));
	t->slots = calloc(t->cap, sizeof(*t->slots));
	if (!t->entries || !t->slots) {
		free(t->entries);
		free(t->slots);
		free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct mslot *s = &m->v[i];
		size_t h;

		if (!s->node)
			continue;
		if (s->is_dir && s->node->n_dlayers > 1)
			s->node->attr.nlink = 1; /* as overlayfs does for merged dirs */
		/* Share the node's copy of the name when it is the same one. */
		if (s->node->parent == m->dir && strcmp(s->node->name, s->name) == 0)
			t->entries[t->n].name = s->node->name;
		else
			t->entries[t->n].name = TAKE_PTR(s->name);
		t->entries[t->n].node = s->node;
		h = name_slot(t->slots, t->cap, t->entries, sizeof(*t->entries), t->entries[t->n].name);
		t->slots[h] = ++t->n;
	}
	*ret = t;
	return 0;
}

static int index_merge(struct index *ix, struct node *dir, struct dir_table **ret)
{
	_cleanup_free_ char *rel = node_path(dir, false);
	struct merge m = { .ix = ix, .dir = dir };
	int r = 0;

	if (!rel)
		return -ENOMEM;
	m.rel = rel;
	for (uint32_t i = 0; r == 0 && i < dir->n_dlayers; i++) {
		r = merge_layer(&m, dir->dlayers[i]);
		/* The layer changed under us, or an entry vanished: skip it. */
		if (r == -ENOENT || r == -ENOTDIR)
			r = 0;
	}
	if (r == 0 && ix->synth.n)
		r = merge_synth(&m);
	if (r == 0)
		r = merge_finish(&m, ret);
	merge_release(&m);
	return r;
}

int index_dir(struct index *ix, struct node *dir, const struct dir_table **ret)
{
	struct dir_table *t = atomic_load_explicit(&dir->table, memory_order_acquire);
	int r = 0;

	if (t) {
		*ret = t;
		return 0;
	}
	if (!S_ISDIR(dir->attr.mode))
		return -ENOTDIR;
	pthread_mutex_lock(&ix->merge_lock);
	t = atomic_load_explicit(&dir->table, memory_order_relaxed);
	if (!t) {
		r = index_merge(ix, dir, &t);
		if (r == 0)
			atomic_store_explicit(&dir->table, t, memory_order_release);
	}
	pthread_mutex_unlock(&ix->merge_lock);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

struct node *index_lookup(const struct dir_table *t, const char *name)
{
	size_t h = name_slot(t->slots, t->cap, t->entries, sizeof(*t->entries), name);

	return t->slots[h] ? t->entries[t->slots[h] - 1].node : NULL;
}

int index_init_root(struct index *ix)
{
	struct node *root = inode_root(ix->inodes);
	const struct layer_stack *ls = ix->layers;
	struct stat st;

	if (fstat(ls->layers[0].fd, &st) < 0)
		return -errno;
	apply_override_stat(ix, ls->layers[0].fd, ".", &st);
	node_attr_from_stat(&root->attr, &st);
	present_owner(ix, &root->attr);
	root->layer = 0;
	root->dlayers = calloc(ls->n, sizeof(*root->dlayers));
	if (!root->dlayers)
		return -ENOMEM;
	for (size_t i = 0; i < ls->n; i++)
		root->dlayers[i] = i;
	root->n_dlayers = ls->n;
	/* The root is never opaque (overlayfs ignores the marker there). */
	if (ls->n > 1)
		root->attr.nlink = 1;
	return 0;
}

int index_new(const struct layer_stack *layers, struct inode_table *inodes,
	      char *const *synth, size_t n_synth, struct index **ret)
{
	struct index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return -ENOMEM;
	ix->layers = layers;
	ix->inodes = inodes;
	pthread_mutex_init(&ix->merge_lock, NULL);
	clock_gettime(CLOCK_REALTIME, &ix->mount_time);
	ix->uid = geteuid();
	ix->gid = getegid();
	ix->squash_uid = ix->squash_gid = -1;
	for (size_t i = 0; i < n_synth; i++)
		if (strv_push(&ix->synth, synth[i]) < 0) {
			index_free(ix);
			return -ENOMEM;
		}
	*ret = ix;
	return 0;
}

void index_set_squash(struct index *ix, int64_t uid, int64_t gid)
{
	ix->squash_uid = uid;
	ix->squash_gid = gid;
	if (uid >= 0)
		ix->uid = (uid_t)uid;
	if (gid >= 0)
		ix->gid = (gid_t)gid;
}

void index_set_override_xattr(struct index *ix, const char *name)
{
	ix->override_xattr = name;
}

void dir_table_free(struct dir_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (t->entries[i].name != t->entries[i].node->name)
			free(t->entries[i].name);
	free(t->entries);
	free(t->slots);
	free(t);
}

struct index *index_free(struct index *ix)
{
	if (!ix)
		return NULL;
	strv_free(&ix->synth);
	pthread_mutex_destroy(&ix->merge_lock);
	free(ix);
	return NULL;
}

