/* SPDX-License-Identifier: MIT */
/* audit_render.c - see audit_render.h. */
#include "audit_render.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "audit_schema.h"

const char *audit_errno_name(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return NULL;
	return strerrorname_np(err);
}

/* Appends names for the bits of v found in the table, then one hex string
 * for the rest. */
static void flag_names(struct afmt_buf *b, unsigned v, const struct audit_flag_name *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].bit && (v & t[i].bit) == t[i].bit) {
			afmt_strz(b, t[i].name);
			v &= ~t[i].bit;
		}
	}
	if (v) {
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%x", v);
		afmt_strz(b, hex);
	}
}

void audit_render_open_flags(struct afmt_buf *b, int flags)
{
	unsigned v = (unsigned)flags;
	const struct audit_flag_name *t;
	size_t n;

	t = audit_open_flag_table(&n);
	afmt_arr_begin(b);
	afmt_strz(b, audit_open_access_name(v & O_ACCMODE));
	flag_names(b, v & ~(unsigned)O_ACCMODE, t, n);
	afmt_arr_end(b);
}

void audit_render_rename_flags(struct afmt_buf *b, unsigned flags)
{
	const struct audit_flag_name *t;
	size_t n;

	t = audit_rename_flag_table(&n);
	afmt_arr_begin(b);
	flag_names(b, flags, t, n);
	afmt_arr_end(b);
}
