/* SPDX-License-Identifier: MIT */
/*
 * store.c - the layer store on disk (see store.h).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "log.h"
#include "oci.h"

static const char *const store_dirs[] = { "layers", "locks", "blobs", "blobs/sha256", "images", "tmp" };

int store_default_path(char **ret)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *p;

	if (geteuid() == 0)
		p = strdup("/var/lib/amber");
	else if (x && x[0] == '/')
		return asprintf(ret, "%s/amber", x) < 0 ? -ENOMEM : 0;
	else {
		if (!home || home[0] != '/') {
			pw = getpwuid(geteuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return log_error_errno(-ENOENT, "no home directory: give --store DIR");
		return asprintf(ret, "%s/.local/share/amber", home) < 0 ? -ENOMEM : 0;
	}
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int store_open(const char *path, bool create, bool exclusive, struct image_store **ret)
{
	_cleanup_free_ struct image_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->fd = s->lock_fd = -1;
	if (create && (r = mkdir_p(path, 0755)) < 0)
		return log_error_errno(r, "cannot create the store '%s': %m", path);
	s->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0)
		return log_error_errno(-errno, "cannot open the store '%s': %m", path);
	for (size_t i = 0; create && i < ELEMENTSOF(store_dirs); i++)
		if (mkdirat(s->fd, store_dirs[i], 0755) < 0 && errno != EEXIST) {
			r = log_error_errno(-errno, "cannot create '%s/%s': %m", path, store_dirs[i]);
			goto fail;
		}
	s->lock_fd = openat(s->fd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0644);
	if (s->lock_fd < 0) {
		r = log_error_errno(-errno, "cannot open the lock of the store '%s': %m", path);
		goto fail;
	}
	if (flock(s->lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		r = log_error_errno(-errno, "cannot lock the store '%s': %m", path);
		goto fail;
	}
	s->path = strdup(path);
	if (!s->path) {
		r = -ENOMEM;
		goto fail;
	}
	*ret = TAKE_PTR(s);
	return 0;
fail:
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	close(s->fd);
	return r;
}

struct image_store *store_close(struct image_store *s)
{
	if (!s)
		return NULL;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

int store_lock_layer(struct image_store *s, const char *hex)
{
	char name[DIGEST_HEX_LEN + 8];
	int fd;

	if (!digest_is_hex(hex))
		return -EINVAL;
	snprintf(name, sizeof(name), "locks/%s", hex);
	fd = openat(s->fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open the lock of layer %s: %m", hex);
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;

		close(fd);
		return log_error_errno(r, "cannot lock layer %s: %m", hex);
	}
	return fd;
}

bool store_has_layer(struct image_store *s, const char *hex)
{
	char name[DIGEST_HEX_LEN + 32];
	struct stat st;

	if (!digest_is_hex(hex))
		return false;
	snprintf(name, sizeof(name), "layers/%s/layer.json", hex);
	return fstatat(s->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int store_layer_root(struct image_store *s, const char *hex, char **ret)
{
	if (!digest_is_hex(hex))
		return -EINVAL;
	return asprintf(ret, "%s/layers/%s/root", s->path, hex) < 0 ? -ENOMEM : 0;
}

int store_tmp_dir(struct image_store *s, const char *hint, int *ret_fd, char **ret_name)
{
	_cleanup_free_ char *name = NULL;
	int fd;

	for (int tries = 0; tries < 100; tries++) {
		free(name);
		if (asprintf(&name, "tmp/%s.%d.%08lx", hint, (int)getpid(), random()) < 0)
			return -ENOMEM;
		if (mkdirat(s->fd, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return log_error_errno(-errno, "cannot create '%s/%s': %m", s->path, name);
	}
	fd = openat(s->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open '%s/%s': %m", s->path, name);
	*ret_fd = fd;
	*ret_name = TAKE_PTR(name);
	return 0;
}

int store_commit_layer(struct image_store *s, const char *tmp_name, const char *hex)
{
	char dst[DIGEST_HEX_LEN + 8];

	if (!digest_is_hex(hex))
		return -EINVAL;
	snprintf(dst, sizeof(dst), "layers/%s", hex);
	if (renameat(s->fd, tmp_name, s->fd, dst) < 0)
		return log_error_errno(-errno, "cannot move layer %s into the store: %m", hex);
	if (fchmodat(s->fd, dst, 0555, 0) < 0)
		return log_error_errno(-errno, "cannot make layer %s read-only: %m", hex);
	return 0;
}

/* Writes buf to dir/name through a temporary file and a rename. */
static int write_atomic(struct image_store *s, const char *name, const char *buf, size_t len)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (asprintf(&tmp, "tmp/write.%d.%08lx", (int)getpid(), random()) < 0)
		return -ENOMEM;
	fd = openat(s->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s/%s': %m", s->path, tmp);
	for (size_t done = 0; done < len && r == 0;) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0)
			r = -errno;
		else
			done += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(s->fd, tmp, s->fd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(s->fd, tmp, 0);
		return log_error_errno(r, "cannot write '%s/%s': %m", s->path, name);
	}
	return 0;
}

static int read_file_at(int dirfd, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)OCI_JSON_MAX)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = (size_t)n;
	return 0;
}

int store_write_blob(struct image_store *s, const char *digest, const char *buf, size_t len)
{
	char name[DIGEST_HEX_LEN + 16];
	const char *hex;

	if (digest_parse(digest, &hex) < 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
	return write_atomic(s, name, buf, len);
}

int store_read_blob(struct image_store *s, const char *digest, char **ret, size_t *ret_len)
{
	char name[DIGEST_HEX_LEN + 16], got[DIGEST_STR_MAX];
	_cleanup_free_ char *buf = NULL;
	const char *hex;
	size_t len;
	int r;

	if (digest_parse(digest, &hex) < 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
	if ((r = read_file_at(s->fd, name, &buf, &len)) < 0)
		return log_error_errno(r, "cannot read blob %s from the store: %m", digest);
	if ((r = digest_buf(buf, len, got)) < 0)
		return r;
	if (strcmp(got, digest) != 0)
		return log_error_errno(-EBADMSG, "blob %s in the store was changed (it hashes to %s)", digest, got);
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int store_escape_name(const char *name, char **ret)
{
	size_t n = strlen(name);
	char *out, *o;

	if (n == 0 || n > 1024)
		return -EINVAL;
	out = o = malloc(n * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || (*p == '.' && p != (const unsigned char *)name))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static int unescape_name(const char *file, char **ret)
{
	size_t n = strlen(file);
	char *out, *o;

	if (n < 6 || strcmp(file + n - 5, ".json") != 0)
		return -EINVAL;
	out = o = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n - 5; i++) {
		unsigned v;

		if (file[i] == '%' && sscanf(file + i + 1, "%2X", &v) == 1) {
			*o++ = (char)v;
			i += 2;
		} else {
			*o++ = file[i];
		}
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static int image_file(const char *name, char **ret)
{
	_cleanup_free_ char *e = NULL;
	int r = store_escape_name(name, &e);

	if (r < 0)
		return r;
	return asprintf(ret, "images/%s.json", e) < 0 ? -ENOMEM : 0;
}

int store_write_image(struct image_store *s, const char *name, const char *json)
{
	_cleanup_free_ char *f = NULL;
	int r = image_file(name, &f);

	return r < 0 ? r : write_atomic(s, f, json, strlen(json));
}

int store_read_image(struct image_store *s, const char *name, char **ret)
{
	_cleanup_free_ char *f = NULL;
	int r = image_file(name, &f);

	return r < 0 ? r : read_file_at(s->fd, f, ret, NULL);
}

int store_remove_image(struct image_store *s, const char *name)
{
	_cleanup_free_ char *f = NULL;
	int r = image_file(name, &f);

	if (r < 0)
		return r;
	return unlinkat(s->fd, f, 0) < 0 ? -errno : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list_images(struct image_store *s, char ***ret)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	int fd = openat(s->fd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	v = calloc(1, sizeof(char *));
	while (v && (de = readdir(d))) {
		char **nv, *name;

		if (de->d_name[0] == '.' || unescape_name(de->d_name, &name) < 0)
			continue;
		nv = reallocarray(v, n + 2, sizeof(char *));
		if (!nv) {
			free(name);
			break;
		}
		v = nv;
		v[n++] = name;
		v[n] = NULL;
	}
	if (!v)
		return -ENOMEM;
	qsort(v, n, sizeof(char *), cmp_str);
	*ret = v;
	return 0;
}

int store_rm_rf_at(int at, const char *name)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int fd, r = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 ? -errno : 0;
	if ((st.st_mode & 0700) != 0700)
		(void)fchmodat(at, name, (st.st_mode & 07777) | 0700, 0);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int k;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		k = store_rm_rf_at(dirfd(d), de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}
