/* SPDX-License-Identifier: MIT */
/* table.c - see table.h.  Deletion uses backward-shift so no tombstones. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct table {
	struct table_entry **slots;
	size_t cap, n, value_size;
};

struct table *table_new(size_t value_size)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->value_size = (value_size + 7) & ~(size_t)7;
	t->cap = 64;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

struct table *table_free(struct table *t, void (*free_value)(void *value))
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i])
			continue;
		if (free_value)
			free_value(t->slots[i]->value);
		free(t->slots[i]);
	}
	free(t->slots);
	free(t);
	return NULL;
}

static size_t probe(const struct table *t, uint64_t h, const char *key, size_t klen)
{
	size_t i = h & (t->cap - 1);

	for (;;) {
		struct table_entry *e = t->slots[i];
		if (!e || (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0))
			return i;
		i = (i + 1) & (t->cap - 1);
	}
}

static int grow(struct table *t)
{
	size_t ncap = t->cap * 2;
	struct table_entry **ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		struct table_entry *e = t->slots[i];
		if (!e)
			continue;
		size_t j = e->hash & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = e;
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

struct table_entry *table_find(const struct table *t, const char *key, size_t klen)
{
	return t->slots[probe(t, hash64(key, klen), key, klen)];
}

struct table_entry *table_upsert(struct table *t, const char *key, size_t klen, bool *ret_new)
{
	uint64_t h = hash64(key, klen);
	size_t i = probe(t, h, key, klen);
	struct table_entry *e = t->slots[i];

	if (e) {
		if (ret_new)
			*ret_new = false;
		return e;
	}
	if ((t->n + 1) * 4 > t->cap * 3) {
		if (grow(t) < 0)
			return NULL;
		i = probe(t, h, key, klen);
	}
	e = calloc(1, sizeof(*e) + t->value_size + klen + 1);
	if (!e)
		return NULL;
	e->hash = h;
	e->klen = klen;
	e->value = (char *)(e + 1);
	char *k = (char *)(e + 1) + t->value_size;
	memcpy(k, key, klen);
	k[klen] = '\0';
	e->key = k;
	t->slots[i] = e;
	t->n++;
	if (ret_new)
		*ret_new = true;
	return e;
}

void table_remove(struct table *t, struct table_entry *e, void (*free_value)(void *value))
{
	size_t i = probe(t, e->hash, e->key, e->klen);

	if (t->slots[i] != e)
		return;
	if (free_value)
		free_value(e->value);
	free(e);
	t->slots[i] = NULL;
	t->n--;
	/* backward shift: re-seat the following cluster */
	for (size_t j = (i + 1) & (t->cap - 1); t->slots[j]; j = (j + 1) & (t->cap - 1)) {
		struct table_entry *m = t->slots[j];
		t->slots[j] = NULL;
		size_t k = m->hash & (t->cap - 1);
		while (t->slots[k])
			k = (k + 1) & (t->cap - 1);
		t->slots[k] = m;
	}
}

size_t table_size(const struct table *t)
{
	return t->n;
}

struct table_entry **table_entries(const struct table *t, int (*cmp)(const void *, const void *), size_t *n)
{
	struct table_entry **v;
	size_t k = 0;

	*n = 0;
	if (t->n == 0)
		return NULL;
	v = malloc(t->n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i])
			v[k++] = t->slots[i];
	if (cmp)
		qsort(v, k, sizeof(*v), cmp);
	*n = k;
	return v;
}
