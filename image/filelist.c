/* SPDX-License-Identifier: MIT */
/*
 * filelist.c - write and read the verification manifest (see filelist.h).
 * Writing uses the project's JSON writer (common/audit_fmt), reading json-c.
 */
#include "filelist.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "audit_fmt.h"
#include "cleanup.h"
#include "hash.h"
#include "log.h"

struct filelist {
	struct filelist_entry *v;
	size_t n, cap;
	size_t *index; /* open addressing over v, SIZE_MAX: empty */
	size_t index_cap;
};

static const struct {
	mode_t type;
	const char *name;
} types[] = {
	{ S_IFREG, "reg" }, { S_IFDIR, "dir" }, { S_IFLNK, "symlink" },
	{ S_IFCHR, "char" }, { S_IFBLK, "block" }, { S_IFIFO, "fifo" },
};

const char *filelist_type_name(mode_t type)
{
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (types[i].type == (type & S_IFMT))
			return types[i].name;
	return NULL;
}

mode_t filelist_type_from_name(const char *name)
{
	for (size_t i = 0; name && i < ELEMENTSOF(types); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].type;
	return 0;
}

static void kv_bytes(struct afmt_buf *b, const char *key, const char *s)
{
	size_t n = strlen(s);
	char hexkey[32];

	afmt_kv_str(b, key, s, n);
	if (!afmt_utf8_valid(s, n)) {
		snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
		afmt_key(b, hexkey);
		afmt_hexstr(b, s, n);
	}
}

int filelist_write(FILE *f, const struct filelist_entry *e)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	char num[32];
	int r = 0;

	afmt_obj_begin(&b);
	kv_bytes(&b, "path", e->path);
	afmt_kv_strz(&b, "type", filelist_type_name(e->type));
	snprintf(num, sizeof(num), "%04o", (unsigned)(e->mode & 07777));
	afmt_kv_strz(&b, "mode", num);
	afmt_kv_u64(&b, "uid", e->uid);
	afmt_kv_u64(&b, "gid", e->gid);
	afmt_kv_u64(&b, "size", e->size);
	if (e->sha256[0])
		afmt_kv_strz(&b, "sha256", e->sha256);
	if (e->target)
		kv_bytes(&b, "target", e->target);
	if (e->type == S_IFCHR || e->type == S_IFBLK) {
		snprintf(num, sizeof(num), "%u:%u", major(e->rdev), minor(e->rdev));
		afmt_kv_strz(&b, "rdev", num);
	}
	if (e->link)
		kv_bytes(&b, "link", e->link);
	if (e->implicit) {
		afmt_key(&b, "implicit");
		afmt_bool(&b, true);
	}
	afmt_obj_end(&b);
	afmt_raw(&b, "\n", 1);
	if (afmt_failed(&b))
		r = -ENOMEM;
	else if (fwrite(b.data, 1, b.len, f) != b.len)
		r = -EIO;
	afmt_free(&b);
	return r;
}

void filelist_entry_done(struct filelist_entry *e)
{
	free(e->path);
	free(e->target);
	free(e->link);
	memset(e, 0, sizeof(*e));
}

static int unhex(const char *hex, char **ret)
{
	size_t n = strlen(hex);
	char *out;

	if (n % 2)
		return -EINVAL;
	out = malloc(n / 2 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(out);
			return -EINVAL;
		}
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	*ret = out;
	return 0;
}

/* String member, preferring KEY_hex when there is one. */
static int get_bytes(json_object *o, const char *key, char **ret)
{
	char hexkey[32];
	json_object *v;

	*ret = NULL;
	snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
	if (json_object_object_get_ex(o, hexkey, &v) && json_object_is_type(v, json_type_string))
		return unhex(json_object_get_string(v), ret);
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return 0;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

static const char *get_s(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int parse_entry(json_object *o, struct filelist_entry *e)
{
	const char *s;
	unsigned maj, min, mode;
	int r;

	if ((r = get_bytes(o, "path", &e->path)) < 0 || (r = get_bytes(o, "target", &e->target)) < 0 ||
	    (r = get_bytes(o, "link", &e->link)) < 0)
		return r;
	e->type = filelist_type_from_name(get_s(o, "type"));
	s = get_s(o, "mode");
	if (!e->path || !e->type || !s || sscanf(s, "%o", &mode) != 1 || get_int(o, "uid") < 0 ||
	    get_int(o, "gid") < 0 || get_int(o, "size") < 0)
		return -EBADMSG;
	e->mode = mode & 07777;
	e->uid = (uid_t)get_int(o, "uid");
	e->gid = (gid_t)get_int(o, "gid");
	e->size = (uint64_t)get_int(o, "size");
	s = get_s(o, "sha256");
	if (s)
		snprintf(e->sha256, sizeof(e->sha256), "%s", s);
	s = get_s(o, "rdev");
	if (s && sscanf(s, "%u:%u", &maj, &min) == 2)
		e->rdev = makedev(maj, min);
	e->implicit = json_object_object_get_ex(o, "implicit", NULL);
	return 0;
}

static size_t *index_slot(struct filelist *fl, const char *path)
{
	size_t i = hash64(path, strlen(path)) & (fl->index_cap - 1);

	while (fl->index[i] != SIZE_MAX && strcmp(fl->v[fl->index[i]].path, path) != 0)
		i = (i + 1) & (fl->index_cap - 1);
	return &fl->index[i];
}

static int build_index(struct filelist *fl)
{
	fl->index_cap = 16;
	while (fl->index_cap < fl->n * 2)
		fl->index_cap *= 2;
	fl->index = malloc(fl->index_cap * sizeof(size_t));
	if (!fl->index)
		return -ENOMEM;
	memset(fl->index, 0xff, fl->index_cap * sizeof(size_t));
	/* A later record of a path replaces an earlier one (an implicit
	 * directory listed explicitly afterwards). */
	for (size_t i = 0; i < fl->n; i++)
		*index_slot(fl, fl->v[i].path) = i;
	return 0;
}

static int append(struct filelist *fl, struct filelist_entry *e)
{
	if (fl->n == fl->cap) {
		size_t n = fl->cap ? fl->cap * 2 : 1024;
		struct filelist_entry *v = reallocarray(fl->v, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		fl->v = v;
		fl->cap = n;
	}
	fl->v[fl->n++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

int filelist_load(int dirfd, const char *name, struct filelist **ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	struct filelist *fl;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open the manifest '%s': %m", name);
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	while ((n = getline(&line, &cap, f)) > 0) {
		struct filelist_entry e = { 0 };
		json_object *o = json_tokener_parse(line);

		lineno++;
		r = o ? parse_entry(o, &e) : -EBADMSG;
		json_object_put(o);
		if (r >= 0)
			r = append(fl, &e);
		filelist_entry_done(&e);
		if (r < 0) {
			log_error_errno(r, "manifest '%s', line %zu: not a file record", name, lineno);
			filelist_free(fl);
			return r;
		}
	}
	if ((r = build_index(fl)) < 0) {
		filelist_free(fl);
		return r;
	}
	*ret = fl;
	return 0;
}

struct filelist *filelist_free(struct filelist *fl)
{
	if (!fl)
		return NULL;
	for (size_t i = 0; i < fl->n; i++)
		filelist_entry_done(&fl->v[i]);
	free(fl->v);
	free(fl->index);
	free(fl);
	return NULL;
}

size_t filelist_size(const struct filelist *fl)
{
	return fl->n;
}

const struct filelist_entry *filelist_at(const struct filelist *fl, size_t i)
{
	return i < fl->n ? &fl->v[i] : NULL;
}

const struct filelist_entry *filelist_find(const struct filelist *fl, const char *path)
{
	size_t i = *index_slot((struct filelist *)fl, path);

	return i == SIZE_MAX ? NULL : &fl->v[i];
}
