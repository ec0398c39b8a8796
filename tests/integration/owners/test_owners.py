#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_owners - the owner options of amberfs, mounted for real as root.

squash_to_root, squash_to_uid=/squash_to_gid= present every entry (the
root and synthesized directories too) as owned by that uid/gid;
xattr_permissions=2 takes owner and permission bits from
user.containers.override_stat ("UID:GID:MODE"), ignores its type bits and
malformed values, presents empty placeholder files as the device, fifo
or socket their TYPE field names (UID:GID:MODE:TYPE), and hides the xattr; without the option the xattr is an
ordinary one.  The daemon's permission checks use the presented owner and
mode: a world-readable backing file presented as 0600 root is refused to
nobody, and one presented as nobody's 0600 is readable by nobody.
"""
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import mounts, users  # noqa: E402

NOBODY = users.NOBODY.uid
passed = 0


def ok(what):
    global passed
    passed += 1
    print(f"ok {passed} - {what}")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def owner(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, st.st_mode & 0o7777


def as_nobody(fn):
    """Runs fn() in a child as nobody; returns its errno (0: success)."""
    return users.attempt(fn, users.NOBODY)[1]


def read(path):
    with open(path, "rb") as f:
        f.read()


def make_stack(t):
    top, bottom = os.path.join(t, "top"), os.path.join(t, "bottom")
    os.makedirs(os.path.join(top, "bin"))
    os.makedirs(bottom)
    files = {"bin/suid": "0:0:0104755", "conf": "12:34:0640", "bad": "1:2:99x",
             "neg": "-1:2:0644", "secret": "0:0:0600", "mine": f"{NOBODY}:{NOBODY}:0600",
             "four": "5:6:4750:file", "wrongtype": "5:6:0600:dir",
             "null": "0:0:0666:char-1-3", "disk": "0:6:0660:block-8-0", "fifo": "0:0:0620:pipe",
             "fullfifo": "0:0:0620:pipe", "badtype": "0:0:0600:char-x-3"}
    for name, value in files.items():
        p = os.path.join(top, name)
        with open(p, "w") as f:
            if name in ("null", "disk", "fifo", "badtype"):
                pass  # a placeholder is empty
            else:
                f.write(name + "\n")
        os.chmod(p, 0o644)
        os.setxattr(p, "user.containers.override_stat", value.encode())
    os.chown(os.path.join(top, "conf"), 1000, 1000)
    os.setxattr(top, "user.containers.override_stat", b"7:8:0755")
    return [top, bottom]


def main():
    amb = amber.require()
    with mounts.Workdir(prefix="amber-owners-") as w:
        t = w.tmp
        mnt = os.path.join(t, "m")
        os.mkdir(mnt)
        layers = make_stack(t)
        with w.amberfs(layers, mnt, opts=["squash_to_root", "synthdir=/data/x"]):
            for p in ("", "conf", "bin", "bin/suid", "data", "data/x"):
                u, g, _ = owner(os.path.join(mnt, p))
                check((u, g) == (0, 0), f"squash_to_root: /{p} is {u}:{g}")
        ok("squash_to_root: every entry, the root and synthesized directories 0:0")
        with w.amberfs(layers, mnt, opts=["squash_to_uid=4242", "squash_to_gid=77"]):
            for p in ("", "conf", "bin/suid"):
                u, g, _ = owner(os.path.join(mnt, p))
                check((u, g) == (4242, 77), f"squash_to_uid/gid: /{p} is {u}:{g}")
        ok("squash_to_uid=4242,squash_to_gid=77")
        with w.amberfs(layers, mnt, opts=["xattr_permissions=2"]):
            check(owner(mnt) == (7, 8, 0o755), f"root: {owner(mnt)}")
            check(owner(mnt + "/bin/suid") == (0, 0, 0o4755), f"suid: {owner(mnt + '/bin/suid')}")
            check(owner(mnt + "/conf") == (12, 34, 0o640), f"conf: {owner(mnt + '/conf')}")
            check(owner(mnt + "/bad") == (0, 0, 0o644), f"malformed ignored: {owner(mnt + '/bad')}")
            check(owner(mnt + "/neg") == (0, 0, 0o644), f"negative ignored: {owner(mnt + '/neg')}")
            check(owner(mnt + "/four") == (5, 6, 0o4750), f"4 fields: {owner(mnt + '/four')}")
            check(owner(mnt + "/wrongtype") == (0, 0, 0o644) and stat.S_ISREG(os.lstat(mnt + "/wrongtype").st_mode),
                  "a TYPE that is not the entry's own is ignored")
            st = os.lstat(mnt + "/null")
            check(stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3
                  and owner(mnt + "/null") == (0, 0, 0o666), "char-1-3 placeholder shown as /dev/null's twin")
            st = os.lstat(mnt + "/disk")
            check(stat.S_ISBLK(st.st_mode) and os.major(st.st_rdev) == 8 and st.st_gid == 6,
                  "block-8-0 placeholder shown as a block device")
            check(stat.S_ISFIFO(os.lstat(mnt + "/fifo").st_mode), "pipe placeholder shown as a fifo")
            check(stat.S_ISREG(os.lstat(mnt + "/fullfifo").st_mode),
                  "a non-empty file is no placeholder")
            check(stat.S_ISREG(os.lstat(mnt + "/badtype").st_mode) and owner(mnt + "/badtype")[2] == 0o644,
                  "a malformed TYPE is ignored")
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
        with w.amberfs(layers, mnt):
            check(owner(mnt + "/conf") == (1000, 1000, 0o644), f"plain: {owner(mnt + '/conf')}")
            check(os.getxattr(mnt + "/conf", "user.containers.override_stat") == b"12:34:0640",
                  "without the option the xattr is an ordinary one")
        ok("without xattr_permissions the layers' owners and the xattr as they are")
        r = subprocess.run([amb, "-o", "lowerdir=" + ":".join(layers) + ",xattr_permissions=3",
                            mnt], capture_output=True, text=True)
        check(r.returncode != 0 and "xattr_permissions=3" in r.stderr,
              f"xattr_permissions=3 refused: {r.returncode} {r.stderr}")
        ok("xattr_permissions=3 refused with a message")
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
