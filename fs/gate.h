/* SPDX-License-Identifier: MIT */
/*
 * gate.h - the single place every mutating request ends.
 *
 * gate_reject() turns a refused request into one audit event (merged-tree
 * paths, the layer the entry comes from, the caller from fuse_req_ctx) and
 * returns the configured errno, negated.  Every mutating operation calls
 * it (ops_mutate.c; ops.c for a writable or O_TRUNC open) and replies with
 * what it returns: no mutating
 * operation is ever left unimplemented (ENOSYS would make libfuse answer
 * EOPNOTSUPP for good, and later attempts would never be seen or logged).
 */
#pragma once

#include "audit.h"
#include "index.h"
#include "inode.h"

struct gate;

/* The gate borrows audit and index; both must outlive it. */
int gate_new(struct audit *audit, struct index *index, int deny_errno, struct gate **ret);
struct gate *gate_free(struct gate *g);

/*
 * Records one refused request and returns -deny_errno.
 *   node/name:   the entry acted on: node itself when name is NULL, else the
 *                child "name" of directory node (which may not exist);
 *   node2/name2: the second path (rename or link destination), or NULL.
 */
int gate_reject(struct gate *g, fuse_req_t req, enum audit_action action,
		struct node *node, const char *name, struct node *node2, const char *name2,
		const struct audit_args *args);

/* Maps setattr's to_set bits to the one action it stands for. */
enum audit_action gate_setattr_action(int to_set);
