#!/usr/bin/env python3
"""-o noopendir: listings as without it, and read permission on a directory
checked when it is listed.  Runs as root; the unprivileged caller (uid 4242)
lists in a forked child.

The unsafety documented in amberfs(8) is shown too: once root has listed a
0700 directory, the kernel serves its cached listing to uid 4242 as well.
That is the reason noopendir is not the default; if a kernel ever stops
caching listings without OPENDIR, this test says so (and the man page
must change).
"""

import errno
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
from amber import mounts, users  # noqa: E402

U = users.user(4242)


def make_stack(t):
    for layer, names in (('up', ('pub/a', 'pub/b', 'priv/k')), ('low', ('pub/c', 'priv/l'))):
        for n in names:
            p = os.path.join(t, layer, n)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'w') as f:
                f.write(n)
        os.chmod(os.path.join(t, layer, 'pub'), 0o755)
        os.chmod(os.path.join(t, layer, 'priv'), 0o700)


def listing(path):
    return sorted(os.listdir(path))


def as_user(fn, *args):
    _, what, value, text = users.in_child(fn, *args, user=U)
    return value if what in ('ok', 'oserror') else text


def main():
    amber.require(root=True, fuse=True)
    failures = []
    with mounts.Workdir() as w:
        make_stack(w.tmp)
        for opts in ((), ('noopendir',)):
            mnt = w.path('mnt' + '-'.join(opts))
            w.amberfs(['up', 'low'], mnt, opts=opts, cwd=w.tmp)
            label = ','.join(opts) or 'default'
            if listing(os.path.join(mnt, 'pub')) != ['a', 'b', 'c']:
                failures.append('%s: root lists pub as %s' % (label, listing(os.path.join(mnt, 'pub'))))
            got = as_user(listing, os.path.join(mnt, 'pub'))
            if got != ['a', 'b', 'c']:
                failures.append('%s: uid 4242 lists pub as %r' % (label, got))
            # the caller lists the private directory first: refused
            got = as_user(listing, os.path.join(mnt, 'priv'))
            if got != errno.EACCES:
                failures.append('%s: uid 4242 listing priv first: %r, want EACCES' % (label, got))
            if listing(os.path.join(mnt, 'priv')) != ['k', 'l']:
                failures.append('%s: root lists priv as %s' % (label, listing(os.path.join(mnt, 'priv'))))
            got = as_user(listing, os.path.join(mnt, 'priv'))
            want = ['k', 'l'] if opts else errno.EACCES
            if got != want:
                failures.append('%s: uid 4242 listing priv after root: %r, want %r' % (label, got, want))
    for f in failures:
        print('FAIL ' + f)
    print('noopendir: %d failure(s)' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
