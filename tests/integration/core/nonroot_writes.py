#!/usr/bin/env python3
"""A user other than root writes to the merged tree, and reads behind root.

The example as reported, on a stack with /etc/passwd (0644 root) and /root
(0700) holding secret (0600) and link -> secret, mounted by kernel
overlayfs and by amberfs (with log=):

  1. root lists and reads inside /root (ls -la, stat, cat, readlink), so
     the kernel's dentry and attribute caches hold those entries;
  2. nobody (65534:65534, no supplementary groups) runs
       sh -c 'echo x >> M/etc/passwd'   rm M/etc/passwd   mkdir M/etc/x
     and gets EROFS from each, as from overlayfs (the read-only check comes
     before the permission check), and amberfs logs exactly these three
     attempts, with nobody's uid;
  3. nobody runs stat M/root/secret, ls M/root, cat M/root/secret,
     readlink -v M/root/link and gets EACCES from each: what root's walk
     left in the caches must not answer for nobody.

Each command's exit status and message (the mount point written as M) must
be what the same command printed on the kernel overlayfs mount.

usage: nonroot_writes.py [--keep]
"""

import argparse
import errno
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402
import permwalk  # noqa: E402

NOBODY = 65534
ROOT_READS = [['ls', '-la', 'M/root'], ['stat', 'M/root/secret'],
              ['cat', 'M/root/secret'], ['readlink', '-v', 'M/root/link']]
WRITES = [['sh', '-c', 'echo x >> M/etc/passwd'], ['rm', 'M/etc/passwd'],
          ['mkdir', 'M/etc/x']]
READS = [['stat', 'M/root/secret'], ['ls', 'M/root'],
         ['cat', 'M/root/secret'], ['readlink', '-v', 'M/root/link']]


def records():
    """The attempts WRITES make, as (action, path)."""
    A = auditlog.ACTION
    return {(A.OPEN_WRITE, '/etc/passwd'), (A.UNLINK, '/etc/passwd'),
            (A.MKDIR, '/etc/x')}


def build(top):
    """Two layers in overlay format: names top first."""
    bottom, upper = os.path.join(top, '1'), os.path.join(top, '0')
    for d in (top, bottom, upper, os.path.join(bottom, 'etc'),
              os.path.join(bottom, 'root'), os.path.join(upper, 'etc')):
        os.mkdir(d, 0o755)
    with open(os.path.join(bottom, 'etc', 'passwd'), 'w') as f:
        f.write('root:x:0:0:root:/root:/bin/sh\n'
                'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
    os.chmod(os.path.join(bottom, 'etc', 'passwd'), 0o644)
    with open(os.path.join(upper, 'etc', 'hostname'), 'w') as f:
        f.write('amber\n')
    with open(os.path.join(bottom, 'root', 'secret'), 'w') as f:
        f.write('the secret\n')
    os.chmod(os.path.join(bottom, 'root', 'secret'), 0o600)
    os.symlink('secret', os.path.join(bottom, 'root', 'link'))
    os.chmod(os.path.join(bottom, 'root'), 0o700)
    return ['0', '1']


def run(cmd, mnt, as_nobody):
    """(exit status, stderr with the mount point written as M)."""
    argv = [a.replace('M/', mnt + '/') for a in cmd]
    kw = dict(user=NOBODY, group=NOBODY, extra_groups=[]) if as_nobody \
        else {}
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       cwd='/', timeout=60, **kw)
    return r.returncode, r.stderr.decode(errors='replace').replace(mnt, 'M')


def session(mnt):
    """Root's reads, then nobody's writes and reads: {command: outcome}."""
    out = {}
    for cmd in ROOT_READS:
        rc, err = run(cmd, mnt, False)
        if rc != 0:
            raise mounts.MountError('root: %s: %s' % (' '.join(cmd), err))
    for cmd in WRITES + READS:
        out[' '.join(cmd)] = run(cmd, mnt, True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    amber.require(overlay=True)
    fails = []
    with mounts.Workdir(keep=args.keep, prefix='amber-nonroot-') as m:
        permwalk.traversable(m.tmp)
        lay = m.path('layers')
        names = build(lay)
        kmnt, amnt, log = m.path('kernel'), m.path('amb'), m.path('audit.log')
        m.kernel([os.fsencode(n) for n in names], lay, kmnt)
        kern = session(kmnt)
        daemon = m.amberfs([os.fsencode(n) for n in names], amnt, log=log,
                           cwd=lay)
        got = session(amnt)
        m.umount(daemon)
        want_text = {c: os.strerror(errno.EROFS) for c in
                     (' '.join(x) for x in WRITES)}
        want_text.update({' '.join(c): os.strerror(errno.EACCES)
                          for c in READS})
        for cmd, (krc, kerr) in kern.items():
            arc, aerr = got[cmd]
            ok = (arc, aerr) == (krc, kerr) and krc != 0 and \
                want_text[cmd] in kerr
            print('nobody: %s: %s' % (cmd, 'ok (%s)' % want_text[cmd] if ok
                                      else 'FAIL: kernel overlayfs: %d %r, '
                                      'amberfs: %d %r' % (krc, kerr, arc,
                                                          aerr)))
            if not ok:
                fails.append(cmd)
        s = auditlog.Series([log])
        s.check_invariant()
        recs = [r for r in s.recs
                if r['kind'] in (auditlog.KIND.ATTEMPT, auditlog.KIND.SUMMARY)]
        seen = {(r['event']['action'], r['file']['path']) for r in recs}
        uids = {r['user']['uid'] for r in recs}
        if len(recs) != 3 or seen != records() or uids != {NOBODY} or \
                any(r['errno'] != errno.EROFS for r in recs):
            print('FAIL: the log holds %d records %s (uids %s), not the 3 '
                  'attempts %s of uid %d'
                  % (len(recs), sorted(seen), sorted(uids), sorted(records()),
                     NOBODY))
            fails.append('log')
        else:
            print('log: exactly the 3 attempts of uid %d, chain verified'
                  % NOBODY)
    print('FAIL: %s' % fails if fails else 'PASS')
    return 1 if fails else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (mounts.MountError, auditlog.VerifyError, OSError) as e:
        print('ERROR: %s' % e)
        sys.exit(1)
