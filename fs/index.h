/* SPDX-License-Identifier: MIT */
/*
 * index.h - the merged view: which entry of which layer is visible.
 *
 * A directory is merged once, on first use, into a table that answers every
 * later lookup and readdir without touching the layers again, so lookup cost
 * does not grow with the number of layers.  Layers are read top to bottom;
 * the first layer that shows a name decides it:
 *   - a whiteout (any form, see whiteout.h) hides the name below;
 *   - a non-directory hides everything below it;
 *   - a directory merges with directories below it until one of them is
 *     opaque, or a lower layer has a whiteout or a non-directory there.
 * Directory attributes come from the topmost layer; a directory merged from
 * more than one layer reports st_nlink 1, as kernel overlayfs does.
 * "synthdir" paths absent from the image appear as empty read-only
 * directories, so a container can mount over them on a read-only root.
 * No FUSE types here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "inode.h"
#include "layer.h"

/*
 * One name of a merged directory.  Merging reads names and d_type only; an
 * entry's node (and with it the stat of its backing entry) is made when
 * the entry is first looked up or listed.  A zero-size regular file may
 * then turn out to be an xattr whiteout: the entry becomes hidden.
 */
enum { DIR_ENTRY_PENDING, DIR_ENTRY_HIDDEN };

struct dir_entry {
	uint32_t name;                /* offset in the table's names */
	uint16_t layer;               /* the topmost copy's layer, or NODE_LAYER_SYNTH */
	uint8_t type;                 /* DT_* of that copy */
	_Atomic uint8_t state;        /* DIR_ENTRY_*, while node is NULL */
	_Atomic(struct node *) node;  /* set once, never changed */
};

struct index;

struct dir_table {
	struct index *ix;
	struct node *dir;
	size_t n;
	struct dir_entry *entries; /* readdir order */
	void *slots;               /* open addressing, entry index + 1 */
	size_t cap;
	unsigned slot_bytes;       /* 1, 2 or 4 */
	atomic_bool listed;        /* every entry's node made (or hidden) */
	char *names;               /* each NUL-terminated; a directory's is
				    * followed by its layers (index.c) */
};

/* synth: absolute, normalized merged-tree paths ("/tmp", "/data/x"). */
int index_new(const struct layer_stack *layers, struct inode_table *inodes,
	      char *const *synth, size_t n_synth, struct index **ret);
struct index *index_free(struct index *ix);

/* The merged table of dir, merging it now if needed.  -ENOTDIR, -EIO... */
int index_dir(struct index *ix, struct node *dir, const struct dir_table **ret);
/* As index_dir(), with every entry's node made, for a listing: entries
 * whose node is then NULL are hidden. */
int index_dir_list(struct index *ix, struct node *dir, const struct dir_table **ret);
/* Whether index_dir() would answer at once: dir's table is merged already
 * (or dir is no directory). */
bool index_dir_merged(const struct node *dir);
/* The node of name, made now if needed; NULL if there is none. */
struct node *index_lookup(const struct dir_table *t, const char *name);
/* Whether index_dir() and index_lookup() of name in dir, or
 * index_dir_list() of dir, would answer without touching the layers. */
bool index_lookup_ready(const struct node *dir, const char *name);
bool index_dir_listed(const struct node *dir);

static inline const char *dir_entry_name(const struct dir_table *t, size_t i)
{
	return t->names + t->entries[i].name;
}

/* n's name: "" for the root. */
const char *node_name(const struct node *n);

/* Frees a table (inode.c calls it when freeing nodes). NULL is fine. */
void dir_table_free(struct dir_table *t);

/* Presents every entry as owned by uid / gid (-1: the layers' own owner),
 * synthesized directories included.  Call before index_init_root(). */
void index_set_squash(struct index *ix, int64_t uid, int64_t gid);

/* Takes owner and mode from this xattr ("UID:GID:MODE") where an entry
 * has it (xattr_permissions=); NULL: never.  name must outlive ix. */
void index_set_override_xattr(struct index *ix, const char *name);

/* Sets up the root node: all layers merge there. */
int index_init_root(struct index *ix);

