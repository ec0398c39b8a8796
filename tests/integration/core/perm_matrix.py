#!/usr/bin/env python3
"""Permission matrix: amberfs against kernel overlayfs, as users but root.

A fixed two-layer stack (overlay format) with entries of every kind of
ownership is mounted by kernel overlayfs and by amberfs (with log=).  On
each mount root walks everything first, so the kernel's caches are warm,
then root and each of permwalk.USERS walk it again (permwalk.walk_as): every
answer must be the kernel's.  Then each user tries every mutation of OPS on
every target of TARGETS that it applies to, each in its own process:

  - the errno must be the one kernel overlayfs gives (a read-only mount
    checks read-only before permissions, so that is mostly EROFS);
  - where overlayfs says EROFS, the amberfs audit log must hold exactly one
    record of that process: an attempt, with the user's uid and the path;
  - anything else leaves no record.

Known divergences: requests the VFS refuses itself before a FUSE file
system sees them, when the mount does not use default_permissions.  On
overlayfs the read-only check comes first and says EROFS; on amberfs the
caller gets the VFS's answer and there is nothing to log.  Each row was
checked on Linux 6.18 with an amberfs built without default_permissions
and without any permission check of its own (the request never reached
the gate, no record):

| mutation | on | amberfs | why (kernel, fs/namei.c, fs/xattr.c, ...) |
|---|---|---|---|
| setxattr/removexattr `trusted.*` | anything | EPERM | xattr_permission(): trusted.* needs CAP_SYS_ADMIN |
| setxattr/removexattr `user.*` | symlink, fifo | EPERM | xattr_permission(): user.* only on regular files and directories |
| setxattr `system.posix_acl_access` | entry of another user | EPERM | vfs_set_acl(): inode_owner_or_capable() |
| link | another user's symlink, fifo or setuid file | EPERM | may_linkat(): fs.protected_hardlinks=1 (safe_hardlink_source()) |
| mknod of a device | anywhere | EPERM | vfs_mknod(): CAP_MKNOD |
| ioctl FS_IOC_SETFLAGS | entry of another user | EPERM | vfs_fileattr_set(): inode_owner_or_capable() |
| open O_TMPFILE | anywhere | EOPNOTSUPP | libfuse 3.14 has no tmpfile operation (also as root) |

Not divergences, though they look like ones: the sticky bit (the kernel
drops S_ISVTX from a FUSE inode without default_permissions, so
check_sticky() lets unlink and rename of another user's entry through to
the daemon, and xattr_permission() setxattr on a sticky directory), and
link of a file the caller may neither read nor write (without
default_permissions that inode_permission() asks nobody, so only the file's
type and set-id bits count).  The walks have two divergences of their own
(permwalk.known_divergence): a fifo open, and access(W_OK) of a symlink.
Mutations are tried only on targets of the right type (unlink of a
directory, rmdir of a file: ENOTDIR/EISDIR from the VFS, also for root).

usage: perm_matrix.py [--keep] [--kernel-only] [-v]
"""

import argparse
import collections
import errno
import fcntl
import os
import stat
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402
from amber.users import ROOT, ChildError, as_user  # noqa: E402
import permwalk  # noqa: E402
import stackgen  # noqa: E402
import stackwrite  # noqa: E402
import treewalk  # noqa: E402

ALICE, OTHER = permwalk.ALICE, permwalk.NOBODY
BOB = 2000  # owns a file in the sticky directory
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
FS_IOC_SETFLAGS = 0x40086602 if struct.calcsize('l') == 8 else 0x40046602
ACL_A = stackgen.acl_xattr('u::rw-,u:1000:rw-,g::r--,m::rw-,o::r--')
ACL_B = stackgen.acl_xattr('u::rw-,g::---,g:1001:rw-,m::r--,o::---')
KEEP = {b'user.keep': b'1'}

# path: (kind, mode, uid, gid, layer, xattrs or symlink target); layer 1
# is the top one.  Directories get user.keep too.
STACK = {
    'etc': ('dir', 0o755, 0, 0, 0, KEEP),
    'etc/passwd': ('file', 0o644, 0, 0, 1, KEEP),
    'etc/group': ('file', 0o644, 0, 0, 0, KEEP),
    'etc/shadow': ('file', 0o600, 0, 0, 0, KEEP),
    'home': ('dir', 0o755, 0, 0, 0, KEEP),
    'home/alice': ('dir', 0o750, 1000, 1000, 0, KEEP),
    'home/alice/own': ('file', 0o644, 1000, 1000, 1, KEEP),
    'home/alice/own2': ('file', 0o600, 1000, 1000, 0, KEEP),
    'home/alice/sub': ('dir', 0o755, 1000, 1000, 0, KEEP),
    'root': ('dir', 0o700, 0, 0, 0, KEEP),
    'root/secret': ('file', 0o600, 0, 0, 0, KEEP),
    'root/sub': ('dir', 0o755, 0, 0, 1, KEEP),
    'root/link': ('symlink', 0o777, 0, 0, 0, b'secret'),
    'srv': ('dir', 0o755, 0, 0, 1, KEEP),
    'srv/data': ('dir', 0o755, 0, 0, 0, KEEP),
    'srv/data/f': ('file', 0o644, 0, 0, 0, KEEP),
    'srv/other': ('dir', 0o755, 0, 0, 1, KEEP),
    'srv/link': ('symlink', 0o777, 0, 0, 0, b'data/f'),
    'srv/fifo': ('fifo', 0o600, 0, 0, 0, {}),
    'tmp': ('dir', 0o1777, 0, 0, 0, KEEP),
    'tmp/bobs': ('file', 0o666, BOB, BOB, 0, KEEP),
    'tmp/alices': ('file', 0o644, 1000, 1000, 1, KEEP),
    'bin': ('dir', 0o755, 0, 0, 0, KEEP),
    'bin/su': ('file', 0o4755, 0, 0, 0, KEEP),
    'bin/ls': ('file', 0o755, 0, 0, 0, KEEP),
    'grp': ('dir', 0o770, 0, 1001, 0, KEEP),
    'grp/g': ('file', 0o660, 0, 1001, 0, KEEP),
    'grp/h': ('file', 0o640, 0, 1001, 0, KEEP),
    'pgrp': ('dir', 0o750, 0, 1000, 0, KEEP),
    'pgrp/f': ('file', 0o664, 0, 1000, 0, KEEP),
    'pgrp/g': ('file', 0o644, 0, 1000, 0, KEEP),
    'acl': ('dir', 0o755, 0, 0, 0, KEEP),
    'acl/f': ('file', 0o644, 0, 0, 0,
              {**KEEP, b'system.posix_acl_access': ACL_A}),
    'acl/g': ('file', 0o640, 0, 0, 1,
              {**KEEP, b'system.posix_acl_access': ACL_B}),
}

# name: (target, sibling for RENAME_EXCHANGE)
TARGETS = {
    'file in a 0755 dir': ('etc/passwd', 'etc/group'),
    '0600 root file': ('etc/shadow', 'etc/group'),
    "alice's file": ('home/alice/own', 'home/alice/own2'),
    "alice's directory": ('home/alice/sub', 'home/alice/own'),
    '0700 root dir': ('root', 'srv'),
    'entry in a 0700 root dir': ('root/secret', 'root/sub'),
    'symlink in a 0700 root dir': ('root/link', 'root/secret'),
    'directory': ('srv/data', 'srv/other'),
    'symlink': ('srv/link', 'srv/other'),
    'fifo': ('srv/fifo', 'srv/other'),
    'sticky dir': ('tmp', 'srv'),
    "bob's file in a sticky dir": ('tmp/bobs', 'tmp/alices'),
    "alice's file in a sticky dir": ('tmp/alices', 'tmp/bobs'),
    'setuid file': ('bin/su', 'bin/ls'),
    'group file (supplementary)': ('grp/g', 'grp/h'),
    'group file (primary)': ('pgrp/f', 'pgrp/g'),
    'ACL file (named user)': ('acl/f', 'acl/g'),
    'ACL file (named group, mask)': ('acl/g', 'acl/f'),
}


def build_layers(top_dir):
    layers = [stackgen.Layer(), stackgen.Layer()]  # bottom first
    for L in layers:
        L.add((), stackgen.Node('dir', stackgen.Meta(0o755, 0, 0, 0, {})))
    seq = 0
    for path in sorted(STACK, key=lambda p: (p.count('/'), p)):
        kind, mode, uid, gid, top, extra = STACK[path]
        comps = tuple(os.fsencode(path).split(b'/'))
        xattrs = dict(extra) if isinstance(extra, dict) else {}
        meta = stackgen.Meta(mode, uid, gid, 1700000000 * 10 ** 9, xattrs)
        if kind == 'file':
            seq += 1
            data = b'%s\n' % os.fsencode(path)
            ino = stackgen.FileInode(len(data), [(0, len(data))], seq, meta)
            node = stackgen.Node('file', meta, inode=ino)
        elif kind == 'symlink':
            node = stackgen.Node('symlink', meta, target=extra)
        else:
            node = stackgen.Node(kind, meta)
        for i in range(top + 1):  # a directory exists in every layer below
            L = layers[i]
            if i < top and kind != 'dir':
                continue
            for j in range(1, len(comps)):
                if comps[:j] not in L.nodes:
                    parent = STACK['/'.join(os.fsdecode(c)
                                            for c in comps[:j])]
                    L.add(comps[:j], stackgen.Node('dir', stackgen.Meta(
                        parent[1], parent[2], parent[3], 0, dict(KEEP))))
            if comps not in L.nodes:
                L.add(comps, node)
    return stackwrite.write_stack(layers, top_dir, 'overlay')


# ---- the mutations ----

REG, DIR, LNK, FIFO = 'reg', 'dir', 'lnk', 'fifo'
ANY = (REG, DIR, LNK, FIFO)
NONDIR = (REG, LNK, FIFO)


def kind_of(t):
    return {'dir': DIR, 'file': REG, 'symlink': LNK, 'fifo': FIFO}[STACK[t][0]]


class Case:
    """One attempt: mount m, target t, sibling s, user u; `new` is a fresh
    name where the target lives (inside it, for a directory), `dest` a
    fresh name next to it (rename, link)."""

    def __init__(self, m, t, s, kind, u):
        self.m, self.t, self.s, self.kind, self.u = m, t, s, kind, u
        where = t if kind == DIR else os.path.dirname(t)
        self.new = os.path.join(where, 'new-entry')
        self.dest = os.path.join(os.path.dirname(t), 'new-name')

    def P(self, rel):
        return os.path.join(self.m, rel)


def _open(rel_attr, flags):
    def fn(c):
        os.close(os.open(c.P(getattr(c, rel_attr)), flags, 0o644))
    return fn


def _renameat2(flags, dest):
    libc = treewalk._libc

    def fn(c):
        if libc.renameat2(-100, os.fsencode(c.P(c.t)), -100,
                          os.fsencode(c.P(getattr(c, dest))), flags) < 0:
            e = treewalk.ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    return fn


def _fallocate(c):
    fd = os.open(c.P(c.t), os.O_RDONLY)
    try:
        os.posix_fallocate(fd, 0, 4096)
    finally:
        os.close(fd)


def _setflags(c):
    fd = os.open(c.P(c.t), os.O_RDONLY | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack('l', 0x80))
    finally:
        os.close(fd)


W, RW, A = os.O_WRONLY, os.O_RDWR, os.O_APPEND
T, NEW = ('t', None), ('new', None)
# (name, applies to, attempt, (path, new_path) attribute names for the log)
OPS = [
    ('open O_WRONLY', (REG,), _open('t', W), T),
    ('open O_RDWR', (REG,), _open('t', RW), T),
    ('open O_WRONLY|O_TRUNC', (REG,), _open('t', W | os.O_TRUNC), T),
    ('open O_RDONLY|O_TRUNC', (REG,), _open('t', os.O_TRUNC), T),
    ('open O_WRONLY|O_CREAT|O_APPEND (>>)', (REG,),
     _open('t', W | os.O_CREAT | A), T),
    ('creat existing', (REG,), _open('t', W | os.O_CREAT | os.O_TRUNC), T),
    ('open O_CREAT new name', ANY,
     _open('new', W | os.O_CREAT | os.O_EXCL), NEW),
    ('open O_TMPFILE', (DIR,), _open('t', W | os.O_TMPFILE), None),
    ('mkdir', ANY, lambda c: os.mkdir(c.P(c.new)), NEW),
    ('mknod fifo', ANY, lambda c: os.mkfifo(c.P(c.new)), NEW),
    ('mknod chr', ANY, lambda c: os.mknod(
        c.P(c.new), stat.S_IFCHR | 0o600, os.makedev(1, 3)), NEW),
    ('symlink', ANY, lambda c: os.symlink('x', c.P(c.new)), NEW),
    ('link', NONDIR, lambda c: os.link(c.P(c.t), c.P(c.dest),
                                       follow_symlinks=False), ('t', 'dest')),
    ('unlink', NONDIR, lambda c: os.unlink(c.P(c.t)), T),
    ('rmdir', (DIR,), lambda c: os.rmdir(c.P(c.t)), T),
    ('rename', ANY, lambda c: os.rename(c.P(c.t), c.P(c.dest)),
     ('t', 'dest')),
    ('rename NOREPLACE', ANY, _renameat2(RENAME_NOREPLACE, 'dest'),
     ('t', 'dest')),
    ('rename EXCHANGE', ANY, _renameat2(RENAME_EXCHANGE, 's'), ('t', 's')),
    ('chmod', (REG, DIR, FIFO), lambda c: os.chmod(c.P(c.t), 0o600), T),
    ('chown to self', ANY, lambda c: os.chown(
        c.P(c.t), c.u.uid, c.u.gid, follow_symlinks=False), T),
    ('truncate', (REG,), lambda c: os.truncate(c.P(c.t), 0), T),
    ('utimensat explicit', ANY, lambda c: os.utime(
        c.P(c.t), ns=(10 ** 9, 10 ** 9), follow_symlinks=False), T),
    ('utimensat now', ANY, lambda c: os.utime(
        c.P(c.t), None, follow_symlinks=False), T),
    ('setxattr user.*', ANY, lambda c: os.setxattr(
        c.P(c.t), 'user.x', b'1', follow_symlinks=False), T),
    ('removexattr user.*', ANY, lambda c: os.removexattr(
        c.P(c.t), 'user.keep', follow_symlinks=False), T),
    ('setxattr trusted.*', ANY, lambda c: os.setxattr(
        c.P(c.t), 'trusted.x', b'1', follow_symlinks=False), T),
    ('removexattr trusted.*', ANY, lambda c: os.removexattr(
        c.P(c.t), 'trusted.x', follow_symlinks=False), T),
    ('setxattr system.posix_acl_access', (REG, DIR), lambda c: os.setxattr(
        c.P(c.t), 'system.posix_acl_access', ACL_A), T),
    ('fallocate (O_RDONLY fd)', (REG,), _fallocate, T),
    ('ioctl FS_IOC_SETFLAGS', (REG, DIR), _setflags, T),
]


def _owner(c):
    return STACK[c.t][2] == c.u.uid


def _unsafe_link_source(c):
    """fs/namei.c safe_hardlink_source() says no (and the caller is not the
    owner): not a regular file, setuid, or setgid and group-executable."""
    mode = STACK[c.t][1]
    return not _owner(c) and (c.kind != REG or mode & stat.S_ISUID or
                              (mode & 0o2010) == 0o2010)


# The table in the module comment: (ops, applies(case), amberfs errno, why).
# Only where kernel overlayfs says EROFS.  Not in it: the sticky bit (the
# kernel drops S_ISVTX from a FUSE inode without default_permissions, so
# check_sticky() and xattr_permission() let those requests through to the
# daemon).
KNOWN = [
    (('setxattr trusted.*', 'removexattr trusted.*'), lambda c: True,
     errno.EPERM, 'xattr_permission(): trusted.* needs CAP_SYS_ADMIN'),
    (('setxattr user.*', 'removexattr user.*'),
     lambda c: c.kind in (LNK, FIFO), errno.EPERM,
     'xattr_permission(): user.* only on regular files and directories'),
    (('setxattr system.posix_acl_access',), lambda c: not _owner(c),
     errno.EPERM, 'vfs_set_acl(): inode_owner_or_capable()'),
    (('link',), _unsafe_link_source, errno.EPERM,
     'may_linkat(): fs.protected_hardlinks=1'),
    (('mknod chr',), lambda c: True, errno.EPERM,
     'vfs_mknod(): CAP_MKNOD'),
    (('ioctl FS_IOC_SETFLAGS',), lambda c: not _owner(c), errno.EPERM,
     'vfs_fileattr_set(): inode_owner_or_capable()'),
    (('open O_TMPFILE',), lambda c: True, errno.EOPNOTSUPP,
     'libfuse 3.14 has no tmpfile operation'),
]


def known(op, case):
    for ops, applies, err, why in KNOWN:
        if op in ops and applies(case):
            return err, why
    return None


def _attempt(fn, case):
    try:
        fn(case)
        return os.getpid(), 0
    except OSError as e:
        return os.getpid(), e.errno


def run_matrix(mnt, users):
    """{(user, target, op): (pid, errno)} for every case, each in its own
    process running as the user."""
    out = {}
    for u in users:
        for tname, (t, s) in TARGETS.items():
            kind = kind_of(t)
            for op, kinds, fn, _ in OPS:
                if kind not in kinds:
                    continue
                case = Case(mnt, t, s, kind, u)
                out[(u.name, tname, op)] = as_user(u, _attempt, fn, case)
    return out


def ename(e):
    return errno.errorcode.get(e, str(e)) if e else 'success'


def check_matrix(kres, ares, recs_by_pid, users):
    """Failures, and the known divergences met: [(line)], Counter."""
    fails, met = [], collections.Counter()
    by_name = {u.name: u for u in users}
    ops = {op: (kinds, paths) for op, kinds, _, paths in OPS}
    for key in sorted(kres):
        uname, tname, op = key
        u = by_name[uname]
        (_, kerr), (apid, aerr) = kres[key], ares[key]
        t, s = TARGETS[tname]
        case = Case('', t, s, kind_of(t), u)
        recs = recs_by_pid.get(apid, [])
        want_err, want_recs, note = kerr, 1 if kerr == errno.EROFS else 0, ''
        k = known(op, case)
        if k and kerr == errno.EROFS:
            want_err, want_recs, note = k[0], 0, ' (known: %s)' % k[1]
            met[op] += aerr == want_err and not recs
        problems = []
        if aerr != want_err:
            problems.append('errno %s, kernel overlayfs %s%s'
                            % (ename(aerr), ename(kerr), note))
        if len(recs) != want_recs:
            problems.append('%d records instead of %d: %s' % (
                len(recs), want_recs, [(r['kind'], r.get('event', {}).get(
                    'action')) for r in recs]))
        elif want_recs:
            r = recs[0]
            paths = ops[op][1]
            want = (auditlog.KIND.ATTEMPT, u.uid,
                    '/' + getattr(case, paths[0]) if paths else None,
                    '/' + getattr(case, paths[1]) if paths and paths[1]
                    else None)
            got = (r['kind'], r['user']['uid'],
                   r['file']['path'] if paths else None,
                   r['file']['new_path'] if paths else None)
            if got != want:
                problems.append('record %s instead of %s' % (got, want))
        status = 'ok' if not problems else 'FAIL: ' + '; '.join(problems)
        if problems or '-v' in sys.argv:
            print('%s: %s: %s: %s' % (uname, tname, op, status))
        if problems:
            fails.append(key)
    return fails, met


def records_by_pid(log):
    s = auditlog.Series([log])
    s.check_invariant()
    out = {}
    for r in s.recs:
        if r['kind'] in (auditlog.KIND.ATTEMPT, auditlog.KIND.SUMMARY):
            out.setdefault(r['process'].get('pid'), []).append(r)
    return out


def walks(mnt, the_plan, probes):
    return {u.name: permwalk.walk_as(u, mnt, the_plan, probes)
            for u in (ROOT,) + permwalk.USERS}


def run(amb, keep):
    failed = []
    users = permwalk.USERS
    with mounts.Workdir(keep=keep, prefix='amber-perm-') as m:
        permwalk.traversable(m.tmp)
        lay = os.fsencode(m.path('layers'))
        names = build_layers(lay)
        kmnt = m.path('kernel')
        m.kernel(names, lay, kmnt)
        kern = treewalk.walk(kmnt, drop_user_overlay=True)
        the_plan = permwalk.plan(kern, kmnt)
        probes = [os.fsencode(os.path.join(p, 'absent')) for p in STACK]
        kw = walks(kmnt, the_plan, probes)
        kres = run_matrix(kmnt, users)
        bad = [k for k, (_, e) in kres.items() if e == 0]
        if bad:  # a read-only mount: nothing may succeed
            print('FAIL: kernel overlayfs allowed %s' % bad)
            failed.append('kernel')
        print('kernel overlayfs: %d walks of %d paths, %d attempts, %s'
              % (len(kw), len(the_plan), len(kres), dict(collections.Counter(
                  ename(e) for _, e in kres.values()))))
        if not amb:
            return failed
        amnt = m.path('amb')
        log = m.path('audit.log')
        daemon = m.amberfs(names, amnt, log=log, cwd=lay)
        got = treewalk.walk(amnt)
        diffs, _ = treewalk.compare(kern, got)
        diffs = [(b'[root walk] ' + p, f, k, a) for p, f, k, a in diffs]
        aw = walks(amnt, the_plan, probes)
        known = 0
        for name in kw:
            dd, n = permwalk.compare(name, kw[name], aw[name],
                                     permwalk.ghost_names(kern))
            diffs += dd
            known += n
        if known:
            print('walks: %d known divergences (fifo opens, access(W_OK) '
                  'of symlinks: permwalk.known_divergence)' % known)
        ares = run_matrix(amnt, users)
        m.umount(daemon)
        if diffs:
            print('walks: %d mismatches\nmismatch classes:\n%s\n%s' % (
                len(diffs), permwalk.summarize(diffs),
                treewalk.format_diffs(diffs, limit=40)))
            failed.append('walks')
        else:
            print("walks: root's full walk, then %s: every answer as kernel "
                  'overlayfs'
                  % ', '.join(kw))
        fails, met = check_matrix(kres, ares, records_by_pid(log), users)
        print('matrix: %d attempts, %d as kernel overlayfs, %d failed; '
              'known divergences met: %s' % (
                  len(ares), len(ares) - len(fails), len(fails),
                  dict(met) or 'none'))
        if fails:
            failed.append('matrix')
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--kernel-only', action='store_true')
    ap.add_argument('-v', action='store_true', help='print every case')
    args = ap.parse_args()
    amb = amber.require(fuse=not args.kernel_only, overlay=True)
    try:
        failed = run(None if args.kernel_only else amb, args.keep)
    except (mounts.MountError, ChildError, OSError) as e:
        print('ERROR: %s' % e)
        return 1
    print('FAIL: ' + ', '.join(failed) if failed else 'PASS')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
