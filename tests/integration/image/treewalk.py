#!/usr/bin/env python3
"""treewalk.py ROOT [--override] [--no-owners] - one line per entry below ROOT.

Fields: path, type, mode (07777, octal), uid, gid, size (regular files),
and the content: sha256 of a regular file, target of a symlink, major:minor
of a device.  Never follows a symlink.  --override reads
user.containers.override_stat (UID:GID:MODE[:TYPE]) where a file has it and
prints what it describes, as amberfs is to present it; it also prints "-"
for symlink owners (a symlink carries no xattr).  --no-owners prints "-"
for every owner.  Used by the image tests as the oracle's common format.
"""
import hashlib
import os
import stat
import sys

XATTR = "user.containers.override_stat"
TYPES = {stat.S_IFREG: "reg", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
         stat.S_IFCHR: "char", stat.S_IFBLK: "block", stat.S_IFIFO: "fifo",
         stat.S_IFSOCK: "socket"}


def override(path, st):
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return None
    try:
        v = os.getxattr(path, XATTR, follow_symlinks=False).decode()
    except OSError:
        return None
    parts = v.split(":")
    uid, gid, mode = int(parts[0]), int(parts[1]), int(parts[2], 8)
    typ, rdev = None, None
    if len(parts) > 3:
        t = parts[3]
        if t.startswith("char-") or t.startswith("block-"):
            kind, maj, mi = t.split("-")
            typ, rdev = kind, "%s:%s" % (maj, mi)
        elif t == "pipe":
            typ = "fifo"
    return uid, gid, mode, typ, rdev


def line(root, rel, use_override, owners):
    path = os.path.join(root, rel) if rel != "." else root
    st = os.lstat(path)
    typ = TYPES.get(stat.S_IFMT(st.st_mode), "?")
    mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
    content = ""
    size = str(st.st_size) if typ == "reg" else "-"
    if typ == "reg":
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for b in iter(lambda: f.read(1 << 20), b""):
                h.update(b)
        content = h.hexdigest()
    elif typ == "symlink":
        content = os.readlink(path)
        mode = "-"
    elif typ in ("char", "block"):
        content = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    if use_override:
        o = override(path, st)
        if o:
            uid, gid, mode = o[0], o[1], o[2]
            if o[3]:
                typ, size, content = o[3], "-", o[4] or ""
        if typ == "symlink":
            uid = gid = "-"
    if not owners:
        uid = gid = "-"
    if mode != "-":
        mode = "%04o" % mode
    return "\t".join(str(x) for x in (rel, typ, mode, uid, gid, size, content))


def main():
    args = sys.argv[1:]
    use_override = "--override" in args
    owners = "--no-owners" not in args
    root = [a for a in args if not a.startswith("--")][0]
    out = [line(root, ".", use_override, owners)]
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            rel = os.path.relpath(os.path.join(d, n), root)
            out.append(line(root, rel, use_override, owners))
    for ln in sorted(out):
        print(ln)


if __name__ == "__main__":
    main()
