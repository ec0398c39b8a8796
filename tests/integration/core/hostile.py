#!/usr/bin/env python3
"""Hostile layers: nothing outside the layers is ever read through amberfs.

The layers hold `etc -> /`, `x -> ../../..`, absolute and relative symlinks
to a sentinel file outside the layers, a directory over a symlink to an
outside directory (and the reverse), symlink loops, 300 levels of nesting,
a chain of 255-byte names longer than PATH_MAX, and device nodes (including
the block device that holds the sentinel).  The sentinel's random token must
never appear in any name or content read through the mount.

The walk never lets the kernel follow a symlink (fd-relative, O_NOFOLLOW):
following a symlink found in a mount is the caller's resolution, not the
daemon's, and is the same on every filesystem.  The tree must also equal
kernel overlayfs' view of the same layers.  Device nodes must not open
(amberfs mounts nodev).  Finally a layer path that is itself a symlink must
be refused at mount time with nothing left mounted.

--submount: a mount inside a layer directory must not show through (kernel
overlayfs shows the directory underneath it).
"""

import errno
import hashlib
import os
import secrets
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
from amber import mounts  # noqa: E402

DEPTH = 300
LONG = b'Q' * 255


def build(m, token):
    """Layers under m.tmp/layers: top, mid, bot.  Returns names top first."""
    t = m.tmp
    outside = os.path.join(t, 'outside')
    os.makedirs(outside)
    sentinel = os.path.join(t, 'sentinel')
    with open(sentinel, 'w') as f:
        f.write(token)
    with open(os.path.join(outside, 'secret-' + token), 'w') as f:
        f.write(token)
    lay = os.path.join(t, 'layers')
    top, mid, bot = (os.path.join(lay, n) for n in ('top', 'mid', 'bot'))
    for d in (top, mid, bot):
        os.makedirs(d)
    links = {
        'etc': '/', 'x': '../../..', 'up': '..', 'self': '.',
        'abs_sentinel': sentinel, 'rel_sentinel': '../../sentinel',
        'abs_outside': outside, 'rel_outside': '../../outside',
        'deep_out': '../' * 40 + 'etc/passwd', 'loop': 'loop', 'a': 'b',
        'b': 'a', 'dotdot_trick': 'sub/../../../sentinel',
        'm3': outside,  # a symlink over a lower directory
    }
    for name, target in links.items():
        os.symlink(target, os.path.join(top, name))
    # a directory over a symlink to an outside directory: merge must stop
    for name in ('m2', 'sym_parent'):
        os.makedirs(os.path.join(top, name))
        with open(os.path.join(top, name, 'inner'), 'w') as f:
            f.write('inner')
        os.symlink(outside, os.path.join(mid, name))
    os.makedirs(os.path.join(bot, 'm2'))
    with open(os.path.join(bot, 'm2', 'hidden-by-mid'), 'w') as f:
        f.write('hidden')
    os.makedirs(os.path.join(bot, 'm3'))
    with open(os.path.join(bot, 'm3', 'under'), 'w') as f:
        f.write('under')
    os.makedirs(os.path.join(bot, 'etc'))
    with open(os.path.join(bot, 'etc', 'passwd'), 'w') as f:
        f.write('layer passwd\n')
    # a symlinked intermediate directory in the middle layer
    os.makedirs(os.path.join(mid, 'usr'))
    os.symlink(outside, os.path.join(mid, 'usr', 'lib'))
    os.makedirs(os.path.join(bot, 'usr', 'lib'))
    with open(os.path.join(bot, 'usr', 'lib', 'libc.so'), 'w') as f:
        f.write('bottom libc')
    # devices: null, zero, mem, and the disk that holds the sentinel
    dev = os.stat(sentinel).st_dev
    for name, typ, rdev in (('null', stat.S_IFCHR, os.makedev(1, 3)),
                            ('zero', stat.S_IFCHR, os.makedev(1, 5)),
                            ('mem', stat.S_IFCHR, os.makedev(1, 1)),
                            ('hostdisk', stat.S_IFBLK, dev)):
        os.mknod(os.path.join(mid, name), typ | 0o666, rdev)
    os.mkfifo(os.path.join(mid, 'fifo'))
    nest(os.path.join(top, 'deep'), [b'd'] * DEPTH, b'bottom of deep')
    nest(os.path.join(bot, 'longdeep'), [LONG] * 20, b'bottom of longdeep')
    with open(os.path.join(os.fsencode(bot), LONG), 'w') as f:
        f.write('long name')
    return ['top', 'mid', 'bot'], lay


def nest(root, names, content):
    """mkdir root/names[0]/names[1]/... fd-relative (may exceed PATH_MAX)
    and put a file 'leaf' at the bottom."""
    os.makedirs(root)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for n in names:
            os.mkdir(n, dir_fd=fd)
            nfd = os.open(n, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                          dir_fd=fd)
            os.close(fd)
            fd = nfd
        lf = os.open(b'leaf', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(lf, content)
        os.close(lf)
    finally:
        os.close(fd)


def fdwalk(mnt):
    """Walk mnt without following symlinks and without full paths (depth
    and length beyond PATH_MAX).  Returns {path: (type, size, content hash
    or readlink target or open error)} and all raw bytes seen."""
    out, seen = {}, []
    root = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
    stack = [(b'', root)]
    while stack:
        rel, fd = stack.pop()
        try:
            names = sorted(os.listdir(fd))
            for name in names:
                name = os.fsencode(name)
                seen.append(name)
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                path = rel + b'/' + name
                kind = stat.S_IFMT(st.st_mode)
                if stat.S_ISLNK(st.st_mode):
                    t = os.readlink(name, dir_fd=fd)
                    seen.append(t)
                    out[path] = (kind, st.st_size, t)
                elif stat.S_ISDIR(st.st_mode):
                    out[path] = (kind, 0, None)
                    stack.append((path, os.open(
                        name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                        dir_fd=fd)))
                else:
                    out[path] = (kind, st.st_size,
                                 read_nofollow(name, fd, st, seen))
        finally:
            os.close(fd)
    return out, seen


def read_nofollow(name, dirfd, st, seen):
    if stat.S_ISFIFO(st.st_mode):
        return 'fifo'
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(name, flags, dir_fd=dirfd)
    except OSError as e:
        return 'open:' + errno.errorcode.get(e.errno, str(e.errno))
    try:
        data = os.read(fd, 1 << 20)
    except OSError as e:
        return 'read:' + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        os.close(fd)
    seen.append(data)
    return hashlib.sha256(data).hexdigest()


class Checker:
    def __init__(self):
        self.failures = []

    def check(self, cond, what):
        print(('ok   ' if cond else 'FAIL ') + what)
        if not cond:
            self.failures.append(what)


def run(amb, keep):
    c = Checker()
    token = 'SENTINEL-' + secrets.token_hex(16)
    with mounts.Workdir(keep=keep, prefix='amber-hostile-',
                        deadline=200) as m:
        names, lay = build(m, token)
        kmnt, amnt = m.path('kernel'), m.path('amb')
        m.kernel([n.encode() for n in names], lay, kmnt)
        m.amberfs([n.encode() for n in names], amnt, cwd=lay)
        kern, _ = fdwalk(kmnt)
        got, seen = fdwalk(amnt)
        blob = b'\0'.join(seen)
        c.check(token.encode() not in blob,
                'the sentinel token never appears in names, targets or '
                'contents (%d entries walked, deepest %d levels)'
                % (len(got), max(p.count(b'/') for p in got)))
        devs = {p: v for p, v in got.items()
                if v[0] in (stat.S_IFCHR, stat.S_IFBLK)}
        # On the kernel mount (no nodev) devices open; compare all else.
        same = all(kern.get(p) == v for p, v in got.items()
                   if p not in devs) and set(kern) == set(got)
        c.check(same, 'the tree equals kernel overlayfs (names, types, '
                'sizes, contents, targets)')
        if not same:
            for p in sorted(set(kern) | set(got)):
                if p not in devs and kern.get(p) != got.get(p):
                    print('   %r: kernel=%r amberfs=%r'
                          % (p[:100], kern.get(p), got.get(p)))
        c.check(len(devs) == 4 and all(
            str(v[2]).startswith('open:') for v in devs.values()),
            'no device node opens through the mount: %r'
            % sorted((p, v[2]) for p, v in devs.items()))
        for p, want in ((b'/m2/inner', 'inner'), (b'/sym_parent/inner',
                                                  'inner')):
            c.check(p in got and got[p][2] == hashlib.sha256(
                want.encode()).hexdigest(), 'a directory over a symlink to '
                'an outside directory shows only its own layer: %r' % p)
        for p in (b'/m2/hidden-by-mid', b'/m2/secret-' + token.encode(),
                  b'/sym_parent/secret-' + token.encode(),
                  b'/usr/lib/secret-' + token.encode(), b'/usr/lib/libc.so',
                  b'/m3/under'):
            c.check(p not in got, 'not visible: %r' % p)
        c.check(got.get(b'/usr/lib', (0,))[0] == stat.S_IFLNK and
                got.get(b'/m3', (0,))[0] == stat.S_IFLNK,
                'symlinks over lower directories stay symlinks')
        c.check(got.get(b'/etc', (0, 0, b''))[2] == b'/' and
                b'/etc/passwd' not in got,
                'etc -> / is a symlink whose target is just a string')
        deep = b'/deep' + b'/d' * DEPTH + b'/leaf'
        longdeep = b'/longdeep' + (b'/' + LONG) * 20 + b'/leaf'
        c.check(deep in got and longdeep in got,
                '300 levels, and a path of %d bytes, are walked'
                % len(longdeep))
        # Through the daemon itself, lookups of names under a symlink fail:
        # the kernel resolves `etc` to `/` here, so MNT/etc/passwd is
        # /passwd of the host, which does not exist.
        try:
            with open(os.path.join(amnt, 'etc', 'passwd'), 'rb') as f:
                data = f.read()
        except OSError:
            data = None
        c.check(data is None or token.encode() not in data,
                'MNT/etc/passwd through etc -> / reads nothing of the layers '
                'or the sentinel')
        symlink_layer_refused(c, amb, m, lay)
    return c.failures


def symlink_layer_refused(c, amb, m, lay):
    link = os.path.join(lay, 'linklayer')
    os.symlink('top', link)
    mnt = m.path('refused')
    os.makedirs(mnt)
    r = subprocess.run([amb, '-o', 'lowerdir=linklayer:bot', mnt], cwd=lay,
                       capture_output=True, timeout=60)
    if mounts.mounted(mnt):
        m.adopt(mnt, fuse=True)
    err = r.stderr.decode(errors='replace')
    c.check(r.returncode != 0 and 'linklayer' in err and
            not mounts.mounted(mnt),
            'a layer path that is a symlink is refused (exit %d, %r)'
            % (r.returncode, err.strip()))


def run_submount(amb, keep):
    """A mount inside a layer directory (here a bind mount of a directory
    outside the layers) is not part of the layer: kernel overlayfs looks up
    lower entries in the layer's own filesystem, so it shows the directory
    underneath the mount, not the mounted content.  amberfs must do the same
    (and in any case never show the outside content)."""
    c = Checker()
    token = 'SENTINEL-' + secrets.token_hex(16)
    with mounts.Workdir(keep=keep, prefix='amber-submount-',
                        deadline=200) as m:
        t = m.tmp
        outside = os.path.join(t, 'outside')
        top = os.path.join(t, 'layers', 'top')
        bot = os.path.join(t, 'layers', 'bot')
        for d in (outside, os.path.join(top, 'sub'), bot):
            os.makedirs(d)
        with open(os.path.join(outside, 'secret'), 'w') as f:
            f.write(token)
        with open(os.path.join(top, 'sub', 'own'), 'w') as f:
            f.write('own')
        subprocess.run(['mount', '--bind', outside,
                        os.path.join(top, 'sub')], check=True)
        m.adopt(os.path.join(top, 'sub'))
        lay = os.path.join(t, 'layers')
        kmnt, amnt = m.path('kernel'), m.path('amb')
        m.kernel([b'top', b'bot'], lay, kmnt)
        m.amberfs([b'top', b'bot'], amnt, cwd=lay)
        kern, _ = fdwalk(kmnt)
        got, seen = fdwalk(amnt)
        c.check(token.encode() not in b'\0'.join(seen),
                'content mounted inside a layer is not shown')
        c.check(kern == got, 'the tree equals kernel overlayfs: kernel %r, '
                'amberfs %r' % (sorted(kern), sorted(got)))
    return c.failures


def main():
    keep = '--keep' in sys.argv
    amb = amber.require(overlay=True)
    amber.alarm(270)
    try:
        if '--submount' in sys.argv:
            failures = run_submount(amb, keep)
        else:
            failures = run(amb, keep)
    except (mounts.MountError, amber.Timeout, OSError) as e:
        print('ERROR: %s' % e)
        return 1
    finally:
        amber.alarm(0)
    print('%d failures' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
