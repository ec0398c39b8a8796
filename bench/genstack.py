#!/usr/bin/env python3
"""genstack: builds the layer stacks the benchmark suite mounts.

Three kinds, all deterministic for a given set of arguments:

  synth  a generated stack: --seed, --files, --layers, a size mix (mostly
         small files, a few large), files overridden in higher layers,
         whiteouts (0/0 character devices), opaque directories
         (trusted.overlay.opaque=y), symlinks and hard links.  The format is
         the kernel overlayfs one, which all compared systems understand.
  big    one large file (sequential and random read tests) in a 2-layer stack.
  real   directories of this machine (e.g. /usr/include) copied and split
         into layers: every file goes to the layer chosen by a hash of its
         directory, so directories merge across layers as in package-wise
         image layers.
  dirs   the directory-heavy stack (bench/gendirs.py): a generated root file
         system, --files entries (default 26,000, about 2,300 directories)
         in --layers layers, with real-tree fan-out and real-ish sizes.
  user   the caller's own layers (--lowerdir TOP:...:BOTTOM, absolute
         paths), never written to: only the lists below are made, from a
         scan of the layers.  Whiteouts may be in the overlayfs format (0/0
         character devices, trusted.overlay.opaque) or the OCI one (.wh.NAME,
         .wh..wh..opq, as amber-image stores them); kernel overlayfs reads
         only the first, so a stack with OCI whiteouts is converted into a
         copy in OUT/layers, which every system then mounts.  Rebuilt when
         a layer changes (a fingerprint of every entry's name, type, size,
         mode and mtime is kept in meta.json).

Output in OUT/: layers/L000 (bottom) ... L<n-1> (top), empty/ (an empty
layer: kernel overlayfs needs two lowerdirs), lowerdir (the lowerdir string,
top first, relative to OUT/layers), and the lists the workload driver reads,
computed from the merged view: files.txt (visible regular files), dirs.txt
(visible directories, "." included), probe (a file that exists only once
mounted), meta.json (parameters and counts).  The flattened native copy is
made by bench/run from a kernel overlayfs mount of the stack.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import stat
import subprocess
import sys

import gendirs

POOL_SIZE = 8 << 20


class Stack:
    """In-memory description of every layer: path -> (kind, payload)."""

    def __init__(self, nlayers):
        self.layers = [dict() for _ in range(nlayers)]

    def add(self, layer, path, kind, payload=None):
        entries = self.layers[layer]
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent not in entries:
                entries[parent] = ("dir", None)
        entries[path] = (kind, payload)


def ancestors(path):
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def merge(stack, used_whiteouts=None):
    """The merged view, overlayfs rules: top layer first; a non-directory or
    a whiteout hides the same path and everything under it below; an opaque
    directory hides what lies under it below; directories merge.  Whiteouts
    that hide something are added to used_whiteouts as (layer, path)."""
    merged = {}
    cut_at, cut_under = {}, set()
    for j in range(len(stack.layers) - 1, -1, -1):
        new_at, new_under = {}, set()
        for path in sorted(stack.layers[j], key=lambda p: p.count("/")):
            kind, payload = stack.layers[j][path]
            if any(a in cut_at or a in cut_under for a in ancestors(path)):
                continue
            if path in cut_at:
                if used_whiteouts is not None and cut_at[path] is not None:
                    used_whiteouts.add(cut_at[path])
                continue
            if kind == "whiteout":
                new_at[path] = (j, path)
                continue
            if path in merged:
                if merged[path][0] == "dir" and kind == "dir" and payload == "opaque":
                    new_under.add(path)
                continue
            merged[path] = (kind, payload)
            if kind != "dir":
                new_at[path] = None
            elif payload == "opaque":
                new_under.add(path)
        cut_at.update(new_at)
        cut_under |= new_under
    return merged


def drop_idle_whiteouts(st):
    """Kernel overlayfs lists a whiteout with nothing beneath it (a name that
    then fails stat); the other systems hide it.  Generate none, so every
    system shows the same tree."""
    used = set()
    merge(st, used)
    for j, entries in enumerate(st.layers):
        for path in [p for p, (k, _) in entries.items() if k == "whiteout" and (j, p) not in used]:
            del entries[path]


def pick_size(rng, mix):
    if mix == "empty":
        return 0
    x = rng.random()
    if x < 0.90:
        return rng.randint(0, 4096)
    if x < 0.99:
        return rng.randint(4096, 65536)
    if x < 0.999:
        return rng.randint(65536, 512 << 10)
    return rng.randint(1 << 20, 4 << 20)


def plan_synth(a):
    rng = random.Random(a.seed)
    st = Stack(a.layers)
    ndirs = max(1, a.files // 25)
    dirs = ["d0000"]
    for i in range(1, ndirs):
        parent = dirs[int(len(dirs) * rng.random() ** 0.5)] if rng.random() < 0.8 else None
        name = "d%04x" % i
        dirs.append(parent + "/" + name if parent else name)
    exts = [".h", ".c", ".py", ".txt", ".so", ".json"]
    files = []
    for i in range(a.files):
        d = dirs[rng.randrange(ndirs)]
        path = "%s/f%07d%s" % (d, i, exts[i % len(exts)])
        layer = rng.randrange(a.layers)
        kind = "symlink" if rng.random() < a.symlinks else "file"
        if kind == "symlink":
            st.add(layer, path, "symlink", "../" * d.count("/") + "../" + dirs[rng.randrange(ndirs)])
        else:
            st.add(layer, path, "file", (rng.randrange(POOL_SIZE), pick_size(rng, a.sizes)))
            files.append((layer, path))
    upper = lambda lay: rng.randrange(lay + 1, a.layers)
    for layer, path in files:
        if layer + 1 >= a.layers:
            continue
        x = rng.random()
        if x < a.overrides:
            st.add(upper(layer), path, "file", (rng.randrange(POOL_SIZE), pick_size(rng, a.sizes)))
        elif x < a.overrides + a.whiteouts:
            st.add(upper(layer), path, "whiteout")
        elif x < a.overrides + a.whiteouts + a.hardlinks:
            st.add(layer, path + ".hl", "hardlink", path)
    if a.layers > 1:
        for d in rng.sample(dirs, int(len(dirs) * a.opaque)):
            st.add(rng.randrange(1, a.layers), d, "dir", "opaque")
    drop_idle_whiteouts(st)
    return st


def plan_real(a):
    st = Stack(a.layers)
    for sub in a.subdirs.split(","):
        base = os.path.join(a.src, sub)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel = os.path.relpath(dirpath, a.src)
            h = int(hashlib.sha1(rel.encode()).hexdigest(), 16)
            layer = h % a.layers
            st.add(layer, rel, "dir")
            for name in sorted(filenames):
                src = os.path.join(dirpath, name)
                lst = os.lstat(src)
                if stat.S_ISLNK(lst.st_mode):
                    st.add(layer, rel + "/" + name, "symlink", os.readlink(src))
                elif stat.S_ISREG(lst.st_mode):
                    st.add(layer, rel + "/" + name, "copy", src)
    return st


WH, OPQ = ".wh.", ".wh..wh..opq"


def scan_layer(st, j, root, fp, counts):
    """Adds the layer directory root to st as layer j, as the systems read
    it; feeds every entry's name, type, size, mode and mtime to fp."""
    todo = [""]
    while todo:
        rel = todo.pop()
        with os.scandir(os.path.join(root, rel) if rel else root) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            path = rel + "/" + e.name if rel else e.name
            lst = e.stat(follow_symlinks=False)
            fp.update(b"%s\0%o\0%d\0%d\n" % (os.fsencode(path), lst.st_mode, lst.st_size, lst.st_mtime_ns))
            if e.name == OPQ or (e.name.startswith(WH) and len(e.name) > len(WH)):
                counts["oci_whiteouts"] += 1
                if e.name == OPQ:
                    if rel:
                        st.add(j, rel, "dir", "opaque")
                else:
                    st.add(j, (rel + "/" if rel else "") + e.name[len(WH):], "whiteout")
            elif stat.S_ISDIR(lst.st_mode):
                try:
                    opaque = os.getxattr(e.path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
                except OSError:
                    opaque = False
                if path not in st.layers[j] or opaque:
                    st.add(j, path, "dir", "opaque" if opaque else None)
                todo.append(path)
            elif stat.S_ISCHR(lst.st_mode) and lst.st_rdev == 0:
                st.add(j, path, "whiteout")
            elif stat.S_ISREG(lst.st_mode):
                st.add(j, path, "file")
            else:
                st.add(j, path, "symlink" if stat.S_ISLNK(lst.st_mode) else "other")


def plan_user(a):
    """The caller's layers, top first in a.lowerdir; returns the stack, the
    layer roots bottom first, the fingerprint and the counts."""
    roots = list(reversed(a.lowerdir.split(":")))
    for r in roots:
        if not os.path.isabs(r) or not os.path.isdir(r) or os.path.islink(r):
            raise SystemExit("genstack: layer '%s' is not an absolute path to a directory" % r)
    st = Stack(len(roots))
    fp = hashlib.sha256(a.lowerdir.encode())
    counts = {"oci_whiteouts": 0}
    for j, r in enumerate(roots):
        scan_layer(st, j, r, fp, counts)
    used = set()
    merge(st, used)
    counts["idle_whiteouts"] = sum(1 for j, entries in enumerate(st.layers)
                                   for p, (k, _) in entries.items() if k == "whiteout" and (j, p) not in used)
    return st, roots, fp.hexdigest(), counts


def convert_oci(tmp, st, roots):
    """Copies the layers into tmp/layers with OCI whiteouts turned into the
    overlayfs format (whiteouts that hide nothing are dropped, as the
    systems differ on showing them); the originals are only read."""
    used = set()
    merge(st, used)
    names = []
    for j, r in enumerate(roots):
        dst = os.path.join(tmp, "layers", "L%03d" % j)
        os.makedirs(dst)
        subprocess.run(["cp", "-a", "--reflink=auto", r + "/.", dst], check=True)
        for dirpath, dirnames, filenames in os.walk(dst):
            rel = os.path.relpath(dirpath, dst)
            rel = "" if rel == "." else rel + "/"
            for name in filenames + [d for d in dirnames if d.startswith(WH)]:
                if name != OPQ and not (name.startswith(WH) and len(name) > len(WH)):
                    continue
                full = os.path.join(dirpath, name)
                if os.path.isdir(full) and not os.path.islink(full):
                    shutil.rmtree(full)
                else:
                    os.unlink(full)
                if name == OPQ:
                    os.setxattr(dirpath, "trusted.overlay.opaque", b"y")
                elif (j, rel + name[len(WH):]) in used and not os.path.lexists(os.path.join(dirpath, name[len(WH):])):
                    os.mknod(os.path.join(dirpath, name[len(WH):]), stat.S_IFCHR | 0o000, os.makedev(0, 0))
        names.append("L%03d" % j)
    return ":".join(reversed(names))


def build_user(a):
    """Kind user: lists (and, for OCI whiteouts, a converted copy) in a.out,
    kept while the layers' fingerprint is unchanged."""
    st, roots, fp, counts = plan_user(a)
    meta = os.path.join(a.out, "meta.json")
    if os.path.exists(meta):
        with open(meta) as f:
            old = json.load(f)
        if old.get("fingerprint") == fp:
            return 0
        if old.get("kind") != "user":
            print("genstack: %s holds another stack; not replacing it" % a.out, file=sys.stderr)
            return 1
        print("genstack: the layers changed since %s was built; rebuilding it" % a.out, file=sys.stderr)
        shutil.rmtree(a.out)
    tmp = a.out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "layers"))
    os.makedirs(os.path.join(tmp, "empty"))
    if counts["oci_whiteouts"]:
        print("genstack: %d OCI whiteouts (.wh. files): every system mounts a copy of the layers converted to "
              "the overlayfs format (%s/layers), as kernel overlayfs reads no other" % (counts["oci_whiteouts"], a.out),
              file=sys.stderr)
        lower = convert_oci(tmp, st, roots)
    elif counts["idle_whiteouts"]:
        print("genstack: note: %d whiteouts hide nothing; kernel overlayfs lists them in directories that only "
              "one layer holds, the other systems do not" % counts["idle_whiteouts"], file=sys.stderr)
    else:
        lower = a.lowerdir
    with open(os.path.join(tmp, "lowerdir"), "w") as f:
        f.write(lower + "\n")
    files = write_lists(tmp, st, a, dict(fingerprint=fp, converted=bool(counts["oci_whiteouts"]), **counts))
    if not files:
        print("genstack: the stack shows no regular file (open and read workloads need one)", file=sys.stderr)
        shutil.rmtree(tmp)
        return 1
    os.rename(tmp, a.out)
    return 0


def write_entry(root, path, kind, payload, pool):
    full = os.path.join(root, path)
    if kind == "dir":
        os.makedirs(full, exist_ok=True)
        if payload == "opaque":
            os.setxattr(full, "trusted.overlay.opaque", b"y")
    elif kind == "file":
        off, size = payload[:2]
        fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        if len(payload) > 2:
            os.fchmod(fd, payload[2])
        while size > 0:
            n = min(size, POOL_SIZE - off)
            os.write(fd, pool[off:off + n])
            size -= n
            off = 0
        os.close(fd)
    elif kind == "symlink":
        os.symlink(payload, full)
    elif kind == "whiteout":
        os.mknod(full, stat.S_IFCHR | 0o000, os.makedev(0, 0))
    elif kind == "hardlink":
        os.link(os.path.join(root, payload), full)
    elif kind == "copy":
        with open(payload, "rb") as src, open(full, "xb") as dst:
            dst.write(src.read())
        os.chmod(full, os.stat(payload).st_mode & 0o7777)


def write_stack(out, st, pool):
    nlayers = len(st.layers)
    os.makedirs(os.path.join(out, "empty"), exist_ok=True)
    for i, entries in enumerate(st.layers):
        root = os.path.join(out, "layers", "L%03d" % i)
        os.makedirs(root, exist_ok=True)
        order = sorted(entries, key=lambda p: (entries[p][0] == "hardlink", p.count("/"), p))
        for path in order:
            kind, payload = entries[path]
            write_entry(root, path, kind, payload, pool)
    names = ["L%03d" % i for i in reversed(range(nlayers))]
    with open(os.path.join(out, "lowerdir"), "w") as f:
        f.write(":".join(names) + "\n")


def write_lists(out, st, a, extra):
    merged = merge(st)
    files = sorted(p for p, (k, _) in merged.items() if k in ("file", "copy", "hardlink") and "\n" not in p)
    dirs = ["."] + sorted(p for p, (k, _) in merged.items() if k == "dir" and "\n" not in p)
    rng = random.Random(a.seed + 1)
    with open(os.path.join(out, "files.txt"), "w", errors="surrogateescape") as f:
        sample = files if len(files) <= 20000 else rng.sample(files, 20000)
        f.write("\n".join(sample) + "\n")
    with open(os.path.join(out, "dirs.txt"), "w", errors="surrogateescape") as f:
        sample = dirs if len(dirs) <= 5000 else rng.sample(dirs, 5000)
        f.write("\n".join(sample) + "\n")
    if not files:
        return files
    with open(os.path.join(out, "probe"), "w", errors="surrogateescape") as f:
        f.write(files[0] + "\n")
    meta = dict(vars(a), entries=len(merged), visible_files=len(files), visible_dirs=len(dirs) - 1,
                layer_entries=[len(x) for x in st.layers], **extra)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return files


def write_compile_lists(out, files, a):
    """Include search for the real tree: gcc's C search order on Debian."""
    incdirs = ["lib/gcc/x86_64-linux-gnu/12/include", "local/include",
               "include/x86_64-linux-gnu", "include"]
    heads = set()
    for p in files:
        for d in incdirs[2:]:
            if p.startswith(d + "/") and p.endswith(".h") and not p.startswith("include/c++/"):
                heads.add(p[len(d) + 1:])
    heads = sorted(heads)
    heads = random.Random(a.seed).sample(heads, min(400, len(heads)))
    with open(os.path.join(out, "incdirs.txt"), "w") as f:
        f.write("\n".join(incdirs) + "\n")
    with open(os.path.join(out, "headers.txt"), "w") as f:
        f.write("\n".join(heads) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["synth", "big", "real", "dirs", "user"])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--sizes", choices=["mix", "empty"], default="mix")
    ap.add_argument("--overrides", type=float, default=0.05)
    ap.add_argument("--whiteouts", type=float, default=0.02)
    ap.add_argument("--opaque", type=float, default=0.01)
    ap.add_argument("--symlinks", type=float, default=0.03)
    ap.add_argument("--hardlinks", type=float, default=0.01)
    ap.add_argument("--size-mib", type=int, default=1024, help="big: size of the file")
    ap.add_argument("--src", default="/usr", help="real: where the tree comes from")
    ap.add_argument("--subdirs", default="include,lib/python3.11,share/perl,share/man")
    ap.add_argument("--lowerdir", help="user: the layers, TOP:...:BOTTOM, absolute paths")
    a = ap.parse_args()
    if a.kind == "user":
        if not a.lowerdir:
            ap.error("user needs --lowerdir")
        return build_user(a)
    if os.path.exists(os.path.join(a.out, "meta.json")):
        return 0  # already built with these arguments (the caller names dirs by arguments)
    pool = random.Random(a.seed).randbytes(POOL_SIZE)
    if a.kind == "big":
        a.layers = 2
        st = Stack(2)
        st.add(0, "big.bin", "file", (0, a.size_mib << 20))
        st.add(1, "top.txt", "file", (0, 100))
    elif a.kind == "real":
        st = plan_real(a)
    elif a.kind == "dirs":
        st = Stack(a.layers)
        gendirs.plan_dirs(a, st, POOL_SIZE)
        drop_idle_whiteouts(st)
    else:
        st = plan_synth(a)
    tmp = a.out + ".tmp"
    if os.path.exists(tmp):
        print("genstack: remove the half-built %s first" % tmp, file=sys.stderr)
        return 1
    write_stack(tmp, st, pool)
    files = write_lists(tmp, st, a, {})
    if a.kind == "real":
        write_compile_lists(tmp, files, a)
    os.rename(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
