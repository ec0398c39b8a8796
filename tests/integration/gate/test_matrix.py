#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_matrix - every mutation on a mounted stack is refused and logged once.

Each case runs in its own forked child (so its pid is unique and no two cases
can coalesce), as root or, with --uid, as that numeric uid on world-writable
or uid-owned entries, on entries of root (0644, 0755 and 0600 files, a 0755
directory, a 0700 directory) and inside a 0700 directory of root.  For each
case: the errno is the deny errno, exactly one record appears between two
marker records (a mkdir of a fresh name by this process, so asynchronous
writing cannot blur the boundary), with the right event.action, file.path,
file.new_path, process.pid/tid and user.uid.  The exception: an entry
inside a 0700 directory of root cannot be looked up by the uid, so (as on
kernel overlayfs, where the lookup fails before the read-only check) the
errno is EACCES and nothing is logged.
Afterwards every layer is byte-for-byte and metadata-identical (ctime
included), the log verifies (chain, seq, jq) and its totals add up.

Also (root): a name that is not UTF-8 (path_hex), a 255-byte name, a
mutation from a second thread (pid = thread group, tid = the thread);
deny_errno=EPERM changes the errno and the record; kernel_ro refuses
in the kernel and logs nothing.

usage: test_matrix.py [--uid N]
"""
import argparse
import ctypes
import errno
import fcntl
import hashlib
import os
import stat
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts, users  # noqa: E402

libc = ctypes.CDLL(None, use_errno=True)
EXTRA_OPTS = []
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
FS_IOC_SETFLAGS = 0x40086602 if struct.calcsize("l") == 8 else 0x40046602
FS_NOATIME_FL = 0x80


def check(ret):
    if ret < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def renameat2(old, new, flags):
    check(libc.renameat2(AT_FDCWD, old.encode(), AT_FDCWD, new.encode(), flags))


def linkat_empty(path, new):
    fd = os.open(path, os.O_RDONLY)
    check(libc.linkat(fd, b"", AT_FDCWD, new.encode(), AT_EMPTY_PATH))


def with_rdonly_fd(path, fn):
    fd = os.open(path, os.O_RDONLY)
    fn(fd)


def setflags(path):
    fd = os.open(path, os.O_RDONLY)
    fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("l", FS_NOATIME_FL))


def reopen_proc_fd(path):
    fd = os.open(path, os.O_RDONLY)
    os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)


# ---- layer snapshots ----

def snapshot(root):
    """Everything about every entry below root except atime (reads may set it)."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            if name == "" and dirpath != root:
                continue
            st = os.lstat(p)
            ent = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink, st.st_ino,
                   st.st_rdev, st.st_mtime_ns, st.st_ctime_ns)
            xattrs = {}
            try:
                for x in sorted(os.listxattr(p, follow_symlinks=False)):
                    xattrs[x] = os.getxattr(p, x, follow_symlinks=False)
            except OSError:
                pass
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    content = hashlib.sha256(f.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(p)
            snap[os.path.relpath(p, root)] = (ent, tuple(sorted(xattrs.items())), content)
    return snap


def diff_snapshots(a, b):
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            out.append(f"{k}: {a.get(k)} -> {b.get(k)}")
    return out


# ---- the stack ----

def build_layers(w, uid):
    top = os.path.join(w, "top")
    bottom = os.path.join(w, "bottom")
    for d in (top, bottom):
        os.mkdir(d)
        os.chmod(d, 0o755)

    def mk(root, rel, data=b"x", mode=0o644, owner=0):
        p = os.path.join(root, rel)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        os.chown(p, owner, owner)

    mk(bottom, "f", b"bottom f\n")
    mk(top, "g", b"top g\n")
    os.setxattr(os.path.join(bottom, "f"), "user.keep", b"1")
    os.mkdir(os.path.join(bottom, "dir_empty"))
    os.mkdir(os.path.join(bottom, "dir_full"))
    mk(bottom, "dir_full/x", b"x\n")
    os.setxattr(os.path.join(bottom, "dir_full"), "user.keep", b"1")
    os.mkdir(os.path.join(top, "dir2"))
    os.symlink("f", os.path.join(bottom, "link"))
    # For a non-root caller: a world-writable file and directory of root,
    # and entries it owns.
    mk(bottom, "ww", b"world writable\n", 0o666)
    os.mkdir(os.path.join(bottom, "wwdir"))
    os.chmod(os.path.join(bottom, "wwdir"), 0o777)
    mk(bottom, "wwdir/own2", b"own2\n", 0o644, uid)
    mk(bottom, "wwdir/own3", b"own3\n", 0o644, uid)
    mk(bottom, "own", b"own\n", 0o644, uid)
    os.setxattr(os.path.join(bottom, "own"), "user.keep", b"1")
    os.setxattr(os.path.join(bottom, "ww"), "user.keep", b"1")
    # Entries of root the uid may not write (or not even reach): without
    # default_permissions the daemon, not the kernel, refuses them.
    mk(bottom, "rf644", b"root 0644\n", 0o644)
    mk(bottom, "rx755", b"root 0755\n", 0o755)
    mk(top, "rf600", b"root 0600\n", 0o600)
    os.setxattr(os.path.join(bottom, "rf644"), "user.keep", b"1")
    for d in ("rd755", "r700", "r700/sub"):
        os.mkdir(os.path.join(bottom, d))
        os.chmod(os.path.join(bottom, d), 0o755)
    mk(bottom, "rd755/f", b"f\n", 0o644)
    mk(bottom, "r700/inner", b"inner\n", 0o600)
    os.symlink("inner", os.path.join(bottom, "r700/link"))
    os.chmod(os.path.join(bottom, "r700"), 0o700)
    return [top, bottom]


def root_cases(m):
    """(name, fn, action, path, new_path) with paths in the merged tree."""
    P = lambda rel: os.path.join(m, rel)  # noqa: E731
    O = os.O_WRONLY  # noqa: E741
    return [
        ("open O_WRONLY", lambda: os.open(P("f"), O), "open_write", "/f", None),
        ("open O_RDWR", lambda: os.open(P("f"), os.O_RDWR), "open_write", "/f", None),
        ("open O_WRONLY|O_TRUNC", lambda: os.open(P("f"), O | os.O_TRUNC), "open_write", "/f", None),
        ("open O_RDONLY|O_TRUNC", lambda: os.open(P("f"), os.O_RDONLY | os.O_TRUNC), "open_trunc", "/f", None),
        ("open O_WRONLY|O_APPEND", lambda: os.open(P("g"), O | os.O_APPEND), "open_write", "/g", None),
        ("creat", lambda: os.open(P("new"), O | os.O_CREAT | os.O_TRUNC, 0o644), "create", "/new", None),
        ("O_CREAT|O_EXCL|O_RDONLY", lambda: os.open(P("new2"), os.O_CREAT | os.O_EXCL | os.O_RDONLY, 0o600), "create", "/new2", None),
        ("mkdir", lambda: os.mkdir(P("newdir")), "mkdir", "/newdir", None),
        ("rmdir empty", lambda: os.rmdir(P("dir_empty")), "rmdir", "/dir_empty", None),
        ("rmdir non-empty", lambda: os.rmdir(P("dir_full")), "rmdir", "/dir_full", None),
        ("unlink", lambda: os.unlink(P("f")), "unlink", "/f", None),
        ("rename file", lambda: os.rename(P("f"), P("f_moved")), "rename", "/f", "/f_moved"),
        ("rename over existing", lambda: os.rename(P("f"), P("g")), "rename", "/f", "/g"),
        ("rename directory", lambda: os.rename(P("dir_full"), P("dir_moved")), "rename", "/dir_full", "/dir_moved"),
        ("rename NOREPLACE", lambda: renameat2(P("f"), P("f_nr"), RENAME_NOREPLACE), "rename", "/f", "/f_nr"),
        ("rename EXCHANGE", lambda: renameat2(P("f"), P("g"), RENAME_EXCHANGE), "rename", "/f", "/g"),
        ("link", lambda: os.link(P("f"), P("f_link")), "link", "/f", "/f_link"),
        ("linkat AT_EMPTY_PATH", lambda: linkat_empty(P("f"), P("f_link2")), "link", "/f", "/f_link2"),
        ("symlink", lambda: os.symlink("f", P("sym")), "symlink", "/sym", None),
        ("mkfifo", lambda: os.mkfifo(P("fifo")), "mknod", "/fifo", None),
        ("mknod chr", lambda: os.mknod(P("chr"), 0o600 | stat.S_IFCHR, os.makedev(1, 3)), "mknod", "/chr", None),
        ("chmod", lambda: os.chmod(P("f"), 0o600), "chmod", "/f", None),
        ("chown", lambda: os.chown(P("f"), 1, 1), "chown", "/f", None),
        ("lchown symlink", lambda: os.lchown(P("link"), 1, 1), "chown", "/link", None),
        ("utimes explicit", lambda: os.utime(P("f"), ns=(10**9, 2 * 10**9)), "utimes", "/f", None),
        ("utimes now", lambda: os.utime(P("f"), None), "utimes", "/f", None),
        ("truncate", lambda: os.truncate(P("f"), 0), "truncate", "/f", None),
        ("setxattr file", lambda: os.setxattr(P("f"), "user.x", b"1"), "setxattr", "/f", None),
        ("removexattr file", lambda: os.removexattr(P("f"), "user.keep"), "removexattr", "/f", None),
        ("setxattr dir", lambda: os.setxattr(P("dir_full"), "user.x", b"1"), "setxattr", "/dir_full", None),
        ("removexattr dir", lambda: os.removexattr(P("dir_full"), "user.keep"), "removexattr", "/dir_full", None),
        ("fchmod O_RDONLY fd", lambda: with_rdonly_fd(P("f"), lambda fd: os.fchmod(fd, 0o600)), "chmod", "/f", None),
        ("fchown O_RDONLY fd", lambda: with_rdonly_fd(P("f"), lambda fd: os.fchown(fd, 1, 1)), "chown", "/f", None),
        ("futimens O_RDONLY fd", lambda: with_rdonly_fd(P("f"), lambda fd: os.utime(fd, ns=(1, 2))), "utimes", "/f", None),
        ("fsetxattr O_RDONLY fd", lambda: with_rdonly_fd(P("f"), lambda fd: os.setxattr(fd, "user.y", b"1")), "setxattr", "/f", None),
        ("reopen /proc/self/fd/N for writing", lambda: reopen_proc_fd(P("f")), "open_write", "/f", None),
        ("ioctl FS_IOC_SETFLAGS", lambda: setflags(P("f")), "ioctl", "/f", None),
    ]


def nonroot_cases(m):
    """What a uid may attempt so that the kernel lets it reach the daemon:
    world-writable entries of root, entries it owns, a world-writable dir."""
    P = lambda rel: os.path.join(m, rel)  # noqa: E731
    O = os.O_WRONLY  # noqa: E741
    return [
        ("open O_WRONLY", lambda: os.open(P("ww"), O), "open_write", "/ww", None),
        ("open O_RDWR", lambda: os.open(P("ww"), os.O_RDWR), "open_write", "/ww", None),
        ("open O_WRONLY|O_TRUNC", lambda: os.open(P("ww"), O | os.O_TRUNC), "open_write", "/ww", None),
        ("open O_RDONLY|O_TRUNC", lambda: os.open(P("ww"), os.O_RDONLY | os.O_TRUNC), "open_trunc", "/ww", None),
        ("open O_WRONLY|O_APPEND", lambda: os.open(P("ww"), O | os.O_APPEND), "open_write", "/ww", None),
        ("creat", lambda: os.open(P("wwdir/new"), O | os.O_CREAT | os.O_TRUNC, 0o644), "create", "/wwdir/new", None),
        ("O_CREAT|O_EXCL|O_RDONLY", lambda: os.open(P("wwdir/new2"), os.O_CREAT | os.O_EXCL | os.O_RDONLY, 0o600), "create", "/wwdir/new2", None),
        ("mkdir", lambda: os.mkdir(P("wwdir/d")), "mkdir", "/wwdir/d", None),
        ("unlink", lambda: os.unlink(P("wwdir/own2")), "unlink", "/wwdir/own2", None),
        ("rename", lambda: os.rename(P("wwdir/own2"), P("wwdir/moved")), "rename", "/wwdir/own2", "/wwdir/moved"),
        ("rename EXCHANGE", lambda: renameat2(P("wwdir/own2"), P("wwdir/own3"), RENAME_EXCHANGE), "rename", "/wwdir/own2", "/wwdir/own3"),
        ("link", lambda: os.link(P("ww"), P("wwdir/l")), "link", "/ww", "/wwdir/l"),
        ("symlink", lambda: os.symlink("x", P("wwdir/s")), "symlink", "/wwdir/s", None),
        ("mkfifo", lambda: os.mkfifo(P("wwdir/fifo")), "mknod", "/wwdir/fifo", None),
        ("chmod own", lambda: os.chmod(P("own"), 0o600), "chmod", "/own", None),
        ("chown own to self", lambda: os.chown(P("own"), os.getuid(), os.getgid()), "chown", "/own", None),
        ("utimes explicit own", lambda: os.utime(P("own"), ns=(10**9, 10**9)), "utimes", "/own", None),
        ("utimes now ww", lambda: os.utime(P("ww"), None), "utimes", "/ww", None),
        ("truncate", lambda: os.truncate(P("ww"), 0), "truncate", "/ww", None),
        ("setxattr", lambda: os.setxattr(P("ww"), "user.x", b"1"), "setxattr", "/ww", None),
        ("removexattr", lambda: os.removexattr(P("ww"), "user.keep"), "removexattr", "/ww", None),
        ("fchmod O_RDONLY fd", lambda: with_rdonly_fd(P("own"), lambda fd: os.fchmod(fd, 0o600)), "chmod", "/own", None),
        ("futimens O_RDONLY fd", lambda: with_rdonly_fd(P("own"), lambda fd: os.utime(fd, ns=(1, 2))), "utimes", "/own", None),
        ("fsetxattr O_RDONLY fd", lambda: with_rdonly_fd(P("own"), lambda fd: os.setxattr(fd, "user.y", b"1")), "setxattr", "/own", None),
        ("reopen /proc/self/fd/N for writing", lambda: reopen_proc_fd(P("ww")), "open_write", "/ww", None),
        ("ioctl FS_IOC_SETFLAGS own", lambda: setflags(P("own")), "ioctl", "/own", None),
    ] + root_owned_cases(m)


def root_owned_cases(m):
    """Entries of root the uid may not write: refused and logged all the
    same.  Inside a 0700 directory the uid cannot even look a name up, so
    kernel overlayfs answers EACCES before its read-only check, and so must
    amberfs (the sixth field: the errno expected instead of the deny errno,
    with no record)."""
    P = lambda rel: os.path.join(m, rel)  # noqa: E731
    O = os.O_WRONLY  # noqa: E741
    EACCES = errno.EACCES
    return [
        ("root 0644: open O_WRONLY", lambda: os.open(P("rf644"), O), "open_write", "/rf644", None),
        ("root 0644: open O_WRONLY|O_CREAT|O_APPEND", lambda: os.open(P("rf644"), O | os.O_CREAT | os.O_APPEND), "open_write", "/rf644", None),
        ("root 0600: open O_RDWR", lambda: os.open(P("rf600"), os.O_RDWR), "open_write", "/rf600", None),
        ("root 0600: open O_RDONLY|O_TRUNC", lambda: os.open(P("rf600"), os.O_RDONLY | os.O_TRUNC), "open_trunc", "/rf600", None),
        ("root 0755: open O_WRONLY|O_TRUNC", lambda: os.open(P("rx755"), O | os.O_TRUNC), "open_write", "/rx755", None),
        ("root 0644: unlink", lambda: os.unlink(P("rf644")), "unlink", "/rf644", None),
        ("root 0644: rename", lambda: os.rename(P("rf644"), P("rd755/moved")), "rename", "/rf644", "/rd755/moved"),
        ("root 0600: rename EXCHANGE", lambda: renameat2(P("rf600"), P("rx755"), RENAME_EXCHANGE), "rename", "/rf600", "/rx755"),
        ("root 0644: link", lambda: os.link(P("rf644"), P("rd755/l")), "link", "/rf644", "/rd755/l"),
        ("root 0644: chmod", lambda: os.chmod(P("rf644"), 0o666), "chmod", "/rf644", None),
        ("root 0600: chown to self", lambda: os.chown(P("rf600"), os.getuid(), os.getgid()), "chown", "/rf600", None),
        ("root 0755: utimes explicit", lambda: os.utime(P("rx755"), ns=(10**9, 10**9)), "utimes", "/rx755", None),
        ("root 0644: utimes now", lambda: os.utime(P("rf644"), None), "utimes", "/rf644", None),
        ("root 0600: truncate", lambda: os.truncate(P("rf600"), 0), "truncate", "/rf600", None),
        ("root 0644: setxattr", lambda: os.setxattr(P("rf644"), "user.x", b"1"), "setxattr", "/rf644", None),
        ("root 0644: removexattr", lambda: os.removexattr(P("rf644"), "user.keep"), "removexattr", "/rf644", None),
        ("root 0755 dir: mkdir", lambda: os.mkdir(P("rd755/d")), "mkdir", "/rd755/d", None),
        ("root 0755 dir: creat", lambda: os.open(P("rd755/new"), O | os.O_CREAT | os.O_TRUNC, 0o644), "create", "/rd755/new", None),
        ("root 0755 dir: mkfifo", lambda: os.mkfifo(P("rd755/fifo")), "mknod", "/rd755/fifo", None),
        ("root 0755 dir: symlink", lambda: os.symlink("x", P("rd755/s")), "symlink", "/rd755/s", None),
        ("root 0755 dir: unlink inside", lambda: os.unlink(P("rd755/f")), "unlink", "/rd755/f", None),
        ("root 0755 dir: rmdir", lambda: os.rmdir(P("rd755")), "rmdir", "/rd755", None),
        ("root 0700 dir: chmod", lambda: os.chmod(P("r700"), 0o755), "chmod", "/r700", None),
        ("root 0700 dir: utimes now", lambda: os.utime(P("r700"), None), "utimes", "/r700", None),
        ("root 0700 dir: setxattr", lambda: os.setxattr(P("r700"), "user.x", b"1"), "setxattr", "/r700", None),
        ("root 0700 dir: rename", lambda: os.rename(P("r700"), P("r700_moved")), "rename", "/r700", "/r700_moved"),
        ("root 0700 dir: rmdir", lambda: os.rmdir(P("r700")), "rmdir", "/r700", None),
        ("inside root 0700: open O_WRONLY", lambda: os.open(P("r700/inner"), O), None, None, None, EACCES),
        ("inside root 0700: open O_WRONLY|O_CREAT|O_APPEND", lambda: os.open(P("r700/inner"), O | os.O_CREAT | os.O_APPEND), None, None, None, EACCES),
        ("inside root 0700: creat", lambda: os.open(P("r700/new"), O | os.O_CREAT, 0o644), None, None, None, EACCES),
        ("inside root 0700: mkdir", lambda: os.mkdir(P("r700/d")), None, None, None, EACCES),
        ("inside root 0700: symlink", lambda: os.symlink("x", P("r700/s")), None, None, None, EACCES),
        ("inside root 0700: unlink", lambda: os.unlink(P("r700/inner")), None, None, None, EACCES),
        ("inside root 0700: unlink symlink", lambda: os.unlink(P("r700/link")), None, None, None, EACCES),
        ("inside root 0700: rmdir", lambda: os.rmdir(P("r700/sub")), None, None, None, EACCES),
        ("inside root 0700: rename out", lambda: os.rename(P("r700/inner"), P("wwdir/out")), None, None, None, EACCES),
        ("inside root 0700: link out", lambda: os.link(P("r700/inner"), P("wwdir/lnk")), None, None, None, EACCES),
        ("inside root 0700: chmod", lambda: os.chmod(P("r700/inner"), 0o666), None, None, None, EACCES),
        ("inside root 0700: utimes now", lambda: os.utime(P("r700/inner"), None), None, None, None, EACCES),
        ("inside root 0700: truncate", lambda: os.truncate(P("r700/inner"), 0), None, None, None, EACCES),
        ("inside root 0700: setxattr", lambda: os.setxattr(P("r700/inner"), "user.x", b"1"), None, None, None, EACCES),
    ]


def run_child_thread(fn):
    """Runs fn on a second thread of a fresh process; returns (pid, tid, errno)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        out = [0, 255]
        try:
            os.close(r)

            def body():
                out[0] = threading.get_native_id()
                try:
                    fn()
                    out[1] = 0
                except OSError as e:
                    out[1] = e.errno
            t = threading.Thread(target=body)
            t.start()
            t.join()
        finally:
            os.write(w, struct.pack("ii", *out))
            os._exit(0)
    os.close(w)
    data = os.read(r, 8)
    os.close(r)
    os.waitpid(pid, 0)
    tid, err = struct.unpack("ii", data)
    return pid, tid, err


def extra_cases(mnt, log, marker, m1):
    """Root only: a name that is not UTF-8, a 255-byte name, and a mutation
    from a second thread (pid = thread group, tid = that thread)."""
    failures = []
    bad = b"/bad\xff\xfename"
    long_name = "n" * 255
    cases = [
        ("non-UTF-8 name", lambda: os.mkdir(os.fsencode(mnt) + bad),
         {"path": "/bad\ufffd\ufffdname", "path_hex": bad.hex()}, False),
        ("255-byte name", lambda: os.mkdir(os.path.join(mnt, long_name)),
         {"path": "/" + long_name}, False),
        ("from a second thread", lambda: os.mkdir(os.path.join(mnt, "from_thread")),
         {"path": "/from_thread"}, True),
    ]
    for name, fn, want_file, threaded in cases:
        if threaded:
            pid, tid, err = run_child_thread(fn)
        else:
            pid, err = users.attempt(fn)
            tid = pid
        m2 = marker.put()
        recs = between(log, m1, m2)
        m1 = m2
        problems = []
        if err != errno.EROFS:
            problems.append(f"errno {err}")
        if len(recs) != 1:
            problems.append(f"{len(recs)} records")
        else:
            r = recs[0]
            got = {k: r["file"].get(k) for k in want_file}
            if got != want_file:
                problems.append(f"file {r['file']} instead of {want_file}")
            if "path_hex" not in want_file and "path_hex" in r["file"]:
                problems.append("path_hex on a UTF-8 path")
            if (r["process"]["pid"], r["process"]["tid"]) != (pid, tid):
                problems.append(f"pid/tid {r['process']['pid']}/{r['process']['tid']}"
                                f" instead of {pid}/{tid}")
            if threaded and pid == tid:
                problems.append("the thread had the pid's id")
        print(f"root: {name}: {'ok' if not problems else 'FAIL: ' + '; '.join(problems)}")
        if problems:
            failures.append(name)
    return failures, m1


class Marker:
    """mkdir of a fresh name by this process: a record that bounds a case."""

    def __init__(self, mnt, log):
        self.mnt, self.log, self.n = mnt, log, 0

    def put(self):
        self.n += 1
        name = f"/__marker_{self.n}"
        try:
            os.mkdir(self.mnt + name)
        except OSError:
            pass
        amber.wait_until(lambda: any(r.get("file", {}).get("path") == name
                                         for r in auditlog.read_records(self.log)[-50:]),
                             what=f"marker {name} in the log")
        return name


def between(log, m1, m2):
    recs = auditlog.read_records(log)
    idx = {r.get("file", {}).get("path"): i for i, r in enumerate(recs) if r["kind"] == "attempt"}
    return recs[idx[m1] + 1: idx[m2]]


def run_matrix(w, layers, uid, deny=errno.EROFS, opts=()):
    mnt = w.path("mnt")
    os.makedirs(mnt, exist_ok=True)
    log = w.path("audit.log")
    before = [snapshot(l) for l in layers]
    m = w.amberfs(layers, mnt, log=log, opts=list(opts) + EXTRA_OPTS, foreground=True)
    marker = Marker(mnt, log)
    failures = []
    notes = set()
    cases = nonroot_cases(mnt) if uid is not None else root_cases(mnt)
    caller = users.user(uid) if uid is not None else None
    m1 = marker.put()
    for name, fn, action, path, new_path, *other in cases:
        want_err = other[0] if other else deny
        pid, err = users.attempt(fn, caller)
        m2 = marker.put()
        recs = between(log, m1, m2)
        m1 = m2
        problems = []
        if err != want_err:
            problems.append(f"errno {errno.errorcode.get(err, err)} instead of {errno.errorcode[want_err]}")
        if len(recs) != (0 if other else 1):
            problems.append(f"{len(recs)} records instead of {0 if other else 1}: "
                            f"{[(r['kind'], r.get('event', {}).get('action')) for r in recs]}")
        for r in recs[:1]:
            got = (r["kind"], r["event"]["action"], r["file"]["path"], r["file"]["new_path"],
                   r["process"].get("pid"), r["process"].get("tid"), r["user"]["uid"], r["errno"])
            want = ("attempt", action, path, new_path, pid, pid,
                    uid if uid is not None else 0, deny)
            if got != want:
                problems.append(f"record {got} instead of {want}")
            proc = r["process"]
            for k in ("ppid", "name", "args", "start_time"):
                if proc.get(k) is None:
                    problems.append(f"process.{k} missing")
            # Under the daemon's Landlock domain /proc/<pid>/exe and cwd
            # fail the kernel's ptrace check: then the record must say so.
            for k in ("executable", "cwd"):
                if proc.get(k) is None and k not in proc.get("error", ""):
                    problems.append(f"process.{k} null without an error saying why")
            if proc.get("error"):
                notes.add(proc["error"])
        status = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print(f"{'uid ' + str(uid) if uid is not None else 'root'}: {name}: {status}")
        if problems:
            failures.append(name)
    if uid is None:
        more, m1 = extra_cases(mnt, log, marker, m1)
        failures += more
    m.close()
    for n in sorted(notes):
        print(f"note: process facts unreadable in some records: {n}")
    after = [snapshot(l) for l in layers]
    for i, (a, b) in enumerate(zip(before, after)):
        d = diff_snapshots(a, b)
        if d:
            failures.append(f"layer {i} changed")
            print(f"FAIL: layer {i} changed:\n  " + "\n  ".join(d[:20]))
    s = auditlog.Series([log])
    t = s.check_invariant()
    if len(s.kind("attempt")) + len(s.kind("summary")) < sum(len(c) == 5 for c in cases):
        failures.append("too few records")
    print(f"log: {len(s.recs)} records, totals {t['attempts']} attempts, chain and seq verified")
    return failures


def test_deny_errno_and_kernel_ro(w, layers):
    failures = []
    mnt = w.path("mnt2")
    os.makedirs(mnt, exist_ok=True)
    log = w.path("eperm.log")
    m = w.amberfs(layers, mnt, log=log, opts=["deny_errno=EPERM"] + EXTRA_OPTS, foreground=True)
    pid, err = users.attempt(lambda: os.mkdir(os.path.join(mnt, "x")))
    m.close()
    recs = [r for r in auditlog.Series([log]).recs if r["kind"] == "attempt"]
    ok = err == errno.EPERM and len(recs) == 1 and recs[0]["errno"] == errno.EPERM \
        and recs[0]["errno_name"] == "EPERM" and recs[0]["process"]["pid"] == pid
    print(f"deny_errno=EPERM: {'ok' if ok else 'FAIL'} (errno {err}, records {recs})")
    if not ok:
        failures.append("deny_errno=EPERM")

    log = w.path("ro.log")
    m = w.amberfs(layers, mnt, log=log, opts=["kernel_ro"] + EXTRA_OPTS, foreground=True)
    _, err = users.attempt(lambda: os.mkdir(os.path.join(mnt, "x")))
    m.close()
    s = auditlog.Series([log])
    ok = err == errno.EROFS and not s.kind("attempt") and s.check_invariant()["attempts"] == 0
    print(f"kernel_ro: {'ok' if ok else 'FAIL'} (errno {err}, nothing logged)")
    if not ok:
        failures.append("kernel_ro")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uid", type=int, default=None)
    ap.add_argument("--opts", default="", help="extra amberfs options, comma-separated")
    args = ap.parse_args()
    global EXTRA_OPTS
    EXTRA_OPTS = [o for o in args.opts.split(",") if o]
    amber.require()
    with mounts.Workdir(prefix="amber-gate-") as w:
        layers = build_layers(w.tmp, args.uid if args.uid is not None else 4242)
        failures = run_matrix(w, layers, args.uid)
        if args.uid is None:
            failures += test_deny_errno_and_kernel_ro(w, layers)
    if failures:
        print(f"FAILED: {len(failures)}: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
