/* SPDX-License-Identifier: MIT */
/*
 * unpack.h - one layer blob in, one layer directory and its verification
 * manifest out.
 *
 * The blob arrives as a pull stream (the caller's read function); libarchive
 * decompresses it (gzip, zstd, or none, detected) and parses the tar.  On
 * the way, two SHA-256 digests are taken: of the blob as it came (to check
 * against the manifest's descriptor) and of the uncompressed tar (the
 * diff_id, to check against the config).  The caller compares them with
 * what the image claims after unpack_layer() returns; the tree is written
 * into a temporary directory, so a mismatch leaves nothing behind.
 *
 * Threat model: the tar is hostile until proven otherwise, and even then
 * its digest only says that the image author wrote it.  Every entry is
 * created relative to the layer directory fd: its parent is resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) (an absolute symlink or
 * one that climbs out fails with EXDEV), and the last component is created
 * with *at() calls that never follow it (O_EXCL, O_NOFOLLOW, mkdirat,
 * symlinkat, linkat without AT_SYMLINK_FOLLOW).  Refused outright, naming
 * the entry: absolute names, ".." components, names longer than PATH_MAX,
 * duplicates, hard links whose target is not an earlier entry of this
 * layer, sparse entries, entries larger than max_entry_size, and types
 * other than file, directory, symlink, hard link, device and fifo.  The
 * first refusal ends the unpack with -EPERM (the layer is not trusted).
 *
 * OCI whiteouts (.wh.NAME, .wh..wh..opq) are kept as the files they are:
 * amberfs reads them natively.
 *
 * Ownership (enum unpack_owners):
 *   NATIVE    chown/chmod to the image's ids and mode (root, or root of a
 *             user namespace mapped onto the caller's subordinate ids); an
 *             id that the namespace cannot map, or a device node that
 *             cannot be created, falls back to the OVERRIDE form for that
 *             one file and is counted (and reported by the caller).
 *   OVERRIDE  files stay the caller's; each directory and regular file
 *             carries user.containers.override_stat = "UID:GID:MODE:TYPE"
 *             (the containers/storage format, see docs/images.md); device
 *             nodes become empty regular files whose TYPE says
 *             "char-MAJ-MIN"; setuid/setgid/sticky bits live only in the
 *             xattr.  Symlinks carry nothing (Linux has no user xattrs on
 *             symlinks); their owner is kept in the manifest only.
 *
 * The manifest is JSON Lines, one object per entry, in archive order (see
 * filelist.h for the record).  Not thread-safe; one call per layer.
 */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "digest.h"

#define UNPACK_OVERRIDE_XATTR "user.containers.override_stat"
#define UNPACK_DEFAULT_MAX_ENTRY ((uint64_t)16 << 30) /* 16 GiB */

enum unpack_owners {
	UNPACK_OWNERS_NATIVE,
	UNPACK_OWNERS_OVERRIDE,
	_UNPACK_OWNERS_MAX,
	_UNPACK_OWNERS_INVALID = -EINVAL,
};

/* Pulls the next piece of the blob: returns its length and sets *ret_buf,
 * 0 at the end, or -errno. */
typedef ssize_t (*unpack_read_fn)(void *userdata, const void **ret_buf);

struct unpack_params {
	int layer_fd;             /* the empty layer root directory; not taken */
	FILE *manifest;           /* verification manifest, JSON Lines; not taken */
	enum unpack_owners owners;
	uint64_t max_entry_size;  /* 0: UNPACK_DEFAULT_MAX_ENTRY */
	const char *what;         /* names the layer in messages ("layer 2 of 3") */
	unpack_read_fn read;
	void *userdata;
};

struct unpack_result {
	char blob_digest[DIGEST_STR_MAX];
	char diff_id[DIGEST_STR_MAX];
	uint64_t blob_size, tar_size, n_entries;
	unsigned n_override_fallbacks; /* NATIVE: ids or devices kept in the xattr */
	unsigned n_devices;            /* devices stored as override placeholders */
	unsigned n_setid_xattr_only;   /* OVERRIDE: setuid/setgid bits kept in the xattr */
	unsigned n_xattrs_lost;        /* image xattrs this user could not set */
};

/* Unpacks; 0 or -errno (-EPERM for a refused entry, -EBADMSG for a
 * corrupt archive), having logged the reason. */
int unpack_layer(const struct unpack_params *p, struct unpack_result *ret);

/*
 * Normalizes a tar entry name: drops "." components, repeated and trailing
 * slashes.  "" (the layer root) for "." or "./".  -EPERM for an absolute
 * name or a ".." component, -ENAMETOOLONG beyond PATH_MAX.  On failure
 * *ret_why says why (static string).  Exposed for the unit tests.
 */
int unpack_clean_path(const char *name, char **ret, const char **ret_why);

/* Opens path beneath dirfd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS); where openat2 is missing, a walk that follows no
 * symlink at all.  Returns the fd (O_CLOEXEC added) or -errno; -EXDEV or
 * -ELOOP when the path would leave dirfd. */
int unpack_open_beneath(int dirfd, const char *path, int flags);

/* "UID:GID:MODE:TYPE" for the override xattr; mode is a full st_mode
 * (type bits select TYPE), rdev is used for devices. */
int unpack_format_override(uid_t uid, gid_t gid, mode_t mode, dev_t rdev, char *buf, size_t size);
