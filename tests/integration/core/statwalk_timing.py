#!/usr/bin/env python3
"""Rough stat-walk timing (a measurement, not a test: no assertions, not
registered with meson).  Builds a 10-layer stack of ~30k files (100 merged
directories; each layer adds 30 files per directory and overrides or whites
out a few of the layer below), mounts it with kernel overlayfs and amberfs,
and times, on a fresh mount and again warm:
  find MNT -printf ''          (readdir, plus lookups of every entry)
  an os.lstat() walk           (readdir + lstat of every entry)
Page caches are not dropped (the machine is shared): backing files are warm.

  AMBERFS=build/fs/amberfs tests/integration/core/statwalk_timing.py
"""

import os
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from amber import mounts  # noqa: E402

LAYERS, DIRS, FILES = 10, 100, 30


def build(root):
    names = []
    for i in range(LAYERS):  # i = 0 is the bottom layer
        name = 'L%02d' % i
        names.insert(0, name.encode())
        for d in range(DIRS):
            dd = os.path.join(root, name, 'd%03d' % d)
            os.makedirs(dd)
            for f in range(FILES):
                with open(os.path.join(dd, 'f%d_%d' % (i, f)), 'wb') as fh:
                    fh.write(b'x' * (f * 37 % 4096))
            if i:
                with open(os.path.join(dd, 'f%d_0' % (i - 1)), 'wb') as fh:
                    fh.write(b'override')
                os.mknod(os.path.join(dd, 'f%d_1' % (i - 1)),
                         stat.S_IFCHR | 0o600, 0)
    return names


def lstat_walk(mnt):
    n = 0
    for top, dirs, files in os.walk(mnt):
        for x in dirs + files:
            os.lstat(os.path.join(top, x))
            n += 1
    return n


def timed(fn):
    t = time.perf_counter()
    n = fn()
    return time.perf_counter() - t, n


def measure(label, m, mount, mnt):
    rows = []
    for what, fn in (('find -printf ""', lambda: subprocess.run(
            ['find', mnt, '-printf', ''], check=True)),
                     ('os.lstat walk', lambda: lstat_walk(mnt))):
        mount()
        cold, n = timed(fn)
        warm, _ = timed(fn)
        m.umount(mnt, m.mnts[-1][1])
        rows.append((label, what, cold, warm, n))
    return rows


def main():
    amb = mounts.require_env()
    with mounts.Mounts(prefix='amber-statwalk-', deadline=900) as m:
        root = m.path('stack')
        names = build(root)
        kmnt, amnt = m.path('kernel'), m.path('amb')
        rows = measure('kernel overlayfs', m,
                       lambda: m.kernel(names, root, kmnt), kmnt)
        rows += measure('amberfs', m,
                        lambda: m.amberfs(amb, names, root, amnt), amnt)
        rows += measure('kernel overlayfs', m,
                        lambda: m.kernel(names, root, kmnt), kmnt)
        rows += measure('amberfs', m,
                        lambda: m.amberfs(amb, names, root, amnt), amnt)
        entries = lstat_walk_count(m, names, root, kmnt)
        print('%d layers, %d entries in the merged tree' % (LAYERS, entries))
        for label, what, cold, warm, n in rows:
            print('%-17s %-16s fresh mount %6.3f s   warm %6.3f s'
                  % (label, what, cold, warm))


def lstat_walk_count(m, names, root, mnt):
    m.kernel(names, root, mnt)
    try:
        return lstat_walk(mnt)
    finally:
        m.umount(mnt)


if __name__ == '__main__':
    sys.exit(main())
