/* SPDX-License-Identifier: MIT */
/* gate.c - refused requests become audit events; see gate.h. */
#include "gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "log.h"

struct gate {
	struct audit *audit;
	struct index *index;
	int deny_errno;
	atomic_uint_fast64_t submit_failures;
};

int gate_new(struct audit *audit, struct index *index, int deny_errno, struct gate **ret)
{
	struct gate *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->audit = audit;
	g->index = index;
	g->deny_errno = deny_errno;
	*ret = g;
	return 0;
}

struct gate *gate_free(struct gate *g)
{
	free(g);
	return NULL;
}

/* Merged-tree path of node, or of its child name; and that entry's layer. */
static char *gate_path(struct gate *g, struct node *node, const char *name, int *ret_layer)
{
	_cleanup_free_ char *base = node_path(node, true);
	const struct node *entry = node;
	char *p;

	if (!base)
		return NULL;
	if (name) {
		const struct dir_table *t;

		entry = NULL;
		if (index_dir(g->index, node, &t) == 0)
			entry = index_lookup(t, name);
		if (asprintf(&p, "%s%s%s", base, base[1] ? "/" : "", name) < 0)
			return NULL;
	} else {
		p = TAKE_PTR(base);
	}
	if (ret_layer)
		*ret_layer = entry && entry->layer != NODE_LAYER_SYNTH ? (int)entry->layer : -1;
	return p;
}

int gate_reject(struct gate *g, fuse_req_t req, enum audit_action action,
		struct node *node, const char *name, struct node *node2, const char *name2,
		const struct audit_args *args)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	_cleanup_free_ char *path = NULL, *new_path = NULL;
	struct audit_event ev = {
		.action = action,
		.err = g->deny_errno,
		.layer = -1,
		.tid = ctx->pid,
		.uid = ctx->uid,
		.gid = ctx->gid,
	};
	int r;

	clock_gettime(CLOCK_REALTIME, &ev.ts);
	if (args)
		ev.args = *args;
	path = gate_path(g, node, name, &ev.layer);
	if (node2)
		new_path = gate_path(g, node2, name2, NULL);
	if (!path || (node2 && !new_path)) {
		/* Still refuse, and count it: an attempt, lost. */
		audit_note_lost(g->audit, action);
		log_warning("gate: out of memory building a path for '%s'",
			    audit_action_to_string(action));
		return -g->deny_errno;
	}
	ev.path = path;
	ev.path_len = strlen(path);
	if (new_path) {
		ev.new_path = new_path;
		ev.new_path_len = strlen(new_path);
	}
	r = audit_submit(g->audit, &ev);
	if (r < 0 && atomic_fetch_add(&g->submit_failures, 1) == 0)
		log_warning_errno(r, "audit: cannot record a refused '%s' on '%s': %m",
				  audit_action_to_string(action), path);
	return -g->deny_errno;
}

enum audit_action gate_setattr_action(int to_set)
{
	if (to_set & FUSE_SET_ATTR_SIZE)
		return AUDIT_TRUNCATE;
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		return AUDIT_CHOWN;
	if (to_set & FUSE_SET_ATTR_MODE)
		return AUDIT_CHMOD;
	return AUDIT_UTIMES;
}
