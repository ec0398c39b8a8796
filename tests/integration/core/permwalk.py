"""Walks and probes as other users: the permission side of a mount.

walk_as() gives, for every path of a plan made from a root walk
(treewalk.walk), what a user (amber.users: a forked child that has dropped
to the user, no capabilities left) gets from:

  lstat (the fields or the errno), access(R_OK/W_OK/X_OK) without following
  a symlink, getxattr of each user.* name the entry has and of one it lacks,
  listxattr; for a directory readdir (names) and chdir; for a regular file
  open O_RDONLY (a hash of the first MiB) and, for a sample of files with
  an x bit, execve; for a fifo open O_RDONLY|O_NONBLOCK; for a symlink
  readlink.  (Device nodes are not opened: that would open real devices.)

Callers walk as root first and only then as the other users, on each mount:
the kernel's dentry and attribute caches are then warm with what root was
allowed to see, which is the case that must not leak.
"""

import collections
import ctypes
import errno
import hashlib
import os
import signal
import stat
import struct

import treewalk
from amber.users import User, as_user

# Owner of some generated entries (stackgen.PERM_IDS), group 1000 through
# its primary gid and group 1001 through a supplementary group, named in
# some ACL entries.
ALICE = User('alice', 1000, 1000, (1001,))
# Owns nothing and is in no group that owns anything: always "other" (but
# named in one of stackgen.PERM_ACLS).
NOBODY = User('other4242', 4242, 4242, ())
USERS = (ALICE, NOBODY)

ABSENT_XATTR = 'user.amber-absent'
EXEC_SAMPLE = 60
READ_LIMIT = 1 << 20
SYS_faccessat2 = 439  # x86_64 and every other architecture
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100


def _err(e):
    return 'ERR:' + errno.errorcode.get(e.errno, str(e.errno))


def _try(fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        return _err(e)


def _read_head(path, flags):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | flags)
    try:
        if flags & os.O_NONBLOCK:
            return 'opened'
        h = hashlib.sha256()
        left = READ_LIMIT
        while left > 0:
            b = os.read(fd, min(left, 1 << 16))
            if not b:
                break
            h.update(b)
            left -= len(b)
        return h.hexdigest()[:16]
    finally:
        os.close(fd)


def _chdir(path):
    try:
        os.chdir(path)
        return 'ok'
    finally:
        os.chdir('/')


def try_exec(path):
    """execve(path) in a grandchild: 'ERR:<errno>' as the kernel answered,
    or 'ran' (the file is not one that can run: see plan(), and an alarm
    ends it anyway)."""
    r, w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            signal.alarm(2)  # survives execve
            os.execv(path, [b'amber-exec-probe'])
        except OSError as e:
            os.write(w, _err(e).encode())
        finally:
            os._exit(127)
    os.close(w)
    with os.fdopen(r, 'rb') as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out or 'ran'


def _access_errno(path, mode):
    """faccessat2(AT_SYMLINK_NOFOLLOW) with the errno (os.access hides it)."""
    L = ctypes.c_long
    if treewalk._libc.syscall(L(SYS_faccessat2), L(AT_FDCWD), path, L(mode),
                              L(AT_SYMLINK_NOFOLLOW)) == 0:
        return 'ok'
    e = ctypes.get_errno()
    return 'ERR:' + errno.errorcode.get(e, str(e))


def _xattrs(path, names):
    out = [('*list*', _try(lambda: tuple(sorted(
        os.listxattr(path, follow_symlinks=False)))))]
    for n in names:
        out.append((n, _try(lambda: hashlib.sha256(os.getxattr(
            path, n, follow_symlinks=False)).hexdigest()[:16])))
    return tuple(out)


def user_record(full, kind, xnames, do_exec):
    r = {'kind': kind}
    try:
        st = os.lstat(full)
        r['lstat'] = tuple(getattr(st, 'st_' + f)
                           for f in treewalk.STAT_FIELDS)
    except OSError as e:
        r['lstat'] = _err(e)
    r['access'] = ' '.join('%s:%s' % (c, _access_errno(full, m))
                           for c, m in (('R', 4), ('W', 2), ('X', 1)))
    r['xattr'] = _xattrs(full, xnames)
    if kind == 'dir':
        r['readdir'] = _try(lambda: tuple(sorted(
            n for n, _, _ in treewalk.readdir(full))))
        r['chdir'] = _try(_chdir, full)
    elif kind == 'file':
        r['open'] = _try(_read_head, full, 0)
        if do_exec:
            r['exec'] = try_exec(full)
    elif kind == 'fifo':
        r['open'] = _try(_read_head, full, os.O_NONBLOCK)
    elif kind == 'symlink':
        r['readlink'] = _try(os.readlink, full)
    return r


KIND = {stat.S_IFDIR: 'dir', stat.S_IFREG: 'file', stat.S_IFLNK: 'symlink',
        stat.S_IFIFO: 'fifo', stat.S_IFCHR: 'chr', stat.S_IFBLK: 'blk'}


def plan(rootwalk, mnt):
    """[(path, kind, user.* names, exec?)] from a root walk of mnt (kernel
    ghosts left out).  execve is tried on a sample of regular files with an
    x bit whose first bytes are neither ELF nor #! (read here, as root), so
    that nothing can actually run."""
    mnt = os.fsencode(mnt)
    out, cands = [], []
    for p in sorted(rootwalk):
        r = rootwalk[p]
        if treewalk.is_kernel_ghost(r) or 'mode' not in r:
            continue
        kind = KIND.get(stat.S_IFMT(r['mode']), 'other')
        names = [n for n, _ in r['xattrs']] if isinstance(
            r.get('xattrs'), tuple) else []
        names = sorted(n for n in names if n.startswith('user.'))
        out.append([p, kind, tuple(names) + (ABSENT_XATTR,), False])
        if kind == 'file' and r['mode'] & 0o111:
            cands.append(len(out) - 1)
    cands.sort(key=lambda i: hashlib.sha256(out[i][0]).digest())
    n = 0
    for i in cands:
        if n >= EXEC_SAMPLE:
            break
        full = os.path.join(mnt, out[i][0]) if out[i][0] else mnt
        try:
            with open(full, 'rb') as f:
                head = f.read(4)
        except OSError:
            continue
        if head.startswith(b'\x7fELF') or head.startswith(b'#!'):
            continue
        out[i][3] = True
        n += 1
    return [tuple(x) for x in out]


def _walk(mnt, the_plan, probes):
    mnt = os.fsencode(mnt)
    out = {}
    for p, kind, xnames, do_exec in the_plan:
        full = os.path.join(mnt, p) if p else mnt
        out[p] = user_record(full, kind, xnames, do_exec)
    if probes:
        for p, res in treewalk.probe(mnt, probes).items():
            out.setdefault(p, {})['probe'] = res
    return out


def walk_as(user, mnt, the_plan, probes=()):
    """{path: record} of the_plan (and lstat probes of `probes`, paths that
    may not exist) as user."""
    os.chdir('/')
    return as_user(user, _walk, mnt, the_plan, probes)


def known_divergence(kind, field, kern, amb):
    """The differences allowed, both answered by the kernel without a FUSE
    request, so that no daemon can change them (verified with an amberfs
    that has neither default_permissions nor checks of its own):

    - opening a fifo the caller may not open: the kernel's pipe code opens
      it, and without default_permissions fuse_permission() checks nothing
      but asks the daemon only for access() and chdir(); amberfs lets the
      open through where overlayfs says EACCES;
    - access(W_OK) of a symlink itself (faccessat2 AT_SYMLINK_NOFOLLOW): a
      FUSE symlink has no ->permission, generic_permission() sees mode 0777
      on a writable mount and says yes, where read-only overlayfs says
      EROFS."""
    if field == 'open' and kind == 'fifo':
        return kern == 'ERR:EACCES' and amb == 'opened'
    if field == 'access' and kind == 'symlink':
        return kern.replace('W:ERR:EROFS', 'W:ok') == amb
    return False


def compare(label, kern, amb, ghost_names=(), root_skip=()):
    """Diff two walks of one user: ([(path, field, kernel, amberfs)], number
    of known divergences met).  ghost_names: {dir path: names} the kernel
    lists but are no entries (treewalk.is_kernel_ghost), removed from the
    kernel's readdir."""
    diffs, known = [], 0
    for p in sorted(set(kern) | set(amb)):
        k, a = kern.get(p, {}), amb.get(p, {})
        kind = k.get('kind')
        for f in sorted(set(k) | set(a)):
            kv, av = k.get(f), a.get(f)
            if f == 'readdir' and isinstance(kv, tuple):
                kv = tuple(n for n in kv if n not in ghost_names.get(p, ()))
            if f == 'lstat' and p == b'' and 'nlink' in root_skip and \
                    isinstance(kv, tuple) and isinstance(av, tuple):
                i = treewalk.STAT_FIELDS.index('nlink')
                kv, av = kv[:i] + kv[i + 1:], av[:i] + av[i + 1:]
            if kv != av and known_divergence(kind, f, kv, av):
                known += 1
            elif kv != av:
                diffs.append((b'[' + label.encode() + b'] ' + p, f, kv, av))
    return diffs, known


def ghost_names(rootwalk):
    out = {}
    for p, r in rootwalk.items():
        if p and treewalk.is_kernel_ghost(r):
            d, _, n = p.rpartition(b'/')
            out.setdefault(d, set()).add(n)
    return out


def traversable(path):
    """Let the other users reach a mount below path (a test's temp dir,
    created 0700 by mkdtemp)."""
    os.chmod(path, 0o755)


def _kind_of_value(v):
    if isinstance(v, str):
        return v if len(v) < 40 else v[:37] + '...'
    if isinstance(v, tuple) and v and isinstance(v[0], tuple):
        return '(xattrs)'
    return type(v).__name__ if v is not None else 'None'


def summarize(diffs, limit=25):
    """Mismatch classes, most frequent first: 'N x [user] field: kernel=..
    amberfs=..' (values shortened), so one cause does not hide the rest."""
    classes = collections.Counter()
    for p, f, k, a in diffs:
        who = p.split(b']', 1)[0].lstrip(b'[').decode(errors='replace')
        classes[(who, f, _kind_of_value(k), _kind_of_value(a))] += 1
    lines = ['  %5d x [%s] %s: kernel=%s amberfs=%s' % (n, *c)
             for c, n in classes.most_common(limit)]
    if len(classes) > limit:
        lines.append('  ... and %d more classes' % (len(classes) - limit))
    return '\n'.join(lines)


def _acl_entries(value):
    """[(tag, perm, id)] of a system.posix_acl_access value."""
    out = []
    for off in range(4, len(value) - 7, 8):
        out.append(struct.unpack_from('<HHI', value, off))
    return out


def decider(user, mode, uid, gid, acl):
    """Which class of the permission check decides for user (the kernel's
    acl_permission_check / posix_acl_permission order), for coverage."""
    if user.uid == 0:
        return 'root'
    if uid == user.uid:
        return 'owner'
    groups = {user.gid} | set(user.groups)
    if not acl:
        if gid == user.gid:
            return 'group(primary)'
        return 'group(supplementary)' if gid in groups else 'other'
    ents = _acl_entries(acl)
    mask = [p for t, p, _ in ents if t == 0x10]
    masked = ' masked' if mask and mask[0] != 7 else ''
    if any(t == 0x02 and i == user.uid for t, _, i in ents):
        return 'acl named user' + masked
    if gid in groups or any(t == 0x08 and i in groups for t, _, i in ents):
        named = any(t == 0x08 and i in groups for t, _, i in ents)
        return ('acl named group' if named else 'acl owning group') + masked
    return 'acl other'


def coverage(rootwalk, walks):
    """{user: Counter(class)} over the entries each user could lstat."""
    out = {}
    for user in USERS:
        c = collections.Counter()
        for p, r in walks.get(user.name, {}).items():
            k = rootwalk.get(p)
            if not k or 'mode' not in k or \
                    not isinstance(r.get('lstat'), tuple):
                continue
            x = dict(k['xattrs']) if isinstance(k.get('xattrs'), tuple) \
                else {}
            c[decider(user, k['mode'], k['uid'], k['gid'],
                      x.get('system.posix_acl_access'))] += 1
        out[user.name] = c
    return out
