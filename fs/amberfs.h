/* SPDX-License-Identifier: MIT */
/*
 * amberfs.h - the daemon's state, shared by main.c, ops.c and ops_mutate.c.
 *
 * Everything here is built once before the session starts and is
 * read-only afterwards (merged tables are added under index.c's lock).
 */
#pragma once

#include "audit.h"
#include "gate.h"
#include "index.h"
#include "inode.h"
#include "layer.h"
#include "offload.h"
#include "opts.h"

struct amberfs {
	const struct fs_config *cfg;
	struct layer_stack *layers;
	struct inode_table *inodes;
	struct index *index;
	struct audit *audit;
	struct gate *gate;
	struct confine *confine;
	struct offload *offload; /* NULL: every request on the loop thread (-s) */
	double timeout;          /* entry and attribute timeout: the tree never changes */
};

extern const struct fuse_lowlevel_ops amberfs_ops;
