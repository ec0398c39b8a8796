#!/usr/bin/env python3
"""Bad input to amberfs: each case must exit non-zero, print exactly one
line `amberfs: <what>: <path or option>: <reason>` on stderr naming the
offending path or option, leave nothing mounted and no daemon running.

The unreadable-layer case runs amberfs as nobody (65534) through setpriv;
for that /dev/fuse is made world read-writable (chmod 0666), as it is on
most distributions.  It is not restored: other tests may run meanwhile.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import amber  # noqa: E402
from amber import mounts, users  # noqa: E402

NOBODY = users.setpriv(users.NOBODY)
LINE = re.compile(r"^amberfs: [^:]+: (.+): [^\n]+$")


def cases(t):
    """(name, argv after the binary, words one of which the message names,
    mountpoint, run as nobody)."""
    mnt = os.path.join(t, 'mnt')
    many = ':'.join(['good'] * 4097)
    return [
        ('no lowerdir', ['-o', 'pidfile=pid', mnt], ['lowerdir'], mnt, 0),
        ('no options at all', [mnt], ['lowerdir'], mnt, 0),
        ('empty element', ['-o', 'lowerdir=good::other,pidfile=pid', mnt],
         ['good::other', 'lowerdir'], mnt, 0),
        ('empty lowerdir', ['-o', 'lowerdir=,pidfile=pid', mnt],
         ['lowerdir'], mnt, 0),
        ('layer missing', ['-o', 'lowerdir=good:missing,pidfile=pid', mnt],
         ['missing'], mnt, 0),
        ('layer is a file', ['-o', 'lowerdir=good:afile,pidfile=pid', mnt],
         ['afile'], mnt, 0),
        ('layer unreadable', ['-o', 'lowerdir=good:locked/layer', 'umnt'],
         ['locked/layer', 'locked'], os.path.join(t, 'umnt'), 1),
        ('layer dir unreadable', ['-o', 'lowerdir=good:closed', 'umnt'],
         ['closed'], os.path.join(t, 'umnt'), 1),
        ('mountpoint missing', ['-o', 'lowerdir=good,pidfile=pid',
                                os.path.join(t, 'nomnt')], ['nomnt'],
         os.path.join(t, 'nomnt'), 0),
        ('mountpoint is a file', ['-o', 'lowerdir=good,pidfile=pid',
                                  os.path.join(t, 'afile')], ['afile'],
         os.path.join(t, 'afile'), 0),
        ('unknown option', ['-o', 'lowerdir=good,bogus_opt=1,pidfile=pid',
                            mnt], ['bogus_opt'], mnt, 0),
        ('bad deny_errno', ['-o', 'lowerdir=good,deny_errno=EBOGUS,'
                            'pidfile=pid', mnt], ['EBOGUS', 'deny_errno'],
         mnt, 0),
        ('log cannot be opened', ['-o', 'lowerdir=good,log=/nonexistent/'
                                  'dir/a.log,pidfile=pid', mnt],
         ['/nonexistent/dir/a.log'], mnt, 0),
        ('4097 layers', ['-o', 'lowerdir=' + many + ',pidfile=pid', mnt],
         ['lowerdir', '4096', '4097'], mnt, 0),
        ('mountpoint is a layer', ['-o', 'lowerdir=other:good,pidfile=pid',
                                   os.path.join(t, 'good')],
         ['good'], os.path.join(t, 'good'), 0),
        ('mountpoint is the top layer (./ spelling)',
         ['-o', 'lowerdir=./good:other,pidfile=pid', os.path.join(t, 'good')],
         ['good'], os.path.join(t, 'good'), 0),
    ]


def setup(t):
    os.chmod(t, 0o755)  # nobody must reach its own mountpoint
    for d in ('good', 'other', 'mnt', 'locked/layer', 'closed', 'umnt'):
        os.makedirs(os.path.join(t, d))
    with open(os.path.join(t, 'good', 'f'), 'w') as f:
        f.write('x')
    open(os.path.join(t, 'afile'), 'w').close()
    os.chmod(os.path.join(t, 'locked'), 0o700)  # no search for nobody
    os.chmod(os.path.join(t, 'closed'), 0o700)  # not listable by nobody
    os.chown(os.path.join(t, 'umnt'), 65534, 65534)
    os.makedirs(os.path.join(t, 'nobody'))
    os.chown(os.path.join(t, 'nobody'), 65534, 65534)
    if os.path.exists('/dev/fuse'):
        os.chmod('/dev/fuse', 0o666)  # see the top comment


def message_ok(err, words):
    lines = [x for x in err.split('\n') if x.strip()]
    if len(lines) != 1:
        return False, 'expected exactly one line on stderr, got %d' % len(
            lines)
    if not LINE.match(lines[0]):
        return False, 'not "amberfs: <what>: <path or option>: <reason>"'
    if not any(w in lines[0] for w in words):
        return False, 'names none of %r' % words
    return True, ''


def run_case(m, t, name, argv, words, mnt, as_nobody, amb):
    pidfile = os.path.join(t, 'pid')
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    cmd = (NOBODY if as_nobody else []) + [amb] + argv
    try:
        r = subprocess.run(cmd, cwd=t, capture_output=True, timeout=30)
        rc, err = r.returncode, r.stderr.decode(errors='replace')
    except subprocess.TimeoutExpired:
        rc, err = 'timeout', ''
    left = [p for p in mounts.mounts_under(t)]
    for p in left:
        m.adopt(p, fuse=True)
    pid = None
    if os.path.exists(pidfile):
        with open(pidfile) as f:
            pid = int(f.read().strip() or 0) or None
    daemon = pid is not None and mounts.alive(pid)
    if daemon:
        m.adopt(mnt, pid, fuse=True)
    ok, why = message_ok(err, words)
    problems = []
    if rc == 0 or rc == 'timeout':
        problems.append('exit status %s' % rc)
    if not ok:
        problems.append(why)
    if left:
        problems.append('left mounted: %r' % left)
    if daemon:
        problems.append('daemon %d still running' % pid)
    print('%s %-44s exit=%s stderr=%r%s'
          % ('FAIL' if problems else 'ok  ', name, rc, err.strip()[:160],
             ('\n       ' + '; '.join(problems)) if problems else ''))
    m.umount_all()
    return not problems


def nobody_control(m, t, amb):
    """The same non-root set-up with a readable layer does mount: the
    unreadable-layer failures above are about the layer, not the set-up."""
    mnt = os.path.join(t, 'umnt')
    try:
        r = subprocess.run(NOBODY + [amb, '-o', 'lowerdir=good,pidfile='
                                     'nobody/pid', 'umnt'], cwd=t,
                           capture_output=True, timeout=30)
        rc, err = r.returncode, r.stderr.decode(errors='replace').strip()
    except subprocess.TimeoutExpired:
        rc, err = 'timeout', ''
    ok = rc == 0 and mounts.mounted(mnt)
    if mounts.mounted(mnt):
        pid = None
        try:
            with open(os.path.join(t, 'nobody', 'pid')) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            pass
        daemon = m.adopt(mnt, pid, fuse=True)
        subprocess.run(NOBODY + ['fusermount3', '-u', mnt],
                       capture_output=True, timeout=30)
        ok = ok and not mounts.mounted(mnt)
        m.umount(daemon)
    print('%s %-44s exit=%s stderr=%r' % ('ok  ' if ok else 'FAIL',
                                        'control: nobody mounts a readable '
                                        'layer, fusermount3 -u', rc, err))
    return ok


def main():
    amb = amber.require()
    amber.alarm(240)
    failed = 0
    try:
        with mounts.Workdir(keep='--keep' in sys.argv,
                            prefix='amber-badinput-', deadline=180) as m:
            setup(m.tmp)
            for case in cases(m.tmp):
                failed += not run_case(m, m.tmp, *case, amb)
            failed += not nobody_control(m, m.tmp, amb)
    except amber.Timeout as e:
        print('ERROR: %s' % e)
        return 1
    finally:
        amber.alarm(0)
    print('%d bad-input cases failed' % failed)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
