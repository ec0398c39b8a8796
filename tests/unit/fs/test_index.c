/* SPDX-License-Identifier: MIT */
/*
 * test_index.c - the directory merge, table-driven.
 *
 * Each case builds a small layer stack in a temporary directory from a
 * compact spec, merges it through the index API (no FUSE involved) and
 * compares the full merged listing with the expected one.
 *
 * Spec entries, one string each, "L kind path [arg]":
 *   f file (arg: content)      d directory         l symlink (arg: target)
 *   c char-device whiteout     x xattr whiteout    o opaque dir (xattr y)
 *   W OCI whiteout of path     O OCI opaque marker in dir path
 *   X trusted.overlay.opaque=x on dir path (holds xattr whiteouts)
 * Listing lines are "path type" sorted, type one of f d l.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "index.h"
#include "inode.h"
#include "layer.h"

#define MAXL 64
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

struct tcase {
	const char *name;
	unsigned layers;
	const char *spec[16];
	const char *expect; /* newline-separated sorted lines */
	const char *synth[4];
};

static const struct tcase cases[] = {
	{ "file over file", 2, { "0 f a top", "1 f a low" }, "/a f\n" },
	{ "dirs merge", 2, { "0 f d/x 1", "1 f d/y 2" }, "/d d\n/d/x f\n/d/y f\n" },
	{ "chardev whiteout", 2, { "0 c a", "1 f a low", "1 f b low" }, "/b f\n" },
	{ "oci whiteout", 2, { "0 W a", "1 f a low", "1 f b low" }, "/b f\n" },
	{ "xattr whiteout", 2, { "0 X .", "0 d d", "0 X d", "0 x d/a", "1 f d/a low", "1 f d/b low" },
	  "/d d\n/d/b f\n" },
	{ "whiteout of a directory", 3, { "0 c d", "1 f d/a 1", "2 f d/b 2" }, "" },
	{ "oci whiteout of a directory", 2, { "0 W d", "1 f d/a 1", "1 f e 1" }, "/e f\n" },
	{ "opaque xattr", 2, { "0 f d/a 1", "0 o d", "1 f d/b 2" }, "/d d\n/d/a f\n" },
	{ "opaque oci", 2, { "0 f d/a 1", "0 O d", "1 f d/b 2" }, "/d d\n/d/a f\n" },
	{ "opaque in the middle", 3, { "0 f d/a 1", "1 f d/b 1", "1 o d", "2 f d/c 1" },
	  "/d d\n/d/a f\n/d/b f\n" },
	{ "file hides lower dir", 2, { "0 f d x", "1 f d/a 1" }, "/d f\n" },
	{ "dir hides lower file", 2, { "0 f d/a 1", "1 f d x" }, "/d d\n/d/a f\n" },
	{ "non-dir in between stops the merge", 3, { "0 f d/a 1", "1 f d x", "2 f d/c 1" },
	  "/d d\n/d/a f\n" },
	{ "whiteout in between stops the merge", 3, { "0 f d/a 1", "1 c d", "2 f d/c 1" },
	  "/d d\n/d/a f\n" },
	{ "oci whiteout and name in one layer", 2, { "0 f a top", "0 W a", "1 f a low" }, "/a f\n" },
	{ "whiteout with nothing below", 2, { "0 c ghost", "0 W ghost2", "1 f b 1" }, "/b f\n" },
	{ "symlink kept, not followed", 2, { "0 l etc /", "1 d etc" }, "/etc l\n" },
	{ "internal names hidden", 1, { "0 f .wh..wh..opq", "0 f keep 1" }, "/keep f\n" },
	{ "deep merge", 3, { "0 f a/b/c/x 1", "1 f a/b/c/y 1", "2 f a/b/z 1" },
	  "/a d\n/a/b d\n/a/b/c d\n/a/b/c/x f\n/a/b/c/y f\n/a/b/z f\n" },
	{ "synthesized mountpoints", 2, { "0 f etc/x 1", "1 d tmp" },
	  "/data d\n/data/vol d\n/etc d\n/etc/x f\n/etc/y d\n/tmp d\n",
	  { "/tmp", "/data/vol", "/etc/y" } },
	{ "synth over a whiteout", 2, { "0 c tmp", "1 f tmp/a 1" }, "/tmp d\n", { "/tmp" } },
};

static char tmpl[] = "/tmp/amber-test-index-XXXXXX";
static char *root;

static int mkparents(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static void apply(const char *layer, const char *spec)
{
	char kind, path[256], arg[256] = "", full[1024];
	unsigned l;
	int n = sscanf(spec, "%u %c %255s %255s", &l, &kind, path, arg);

	assert_true(n >= 3);
	snprintf(full, sizeof(full), "%s/%u/%s", layer, l, path);
	assert_int_equal(mkparents(full), 0);
	switch (kind) {
	case 'f': {
		FILE *f = fopen(full, "w");
		assert_non_null(f);
		fputs(arg, f);
		fclose(f);
		break;
	}
	case 'd':
		assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
		break;
	case 'l':
		assert_int_equal(symlink(arg, full), 0);
		break;
	case 'c':
		assert_int_equal(mknod(full, S_IFCHR | 0600, makedev(0, 0)), 0);
		break;
	case 'x':
		close(open(full, O_CREAT | O_WRONLY, 0644));
		assert_int_equal(setxattr(full, "trusted.overlay.whiteout", "", 0, 0), 0);
		break;
	case 'o':
		assert_int_equal(setxattr(full, "trusted.overlay.opaque", "y", 1, 0), 0);
		break;
	case 'X':
		assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
		assert_int_equal(setxattr(full, "trusted.overlay.opaque", "x", 1, 0), 0);
		break;
	case 'O':
	case 'W': {
		char *slash = strrchr(full, '/');
		char wh[1100];

		if (kind == 'O')
			snprintf(wh, sizeof(wh), "%s/.wh..wh..opq", full);
		else
			snprintf(wh, sizeof(wh), "%.*s/.wh.%s", (int)(slash - full), full, slash + 1);
		assert_int_equal(mkparents(wh), 0);
		close(open(wh, O_CREAT | O_WRONLY, 0644));
		break;
	}
	default:
		fail_msg("bad spec '%s'", spec);
	}
}

struct listing {
	char *lines[256];
	size_t n;
};

static void walk(struct index *ix, struct node *dir, const char *prefix, struct listing *out)
{
	const struct dir_table *t;

	assert_int_equal(index_dir_list(ix, dir, &t), 0);
	for (size_t i = 0; i < t->n; i++) {
		struct node *n = t->entries[i].node;
		char *line;
		char type;

		if (!n) { /* hidden */
			assert_null(index_lookup(t, dir_entry_name(t, i)));
			continue;
		}
		type = S_ISDIR(n->attr.mode) ? 'd' : S_ISLNK(n->attr.mode) ? 'l' : 'f';
		assert_ptr_equal(index_lookup(t, dir_entry_name(t, i)), n);
		assert_string_equal(node_name(n), dir_entry_name(t, i));
		assert_true(asprintf(&line, "%s/%s %c", prefix, dir_entry_name(t, i), type) > 0);
		assert_true(out->n < 256);
		out->lines[out->n++] = line;
		if (type == 'd') {
			char *sub = strndup(line, strlen(line) - 2);
			walk(ix, n, sub, out);
			free(sub);
		}
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void run_case(const struct tcase *tc)
{
	char dir[512], *paths[MAXL], got[8192] = "";
	struct layer_stack *ls = NULL;
	struct inode_table *it = NULL;
	struct index *ix = NULL;
	struct listing out = { 0 };
	size_t n_synth = 0;

	snprintf(dir, sizeof(dir), "%s/%s", root, tc->name);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (unsigned i = 0; i < tc->layers; i++) {
		assert_true(asprintf(&paths[i], "%s/%u", dir, i) > 0);
		assert_int_equal(mkdir(paths[i], 0755), 0);
	}
	for (size_t i = 0; tc->spec[i]; i++)
		apply(dir, tc->spec[i]);
	while (tc->synth[n_synth])
		n_synth++;

	assert_int_equal(layer_stack_open(paths, tc->layers, &ls), 0);
	assert_int_equal(inode_table_new(&it), 0);
	assert_int_equal(index_new(ls, it, (char *const *)tc->synth, n_synth, &ix), 0);
	assert_int_equal(index_init_root(ix), 0);
	walk(ix, inode_root(it), "", &out);
	qsort(out.lines, out.n, sizeof(char *), cmp);
	for (size_t i = 0; i < out.n; i++) {
		strcat(got, out.lines[i]);
		strcat(got, "\n");
		free(out.lines[i]);
	}
	if (strcmp(got, tc->expect) != 0)
		fail_msg("case '%s':\nexpected:\n%sgot:\n%s", tc->name, tc->expect, got);
	index_free(ix);
	inode_table_free(it);
	layer_stack_free(ls);
	for (unsigned i = 0; i < tc->layers; i++)
		free(paths[i]);
}

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Hard links inside one layer share one node; across paths of one dir too. */
static void test_hardlinks(void **state)
{
	char dir[512], a[600], b[600], c[600];
	char *paths[1];
	struct layer_stack *ls;
	struct inode_table *it;
	struct index *ix;
	const struct dir_table *t, *ts;

	snprintf(dir, sizeof(dir), "%s/hardlinks", root);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/sub/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	assert_int_equal(mkparents(b), 0);
	close(open(a, O_CREAT | O_WRONLY, 0644));
	close(open(c, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(link(a, b), 0);
	paths[0] = dir;
	assert_int_equal(layer_stack_open(paths, 1, &ls), 0);
	assert_int_equal(inode_table_new(&it), 0);
	assert_int_equal(index_new(ls, it, NULL, 0, &ix), 0);
	assert_int_equal(index_init_root(ix), 0);
	assert_int_equal(index_dir(ix, inode_root(it), &t), 0);
	assert_int_equal(index_dir(ix, index_lookup(t, "sub"), &ts), 0);
	assert_ptr_equal(index_lookup(t, "a"), index_lookup(ts, "b"));
	assert_ptr_not_equal(index_lookup(t, "a"), index_lookup(t, "c"));
	assert_int_equal(index_lookup(t, "a")->attr.nlink, 2);
	assert_null(index_lookup(t, "missing"));
	index_free(ix);
	inode_table_free(it);
	layer_stack_free(ls);
}

/* A stack of n layers under root/name, built from spec; the index over it. */
struct fixture {
	char *paths[MAXL];
	unsigned n;
	struct layer_stack *ls;
	struct inode_table *it;
	struct index *ix;
};

static void fixture_open(struct fixture *f, const char *name, unsigned n, const char *const *spec)
{
	char dir[512];

	memset(f, 0, sizeof(*f));
	f->n = n;
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_true(asprintf(&f->paths[i], "%s/%u", dir, i) > 0);
		assert_int_equal(mkdir(f->paths[i], 0755), 0);
	}
	for (size_t i = 0; spec[i]; i++)
		apply(dir, spec[i]);
	assert_int_equal(layer_stack_open(f->paths, n, &f->ls), 0);
	assert_int_equal(inode_table_new(&f->it), 0);
	assert_int_equal(index_new(f->ls, f->it, NULL, 0, &f->ix), 0);
	assert_int_equal(index_init_root(f->ix), 0);
}

static void fixture_close(struct fixture *f)
{
	index_free(f->ix);
	inode_table_free(f->it);
	layer_stack_free(f->ls);
	for (unsigned i = 0; i < f->n; i++)
		free(f->paths[i]);
}

static size_t nodes_made(const struct dir_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->entries[i].node != NULL;
	return n;
}

/*
 * A merge makes no node, nor does a failed lookup; a lookup that finds a
 * file makes the nodes of its (small) directory, and an xattr whiteout
 * that looked like a file until then is not found.
 */
static void test_lazy(void **state)
{
	static const char *const spec[] = { "0 f a 1", "0 x wh", "0 d sub", "0 o sub", "1 f b 2",
					    "1 f wh low", "1 f sub/c 3", "1 f sub2/d 4", "2 d sub2",
					    NULL };
	const struct dir_table *t;
	struct fixture f;
	struct node *a;

	fixture_open(&f, "lazy", 3, spec);
	assert_int_equal(index_dir(f.ix, inode_root(f.it), &t), 0);
	assert_int_equal(t->n, 5); /* a wh sub b sub2 */
	assert_int_equal(nodes_made(t), 0);
	assert_null(index_lookup(t, "missing"));
	assert_int_equal(nodes_made(t), 0);
	assert_non_null(index_lookup(t, "sub2")); /* a directory: only itself */
	assert_int_equal(nodes_made(t), 1);
	/* the first file found in a small directory makes its siblings' nodes */
	a = index_lookup(t, "a");
	assert_non_null(a);
	assert_int_equal(nodes_made(t), 4);
	assert_ptr_equal(index_lookup(t, "a"), a);
	assert_null(index_lookup(t, "wh"));
	assert_int_equal(nodes_made(t), 4);
	assert_string_equal(node_name(a), "a");
	assert_int_equal(index_dir_list(f.ix, inode_root(f.it), &t), 0);
	assert_int_equal(nodes_made(t), 4);
	/* sub is opaque on top: it merges alone and keeps its own nlink;
	 * sub2 and the root merge from more than one layer: 1 */
	assert_int_equal(index_lookup(t, "sub")->attr.nlink, 2);
	assert_int_equal(index_lookup(t, "sub2")->attr.nlink, 1);
	assert_int_equal(inode_root(f.it)->attr.nlink, 1);
	fixture_close(&f);
}

static void expect_same_stat(const char *path, const struct node *n)
{
	struct stat want, got;

	assert_int_equal(lstat(path, &want), 0);
	node_attr_to_stat(n, &got);
	assert_int_equal(got.st_mode, want.st_mode);
	assert_int_equal(got.st_uid, want.st_uid);
	assert_int_equal(got.st_gid, want.st_gid);
	assert_int_equal(got.st_nlink, want.st_nlink);
	assert_int_equal(got.st_size, want.st_size);
	assert_int_equal(got.st_blocks, want.st_blocks);
	/* FUSE passes 32 bits of rdev, and the kernel keeps log2(blksize) */
	assert_int_equal((uint32_t)got.st_rdev, (uint32_t)want.st_rdev);
	assert_int_equal(got.st_blksize, (blksize_t)1 << (63 - __builtin_clzll(want.st_blksize)));
	if (!S_ISDIR(want.st_mode)) { /* listing a directory may touch its atime */
		assert_int_equal(got.st_atim.tv_sec, want.st_atim.tv_sec);
		assert_int_equal(got.st_atim.tv_nsec, want.st_atim.tv_nsec);
	}
	assert_int_equal(got.st_mtim.tv_sec, want.st_mtim.tv_sec);
	assert_int_equal(got.st_mtim.tv_nsec, want.st_mtim.tv_nsec);
	assert_int_equal(got.st_ctim.tv_sec, want.st_ctim.tv_sec);
	assert_int_equal(got.st_ctim.tv_nsec, want.st_ctim.tv_nsec);
}

/* The compact node keeps every attribute a program can see, times far
 * outside the nanosecond range and large device numbers included. */
static void test_attrs(void **state)
{
	static const char *const spec[] = { "0 f old 1", "0 f new 22", "0 f neg 333", "0 l ln target",
					    NULL };
	static const struct {
		const char *name;
		struct timespec ts[2];
	} times[] = {
		{ "old", { { -15000000000LL, 123456789 }, { -20000000000LL, 1 } } }, /* year ~1335 */
		{ "new", { { 20000000000LL, 999999999 }, { 30000000000LL, 5 } } },   /* year ~2603 */
		{ "neg", { { -1, 500 }, { -86400, 999999999 } } },                /* 1969 */
	};
	const struct dir_table *t;
	char path[1024];
	struct fixture f;

	fixture_open(&f, "attrs", 1, spec);
	for (size_t i = 0; i < ELEMENTSOF(times); i++) {
		snprintf(path, sizeof(path), "%s/%s", f.paths[0], times[i].name);
		assert_int_equal(utimensat(AT_FDCWD, path, times[i].ts, AT_SYMLINK_NOFOLLOW), 0);
	}
	snprintf(path, sizeof(path), "%s/dev", f.paths[0]);
	assert_int_equal(mknod(path, S_IFCHR | 0640, makedev(300, 70000)), 0);
	snprintf(path, sizeof(path), "%s/blk", f.paths[0]);
	assert_int_equal(mknod(path, S_IFBLK | 0600, makedev(8, 1)), 0);
	assert_int_equal(index_dir_list(f.ix, inode_root(f.it), &t), 0);
	for (size_t i = 0; i < t->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", f.paths[0], dir_entry_name(t, i));
		expect_same_stat(path, t->entries[i].node);
	}
	fixture_close(&f);
}

static int setup(void **state)
{
	root = mkdtemp(tmpl);
	return root ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_hardlinks),
		cmocka_unit_test(test_lazy),
		cmocka_unit_test(test_attrs),
	};

	if (geteuid() != 0) {
		/* mknod 0/0 and trusted.* xattrs need root */
		printf("1..0 # SKIP needs root\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
