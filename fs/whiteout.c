/* SPDX-License-Identifier: MIT */
/* whiteout.c - whiteout and opaque predicates; see whiteout.h. */
#include "whiteout.h"

#include <string.h>
#include <sys/sysmacros.h>

const char *const whiteout_xattr_names[2] = {
	"trusted.overlay.whiteout",
	"user.overlay.whiteout",
};

const char *const whiteout_opaque_xattr_names[2] = {
	"trusted.overlay.opaque",
	"user.overlay.opaque",
};

bool whiteout_is_oci_opaque(const char *name)
{
	return strcmp(name, WHITEOUT_OCI_OPAQUE) == 0;
}

const char *whiteout_oci_target(const char *name)
{
	if (strncmp(name, WHITEOUT_OCI_PREFIX, WHITEOUT_OCI_PREFIX_LEN) != 0)
		return NULL;
	if (whiteout_is_oci_opaque(name))
		return NULL;
	name += WHITEOUT_OCI_PREFIX_LEN;
	/* ".wh." alone, ".wh.." and ".wh..." would name nothing sensible. */
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return NULL;
	return name;
}

bool whiteout_is_internal_name(const char *name)
{
	return strncmp(name, WHITEOUT_OCI_PREFIX, WHITEOUT_OCI_PREFIX_LEN) == 0;
}

bool whiteout_is_chardev(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 &&
	       minor(st->st_rdev) == 0;
}

bool whiteout_maybe_xattr(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size == 0;
}

bool whiteout_opaque_value(const char *value, size_t len)
{
	return len == 1 && value[0] == 'y';
}

bool whiteout_is_internal_xattr(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}
