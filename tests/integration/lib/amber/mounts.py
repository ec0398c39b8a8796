"""Mount helpers shared by the core integration tests.

Every mount goes through a Mounts object, used as a context manager: on exit
(success, failure or timeout) it unmounts everything it mounted, newest
first, kills the amberfs daemons it started by PID (read from -o pidfile=),
and falls back to `umount -l` only as a last resort.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77


def skip(why):
    print('SKIP: ' + why)
    sys.exit(SKIP)


def _has_fs(name):
    with open('/proc/filesystems') as f:
        return any(line.split()[-1] == name for line in f if line.strip())


def require_env(need_fuse=True, need_overlay=True):
    if os.geteuid() != 0:
        skip('needs root (mknod, trusted.* xattrs, kernel overlayfs)')
    if need_fuse and not os.path.exists('/dev/fuse'):
        skip('/dev/fuse is missing')
    if need_overlay:
        if not _has_fs('overlay'):
            try:
                subprocess.run(['modprobe', 'overlay'], check=False,
                               capture_output=True)
            except OSError:
                pass
        if not _has_fs('overlay'):
            skip('kernel overlayfs is not available')
    amb = os.environ.get('AMBERFS')
    if need_fuse and (not amb or not os.access(amb, os.X_OK)):
        print('FAIL: $AMBERFS is not set to an executable amberfs binary')
        sys.exit(1)
    return amb


def escape_layer(path):
    """Escape ':' and '\\' in one lowerdir element (bytes)."""
    return path.replace(b'\\', b'\\\\').replace(b':', b'\\:')


def _canon(path):
    """Absolute path without touching the filesystem: stat'ing a mountpoint
    whose daemon hangs would hang us too.  Temp dirs are realpath'ed when
    created, so no symlink is left to resolve."""
    return os.path.normpath(os.path.abspath(os.fsencode(path)))


def mounted(path):
    """Is path (str or bytes) a mount point in /proc/self/mountinfo?"""
    want = _canon(path)
    with open('/proc/self/mountinfo', 'rb') as f:
        for line in f:
            mp = line.split(b' ')[4]
            mp = mp.replace(b'\\040', b' ').replace(b'\\011', b'\t') \
                .replace(b'\\012', b'\n').replace(b'\\134', b'\\')
            if mp == want:
                return True
    return False


def fuse_mounts_under(prefix):
    """Mount points below prefix (a str), for leak checks."""
    out = []
    with open('/proc/self/mountinfo') as f:
        for line in f:
            mp = line.split(' ')[4]
            if mp.startswith(prefix.rstrip('/') + '/'):
                out.append(mp)
    return out


def alive(pid):
    """Is pid running (a zombie waiting for its reaper counts as gone)?"""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class MountError(Exception):
    pass


def mount_info(path):
    """(fstype, 'major:minor') of the mount at path, or None."""
    want = os.fsdecode(_canon(path))
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split(' ')
            if fields[4] == want:
                return fields[fields.index('-') + 1], fields[2]
    return None


def abort_fuse(path):
    """Abort the FUSE connection of the mount at path: every request
    blocked on a hung daemon fails at once with ENOTCONN."""
    info = mount_info(path)
    if not info or not info[0].startswith('fuse'):
        return
    minor = info[1].split(':')[1]
    try:
        with open('/sys/fs/fuse/connections/%s/abort' % minor, 'w') as f:
            f.write('1')
        print('aborted the FUSE connection of %s' % path)
    except OSError:
        pass


class Mounts:
    def __init__(self, keep=False, prefix='amber-core-', deadline=None):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix=prefix))
        self.keep = keep
        self.mnts = []   # (path, pid or None)
        self.done = threading.Event()
        if deadline:
            threading.Thread(target=self._watchdog, args=(deadline,),
                             daemon=True).start()

    def _watchdog(self, seconds):
        """A hung daemon blocks our syscalls where no signal reaches them;
        at the deadline abort every FUSE mount of ours so they return."""
        if self.done.wait(seconds):
            return
        print('watchdog: %d s elapsed, aborting FUSE mounts under %s'
              % (seconds, self.tmp))
        for mp in fuse_mounts_under(self.tmp):
            abort_fuse(mp)

    def __enter__(self):
        return self

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def kernel(self, lowerdirs, cwd, mnt):
        """Mount kernel overlayfs; lowerdirs are names relative to cwd, top
        first (short relative names keep the option under one page)."""
        os.makedirs(mnt, exist_ok=True)
        lower = list(lowerdirs)
        if len(lower) == 1:  # kernel overlayfs needs >= 2 lower layers
            empty = os.path.join(cwd, b'.empty-bottom')
            os.makedirs(empty, exist_ok=True)
            lower.append(b'.empty-bottom')
        opt = b'lowerdir=' + b':'.join(escape_layer(x) for x in lower)
        r = subprocess.run([b'mount', b'-t', b'overlay', b'overlay', b'-o',
                            opt, os.fsencode(mnt)], cwd=cwd,
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise MountError('kernel overlayfs mount failed: %s'
                             % r.stderr.decode(errors='replace').strip())
        self.mnts.append((mnt, None))

    def amberfs(self, amb, lowerdirs, cwd, mnt, opts=(), timeout=120):
        """Mount amberfs (daemon mode); returns the daemon PID."""
        os.makedirs(mnt, exist_ok=True)
        pidfile = os.path.join(self.tmp, 'pid.%d' % len(self.mnts))
        opt = b'lowerdir=' + b':'.join(escape_layer(x) for x in lowerdirs)
        for o in opts:
            opt += b',' + os.fsencode(o)
        opt += b',pidfile=' + os.fsencode(pidfile)
        try:
            r = subprocess.run([os.fsencode(amb), b'-o', opt,
                                os.fsencode(mnt)], cwd=cwd,
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise MountError('amberfs did not return within %d s' % timeout)
        pid = None
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read().strip() or 0) or None
        if r.returncode != 0 or not mounted(mnt):
            self.mnts.append((mnt, pid))
            raise MountError('amberfs failed (exit %d): %s'
                             % (r.returncode,
                                r.stderr.decode(errors='replace').strip()))
        self.mnts.append((mnt, pid))
        return pid

    def umount(self, mnt, pid=None):
        if mounted(mnt):
            r = subprocess.run(['umount', mnt], capture_output=True,
                               timeout=60)
            if r.returncode != 0 and mounted(mnt):
                abort_fuse(mnt)
                subprocess.run(['umount', '-l', mnt], capture_output=True,
                               timeout=60)
        if pid:  # the daemon exits once unmounted; else TERM, then KILL
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig and alive(pid):
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
                for _ in range(100):
                    if not alive(pid):
                        break
                    time.sleep(0.05)
        self.mnts = [(m, p) for m, p in self.mnts if m != mnt]

    def close(self):
        self.done.set()
        for mp in fuse_mounts_under(self.tmp):  # e.g. a mount that hung
            if mp not in [m for m, _ in self.mnts]:
                self.mnts.append((mp, self._find_daemon(mp)))
        for mnt, pid in reversed(list(self.mnts)):
            try:
                self.umount(mnt, pid)
            except Exception as e:  # keep cleaning up the others
                print('cleanup of %s failed: %s' % (mnt, e))
        left = fuse_mounts_under(self.tmp)
        if left:  # never rm -rf across a mount
            print('still mounted, not removing %s: %r' % (self.tmp, left))
        elif not self.keep:
            subprocess.run(['rm', '-rf', '--one-file-system', self.tmp],
                           check=False)
        else:
            print('kept: ' + self.tmp)

    @staticmethod
    def _find_daemon(mnt):
        """PID of the amberfs serving mnt when no pidfile was written: the
        process whose command line ends with this (unique, temporary)
        mountpoint."""
        want = os.fsencode(mnt)
        for d in os.listdir('/proc'):
            if not d.isdigit():
                continue
            try:
                with open('/proc/%s/cmdline' % d, 'rb') as f:
                    argv = f.read().split(b'\0')
            except OSError:
                continue
            if len(argv) > 1 and argv[-2] == want and \
                    b'amberfs' in argv[0]:
                return int(d)
        return None

    def __exit__(self, *exc):
        self.close()
        return False


class Timeout(Exception):
    pass


def alarm(seconds):
    """Raise Timeout in the main thread after `seconds` (cleanup still runs
    through the Mounts context manager)."""
    def handler(signum, frame):
        raise Timeout('timed out after %d s' % seconds)
    signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)


class Terminated(Exception):
    """SIGTERM (meson's timeout): not caught per seed, so the run stops
    after unwinding through every cleanup."""


def on_sigterm(signum, frame):
    raise Terminated('terminated by signal %d' % signum)


# meson sends SIGTERM on timeout: unwind through the cleanup code.
signal.signal(signal.SIGTERM, on_sigterm)
