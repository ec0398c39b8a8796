"""Walk a mounted tree into comparable records, and diff two walks.

A record holds everything the fidelity contract names: d_type as readdir
returned it (raw, through libc, so DT_UNKNOWN is not papered over by an
lstat), the lstat fields but st_dev/st_ino/atime, the symlink target, a
sha256 of the contents plus the SEEK_DATA/SEEK_HOLE map, the xattrs (all
but user.overlay.*), and the hard-link group (all paths sharing st_dev and
st_ino: kernel overlayfs over several filesystems keeps st_ino per layer).
Paths are bytes relative to the mount, b'' being the root.
"""

import ctypes
import errno
import hashlib
import mmap
import os
import stat

_libc = ctypes.CDLL(None, use_errno=True)


class _Dirent(ctypes.Structure):
    _fields_ = [('d_ino', ctypes.c_uint64), ('d_off', ctypes.c_int64),
                ('d_reclen', ctypes.c_ushort), ('d_type', ctypes.c_ubyte),
                ('d_name', ctypes.c_char * 256)]


_libc.opendir.restype = ctypes.c_void_p
_libc.opendir.argtypes = [ctypes.c_char_p]
_libc.readdir64.restype = ctypes.POINTER(_Dirent)
_libc.readdir64.argtypes = [ctypes.c_void_p]
_libc.closedir.argtypes = [ctypes.c_void_p]

DT_NAMES = {0: 'UNKNOWN', 1: 'FIFO', 2: 'CHR', 4: 'DIR', 6: 'BLK', 8: 'REG',
            10: 'LNK', 12: 'SOCK'}
HUGE = 256 << 20
STAT_FIELDS = ('mode', 'uid', 'gid', 'size', 'nlink', 'mtime_ns', 'ctime_ns',
               'rdev', 'blocks')


def readdir(path):
    """[(name, d_type, d_ino)] of directory path (bytes), without . and .."""
    d = _libc.opendir(path)
    if not d:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)
    out = []
    try:
        while True:
            ctypes.set_errno(0)
            ent = _libc.readdir64(d)
            if not ent:
                e = ctypes.get_errno()
                if e:
                    raise OSError(e, os.strerror(e), path)
                break
            name = ent.contents.d_name
            if name not in (b'.', b'..'):
                out.append((name, DT_NAMES.get(ent.contents.d_type, '?'),
                            ent.contents.d_ino))
    finally:
        _libc.closedir(d)
    return out


_libc.telldir.restype = ctypes.c_long
_libc.telldir.argtypes = [ctypes.c_void_p]
_libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
_libc.rewinddir.argtypes = [ctypes.c_void_p]


def seek_check(path, first=100, span=50):
    """readdir `first` names, telldir, read `span` more, seekdir back and
    read `span` again; then rewinddir and read everything.  True when the
    second pass equals the first and the rewound listing is complete."""
    d = _libc.opendir(path)
    if not d:
        return 'ERR:opendir'

    def take(n):
        out = []
        while n is None or len(out) < n:
            ent = _libc.readdir64(d)
            if not ent:
                break
            out.append(ent.contents.d_name)
        return out
    try:
        head = take(first)
        pos = _libc.telldir(d)
        a = take(span)
        _libc.seekdir(d, pos)
        b = take(span)
        _libc.rewinddir(d)
        full = take(None)
        rest = take(None)
        return a == b and full[:len(head)] == head and not rest and \
            set(head + a) <= set(full)
    finally:
        _libc.closedir(d)


def _err(e):
    return 'ERR:' + errno.errorcode.get(e.errno, str(e.errno))


def _content(path, size):
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as e:
        return _err(e), None
    try:
        seg, off = [], 0
        try:
            while off < size:
                d = os.lseek(fd, off, os.SEEK_DATA)
                hole = os.lseek(fd, d, os.SEEK_HOLE)
                seg.append((d, hole))
                off = hole
        except OSError as e:
            if e.errno != errno.ENXIO:
                seg.append(_err(e))
        os.lseek(fd, 0, os.SEEK_SET)
        if size > HUGE:  # sparse giants: read the data segments only
            for start, end in (x for x in seg if isinstance(x, tuple)):
                h.update(os.pread(fd, min(end - start, 1 << 20), start))
        while size <= HUGE:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            h.update(b)
        # unaligned reads across page and 128 KiB boundaries, then mmap
        for off in (size - 1, size // 2, 4095, 131071, size * 7 // 13,
                    (4 << 30) - 2049):
            for ln in (1, 4097, 131073):
                if 0 <= off < size:
                    h.update(os.pread(fd, ln, off))
        # mmap only data (a read fault on a tmpfs hole allocates a page in
        # the layer through the kernel overlayfs mount, changing st_blocks)
        n = min(size, 1 << 20)
        if n and seg and isinstance(seg[0], tuple) and seg[0][0] == 0 and \
                seg[0][1] >= n:
            with mmap.mmap(fd, n, mmap.MAP_PRIVATE, mmap.PROT_READ) as mm:
                h.update(mm[:])
        return h.hexdigest(), tuple(seg)
    except OSError as e:
        return _err(e), None
    finally:
        os.close(fd)


def _xattrs(path, drop_user_overlay):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as e:
        return _err(e)
    out = []
    for n in sorted(names):
        if drop_user_overlay and n.startswith('user.overlay.'):
            continue
        try:
            out.append((n, os.getxattr(path, n, follow_symlinks=False)))
        except OSError as e:
            out.append((n, _err(e)))
    return tuple(out)


def record(full, dtype, contents=True, drop_user_overlay=True):
    try:
        st = os.lstat(full)
    except OSError as e:
        return {'dtype': dtype, 'lstat': _err(e)}
    r = {'dtype': dtype, 'ino': (st.st_dev, st.st_ino)}
    for f in STAT_FIELDS:
        r[f] = getattr(st, 'st_' + f)
    if stat.S_ISLNK(st.st_mode):
        try:
            r['target'] = os.readlink(full)
        except OSError as e:
            r['target'] = _err(e)
    elif stat.S_ISREG(st.st_mode) and contents:
        r['sha256'], r['seekmap'] = _content(full, st.st_size)
    r['xattrs'] = _xattrs(full, drop_user_overlay)
    return r


def walk(mnt, contents=True, drop_user_overlay=False):
    """Full walk of mnt: {relpath: record}, plus duplicate-name errors.
    Kernel overlayfs (mounted with trusted.* xattrs) shows user.overlay.*:
    drop them there; amberfs must hide them itself."""
    mnt = os.fsencode(mnt)
    out = {b'': record(mnt, None, contents, drop_user_overlay)}
    todo = [b'']
    while todo:
        rel = todo.pop()
        full = os.path.join(mnt, rel) if rel else mnt
        try:
            ents = readdir(full)
        except OSError as e:
            out[rel]['readdir'] = _err(e)
            continue
        names = [n for n, _, _ in ents]
        if len(names) != len(set(names)):
            out[rel]['readdir'] = 'duplicate names'
        if len(names) > 200:
            out[rel]['seekdir'] = seek_check(full)
        for name, dtype, d_ino in ents:
            child = os.path.join(rel, name) if rel else name
            r = record(os.path.join(full, name), dtype, contents,
                       drop_user_overlay)
            if 'ino' in r:  # readdir's d_ino agrees with lstat's st_ino
                r['d_ino==st_ino'] = d_ino == r['ino'][1]
            out[child] = r
            if stat.S_ISDIR(r.get('mode', 0)):
                todo.append(child)
    groups = {}
    for p, r in out.items():
        if 'ino' in r:
            groups.setdefault(r['ino'], []).append(p)
    for p, r in out.items():
        if 'ino' in r:
            g = groups[r.pop('ino')]
            r['links'] = tuple(sorted(g)) if len(g) > 1 else ()
    return out


def is_kernel_ghost(r):
    """The kernel quirk: a whiteout with nothing beneath it, listed by
    readdir of a non-merged directory; lstat says ENOENT or shows 0/0."""
    if r.get('lstat') == 'ERR:ENOENT':
        return True
    return stat.S_ISCHR(r.get('mode', 0)) and r.get('rdev') == 0


def compare(kern, amb, skip=(), skip_dir=(), root_skip=(), both_ghosts=False):
    """Diff two walks: list of (path, field, kernel value, amberfs value).
    Returns (diffs, ghosts) where ghosts counts allowed kernel quirks."""
    diffs, ghosts = [], 0
    for p in sorted(set(kern) | set(amb)):
        k, a = kern.get(p), amb.get(p)
        if a is None:
            if is_kernel_ghost(k):
                ghosts += 1
            else:
                diffs.append((p, 'presence', 'listed', 'missing'))
            continue
        if k is None:
            diffs.append((p, 'presence', 'missing', 'listed'))
            continue
        if both_ghosts and is_kernel_ghost(k) and is_kernel_ghost(a):
            ghosts += 1  # two kernel mounts (self-check of the test only)
            continue
        isdir = stat.S_ISDIR(k.get('mode', 0))
        for f in sorted(set(k) | set(a)):
            if f in skip or (isdir and f in skip_dir) or \
                    (p == b'' and f in root_skip):
                continue
            if k.get(f) != a.get(f):
                diffs.append((p, f, k.get(f), a.get(f)))
    return diffs, ghosts


def probe(mnt, paths):
    """lstat each relative path under mnt: {path: 'ok' or 'ERR:...'}.
    A symlink in a parent component is not followed: 'via-symlink'."""
    mnt = os.fsencode(mnt)
    memo = {}

    def one(p):
        if p in memo:
            return memo[p]
        parent = os.path.dirname(p)
        res = one(parent) if parent else 'ok'
        if res == 'ok' and parent and memo.get(parent + b'\0') == 'lnk':
            res = 'via-symlink'
        elif res == 'ok':
            try:
                st = os.lstat(os.path.join(mnt, p))
                if stat.S_ISLNK(st.st_mode):
                    memo[p + b'\0'] = 'lnk'
            except OSError as e:
                res = _err(e)
        elif res != 'via-symlink':
            res = 'parent ' + res.replace('parent ', '')
        memo[p] = res
        return res
    return {p: one(p) for p in paths}


def _short(v):
    s = repr(v)
    return s if len(s) <= 120 else s[:117] + '...'


def format_diffs(diffs, limit=60):
    lines = []
    for p, f, k, a in diffs[:limit]:
        lines.append('  %s  %s: kernel=%s amberfs=%s'
                     % (_short(p), f, _short(k), _short(a)))
    if len(diffs) > limit:
        lines.append('  ... and %d more' % (len(diffs) - limit))
    return '\n'.join(lines)
