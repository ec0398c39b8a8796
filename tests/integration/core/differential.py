#!/usr/bin/env python3
"""Differential test: amberfs against kernel overlayfs on random stacks.

For each seed: generate a stack (stackgen), write it in overlay format and
in OCI format (stackwrite), mount the overlay format with kernel overlayfs
and with amberfs, mount the OCI format with amberfs, walk all three
(treewalk) and compare.  Also lstat every path that any layer mentions
(whiteouts, markers, hidden names) on all three mounts: lookups must agree
with readdir.  The only allowed difference is the kernel's listing of a
whiteout with nothing beneath it (treewalk.is_kernel_ghost).

  differential.py --seeds 0-9          run seeds 0..9 (the meson tests)
  differential.py --seed 7 --keep      one seed, keep the temp dir
  differential.py --kernel-only ...    check the generator against the
                                       kernel alone (no amberfs needed)
  differential.py --nonroot --seeds 100-102
                                       permission stacks, walked as root and
                                       then as other users (permwalk)

--nonroot: stacks with restrictive modes, owners and ACLs
(Generator(perms=True)) in overlay format, mounted by kernel overlayfs and
by amberfs.  On each mount root walks everything first (warming the
kernel's caches), then root and each of permwalk.USERS walk every path
again (lstat, access, xattrs, readdir, chdir, open, execve, readlink, as
permwalk.walk_as says) and probe every name the layers mention: each
answer must be the kernel's.
"""

import argparse
import os
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
from amber import mounts, users  # noqa: E402
import permwalk  # noqa: E402
import stackgen  # noqa: E402
import stackwrite  # noqa: E402
import treewalk  # noqa: E402

KIND_OF_MODE = {stat.S_IFREG: 'file', stat.S_IFDIR: 'dir',
                stat.S_IFLNK: 'symlink', stat.S_IFIFO: 'fifo',
                stat.S_IFCHR: 'chr', stat.S_IFBLK: 'blk'}


def model_check(layers, kern):
    """The kernel mount against the generator's own merge (names, kinds):
    a mismatch here is a bug of the test or a kernel quirk, not amberfs."""
    view = stackgen.merge_view(layers)
    want = {b'/'.join(p): k for p, (k, _) in view.items()}
    got = {p: KIND_OF_MODE.get(stat.S_IFMT(r.get('mode', 0)))
           for p, r in kern.items() if not treewalk.is_kernel_ghost(r)}
    out = []
    for p in sorted(set(want) | set(got)):
        if want.get(p) != got.get(p):
            out.append((p, 'model-kind', got.get(p), want.get(p)))
    return out


def probe_paths(layers):
    """Every path any layer mentions, in both formats' spellings."""
    paths = set()
    for L in layers:
        for p, n in L.nodes.items():
            if not p:
                continue
            paths.add(b'/'.join(p))
            if n.kind == 'whiteout':
                paths.add(b'/'.join(p[:-1] + (b'.wh.' + p[-1],)))
            if n.opaque:
                paths.add(b'/'.join(p + (stackwrite.OPQ,)))
    return sorted(paths)


def compare_probes(kp, ap):
    return [(p, 'lookup', kp[p], ap[p]) for p in kp if kp[p] != ap[p]]


def amb_lowerdirs(names, fmtdir, absolute):
    if absolute:
        return [os.path.join(fmtdir, n) for n in names]
    return names


def tmpfs_names(m, d, n):
    """Layer names for a stack in d whose odd layers live on a tmpfs
    mounted at d/t (a stack across two filesystems)."""
    t = os.path.join(d, b't')
    os.makedirs(t)
    subprocess.run([b'mount', b'-t', b'tmpfs', b'-o', b'size=4g',
                    b'amber-test', t], check=True)
    m.adopt(t)
    return [(b't/%d' if i % 2 else b'%d') % i for i in range(n)]


def run_seed(seed, amb, keep=False, scale=1.0, n_layers=None, deadline=None,
             tmpfs=False):
    gen = stackgen.Generator(seed, n_layers=n_layers, scale=scale)
    layers = gen.generate()
    with mounts.Workdir(keep=keep, prefix='amber-diff-%d-' % seed,
                        deadline=deadline) as m:
        ovl = os.fsencode(m.path('ovl'))
        oci = os.fsencode(m.path('oci'))
        mixed = os.fsencode(m.path('mixed'))
        names = oci_names = mixed_names = None
        if tmpfs:
            names, oci_names, mixed_names = (tmpfs_names(m, d, len(layers))
                                             for d in (ovl, oci, mixed))
        elif seed % 3 == 0:  # layer paths that need escaping in lowerdir=
            oci_names = [b'l:%d\\x' % i for i in range(len(layers))]
        names = stackwrite.write_stack(layers, ovl, 'overlay', names)
        oci_names = stackwrite.write_stack(layers, oci, 'oci', oci_names)
        kmnt = m.path('kernel')
        m.kernel(names, ovl, kmnt)
        kern = treewalk.walk(kmnt, drop_user_overlay=True)
        diffs = model_check(layers, kern)
        paths = probe_paths(layers)
        kp = treewalk.probe(kmnt, paths)
        nprobe, entries = len(paths), len(kern)
        if not amb:
            ghosts = sum(1 for r in kern.values()
                         if treewalk.is_kernel_ghost(r))
            diffs += oci_self_check(m, oci, oci_names, kern)
            return len(layers), entries, nprobe, ghosts, diffs
        mixed_names = stackwrite.write_stack(layers, mixed, 'mixed',
                                             mixed_names, seed=seed)
        opts = [(), ('nosplice',), ('threads=2',), ('noopendir',)][seed % 4]
        root_skip = ('nlink',) if len(layers) == 1 else ()
        entries = 0
        # The OCI and mixed renderings differ from the overlay one in ctime
        # (cannot be set) and directory sizes (marker entries); in mixed,
        # extra xattrs may take an ext4 xattr block (st_blocks).
        # Across two filesystems (no xino) the kernel's d_ino is the raw
        # inode number while st_ino is not: a kernel quirk not copied.
        tskip = ('d_ino==st_ino',) if tmpfs else ()
        for label, d, lnames, skip, skip_dir in (
                ('ovl', ovl, names, tskip, ()),
                ('oci', oci, oci_names, ('ctime_ns',) + tskip,
                 ('size', 'blocks')),
                ('mixed', mixed, mixed_names, ('ctime_ns', 'blocks') + tskip,
                 ('size',))):
            mnt = m.path('amb-' + label)
            daemon = m.amberfs(amb_lowerdirs(lnames, d, seed % 2), mnt,
                               opts=opts, cwd=d)
            if label == 'ovl' and seed % 3 == 0:
                walks = concurrent_walks(mnt, 4)
            else:
                walks = [treewalk.walk(mnt)]
            for got in walks[1:]:  # concurrent first walks of a fresh mount
                dd, _ = treewalk.compare(kern, got, skip=skip,
                                         skip_dir=skip_dir,
                                         root_skip=root_skip)
                diffs += [(b'[ovl, concurrent walk] ' + p, f, k, a)
                          for p, f, k, a in dd]
            got = walks[0]
            dd, ghosts = treewalk.compare(kern, got, skip=skip,
                                          skip_dir=skip_dir,
                                          root_skip=root_skip)
            dd += compare_probes(kp, treewalk.probe(mnt, paths))
            diffs += [(b'[' + label.encode() + b'] ' + p, f, k, a)
                      for p, f, k, a in dd]
            entries += len(got) * len(walks)
            m.umount(daemon)
    return len(layers), entries, nprobe, ghosts, diffs


def walk_users(mnt, the_plan, probes):
    """Root's full walk first (warm caches), then every path as root and as
    each user: {user name: walk}."""
    out = {}
    for user in (users.ROOT,) + permwalk.USERS:
        out[user.name] = permwalk.walk_as(user, mnt, the_plan, probes)
    return out


def run_seed_nonroot(seed, amb, keep=False, scale=1.0, deadline=None):
    gen = stackgen.Generator(seed, scale=scale, perms=True)
    layers = gen.generate()
    with mounts.Workdir(keep=keep, prefix='amber-diff-nr-%d-' % seed,
                        deadline=deadline) as m:
        permwalk.traversable(m.tmp)
        ovl = os.fsencode(m.path('ovl'))
        names = stackwrite.write_stack(layers, ovl, 'overlay')
        kmnt = m.path('kernel')
        m.kernel(names, ovl, kmnt)
        kern = treewalk.walk(kmnt, drop_user_overlay=True)
        diffs = model_check(layers, kern)
        the_plan = permwalk.plan(kern, kmnt)
        probes = probe_paths(layers)
        kusers = walk_users(kmnt, the_plan, probes)
        for name, c in permwalk.coverage(kern, kusers).items():
            print('seed %d: %s decided by: %s' % (seed, name, ', '.join(
                '%s %d' % x for x in sorted(c.items()))))
        entries = len(the_plan) * len(kusers)
        ghosts = permwalk.ghost_names(kern)
        nghosts = sum(len(v) for v in ghosts.values())
        if not amb:
            return len(layers), entries, len(probes), nghosts, diffs
        mnt = m.path('amb')
        daemon = m.amberfs(names, mnt, cwd=ovl,
                           opts=[(), ('threads=2',), ('nosplice',)][seed % 3])
        got = treewalk.walk(mnt)
        root_skip = ('nlink',) if len(layers) == 1 else ()
        dd, _ = treewalk.compare(kern, got, root_skip=root_skip)
        diffs += [(b'[root walk] ' + p, f, k, a) for p, f, k, a in dd]
        ausers = walk_users(mnt, the_plan, probes)
        known = 0
        for name in kusers:
            dd, n = permwalk.compare(name, kusers[name], ausers[name],
                                     ghosts, root_skip)
            diffs += dd
            known += n
        if known:
            print('seed %d: %d known divergences (fifo opens, access(W_OK) '
                  'of symlinks: permwalk.known_divergence)' % (seed, known))
        m.umount(daemon)
    return len(layers), entries * 2, len(probes), nghosts, diffs


def oci_to_overlay(top):
    """Convert an OCI layer in place to overlay format (validation of the
    OCI writer in --kernel-only mode), keeping directory mtimes."""
    for d, _, files in os.walk(top, topdown=False):
        marks = [f for f in files if f.startswith(b'.wh.')]
        if not marks:
            continue
        st = os.lstat(d)
        for f in marks:
            os.unlink(os.path.join(d, f))
            if f == stackwrite.OPQ:
                os.setxattr(d, b'trusted.overlay.opaque', b'y')
            else:
                os.mknod(os.path.join(d, f[4:]), stat.S_IFCHR | 0o600, 0)
        os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))


def oci_self_check(m, oci, oci_names, kern):
    conv = os.fsencode(m.path('oci2'))
    os.mkdir(conv)
    for n in oci_names:
        subprocess.run([b'cp', b'-a', os.path.join(oci, n),
                        os.path.join(conv, n)], check=True)
        oci_to_overlay(os.path.join(conv, n))
    m.kernel(oci_names, conv, m.path('kernoci'))
    d, _ = treewalk.compare(kern, treewalk.walk(m.path('kernoci')),
                            skip=('ctime_ns',), skip_dir=('size', 'blocks'),
                            both_ghosts=True)
    return [(b'[oci-selfcheck] ' + p, f, k, a) for p, f, k, a in d]


def concurrent_walks(mnt, n):
    """n full walks of a fresh mount at once (directories get merged while
    other threads look them up); each result must match on its own."""
    out = [None] * n

    def one(i):
        try:
            out[i] = treewalk.walk(mnt)
        except OSError as e:
            out[i] = {b'': {'walk': 'ERR: %s' % e}}
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def parse_seeds(a):
    if '-' in a:
        lo, hi = a.split('-')
        return list(range(int(lo), int(hi) + 1))
    return [int(x) for x in a.split(',')]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seeds', help='e.g. 0-9 or 3,5,8')
    ap.add_argument('--seed', type=int)
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--kernel-only', action='store_true')
    ap.add_argument('--scale', type=float, default=1.0)
    ap.add_argument('--timeout', type=int, default=240, help='per seed')
    ap.add_argument('--tmpfs', action='store_true',
                    help='odd layers on a tmpfs (two filesystems)')
    ap.add_argument('--nonroot', action='store_true',
                    help='permission stacks, walked as other users too')
    args = ap.parse_args()
    seeds = [args.seed] if args.seed is not None else \
        parse_seeds(args.seeds or '0-9')
    amb = amber.require(fuse=not args.kernel_only, overlay=True)
    failed, total = [], 0
    for seed in seeds:
        t0 = time.time()
        amber.alarm(args.timeout)
        try:
            if args.nonroot:
                n, entries, nprobe, ghosts, diffs = run_seed_nonroot(
                    seed, amb, args.keep, args.scale,
                    deadline=max(10, args.timeout - 20))
            else:
                n, entries, nprobe, ghosts, diffs = run_seed(
                    seed, amb, args.keep, args.scale,
                    deadline=max(10, args.timeout - 20), tmpfs=args.tmpfs)
        except (mounts.MountError, amber.Timeout, OSError,
                users.ChildError) as e:
            print('seed %d: ERROR: %s' % (seed, e))
            failed.append(seed)
            continue
        finally:
            amber.alarm(0)
        total += entries
        status = 'OK' if not diffs else '%d MISMATCHES' % len(diffs)
        print('seed %d: %d layers, %d entries compared, %d lookups probed, '
              '%d kernel ghost whiteouts ignored, %.1fs: %s'
              % (seed, n, entries, nprobe, ghosts, time.time() - t0, status))
        if diffs:
            if args.nonroot:
                print('mismatch classes:\n' + permwalk.summarize(diffs))
            print(treewalk.format_diffs(diffs, limit=30 if args.nonroot
                                        else 60))
            failed.append(seed)
        sys.stdout.flush()
    print('%d seeds, %d entries compared, %d failed%s'
          % (len(seeds), total, len(failed),
             (': ' + ' '.join(map(str, failed))) if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
