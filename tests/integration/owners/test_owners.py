#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_owners - the owner options of amberfs, mounted for real as root.

squash_to_root, squash_to_uid=/squash_to_gid= present every entry (the
root and synthesized directories too) as owned by that uid/gid;
xattr_permissions=2 takes owner and permission bits from
user.containers.override_stat ("UID:GID:MODE"), ignores its type bits and
malformed values, and hides the xattr; without the option the xattr is an
ordinary one.  The daemon's permission checks use the presented owner and
mode: a world-readable backing file presented as 0600 root is refused to
nobody, and one presented as nobody's 0600 is readable by nobody.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
AMBERFS = os.environ.get("AMBERFS", "")
NOBODY = 65534
passed = 0


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def ok(what):
    global passed
    passed += 1
    print(f"ok {passed} - {what}")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Mount:
    def __init__(self, layers, mnt, opts=""):
        self.mnt = mnt
        o = "lowerdir=" + ":".join(layers) + ("," + opts if opts else "")
        subprocess.run([AMBERFS, "-o", o, mnt], check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["fusermount3", "-u", self.mnt], check=False)


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, st.st_mode & 0o7777


def as_nobody(fn):
    """Runs fn() in a child as nobody; returns its errno (0: success)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            fn()
        except OSError as e:
            code = e.errno
        except BaseException:
            code = 255
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def read(path):
    with open(path, "rb") as f:
        f.read()


def make_stack(t):
    top, bottom = os.path.join(t, "top"), os.path.join(t, "bottom")
    os.makedirs(os.path.join(top, "bin"))
    os.makedirs(bottom)
    files = {"bin/suid": "0:0:0104755", "conf": "12:34:0640", "bad": "1:2:99x",
             "neg": "-1:2:0644", "secret": "0:0:0600", "mine": f"{NOBODY}:{NOBODY}:0600"}
    for name, value in files.items():
        p = os.path.join(top, name)
        with open(p, "w") as f:
            f.write(name + "\n")
        os.chmod(p, 0o644)
        os.setxattr(p, "user.containers.override_stat", value.encode())
    os.chown(os.path.join(top, "conf"), 1000, 1000)
    os.setxattr(top, "user.containers.override_stat", b"7:8:0755")
    return [top, bottom]


def main():
    if os.geteuid() != 0:
        skip("needs root")
    if not os.path.exists("/dev/fuse") or not os.path.exists(AMBERFS):
        skip("needs /dev/fuse and AMBERFS")
    t = tempfile.mkdtemp(prefix="amber-owners.")
    os.chmod(t, 0o755)
    mnt = os.path.join(t, "m")
    os.mkdir(mnt)
    try:
        layers = make_stack(t)
        with Mount(layers, mnt, "squash_to_root,synthdir=/data/x"):
            for p in ("", "conf", "bin", "bin/suid", "data", "data/x"):
                u, g, _ = owner(os.path.join(mnt, p))
                check((u, g) == (0, 0), f"squash_to_root: /{p} is {u}:{g}")
        ok("squash_to_root: every entry, the root and synthesized directories 0:0")
        with Mount(layers, mnt, "squash_to_uid=4242,squash_to_gid=77"):
            for p in ("", "conf", "bin/suid"):
                u, g, _ = owner(os.path.join(mnt, p))
                check((u, g) == (4242, 77), f"squash_to_uid/gid: /{p} is {u}:{g}")
        ok("squash_to_uid=4242,squash_to_gid=77")
        with Mount(layers, mnt, "xattr_permissions=2"):
            check(owner(mnt) == (7, 8, 0o755), f"root: {owner(mnt)}")
            check(owner(mnt + "/bin/suid") == (0, 0, 0o4755), f"suid: {owner(mnt + '/bin/suid')}")
            check(owner(mnt + "/conf") == (12, 34, 0o640), f"conf: {owner(mnt + '/conf')}")
            check(owner(mnt + "/bad") == (0, 0, 0o644), f"malformed ignored: {owner(mnt + '/bad')}")
            check(owner(mnt + "/neg") == (0, 0, 0o644), f"negative ignored: {owner(mnt + '/neg')}")
            check("user.containers.override_stat" not in os.listxattr(mnt + "/conf"),
                  "the honoured xattr is hidden from listxattr")
            try:
                os.getxattr(mnt + "/conf", "user.containers.override_stat")
                check(False, "the honoured xattr is readable")
            except OSError as e:
                check(e.errno == 61, f"getxattr of the honoured xattr: errno {e.errno}")
            check(as_nobody(lambda: read(mnt + "/secret")) == 13,
                  "nobody reads a file presented as root's 0600")
            check(as_nobody(lambda: read(mnt + "/mine")) == 0,
                  "nobody reads a file presented as its own 0600")
            check(as_nobody(lambda: read(mnt + "/conf")) == 13,
                  "nobody reads a file presented as 12:34 0640")
        ok("xattr_permissions=2: owner and mode from the xattr, hidden; checks use them")
        with Mount(layers, mnt):
            check(owner(mnt + "/conf") == (1000, 1000, 0o644), f"plain: {owner(mnt + '/conf')}")
            check(os.getxattr(mnt + "/conf", "user.containers.override_stat") == b"12:34:0640",
                  "without the option the xattr is an ordinary one")
        ok("without xattr_permissions the layers' owners and the xattr as they are")
        r = subprocess.run([AMBERFS, "-o", "lowerdir=" + ":".join(layers) + ",xattr_permissions=3",
                            mnt], capture_output=True, text=True)
        check(r.returncode != 0 and "xattr_permissions=3" in r.stderr,
              f"xattr_permissions=3 refused: {r.returncode} {r.stderr}")
        ok("xattr_permissions=3 refused with a message")
    finally:
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
        shutil.rmtree(t, ignore_errors=True)
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
