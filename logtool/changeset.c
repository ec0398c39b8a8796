/* SPDX-License-Identifier: MIT */
/* changeset.c - see changeset.h. */
#include "changeset.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "logtool.h"
#include "table.h"

#define MAX_NOTES 8

struct change {
	unsigned flags;
	char *from;
	char type;
	char *detail;
	int64_t old_mode, new_mode, uid, gid, old_size, new_size;
	int64_t first_seq, last_seq;
	char *notes[MAX_NOTES];       /* xattr names, ioctl cmds, write sizes... */
	unsigned n_notes, more_notes;
};

struct changeset {
	struct table *t;
};

static void change_free(void *v)
{
	struct change *c = v;

	free(c->from);
	free(c->detail);
	for (unsigned i = 0; i < c->n_notes; i++)
		free(c->notes[i]);
	memset(c, 0, sizeof(*c));
}

struct changeset *changeset_new(void)
{
	struct changeset *cs = calloc(1, sizeof(*cs));

	if (cs && !(cs->t = table_new(sizeof(struct change)))) {
		free(cs);
		return NULL;
	}
	return cs;
}

struct changeset *changeset_free(struct changeset *cs)
{
	if (cs) {
		table_free(cs->t, change_free);
		free(cs);
	}
	return NULL;
}

size_t changeset_size(const struct changeset *cs)
{
	return table_size(cs->t);
}

static struct change *get(struct changeset *cs, const char *path, int64_t seq)
{
	bool is_new;
	struct table_entry *e = table_upsert(cs->t, path, strlen(path), &is_new);

	if (!e)
		return NULL;
	struct change *c = e->value;
	if (is_new) {
		c->old_mode = c->new_mode = c->old_size = c->new_size = -1;
		c->uid = c->gid = -1;
		c->first_seq = seq;
	}
	c->last_seq = seq;
	return c;
}

static struct change *find(const struct changeset *cs, const char *path)
{
	struct table_entry *e = table_find(cs->t, path, strlen(path));
	return e ? e->value : NULL;
}

static void drop(struct changeset *cs, const char *path)
{
	struct table_entry *e = table_find(cs->t, path, strlen(path));
	if (e)
		table_remove(cs->t, e, change_free);
}

static void add_note(struct change *c, const char *note)
{
	if (!note)
		return;
	for (unsigned i = 0; i < c->n_notes; i++)
		if (strcmp(c->notes[i], note) == 0)
			return;
	if (c->n_notes < MAX_NOTES)
		c->notes[c->n_notes++] = strdup(note);
	else
		c->more_notes++;
}

void cs_create(struct changeset *cs, const char *path, char type, int64_t mode, int64_t uid, int64_t gid,
	       const char *detail, int64_t seq)
{
	struct change *c = get(cs, path, seq);

	if (!c)
		return;
	/* deleted-then-created keeps DELETED: shown as replaced */
	c->flags = (c->flags & CS_DELETED) | CS_CREATED;
	c->type = type;
	c->new_mode = mode;
	c->uid = uid;
	c->gid = gid;
	free(c->detail);
	c->detail = detail ? strdup(detail) : NULL;
}

void cs_delete(struct changeset *cs, const char *path, int64_t seq)
{
	struct change *c = find(cs, path);

	if (c && (c->flags & CS_CREATED) && !(c->flags & CS_DELETED)) {
		drop(cs, path); /* created here, gone again: no net change */
		return;
	}
	if (c && (c->flags & CS_RENAMED) && c->from) {
		/* the original now lives nowhere: it is deleted at its old path */
		char *from = strdup(c->from);
		drop(cs, path);
		if (from) {
			struct change *o = get(cs, from, seq);
			if (o)
				o->flags = (o->flags & CS_CREATED) ? (o->flags | CS_DELETED) : CS_DELETED;
			free(from);
		}
		return;
	}
	c = get(cs, path, seq);
	if (c)
		c->flags = CS_DELETED;
}

static bool under(const char *path, const char *dir, size_t dlen)
{
	return strncmp(path, dir, dlen) == 0 && path[dlen] == '/';
}

/* Moves every entry below old_dir/ to new_dir/ (a directory rename). */
static void move_children(struct changeset *cs, const char *old_dir, const char *new_dir)
{
	size_t n, olen = strlen(old_dir);
	struct table_entry **v = table_entries(cs->t, NULL, &n);

	for (size_t i = 0; i < n; i++) {
		if (!under(v[i]->key, old_dir, olen))
			continue;
		char *np = NULL;
		if (asprintf(&np, "%s%s", new_dir, v[i]->key + olen) < 0)
			continue;
		struct change moved = *(struct change *)v[i]->value;
		memset(v[i]->value, 0, sizeof(struct change));
		table_remove(cs->t, v[i], NULL);
		struct change *c = get(cs, np, moved.last_seq);
		if (c) {
			change_free(c);
			*c = moved;
		}
		free(np);
	}
	free(v);
}

static void rename_one(struct changeset *cs, const char *old_path, const char *new_path, bool target_existed,
		       int64_t seq)
{
	struct change moved = { .old_mode = -1, .new_mode = -1, .uid = -1, .gid = -1, .old_size = -1,
				.new_size = -1, .first_seq = seq };
	struct change *c = find(cs, old_path), *t;

	if (c) {
		moved = *c;
		memset(c, 0, sizeof(*c));
		drop(cs, old_path);
	}
	if (!(moved.flags & CS_CREATED) || (moved.flags & CS_DELETED)) {
		if (!moved.from)
			moved.from = strdup(old_path);
		moved.flags |= CS_RENAMED;
		moved.flags &= ~(unsigned)CS_DELETED;
	}
	if (moved.from && strcmp(moved.from, new_path) == 0) {
		free(moved.from); /* renamed back where it was */
		moved.from = NULL;
		moved.flags &= ~(unsigned)(CS_RENAMED | CS_REPLACED);
	}
	moved.last_seq = seq;
	t = find(cs, new_path);
	if (target_existed && (!t || !(t->flags & CS_CREATED) || (t->flags & CS_DELETED)))
		moved.flags |= CS_REPLACED;
	else
		moved.flags &= ~(unsigned)CS_REPLACED;
	if (moved.from)
		moved.flags |= CS_RENAMED;
	if (t)
		drop(cs, new_path);
	if (moved.flags == 0 && moved.n_notes == 0) {
		change_free(&moved);
		return;
	}
	c = get(cs, new_path, seq);
	if (c) {
		moved.first_seq = moved.first_seq ? moved.first_seq : seq;
		*c = moved;
	} else {
		change_free(&moved);
	}
}

void cs_rename(struct changeset *cs, const char *old_path, const char *new_path, bool exchange,
	       bool target_existed, int64_t seq)
{
	if (strcmp(old_path, new_path) == 0)
		return;
	if (exchange) {
		static const char tmp[] = "\001amber-log-exchange";
		rename_one(cs, new_path, tmp, false, seq);
		move_children(cs, new_path, tmp);
		rename_one(cs, old_path, new_path, false, seq);
		move_children(cs, old_path, new_path);
		rename_one(cs, tmp, old_path, false, seq);
		move_children(cs, tmp, old_path);
		/* the temporary name must not leak into "from" */
		struct change *c = find(cs, old_path);
		if (c && c->from && strcmp(c->from, tmp) == 0) {
			free(c->from);
			c->from = strdup(new_path);
		}
		return;
	}
	/* a rename over an existing directory target requires it empty; drop
	 * whatever was recorded beneath the replaced target */
	rename_one(cs, old_path, new_path, target_existed, seq);
	move_children(cs, old_path, new_path);
}

void cs_chmod(struct changeset *cs, const char *path, int64_t old_mode, mode_t new_mode, int64_t seq)
{
	struct change *c = get(cs, path, seq);

	if (!c)
		return;
	if (c->flags & CS_CREATED) {
		c->new_mode = new_mode;
		return;
	}
	if (!(c->flags & CS_CHMOD))
		c->old_mode = old_mode;
	c->new_mode = new_mode;
	c->flags |= CS_CHMOD;
	if (c->old_mode == (int64_t)new_mode)
		c->flags &= ~(unsigned)CS_CHMOD;
}

void cs_chown(struct changeset *cs, const char *path, int64_t uid, int64_t gid, int64_t seq)
{
	struct change *c = get(cs, path, seq);

	if (!c)
		return;
	if (uid >= 0)
		c->uid = uid;
	if (gid >= 0)
		c->gid = gid;
	if (!(c->flags & CS_CREATED))
		c->flags |= CS_CHOWN;
}

void cs_truncate(struct changeset *cs, const char *path, int64_t old_size, int64_t new_size, int64_t seq)
{
	struct change *c = get(cs, path, seq);

	if (!c)
		return;
	if (!(c->flags & CS_TRUNCATED))
		c->old_size = old_size;
	c->new_size = new_size;
	c->flags |= CS_TRUNCATED;
}

void cs_mark(struct changeset *cs, const char *path, enum cs_flag flag, const char *note, int64_t seq)
{
	struct change *c = get(cs, path, seq);

	if (!c)
		return;
	c->flags |= flag;
	add_note(c, note);
}

void cs_xattr(struct changeset *cs, const char *path, const char *name, bool removed, int64_t seq)
{
	char note[512];

	snprintf(note, sizeof(note), "%s %s", name ? name : "?", removed ? "removed" : "set (value unknown)");
	cs_mark(cs, path, CS_XATTR, note, seq);
}

unsigned changeset_flags(const struct changeset *cs, const char *path)
{
	struct change *c = find(cs, path);
	return c ? c->flags : 0;
}

const char *changeset_from(const struct changeset *cs, const char *path)
{
	struct change *c = find(cs, path);
	return c ? c->from : NULL;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp((*(struct table_entry *const *)a)->key, (*(struct table_entry *const *)b)->key);
}

static const struct {
	unsigned flag;
	const char *label, *json;
} kinds[] = {
	{ CS_CREATED, "created", "created" },
	{ CS_DELETED, "deleted", "deleted" },
	{ CS_RENAMED, "renamed", "renamed" },
	{ CS_CHMOD, "chmod-ed", "chmod" },
	{ CS_CHOWN, "chown-ed", "chown" },
	{ CS_TRUNCATED, "truncated", "truncated" },
	{ CS_WOULD_TRUNCATE, "would have truncated", "would_truncate" },
	{ CS_OPENED_WRITE, "opened for writing", "opened_for_writing" },
	{ CS_WRITTEN, "written", "written" },
	{ CS_XATTR, "xattr-changed", "xattr" },
	{ CS_TIMES, "times-changed", "times" },
	{ CS_IOCTL, "ioctl", "ioctl" },
};

static const char *type_name(char t)
{
	switch (t) {
	case 'd': return "directory";
	case 'l': return "symlink";
	case 'c': return "character device";
	case 'b': return "block device";
	case 'p': return "fifo";
	case 's': return "socket";
	case 'h': return "hard link";
	default: return "empty file, content unknown";
	}
}

static void print_detail(FILE *f, const struct change *c, unsigned flag)
{
	switch (flag) {
	case CS_CREATED:
		fprintf(f, "  (%s", type_name(c->type));
		if (c->detail) {
			/* "-> TARGET", "to PATH": names from the log */
			fputc(' ', f);
			esc_puts(f, c->detail);
		}
		if (c->new_mode >= 0)
			fprintf(f, ", mode %04" PRIo64, c->new_mode);
		if (c->uid >= 0)
			fprintf(f, ", uid %" PRId64 " gid %" PRId64, c->uid, c->gid);
		fputs((c->flags & CS_DELETED) ? "; replaces the original)" : ")", f);
		break;
	case CS_RENAMED:
		fputs("  (from ", f);
		esc_puts(f, c->from);
		fputs((c->flags & CS_REPLACED) ? ", replacing the original here)" : ")", f);
		break;
	case CS_CHMOD:
		if (c->old_mode >= 0)
			fprintf(f, "  (%04" PRIo64 " -> %04" PRIo64 ")", c->old_mode, c->new_mode);
		else
			fprintf(f, "  (-> %04" PRIo64 ")", c->new_mode);
		break;
	case CS_CHOWN:
		fprintf(f, "  (uid %" PRId64 ", gid %" PRId64 ")", c->uid, c->gid);
		break;
	case CS_TRUNCATED:
		if (c->old_size >= 0)
			fprintf(f, "  (%" PRId64 " -> %" PRId64 " bytes)", c->old_size, c->new_size);
		else
			fprintf(f, "  (-> %" PRId64 " bytes)", c->new_size);
		break;
	case CS_WOULD_TRUNCATE:
		fputs("  (opened with O_TRUNC: emptied; what would then have been written is unknown)", f);
		break;
	case CS_OPENED_WRITE:
		fputs("  (content unknown: the refused open never wrote a byte)", f);
		break;
	default:
		break;
	}
	if (flag == CS_WRITTEN || flag == CS_XATTR || flag == CS_IOCTL) {
		fputs("  (", f);
		for (unsigned i = 0; i < c->n_notes; i++) {
			fputs(i ? "; " : "", f);
			esc_puts(f, c->notes[i]);
		}
		if (c->more_notes)
			fprintf(f, "; %u more", c->more_notes);
		fputs(")", f);
	}
}

static void print_json(FILE *f, const char *path, const struct change *c)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	/* a name that is not UTF-8: U+FFFD and path_hex, as in the log */
	esc_json_add_bytes(o, "path", path);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
		if (c->flags & kinds[k].flag)
			json_object_array_add(a, json_object_new_string(kinds[k].json));
	if (c->flags & CS_REPLACED)
		json_object_array_add(a, json_object_new_string("replaced"));
	json_object_object_add(o, "changes", a);
	if (c->from)
		esc_json_add_bytes(o, "from", c->from);
	if (c->flags & CS_CREATED)
		json_object_object_add(o, "type", json_object_new_string(type_name(c->type)));
	if (c->new_mode >= 0) {
		char m[32];
		snprintf(m, sizeof(m), "%04" PRIo64, c->new_mode);
		json_object_object_add(o, "mode", json_object_new_string(m));
	}
	if (c->uid >= 0)
		json_object_object_add(o, "uid", json_object_new_int64(c->uid));
	if (c->gid >= 0)
		json_object_object_add(o, "gid", json_object_new_int64(c->gid));
	if (c->new_size >= 0)
		json_object_object_add(o, "size", json_object_new_int64(c->new_size));
	if (c->n_notes) {
		struct json_object *n = json_object_new_array();
		for (unsigned i = 0; i < c->n_notes; i++)
			json_object_array_add(n, json_object_new_string(c->notes[i]));
		json_object_object_add(o, "notes", n);
	}
	json_object_object_add(o, "first_seq", json_object_new_int64(c->first_seq));
	json_object_object_add(o, "last_seq", json_object_new_int64(c->last_seq));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void changeset_print(const struct changeset *cs, FILE *f, bool json)
{
	size_t n;
	struct table_entry **v = table_entries(cs->t, key_cmp, &n);

	for (size_t i = 0; i < n; i++) {
		const struct change *c = v[i]->value;
		if (json) {
			print_json(f, v[i]->key, c);
			continue;
		}
		for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
			unsigned flag = kinds[k].flag;
			if (!(c->flags & flag))
				continue;
			/* created over a deleted original: one "created" line says it */
			if (flag == CS_DELETED && (c->flags & CS_CREATED))
				continue;
			fprintf(f, "\t%-22s", kinds[k].label);
			esc_puts(f, v[i]->key);
			print_detail(f, c, flag);
			fputc('\n', f);
		}
	}
	free(v);
}
