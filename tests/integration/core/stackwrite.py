"""Render a logical stack (stackgen) on disk, in overlay or OCI format.

overlay: a whiteout is a 0/0 character device, or (in a non-root, non-opaque
  directory) a zero-size regular file with `trusted.overlay.whiteout`, whose
  parent directory then carries `trusted.overlay.opaque=x`; an opaque
  directory carries `trusted.overlay.opaque=y`.
oci: a whiteout is a `.wh.NAME` file, an opaque directory holds `.wh..wh..opq`.
mixed: every marker picks one of all the forms amberfs accepts: 0/0, OCI,
  `trusted.overlay.*` or `user.overlay.*` xattrs (the namespace chosen per
  directory); some entries also carry meaningless `*.overlay.amber-test`
  xattrs, which must stay hidden.  Only amberfs can mount this one.

Metadata is applied last, deepest directories first, so that creating
children does not disturb a directory's mtime.  Needs root (mknod, chown,
trusted.* xattrs).
"""

import os
import random
import stat

OPQ = b'.wh..wh..opq'


def _write_file(path, inode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                 0o600)
    try:
        for off, data in inode.chunks():
            os.pwrite(fd, data, off)
        os.ftruncate(fd, inode.size)
    finally:
        os.close(fd)


def _set_meta(path, kind, meta):
    os.chown(path, meta.uid, meta.gid, follow_symlinks=False)
    if kind != 'symlink':
        os.chmod(path, meta.mode)  # after chown, which clears set-id bits
    for name, val in meta.xattrs.items():  # chown would drop capabilities
        os.setxattr(path, name, val, follow_symlinks=False)
    os.utime(path, ns=(meta.mtime_ns, meta.mtime_ns), follow_symlinks=False)


def _marker_form(fmt, rnd, forms):
    if fmt == 'mixed':
        return rnd.choice(forms)
    return 'oci' if fmt == 'oci' else forms[0]


def write_layer(layer, root, fmt, rnd=None):
    """Create directory `root` (bytes) and render `layer` into it."""
    os.mkdir(root, 0o755)
    rnd = rnd or random.Random(0)
    paths = sorted(layer.nodes, key=lambda p: (len(p), p))
    xw_dirs = {}  # directory -> namespace of its xattr whiteouts
    for path in paths:
        node = layer.nodes[path]
        full = os.path.join(root, *path) if path else root
        if node.kind == 'dir':
            if path:
                os.mkdir(full, 0o700)
            if node.opaque and path:
                form = _marker_form(fmt, rnd, ('trusted', 'oci', 'user'))
                if form == 'oci':
                    open(os.path.join(full, OPQ), 'wb').close()
                else:
                    os.setxattr(full, form.encode() + b'.overlay.opaque',
                                b'y')
        elif node.kind == 'whiteout':
            parent = path[:-1]
            xw_ok = node.xw and parent and not layer.nodes[parent].opaque
            form = _marker_form(fmt, rnd, ('xattr' if xw_ok else 'chr',
                                           'oci', 'chr'))
            if form == 'oci':
                pdir = os.path.dirname(full)
                open(os.path.join(pdir, b'.wh.' + path[-1]), 'wb').close()
            elif form == 'xattr':
                ns = xw_dirs.setdefault(parent, b'trusted' if fmt != 'mixed'
                                        else rnd.choice([b'trusted', b'user']))
                open(full, 'wb').close()
                os.setxattr(full, ns + b'.overlay.whiteout',
                            b'' if len(path[-1]) % 2 else b'y')
            else:
                os.mknod(full, stat.S_IFCHR | 0o600, os.makedev(0, 0))
        elif node.kind == 'file':
            ino = node.inode
            if ino.written is not None and ino.written[0] == root:
                os.link(ino.written[1], full)
            else:
                _write_file(full, ino)
                ino.written = (root, full)
        elif node.kind == 'symlink':
            os.symlink(node.target, full)
        elif node.kind == 'fifo':
            os.mkfifo(full, 0o644)
        else:
            typ = stat.S_IFCHR if node.kind == 'chr' else stat.S_IFBLK
            os.mknod(full, typ | 0o644, os.makedev(*node.rdev))
    for d, ns in xw_dirs.items():
        os.setxattr(os.path.join(root, *d), ns + b'.overlay.opaque', b'x')
    if fmt == 'mixed':  # internal-looking xattrs that must stay hidden
        for path in paths:
            node = layer.nodes[path]
            if node.kind in ('dir', 'file') and rnd.random() < 0.05:
                full = os.path.join(root, *path) if path else root
                ns = rnd.choice([b'trusted', b'user'])
                os.setxattr(full, ns + b'.overlay.amber-test', b'1')
    done = set()
    for path in paths:  # non-directories (a hard-linked inode only once)
        node = layer.nodes[path]
        if node.kind in ('dir', 'whiteout'):
            continue
        if node.kind == 'file':
            if id(node.inode) in done:
                continue
            done.add(id(node.inode))
        _set_meta(os.path.join(root, *path), node.kind, node.meta)
    for path in reversed(paths):  # directories, deepest first
        node = layer.nodes[path]
        if node.kind == 'dir':
            _set_meta(os.path.join(root, *path) if path else root, 'dir',
                      node.meta)


def write_stack(layers, outdir, fmt, names=None, seed=0):
    """Write layers (bottom first) as outdir/NAME; return the layer
    directory names top first (lowerdir order).  Default names: "0" is the
    top layer."""
    os.makedirs(outdir, exist_ok=True)
    n = len(layers)
    names = names or [str(i).encode() for i in range(n)]
    rnd = random.Random(seed)
    for i, layer in enumerate(layers):  # i = 0 is the bottom layer
        write_layer(layer, os.path.join(outdir, names[n - 1 - i]), fmt, rnd)
    return names
