/* SPDX-License-Identifier: MIT */
/*
 * index.c - merging one directory across the layer stack; see index.h.
 *
 * A merge reads the names and d_type of each layer's copy and nothing
 * more: what decides visibility is the name and its type (a directory
 * merges, anything else hides what lies below), so no entry is stat'ed
 * except a DT_CHR (a 0/0 device is a whiteout) or a DT_UNKNOWN.  A
 * failed lookup in a merged directory is one hash probe, and the first
 * one costs a getdents of each layer.  An entry's node is made from a
 * stat of its topmost copy when it is first looked up or listed
 * (entry_make()); a zero-size regular file may then turn out to be an
 * xattr whiteout and the entry becomes hidden.  A child directory's
 * layers are listed in the parent's table behind its name; whether a
 * copy is opaque is learnt when the child itself is merged, from the fd
 * it reads anyway.
 *
 * Merges are serialized by one lock (they are one-off work per
 * directory); nodes are made under another, short one.  Readers take the
 * finished table and an entry's node with acquire loads and never lock.
 * While merging, a temporary table also remembers whiteouts ("tombstones")
 * and which directories are sealed (nothing below them may merge); only
 * the other entries survive into the final table, which is one allocation:
 * entries, hash slots (1, 2 or 4 bytes each by its size) and names.
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

#define DT_TOMB 0xff /* a whiteout met while merging */

struct index {
	const struct layer_stack *layers;
	struct inode_table *inodes;
	pthread_mutex_t merge_lock;
	pthread_mutex_t make_lock; /* making an entry's node */
	struct strv synth;         /* synthdir=, a copy */
	struct timespec mount_time;
	uid_t uid;
	gid_t gid;
	int64_t squash_uid, squash_gid; /* -1: show the layers' owners */
	const char *override_xattr;     /* xattr_permissions=, or NULL */
};

/* One name met while merging; name first, as in struct dir_entry. */
struct mslot {
	uint32_t name;             /* offset in merge.names */
	uint16_t layer;            /* topmost copy */
	uint8_t type;              /* DT_*, or DT_TOMB */
	bool sealed;               /* a directory: nothing more merges */
	uint32_t dl_head, dl_tail; /* a directory's layers: chain in merge.dl */
	uint32_t n_dl;
};

struct dl_link {
	uint32_t next; /* index + 1, 0 at the end */
	uint16_t layer;
};

struct merge {
	struct index *ix;
	struct node *dir;
	const char *rel; /* dir's path relative to a layer root */
	struct mslot *v;
	size_t n, alloc;
	uint32_t *slots;
	size_t cap;
	char *names;
	size_t names_len, names_alloc;
	struct dl_link *dl;
	size_t n_dl, dl_alloc;
	char *dents; /* getdents64() buffer, DENTS_BYTES */
};

#define DENTS_BYTES 32768

_Static_assert(offsetof(struct mslot, name) == 0, "name_slot() reads the name first");
_Static_assert(offsetof(struct dir_entry, name) == 0, "name_slot() reads the name first");
_Static_assert(sizeof(struct dir_entry) == 16, "keep entries compact");

static inline uint32_t slot_get(const void *slots, unsigned width, size_t i)
{
	if (width == 1)
		return ((const uint8_t *)slots)[i];
	if (width == 2)
		return ((const uint16_t *)slots)[i];
	return ((const uint32_t *)slots)[i];
}

static inline void slot_set(void *slots, unsigned width, size_t i, uint32_t v)
{
	if (width == 1)
		((uint8_t *)slots)[i] = (uint8_t)v;
	else if (width == 2)
		((uint16_t *)slots)[i] = (uint16_t)v;
	else
		((uint32_t *)slots)[i] = v;
}

/*
 * The name tables of the merge (struct mslot) and of the final table
 * (struct dir_entry): cap slots, a power of two kept at most three quarters
 * full, each 0 or the index + 1 of an element of arr (stride bytes each,
 * starting with the offset of its name in names); open addressing, linear
 * probing over h, the name's hash64().  Returns the slot that holds name,
 * or the empty slot where it goes.
 */
static size_t name_slot(const void *slots, unsigned width, size_t cap, const void *arr,
			size_t stride, const char *names, const char *name, uint64_t h)
{
	size_t i = h & (cap - 1);
	uint32_t s;

	while ((s = slot_get(slots, width, i)) &&
	       strcmp(names + *(const uint32_t *)((const char *)arr + (s - 1) * stride), name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static uint64_t name_hash(const char *name)
{
	return hash64(name, strlen(name));
}

static size_t merge_slot(const struct merge *m, const char *name, uint64_t h)
{
	return name_slot(m->slots, 4, m->cap, m->v, sizeof(*m->v), m->names, name, h);
}

static struct mslot *merge_find(struct merge *m, const char *name, uint64_t h)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = merge_slot(m, name, h);
	return m->slots[i] ? &m->v[m->slots[i] - 1] : NULL;
}

static int merge_grow(struct merge *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	for (size_t k = 0; k < m->n; k++)
		slots[merge_slot(m, m->names + m->v[k].name, name_hash(m->names + m->v[k].name))] = k + 1;
	return 0;
}

/* Appends a name to a growing buffer; its offset, or -ENOMEM. */
static int64_t names_add(char **buf, size_t *len, size_t *alloc, const char *name)
{
	size_t l = strlen(name) + 1, off = *len;

	if (off + l > UINT32_MAX)
		return -ENOMEM;
	if (off + l > *alloc) {
		size_t a = *alloc ? *alloc * 2 : 1024;
		char *p;

		while (a < off + l)
			a *= 2;
		p = realloc(*buf, a);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*alloc = a;
	}
	memcpy(*buf + off, name, l);
	*len += l;
	return (int64_t)off;
}

static struct mslot *merge_add(struct merge *m, const char *name, uint64_t h, uint16_t layer,
			       uint8_t type)
{
	struct mslot *s;
	int64_t off;

	if ((m->n + 1) * 4 > m->cap * 3 && merge_grow(m) < 0)
		return NULL;
	if (m->n == m->alloc) {
		size_t alloc = m->alloc ? m->alloc * 2 : 32;
		struct mslot *v = realloc(m->v, alloc * sizeof(*v));

		if (!v)
			return NULL;
		m->v = v;
		m->alloc = alloc;
	}
	off = names_add(&m->names, &m->names_len, &m->names_alloc, name);
	if (off < 0)
		return NULL;
	s = &m->v[m->n];
	*s = (struct mslot){ .name = (uint32_t)off, .layer = layer, .type = type };
	m->slots[merge_slot(m, name, h)] = ++m->n;
	return s;
}

/* Adds layer to directory s's list. */
static int dl_append(struct merge *m, struct mslot *s, uint16_t layer)
{
	if (m->n_dl == m->dl_alloc) {
		size_t alloc = m->dl_alloc ? m->dl_alloc * 2 : 64;
		struct dl_link *v = realloc(m->dl, alloc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->dl = v;
		m->dl_alloc = alloc;
	}
	m->dl[m->n_dl] = (struct dl_link){ .layer = layer };
	if (s->dl_tail)
		m->dl[s->dl_tail - 1].next = m->n_dl + 1;
	else
		s->dl_head = m->n_dl + 1;
	s->dl_tail = ++m->n_dl;
	s->n_dl++;
	return 0;
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

/* Does an open (not O_PATH) directory carry an opaque xattr?  list: its
 * xattr names (len bytes; len < 0: not listed). */
static bool fd_has_opaque_xattr(int fd, const char *list, ssize_t len)
{
	char v[8];

	for (size_t i = 0; i < ELEMENTSOF(whiteout_opaque_xattr_names); i++) {
		const char *x = whiteout_opaque_xattr_names[i];
		bool listed = len < 0;
		ssize_t vlen;

		for (ssize_t k = 0; !listed && k < len; k += strnlen(list + k, len - k) + 1)
			listed = strcmp(list + k, x) == 0;
		if (!listed)
			continue;
		vlen = fgetxattr(fd, x, v, sizeof(v));
		if (vlen > 0 && whiteout_opaque_value(v, vlen))
			return true;
	}
	return false;
}

/*
 * One flistxattr() of a directory copy that is open anyway: learns the
 * merged directory's xattr state from its top copy (learn), and says
 * whether the copy is opaque (check).
 */
static bool layer_copy_xattrs(struct node *dir, int fd, bool learn, bool check)
{
	char list[4096];
	ssize_t len;

	if (!learn && !check)
		return false;
	len = flistxattr(fd, list, sizeof(list));
	if (learn && len >= 0)
		atomic_store_explicit(&dir->xattrs, node_xattrs_classify(list, len),
				      memory_order_relaxed);
	else if (learn)
		node_xattrs_learn_fd(dir, fd);
	return check && len != 0 && fd_has_opaque_xattr(fd, list, len);
}

/* Is directory name, inside the layer directory dirfd, opaque? */
static bool dir_is_opaque(int dirfd, const char *name)
{
	_cleanup_close_ int fd = layer_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	char list[4096];
	ssize_t len;

	if (fd < 0)
		return false;
	len = flistxattr(fd, list, sizeof(list));
	return (len != 0 && fd_has_opaque_xattr(fd, list, len)) ||
	       faccessat(fd, WHITEOUT_OCI_OPAQUE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A name seen again in a lower layer: does the lower copy merge in? */
static int merge_again(struct merge *m, struct mslot *s, int dirfd, const struct dirent64 *de,
		       uint16_t layer)
{
	unsigned char type = de->d_type;
	struct stat st;

	if (s->type != DT_DIR || s->sealed)
		return 0;
	if (type == DT_UNKNOWN) {
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;
		type = IFTODT(st.st_mode);
	}
	if (type != DT_DIR) {
		/* A non-directory (or whiteout) below a directory stops the merge. */
		s->sealed = true;
		return 0;
	}
	return dl_append(m, s, layer);
}

/* A name seen for the first time, in layer L: only a device or an entry of
 * unknown type is stat'ed (a 0/0 device is a whiteout). */
static int merge_first(struct merge *m, int dirfd, const struct dirent64 *de, uint64_t h,
		       uint16_t layer)
{
	unsigned char type = de->d_type;
	struct mslot *s;
	struct stat st;

	if (type == DT_UNKNOWN || type == DT_CHR) {
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			log_debug_errno(-errno, "layer %u: cannot stat '%s/%s': %m", layer, m->rel,
					de->d_name);
			return 0;
		}
		type = whiteout_is_chardev(&st) ? DT_TOMB : IFTODT(st.st_mode);
	}
	s = merge_add(m, de->d_name, h, layer, type);
	if (!s)
		return -ENOMEM;
	return type == DT_DIR ? dl_append(m, s, layer) : 0;
}

/* OCI whiteouts (names, NUL-separated, len bytes) hide lower layers only. */
static int merge_oci_whiteouts(struct merge *m, const char *names, size_t len, uint16_t layer)
{
	for (size_t i = 0; i < len; i += strlen(names + i) + 1) {
		uint64_t h = name_hash(names + i);
		struct mslot *s = merge_find(m, names + i, h);

		if (!s) {
			if (!merge_add(m, names + i, h, layer, DT_TOMB))
				return -ENOMEM;
		} else if (s->type == DT_DIR) {
			s->sealed = true;
		}
	}
	return 0;
}

/* One entry of one layer's copy (not "." or ".."). */
static int merge_entry(struct merge *m, int fd, const struct dirent64 *de, uint16_t layer,
		       char **wh, size_t *wh_len, size_t *wh_alloc, bool *oci_opaque)
{
	const char *name = de->d_name, *target;
	struct mslot *s;
	uint64_t h;

	if (whiteout_is_oci_opaque(name)) {
		*oci_opaque = true;
		return 0;
	}
	if ((target = whiteout_oci_target(name)))
		return names_add(wh, wh_len, wh_alloc, target) < 0 ? -ENOMEM : 0;
	if (whiteout_is_internal_name(name))
		return 0;
	h = name_hash(name);
	s = merge_find(m, name, h);
	return s ? merge_again(m, s, fd, de, layer) : merge_first(m, fd, de, h, layer);
}

/*
 * Reads one layer's copy of the directory with getdents64() (no DIR: its
 * fstat, fcntl and buffer are per-open costs).  check_opaque: more layers
 * follow; *ret_opaque says whether this copy hides them.
 */
static int merge_layer(struct merge *m, uint16_t layer, bool check_opaque, bool *ret_opaque)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *wh = NULL;
	size_t wh_len = 0, wh_alloc = 0;
	bool opaque = false, learn;
	int r = 0;

	fd = layer_open(&m->ix->layers->layers[layer], m->rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return log_debug_errno(fd, "layer %u: cannot open '%s': %m", layer, m->rel);
	while (r == 0) {
		ssize_t len = getdents64(fd, m->dents, DENTS_BYTES);

		if (len <= 0) {
			r = len < 0 ? -errno : 0;
			break;
		}
		for (ssize_t off = 0; r == 0 && off < len;) {
			const struct dirent64 *de = (const struct dirent64 *)(m->dents + off);
			const char *name = de->d_name;

			off += de->d_reclen;
			if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
				continue;
			r = merge_entry(m, fd, de, layer, &wh, &wh_len, &wh_alloc, &opaque);
		}
	}
	/* OCI whiteouts hide lower layers only, never a sibling in this one. */
	if (r == 0)
		r = merge_oci_whiteouts(m, wh, wh_len, layer);
	/* The directory's own copy is open anyway: learn whether it has
	 * xattrs (an ACL matters to every permission check below it). */
	learn = layer == m->dir->layer &&
		atomic_load_explicit(&m->dir->xattrs, memory_order_relaxed) == NODE_XATTRS_UNKNOWN;
	if (r == 0 && layer_copy_xattrs(m->dir, fd, learn, check_opaque && !opaque))
		opaque = true; /* by xattr; else by a .wh..wh..opq inside */
	if (r == 0 && check_opaque)
		*ret_opaque = opaque;
	return r;
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

/* Whether the visible-looking entry s (a regular file) is an xattr
 * whiteout; the synthdir code needs to know before it may replace it. */
static bool merge_is_whiteout(struct merge *m, const struct mslot *s)
{
	_cleanup_close_ int fd = -1;
	const char *name = m->names + s->name;
	struct stat st;

	if (s->type != DT_REG)
		return false;
	fd = layer_open(&m->ix->layers->layers[s->layer], m->rel, O_PATH | O_DIRECTORY);
	if (fd < 0 || fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return whiteout_maybe_xattr(&st) && entry_is_xattr_whiteout(fd, name);
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
		uint64_t h;

		if (rl) {
			if (strncmp(p, m->rel, rl) != 0 || p[rl] != '/')
				continue;
			p += rl + 1;
		}
		end = strchrnul(p, '/');
		comp = strndup(p, end - p);
		if (!comp)
			return -ENOMEM;
		h = name_hash(comp);
		s = merge_find(m, comp, h);
		if (s && s->type != DT_TOMB && !merge_is_whiteout(m, s)) {
			if (s->type != DT_DIR)
				log_warning("synthdir '%s': '%s' exists in the image and is not a directory",
					    ix->synth.v[i], comp);
			continue;
		}
		if (!s && !(s = merge_add(m, comp, h, NODE_LAYER_SYNTH, DT_DIR)))
			return -ENOMEM;
		*s = (struct mslot){ .name = s->name, .layer = NODE_LAYER_SYNTH, .type = DT_DIR };
	}
	return 0;
}

static void merge_release(struct merge *m)
{
	free(m->v);
	free(m->slots);
	free(m->names);
	free(m->dl);
	free(m->dents);
}

/* Bytes of s in the final names: its name, and a directory's layers
 * (a uint16_t count, then the layers top first, unaligned). */
static size_t final_name_bytes(const struct merge *m, const struct mslot *s)
{
	size_t l = strlen(m->names + s->name) + 1;

	return s->type == DT_DIR ? l + 2 * (1 + (size_t)s->n_dl) : l;
}

/* Turns the visible part of the merge into the final table. */
static int merge_finish(struct merge *m, struct dir_table **ret)
{
	size_t visible = 0, bytes = 0, cap = 8, head, slots_bytes, pos = 0;
	struct dir_table *t;
	unsigned width;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].type != DT_TOMB) {
			visible++;
			bytes += final_name_bytes(m, &m->v[i]);
		}
	if (bytes > UINT32_MAX)
		return -E2BIG;
	while (cap * 3 < visible * 4 + 4)
		cap *= 2;
	width = visible < UINT8_MAX ? 1 : visible < UINT16_MAX ? 2 : 4;
	head = (sizeof(*t) + 15) & ~(size_t)15;
	slots_bytes = (cap * width + 7) & ~(size_t)7;
	t = calloc(1, head + visible * sizeof(*t->entries) + slots_bytes + bytes);
	if (!t)
		return -ENOMEM;
	t->ix = m->ix;
	t->dir = m->dir;
	t->entries = (struct dir_entry *)((char *)t + head);
	t->slots = (char *)t->entries + visible * sizeof(*t->entries);
	t->names = (char *)t->slots + slots_bytes;
	t->cap = cap;
	t->slot_bytes = width;
	for (size_t i = 0; i < m->n; i++) {
		const struct mslot *s = &m->v[i];
		const char *name = m->names + s->name;
		size_t l = strlen(name) + 1;
		struct dir_entry *e;

		if (s->type == DT_TOMB)
			continue;
		e = &t->entries[t->n];
		e->name = (uint32_t)pos;
		e->layer = s->layer;
		e->type = s->type;
		memcpy(t->names + pos, name, l);
		pos += l;
		if (s->type == DT_DIR) {
			uint16_t n = (uint16_t)s->n_dl;

			memcpy(t->names + pos, &n, 2);
			pos += 2;
			for (uint32_t k = s->dl_head; k; k = m->dl[k - 1].next) {
				memcpy(t->names + pos, &m->dl[k - 1].layer, 2);
				pos += 2;
			}
		}
		slot_set(t->slots, width,
			 name_slot(t->slots, width, cap, t->entries, sizeof(*e), t->names, name,
				   name_hash(name)),
			 ++t->n);
	}
	*ret = t;
	return 0;
}

/* Where the layer list of a directory entry starts in t->names. */
static const char *entry_layers(const struct dir_table *t, const struct dir_entry *e)
{
	const char *name = t->names + e->name;

	return name + strlen(name) + 1;
}

/* The layers that take part in dir's merge, top first, into v; their count. */
static size_t dir_layers(struct index *ix, struct node *dir, uint16_t v[LAYER_MAX])
{
	const struct dir_table *pt;
	const char *p;
	uint16_t n;

	if (!dir->parent) {
		for (size_t i = 0; i < ix->layers->n; i++)
			v[i] = (uint16_t)i;
		return ix->layers->n;
	}
	if (dir->layer == NODE_LAYER_SYNTH)
		return 0;
	pt = atomic_load_explicit(&node_dir(dir->parent)->table, memory_order_acquire);
	p = pt->names + dir->name;
	p += strlen(p) + 1;
	memcpy(&n, p, 2);
	memcpy(v, p + 2, 2 * (size_t)n);
	return n;
}

static int index_merge(struct index *ix, struct node *dir, struct dir_table **ret)
{
	_cleanup_free_ char *rel = node_path(dir, false);
	struct merge m = { .ix = ix, .dir = dir };
	uint16_t layers[LAYER_MAX];
	size_t n = dir_layers(ix, dir, layers);
	int r = 0;

	if (!rel)
		return -ENOMEM;
	m.rel = rel;
	if (n && !(m.dents = malloc(DENTS_BYTES)))
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool opaque = false;

		/* The root is never opaque (overlayfs ignores the marker there). */
		r = merge_layer(&m, layers[i], dir->parent && i + 1 < n, &opaque);
		/* The layer changed under us, or an entry vanished: skip it. */
		if (r == -ENOENT || r == -ENOTDIR)
			r = 0;
		if (opaque)
			break;
	}
	if (r == 0 && ix->synth.n)
		r = merge_synth(&m);
	if (r == 0)
		r = merge_finish(&m, ret);
	merge_release(&m);
	return r;
}

bool index_dir_merged(const struct node *dir)
{
	return !S_ISDIR(dir->attr.mode) ||
	       atomic_load_explicit(&node_dir((struct node *)dir)->table, memory_order_acquire);
}

int index_dir(struct index *ix, struct node *dir, const struct dir_table **ret)
{
	struct dir_node *dn;
	struct dir_table *t;
	int r = 0;

	if (!S_ISDIR(dir->attr.mode))
		return -ENOTDIR;
	dn = node_dir(dir);
	t = atomic_load_explicit(&dn->table, memory_order_acquire);
	if (t) {
		*ret = t;
		return 0;
	}
	pthread_mutex_lock(&ix->merge_lock);
	t = atomic_load_explicit(&dn->table, memory_order_relaxed);
	if (!t) {
		r = index_merge(ix, dir, &t);
		if (r == 0)
			atomic_store_explicit(&dn->table, t, memory_order_release);
	}
	pthread_mutex_unlock(&ix->merge_lock);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

/*
 * Stats entry e of t in its layer's copy of t->dir (dirfd, or -1 to open
 * it) and applies the override xattr; whether a directory merges from more
 * than one layer goes to *ret_multi.  -ENOENT: e is a whiteout, or is gone.
 */
static int entry_stat(const struct dir_table *t, const struct dir_entry *e, int dirfd,
		      struct stat *st, bool *ret_multi)
{
	const struct layer *l = &t->ix->layers->layers[e->layer];
	const char *name = t->names + e->name;
	_cleanup_close_ int own = -1;
	uint16_t n_dl = 0;

	if (dirfd < 0) {
		_cleanup_free_ char *rel = node_path(t->dir, false);

		if (!rel)
			return -ENOMEM;
		own = layer_open(l, rel, O_PATH | O_DIRECTORY);
		if (own < 0)
			return own == -ENOMEM ? own : -ENOENT;
		dirfd = own;
	}
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOMEM ? -ENOMEM : -ENOENT;
	if (whiteout_is_chardev(st) ||
	    (whiteout_maybe_xattr(st) && entry_is_xattr_whiteout(dirfd, name)))
		return -ENOENT;
	/* The layer changed since the merge: show nothing rather than a
	 * directory without its layers. */
	if (S_ISDIR(st->st_mode) != (e->type == DT_DIR))
		return -ENOENT;
	apply_override_stat(t->ix, dirfd, name, st);
	if (e->type == DT_DIR)
		memcpy(&n_dl, entry_layers(t, e), 2);
	/* An opaque top copy merges alone. */
	*ret_multi = n_dl > 1 && !dir_is_opaque(dirfd, name);
	return 0;
}

/* Makes e's node; called with ix->make_lock held.  st NULL: synthesized. */
static int node_make(const struct dir_table *t, const struct dir_entry *e, const struct stat *st,
		     bool multi, struct node **ret)
{
	struct index *ix = t->ix;
	bool dir = e->type == DT_DIR;
	bool hardlink = st && !dir && st->st_nlink > 1;
	struct node *n = NULL;

	if (hardlink)
		n = inode_hardlink_find(ix->inodes, e->layer, st->st_dev, st->st_ino);
	if (n) {
		*ret = n;
		return 0;
	}
	n = inode_node_new(ix->inodes, t->dir, dir);
	if (!n)
		return -ENOMEM;
	n->name = e->name;
	n->layer = e->layer;
	if (st) {
		if (node_attr_from_stat(n, st) < 0)
			return -ENOMEM;
		present_owner(ix, &n->attr);
		if (multi)
			n->attr.nlink = 1; /* as overlayfs does for merged dirs */
	} else {
		n->attr.mode = S_IFDIR | 0755;
		n->attr.nlink = 2;
		n->attr.uid = ix->uid;
		n->attr.gid = ix->gid;
		n->blk = 13; /* 4096 */
		node_set_times(n, &ix->mount_time);
	}
	if (hardlink && inode_hardlink_add(ix->inodes, e->layer, st->st_dev, st->st_ino, n) < 0)
		return -ENOMEM;
	*ret = n;
	return 0;
}

/* e's node, made now if needed (dirfd as for entry_stat()).  -ENOENT: hidden. */
static int entry_make(struct dir_table *t, struct dir_entry *e, int dirfd, struct node **ret)
{
	struct node *n = atomic_load_explicit(&e->node, memory_order_acquire);
	bool synth = e->layer == NODE_LAYER_SYNTH, multi = false;
	struct stat st;
	int r = 0;

	if (!n && atomic_load_explicit(&e->state, memory_order_relaxed) == DIR_ENTRY_HIDDEN)
		return -ENOENT;
	if (!n && !synth) {
		r = entry_stat(t, e, dirfd, &st, &multi);
		if (r == -ENOENT)
			atomic_store_explicit(&e->state, DIR_ENTRY_HIDDEN, memory_order_relaxed);
		if (r < 0)
			return r;
	}
	if (!n) {
		pthread_mutex_lock(&t->ix->make_lock);
		n = atomic_load_explicit(&e->node, memory_order_relaxed);
		if (!n) {
			r = node_make(t, e, synth ? NULL : &st, multi, &n);
			if (r == 0)
				atomic_store_explicit(&e->node, n, memory_order_release);
		}
		pthread_mutex_unlock(&t->ix->make_lock);
		if (r < 0)
			return r;
	}
	*ret = n;
	return 0;
}

/* The index + 1 of name's entry in t, 0 if there is none. */
static uint32_t table_find(const struct dir_table *t, const char *name)
{
	return slot_get(t->slots, t->slot_bytes,
			name_slot(t->slots, t->slot_bytes, t->cap, t->entries, sizeof(*t->entries),
				  t->names, name, name_hash(name)));
}

static int dir_table_make_all(struct index *ix, struct dir_table *t);

/*
 * The first non-directory looked up in a directory of at most this many
 * entries makes every entry's node, each layer's copy opened once: the
 * siblings of a file a program opens are likely next, and their inodes
 * are near it on disk.  A path walk (directories) and failed lookups make
 * only what they find.
 */
#define MAKE_ALL_MAX 1024

struct node *index_lookup(const struct dir_table *t, const char *name)
{
	/* The table is immutable but for its entries' nodes, made on demand. */
	struct dir_table *mt = (struct dir_table *)t;
	uint32_t s = table_find(t, name);
	struct dir_entry *e;
	struct node *n;

	if (!s)
		return NULL;
	e = &mt->entries[s - 1];
	if (!atomic_load_explicit(&e->node, memory_order_acquire) && e->type != DT_DIR &&
	    t->n <= MAKE_ALL_MAX &&
	    !atomic_load_explicit(&mt->listed, memory_order_acquire) &&
	    dir_table_make_all(mt->ix, mt) == 0)
		atomic_store_explicit(&mt->listed, true, memory_order_release);
	if (entry_make(mt, e, -1, &n) < 0)
		return NULL;
	return n;
}

bool index_lookup_ready(const struct node *dir, const char *name)
{
	const struct dir_table *t;
	const struct dir_entry *e;
	uint32_t s;

	if (!S_ISDIR(dir->attr.mode))
		return true;
	t = atomic_load_explicit(&node_dir((struct node *)dir)->table, memory_order_acquire);
	if (!t)
		return false;
	s = table_find(t, name);
	if (!s)
		return true;
	e = &t->entries[s - 1];
	return e->layer == NODE_LAYER_SYNTH || atomic_load_explicit(&e->node, memory_order_acquire) ||
	       atomic_load_explicit(&e->state, memory_order_relaxed) == DIR_ENTRY_HIDDEN;
}

bool index_dir_listed(const struct node *dir)
{
	const struct dir_table *t;

	if (!S_ISDIR(dir->attr.mode))
		return true;
	t = atomic_load_explicit(&node_dir((struct node *)dir)->table, memory_order_acquire);
	return t && atomic_load_explicit(&t->listed, memory_order_acquire);
}

/* Makes the node of every entry, each layer's copy of the directory
 * opened once. */
static int dir_table_make_all(struct index *ix, struct dir_table *t)
{
	_cleanup_free_ char *rel = node_path(t->dir, false);
	_cleanup_free_ int *fds = NULL;
	size_t nl = ix->layers->n;
	int r = 0;

	if (!rel)
		return -ENOMEM;
	fds = malloc(nl * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (size_t i = 0; i < nl; i++)
		fds[i] = -2; /* not opened yet */
	for (size_t i = 0; i < t->n && r >= 0; i++) {
		struct dir_entry *e = &t->entries[i];
		struct node *n;
		int fd = -1;

		if (atomic_load_explicit(&e->node, memory_order_acquire))
			continue;
		if (e->layer != NODE_LAYER_SYNTH) {
			if (fds[e->layer] == -2)
				fds[e->layer] = layer_open(&ix->layers->layers[e->layer], rel,
							   O_PATH | O_DIRECTORY);
			fd = fds[e->layer] >= 0 ? fds[e->layer] : -1;
		}
		r = entry_make(t, e, fd, &n);
		if (r == -ENOENT)
			r = 0;
	}
	for (size_t i = 0; i < nl; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

int index_dir_list(struct index *ix, struct node *dir, const struct dir_table **ret)
{
	const struct dir_table *t;
	struct dir_table *mt;
	int r = index_dir(ix, dir, &t);

	if (r < 0)
		return r;
	mt = (struct dir_table *)t;
	if (!atomic_load_explicit(&mt->listed, memory_order_acquire)) {
		r = dir_table_make_all(ix, mt);
		if (r < 0)
			return r;
		atomic_store_explicit(&mt->listed, true, memory_order_release);
	}
	*ret = t;
	return 0;
}

const char *node_name(const struct node *n)
{
	const struct dir_table *pt;

	if (!n->parent)
		return "";
	pt = atomic_load_explicit(&node_dir(n->parent)->table, memory_order_acquire);
	return pt->names + n->name;
}

int index_init_root(struct index *ix)
{
	struct node *root = inode_root(ix->inodes);
	const struct layer_stack *ls = ix->layers;
	struct stat st;

	if (fstat(ls->layers[0].fd, &st) < 0)
		return -errno;
	apply_override_stat(ix, ls->layers[0].fd, ".", &st);
	if (node_attr_from_stat(root, &st) < 0)
		return -ENOMEM;
	present_owner(ix, &root->attr);
	root->layer = 0;
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
	pthread_mutex_init(&ix->make_lock, NULL);
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
	free(t); /* one allocation */
}

struct index *index_free(struct index *ix)
{
	if (!ix)
		return NULL;
	strv_free(&ix->synth);
	pthread_mutex_destroy(&ix->merge_lock);
	pthread_mutex_destroy(&ix->make_lock);
	free(ix);
	return NULL;
}
