/* SPDX-License-Identifier: MIT */
/*
 * table.h - string-keyed hash table for the aggregates of summary, tree and
 * replay.  Each entry is one allocation holding the caller's value (zeroed,
 * 8-byte aligned) and a copy of the key; the table owns both.  Open
 * addressing with linear probing over hash64(); never shrinks.  amber-log's
 * own: the daemon's tables (index.c, inode.c, audit.c, procinfo.c) are each
 * built for one key and one bound, with no removal and no per-entry value.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct table_entry {
	uint64_t hash;
	size_t klen;
	const char *key;   /* NUL-terminated copy */
	void *value;       /* value_size bytes, zeroed on creation */
};

struct table;

struct table *table_new(size_t value_size);
/* Calls free_value(value) for each entry first when it is not NULL. */
struct table *table_free(struct table *t, void (*free_value)(void *value));
/* Returns the entry for key, creating it (value zeroed) when absent;
 * *ret_new says which.  NULL on out of memory. */
struct table_entry *table_upsert(struct table *t, const char *key, size_t klen, bool *ret_new);
struct table_entry *table_find(const struct table *t, const char *key, size_t klen);
/* Removes the entry (calling free_value on its value when not NULL). */
void table_remove(struct table *t, struct table_entry *e, void (*free_value)(void *value));
size_t table_size(const struct table *t);
/* A malloc'ed array of the entries (caller frees the array only), sorted by
 * cmp when not NULL.  NULL with *n = 0 for an empty table. */
struct table_entry **table_entries(const struct table *t, int (*cmp)(const void *, const void *), size_t *n);
