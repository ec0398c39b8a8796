/* SPDX-License-Identifier: MIT */
/*
 * optlist.h - the ':' lists: amberfs's lowerdir= and synthdir=, and the
 * command-line lists that end up there (amber-run's LAYER[:LAYER...] and
 * --volume SRC:DST[:MODE], amber-log replay --layers), with the one
 * escaping that lets any path through.
 *
 * The rule, everywhere (overlayfs's lowerdir= syntax):
 *   - elements are separated by ':';
 *   - '\' takes the next character as it is, whatever it is: "\:" is a
 *     colon, "\\" a backslash, "\," a comma, "\a" an "a"; a '\' that ends
 *     the string stands for itself;
 *   - an empty element is an error, never skipped nor kept: "", ":A", "A:"
 *     and "A::B" are refused, with the 1-based position of the empty one.
 *
 * optlist_escape() is the inverse for one element: it puts a '\' before
 * every ':', '\' and ','.  The result is one element of a list and also
 * one value of an amberfs -o option: fuse_opt splits -o on unescaped ','
 * and removes one level of '\' (log=, pidfile=, meta.KEY=), and amberfs
 * takes its lists from argv before fuse_opt, with the rule above.  So any
 * path, ',' ':' and '\' included, goes through unchanged.
 *
 * Pure functions; nothing here logs: the caller names the option in its
 * one message.
 */
#pragma once

#include <stddef.h>

#include "strv.h"

/*
 * Splits s into *ret, which must be empty; on failure it stays empty.
 * Returns 0, -ENOMEM, or -EINVAL for an empty element, whose 1-based
 * position goes to *ret_bad (if not NULL).
 */
int optlist_split(const char *s, struct strv *ret, size_t *ret_bad);

/* One element, escaped (see above) into a new string.  0 or -ENOMEM. */
int optlist_escape(const char *s, char **ret);

/*
 * The n elements escaped and joined with ':' into a new string: the list
 * that optlist_split() turns back into v.  0 or -ENOMEM.
 */
int optlist_join(char *const *v, size_t n, char **ret);

/*
 * Building an option string ("a=1,b=2"): *s += [","] key value, the value
 * as it is (optlist_append) or escaped as one element
 * (optlist_append_escaped).  *s may be NULL at first.  0 or -ENOMEM.
 */
int optlist_append(char **s, const char *key, const char *value);
int optlist_append_escaped(char **s, const char *key, const char *value);
