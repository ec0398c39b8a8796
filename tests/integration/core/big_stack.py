#!/usr/bin/env python3
"""Deep stacks: 500 layers against kernel overlayfs (its maximum number of
lower layers), both formats; then 4096 layers (amberfs' maximum) against the
generator's own merge of the model, since the kernel cannot mount those.

  big_stack.py [--keep] [--only 500|4096]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
import differential  # noqa: E402
from amber import mounts  # noqa: E402
import stackgen  # noqa: E402
import stackwrite  # noqa: E402
import treewalk  # noqa: E402


def run_500(amb, keep):
    n, entries, nprobe, ghosts, diffs = differential.run_seed(
        500, amb, keep, scale=0.25, n_layers=500, deadline=200)
    print('500 layers: %d entries compared, %d lookups probed, %d kernel '
          'ghosts ignored: %s' % (entries, nprobe, ghosts,
                                  'OK' if not diffs else 'MISMATCH'))
    if diffs:
        print(treewalk.format_diffs(diffs))
    return not diffs


def run_4096(amb, keep):
    gen = stackgen.Generator(4096, n_layers=4096, scale=0.05)
    layers = gen.generate()
    with mounts.Workdir(keep=keep, prefix='amber-4096-', deadline=200) as m:
        ovl = os.fsencode(m.path('ovl'))
        names = stackwrite.write_stack(layers, ovl, 'overlay')
        mnt = m.path('amb')
        m.amberfs(names, mnt, cwd=ovl)
        got = treewalk.walk(mnt)
        diffs = differential.model_check(layers, got)
        diffs += [(p, 'lstat', 'ok', r['lstat'])
                  for p, r in got.items() if 'lstat' in r]
        paths = differential.probe_paths(layers)
        view = {b'/'.join(p) for p in stackgen.merge_view(layers)}
        res = treewalk.probe(mnt, paths)
        diffs += [(p, 'lookup', 'ok' if p in view else 'absent', r)
                  for p, r in res.items()
                  if (r == 'ok') != (p in view) and r != 'via-symlink']
        print('4096 layers: %d entries checked against the model, %d '
              'lookups probed: %s' % (len(got), len(paths),
                                      'OK' if not diffs else 'MISMATCH'))
        if diffs:
            print(treewalk.format_diffs(diffs).replace('kernel=', 'model='))
    return not diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--only', choices=['500', '4096'])
    args = ap.parse_args()
    amb = amber.require(overlay=True)
    ok = True
    amber.alarm(500)
    try:
        if args.only in (None, '500'):
            ok &= run_500(amb, args.keep)
        if args.only in (None, '4096'):
            ok &= run_4096(amb, args.keep)
    except (mounts.MountError, amber.Timeout, OSError) as e:
        print('ERROR: %s' % e)
        ok = False
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
