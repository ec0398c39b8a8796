/* SPDX-License-Identifier: MIT */
/*
 * store.h - the on-disk layer store, content-addressed and read-only once
 * written.
 *
 *   STORE/lock                    flock: shared by imports, exclusive for rm/gc
 *   STORE/layers/HEX/             one layer, HEX = its diff_id (mode 0555)
 *          root/                  the unpacked tree (a lowerdir for amberfs)
 *          files.jsonl            its verification manifest (filelist.h)
 *          layer.json             diff_id, blob digest, sizes, owners form
 *   STORE/locks/HEX               flock per layer: one unpack at a time
 *   STORE/blobs/sha256/HEX        manifests and configs, as imported
 *   STORE/images/NAME.json        name -> manifest, config, diff_ids
 *                                 (NAME percent-encoded)
 *   STORE/tmp/                    work directories, renamed into layers/
 *
 * A layer is unpacked into tmp/ and renamed into layers/ only once its
 * digests matched, under its lock; a reader finding layers/HEX knows it is
 * complete.  Nothing here follows a symlink inside the store.
 * Default roots: /var/lib/amber for root; $XDG_DATA_HOME/amber, else
 * ~/.local/share/amber, for anyone else.  Functions return 0 or -errno and
 * log their failures.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct image_store {
	char *path;
	int fd;      /* O_DIRECTORY */
	int lock_fd; /* STORE/lock, flocked */
};

/* The default store directory (malloc'd). */
int store_default_path(char **ret);

/* Opens (create: and creates) the store at path, taking its lock shared
 * or exclusive (waits for it). */
int store_open(const char *path, bool create, bool exclusive, struct image_store **ret);
struct image_store *store_close(struct image_store *s);

/* Per-layer lock; returns the locked fd (close it to unlock). */
int store_lock_layer(struct image_store *s, const char *hex);
bool store_has_layer(struct image_store *s, const char *hex);
/* "STORE/layers/HEX/root" (malloc'd). */
int store_layer_root(struct image_store *s, const char *hex, char **ret);

/* A fresh work directory under tmp/ (its name in *ret_name, malloc'd). */
int store_tmp_dir(struct image_store *s, const char *hint, int *ret_fd, char **ret_name);
/* tmp/NAME -> layers/HEX, then layers/HEX made 0555. */
int store_commit_layer(struct image_store *s, const char *tmp_name, const char *hex);

/* Writes a blob or an image record atomically (tmp file, fsync, rename). */
int store_write_blob(struct image_store *s, const char *digest, const char *buf, size_t len);
int store_read_blob(struct image_store *s, const char *digest, char **ret, size_t *ret_len);
int store_write_image(struct image_store *s, const char *name, const char *json);
/* -ENOENT when there is no such image. */
int store_read_image(struct image_store *s, const char *name, char **ret);
int store_remove_image(struct image_store *s, const char *name);
/* Names of every image (NULL-terminated, sorted). */
int store_list_images(struct image_store *s, char ***ret);

/* Removes dirfd/name recursively, making directories writable on the way. */
int store_rm_rf_at(int dirfd, const char *name);

/* Percent-encodes a name for images/ (exposed for the tests). */
int store_escape_name(const char *name, char **ret);
