"""Seeded generator of random layer stacks (the logical model only).

A stack is a list of layers, bottom first.  A layer maps a path (a tuple of
bytes components, () being the layer root) to a Node.  Nothing here touches
the disk: stackwrite.py renders the same model in overlay or OCI format, so
both formats describe exactly the same logical stack.

Each new layer is generated against the merged view of the layers below it
(merge_view), so its operations mean something: overriding visible files,
whiting out files and whole directories, making directories opaque,
replacing a directory by a file and a file by a directory, and adding new
entries with names drawn from a small pool so that later layers collide with
(and resurrect) earlier names.
"""

import random
import struct

KINDS_NONDIR = ('file', 'symlink', 'fifo', 'chr', 'blk')

# Names that collide often, names that stress encoders, and names at the
# 255-byte limit.  No name starts with ".wh.": such names cannot exist in an
# OCI layer, and the overlay format must not contain them either.
COMMON_NAMES = [b'a', b'b', b'c', b'd', b'etc', b'usr', b'lib', b'bin', b'x',
                b'data', b'file.txt', b'.hidden', b'conf', b'sub']
SPECIAL_NAMES = [
    b'with space', b'tab\there', b'new\nline', b'trailing space ',
    'ünïcödé-文字'.encode(), 'emoji-\U0001F600'.encode(), b'latin1-\xff\xfe',
    b'...', b'-dash', b'back\\slash', b'colon:name', b'comma,name',
    b'star*?[', b'%s%n', b'.wh', b'wh.name', b'..hidden',
    b'L' * 255, ('\u00e9' * 127 + 'x').encode(), b'M' * 251, b'N' * 200,
]
FILE_MODES = [0o644, 0o644, 0o755, 0o600, 0o640, 0o444, 0o000, 0o4755,
              0o2755, 0o6755, 0o1644, 0o4711, 0o777]
DIR_MODES = [0o755, 0o755, 0o700, 0o1777, 0o2775, 0o555, 0o750, 0o3777,
             0o000]
IDS = [0, 0, 0, 1, 2, 1000, 1001, 65534, 100000, 4000000000]
BOUNDARY_SIZES = [1, 4095, 4096, 4097, 8191, 8192, 65536, 131071, 131072,
                  131073, 262144, 262145]
DEVICES = [(1, 3), (1, 5), (4, 64), (136, 2), (10, 229), (0, 1), (7, 0),
           (8, 1), (259, 12345), (4095, 1048575), (253, 0)]
MAX_PATH_BYTES = 2800
ACL_TAGS = {'u': 0x01, 'U': 0x02, 'g': 0x04, 'G': 0x08, 'm': 0x10, 'o': 0x20}


def acl_xattr(text):
    """A POSIX ACL in xattr form from its short text ("u::rw-,u:1000:r--,
    g::r--,m::r--,o::r--"); entries must come in the kernel's order (tag,
    then id)."""
    out = struct.pack('<I', 2)
    for ent in text.split(','):
        tag, ident, perm = ent.split(':')
        bits = sum(b for c, b in zip(perm, (4, 2, 1)) if c != '-')
        code = ACL_TAGS[tag.upper() if ident else tag]
        out += struct.pack('<HHI', code, bits,
                           int(ident) if ident else 0xffffffff)
    return out


ACL = acl_xattr('u::rw-,u:1000:r--,g::r--,m::r--,o::r--')

# Permission mode (Generator(perms=True)): restrictive modes, owners among
# the identities the non-root walks take (permwalk.USERS: uid 1000 with
# primary group 1000 and supplementary group 1001; uid 4242 owns nothing),
# and ACLs whose named entries, masks and group entries decide for them.
PERM_FILE_MODES = [0o644, 0o644, 0o600, 0o640, 0o000, 0o111, 0o755, 0o700,
                   0o750, 0o604, 0o060, 0o444, 0o4755, 0o710, 0o1644]
PERM_DIR_MODES = [0o755, 0o755, 0o755, 0o755, 0o711, 0o751, 0o1777, 0o555,
                  0o705, 0o700, 0o750, 0o000, 0o070, 0o770, 0o310]
PERM_ROOT_MODES = [0o755, 0o755, 0o711, 0o751, 0o555]  # searchable by all
PERM_FIFO_MODES = [0o644, 0o600, 0o640, 0o000, 0o666]
PERM_IDS = [0, 0, 0, 1000, 1000, 1001, 2000, 65534]
PERM_ACLS = [acl_xattr(t) for t in (
    'u::rw-,u:1000:r--,g::r--,m::r--,o::r--',
    'u::rwx,u:1000:---,g::r-x,m::r-x,o::r-x',   # named user denied
    'u::rw-,g::---,g:1001:r--,m::r--,o::---',   # supplementary named group
    'u::rwx,u:1000:rwx,g::---,m::r--,o::---',   # mask limits a named user
    'u::rwx,g::---,g:1000:r-x,m::--x,o::---',   # mask limits a named group
    'u::rwx,u:4242:r-x,g::---,m::r-x,o::---',   # a named user owning nothing
    'u::---,u:1000:rwx,g::rwx,m::rwx,o::rwx',   # owner entry wins
    'u::rwx,g::r-x,g:1001:---,m::r-x,o::r-x',   # a matching group beats other
)]


class Meta:
    __slots__ = ('mode', 'uid', 'gid', 'mtime_ns', 'xattrs')

    def __init__(self, mode, uid, gid, mtime_ns, xattrs):
        self.mode, self.uid, self.gid = mode, uid, gid
        self.mtime_ns, self.xattrs = mtime_ns, xattrs


class Node:
    """One entry of one layer.  kind: dir, file, symlink, fifo, chr, blk,
    whiteout.  Hard links are file nodes sharing one `inode` object."""
    __slots__ = ('kind', 'meta', 'opaque', 'target', 'rdev', 'inode', 'xw')

    def __init__(self, kind, meta=None, **kw):
        self.kind, self.meta = kind, meta
        self.opaque = kw.get('opaque', False)
        self.target = kw.get('target')
        self.rdev = kw.get('rdev')
        self.inode = kw.get('inode')
        # whiteouts: rendered as an xattr whiteout in overlay format if the
        # parent allows it (not a layer root, not opaque), else as 0/0.
        self.xw = kw.get('xw', False)


class FileInode:
    """Content of a regular file: size and data segments (offset, length);
    bytes are derived from `seed`, so both formats write the same data."""
    __slots__ = ('size', 'segments', 'seed', 'meta', 'written')

    def __init__(self, size, segments, seed, meta):
        self.size, self.segments, self.seed = size, segments, seed
        self.meta = meta
        self.written = None

    def chunks(self):
        rnd = random.Random(self.seed)
        for off, length in self.segments:
            yield off, rnd.randbytes(length)


class Layer:
    def __init__(self):
        self.nodes = {}
        self.children = {}

    def add(self, path, node):
        assert path not in self.nodes
        self.nodes[path] = node
        if path:
            self.children.setdefault(path[:-1], []).append(path[-1])

    def kids(self, path):
        return self.children.get(path, [])


def merge_view(layers_bottom_first):
    """Reference merge of the logical model: path -> (kind, layer index)."""
    layers = list(reversed(layers_bottom_first))
    top = len(layers) - 1
    view = {(): ('dir', top)}
    # The root is merged across all layers (an opaque root is ignored).
    stack = [((), [(top - k, L) for k, L in enumerate(layers)])]
    while stack:
        path, chain = stack.pop()
        seen = set()
        for _, L in chain:
            for name in L.kids(path):
                if name in seen:
                    continue
                seen.add(name)
                child = path + (name,)
                sub = []
                first = None
                for idx, L2 in chain:
                    n = L2.nodes.get(child)
                    if n is None:
                        continue
                    if first is None:
                        first = (n, idx)
                        if n.kind != 'dir':
                            break
                    elif n.kind != 'dir':
                        break
                    sub.append((idx, L2))
                    if n.opaque:
                        break
                node, idx = first
                if node.kind == 'whiteout':
                    continue
                view[child] = (node.kind, idx)
                if node.kind == 'dir':
                    stack.append((child, sub))
    return view


class Generator:
    def __init__(self, seed, n_layers=None, scale=1.0, max_bytes=12 << 20,
                 perms=False):
        """perms: restrictive modes, owners and ACLs for walks as other
        users (PERM_*), fewer layers; without it the stacks of a seed stay
        exactly what they always were."""
        self.rnd = random.Random(seed)
        self.seed = seed
        self.scale = scale
        self.bytes_left = max_bytes
        self.file_seq = 0
        self.perms = perms
        r = self.rnd
        self.n_layers = n_layers or r.choice(
            [1, 2, 2, 3, 4, 5, 7, 10] if perms else
            [1, 1, 2, 2, 3, 4, 5, 7, 10, 15, 20, 30, 45, 60])

    # ---- metadata -------------------------------------------------------
    def mtime(self):
        r = self.rnd
        sec = r.choice([r.randrange(0, 1 << 31), r.randrange(0, 1 << 31),
                        r.randrange(1 << 31, 1 << 33),
                        -r.randrange(1, 1 << 31), 0, 1700000000])
        ns = r.choice([0, 999999999, r.randrange(10 ** 9),
                       r.randrange(10 ** 9)])
        return sec * 10 ** 9 + ns

    def xattrs(self, kind):
        r = self.rnd
        out = {}
        if kind == 'file' and r.random() < 0.03:  # cap_net_raw+ep
            out[b'security.capability'] = struct.pack(
                '<5I', 0x02000001, 1 << 13, 0, 0, 0)
        if self.perms and r.random() < 0.2:
            out[b'system.posix_acl_access'] = r.choice(PERM_ACLS)
        elif r.random() < 0.03:
            out[b'system.posix_acl_access'] = ACL
        if kind == 'dir' and r.random() < 0.03:
            out[b'system.posix_acl_default'] = ACL
        for _ in range(r.choice([0, 0, 0, 1, 1, 2, 3])):
            name = b'user.' + r.choice(
                [b'mime_type', b'origin', b'k', b'a.b.c', b'sp ace',
                 'ü'.encode(), bytes(r.choice(b'abcdefgh') for _ in range(8))])
            val = r.choice([b'', b'v', b'text/plain', bytes(range(256)),
                            r.randbytes(r.randrange(1, 600))])
            out[name] = val
        return out

    def meta(self, kind):
        r = self.rnd
        if self.perms:
            return self.perm_meta(kind)
        modes = DIR_MODES if kind == 'dir' else FILE_MODES
        mode = r.choice(modes) if kind in ('dir', 'file') else 0o644
        if kind == 'symlink':
            mode = 0o777
        xat = self.xattrs(kind) if kind in ('dir', 'file') else {}
        return Meta(mode, r.choice(IDS), r.choice(IDS), self.mtime(), xat)

    def perm_meta(self, kind):
        r = self.rnd
        modes = {'dir': PERM_DIR_MODES, 'file': PERM_FILE_MODES,
                 'fifo': PERM_FIFO_MODES}.get(kind, [0o644])
        mode = 0o777 if kind == 'symlink' else r.choice(modes)
        xat = self.xattrs(kind) if kind in ('dir', 'file') else {}
        return Meta(mode, r.choice(PERM_IDS), r.choice(PERM_IDS),
                    self.mtime(), xat)

    # ---- names and nodes ----------------------------------------------
    def name(self):
        r = self.rnd
        p = r.random()
        if p < 0.45:
            return r.choice(COMMON_NAMES)
        if p < 0.58:
            return r.choice(SPECIAL_NAMES)
        n = r.randrange(1, 13)
        name = bytes(r.choice(b'abcdefghijklmnopqrstuvwxyz0123456789_-.')
                     for _ in range(n))
        if name in (b'.', b'..') or name.startswith(b'.wh.'):
            name = b'z' + name
        return name

    def file_inode(self):
        r = self.rnd
        p = r.random()
        if p < 0.1:
            size, segs = 0, []
        elif p < 0.45:
            size = r.randrange(1, 4097)
            segs = [(0, size)]
        elif p < 0.65:
            size = r.choice(BOUNDARY_SIZES)
            segs = [(0, size)]
        elif p < 0.85:
            size = r.randrange(4097, 100000)
            segs = [(0, size)]
        elif p < 0.88 and self.bytes_left > (4 << 20):
            size = r.randrange(300000, 3 << 20)
            segs = [(0, size)]
        elif p < 0.89:  # 5 GiB sparse: data across the 4 GiB boundary
            size = (5 << 30) + 1
            segs = [((4 << 30) - 2048, 4096), (size - 1, 1)]
        else:  # sparse: holes at the start, middle and/or end
            size = r.choice([131072 * r.randrange(1, 9), (1 << 20) + 1,
                             4 << 20, r.randrange(1 << 16, 2 << 20)])
            segs = []
            off = r.choice([0, 4096, 65536, 131072])
            while off < size and len(segs) < 4:
                ln = min(r.choice([1, 4096, 5000, 131072]), size - off)
                segs.append((off, ln))
                off += ln + r.choice([4096, 131072, 262144, 1 << 20])
        used = sum(ln for _, ln in segs)
        if used > self.bytes_left:
            size, segs, used = 4096, [(0, 4096)], 4096
        self.bytes_left -= used
        self.file_seq += 1
        return FileInode(size, segs, self.seed * 1000003 + self.file_seq,
                         self.meta('file'))

    def symlink_target(self, path):
        r = self.rnd
        return r.choice([
            b'/etc/passwd', b'/', b'/a/b/c', b'..', b'../' * 3 + b'etc',
            b'target', b'./' + self.name(), b'dangling-' + self.name(),
            b'/'.join(path[:-1]) or b'.', b'../' + self.name(),
            b'x' * r.choice([1, 100, 1000]), b'with space/and\ttab',
            b'/' + b'/'.join(path)])

    def nondir(self, path, kind=None):
        r = self.rnd
        kind = kind or r.choices(KINDS_NONDIR, [60, 20, 6, 7, 7])[0]
        if kind == 'file':
            ino = self.file_inode()
            return Node('file', ino.meta, inode=ino)
        if kind == 'symlink':
            return Node('symlink', self.meta('symlink'),
                        target=self.symlink_target(path))
        if kind in ('chr', 'blk'):
            return Node(kind, self.meta(kind), rdev=r.choice(DEVICES))
        return Node('fifo', self.meta('fifo'))

    # ---- placement helpers -------------------------------------------
    def can_place(self, L, path):
        """path may be added to layer L: not there yet, every ancestor is
        absent or a directory in L, and the path is not too long."""
        if path in L.nodes or not path:
            return False
        if sum(len(c) + 1 for c in path) > MAX_PATH_BYTES:
            return False
        for i in range(1, len(path)):
            n = L.nodes.get(path[:i])
            if n is not None and n.kind != 'dir':
                return False
        return True

    def ensure_dirs(self, L, path):
        for i in range(1, len(path)):
            if path[:i] not in L.nodes:
                L.add(path[:i], Node('dir', self.meta('dir')))

    def place(self, L, path, node):
        self.ensure_dirs(L, path)
        L.add(path, node)

    def subtree(self, L, path, budget, depth=0):
        """A new directory at path with a random subtree; returns count."""
        r = self.rnd
        self.place(L, path, Node('dir', self.meta('dir')))
        count = 1
        files = []
        for _ in range(r.randrange(0, max(1, min(budget, 12)))):
            child = path + (self.name(),)
            if not self.can_place(L, child):
                continue
            if depth < 5 and r.random() < 0.2:
                count += self.subtree(L, child, budget // 3, depth + 1)
            elif r.random() < 0.04 and len(child[-1]) <= 251:
                # a whiteout with nothing beneath it, in a new directory
                L.add(child, Node('whiteout', xw=r.random() < 0.5))
            elif files and r.random() < 0.08:
                L.add(child, Node('file', files[0].meta,
                                  inode=files[0].inode))
                count += 1
            else:
                n = self.nondir(child)
                L.add(child, n)
                if n.kind == 'file':
                    files.append(n)
                count += 1
        return count

    # ---- one layer -----------------------------------------------------
    OPS = ('add', 'override', 'wh_file', 'wh_dir', 'opaque', 'file_over_dir',
           'dir_over_file', 'dirmeta', 'ghost', 'hardlink')
    WEIGHTS = (34, 12, 10, 3, 4, 3, 4, 6, 3, 4)

    def whiteout(self, L, path):
        if len(path[-1]) > 251 or not self.can_place(L, path):
            return  # ".wh." + name must fit in 255 bytes (OCI)
        self.place(L, path, Node('whiteout', xw=self.rnd.random() < 0.5))

    def layer(self, view, bottom):
        r = self.rnd
        L = Layer()
        L.add((), Node('dir', self.meta('dir')))
        if self.perms:  # every user can start a walk
            L.nodes[()].meta.mode = r.choice(PERM_ROOT_MODES)
            L.nodes[()].meta.xattrs.pop(b'system.posix_acl_access', None)
        dirs = [p for p, (k, _) in view.items() if k == 'dir']
        subdirs = [p for p in dirs if p]
        nondirs = [p for p, (k, _) in view.items() if k != 'dir']
        vkids = {}
        for p in view:
            if p:
                vkids.setdefault(p[:-1], []).append(p[-1])
        files = []
        if bottom:
            n_ops = max(1, int(r.randrange(40, 400) * self.scale))
        else:
            n_ops = max(1, int(r.randrange(2, 40) * self.scale))
        for _ in range(n_ops):
            op = 'add' if bottom else r.choices(self.OPS, self.WEIGHTS)[0]
            if op == 'add':
                ldirs = [p for p, n in L.nodes.items() if n.kind == 'dir']
                d = r.choice(ldirs) if ldirs and r.random() < 0.4 \
                    else r.choice(dirs)
                path = d + (self.name(),)
                if not self.can_place(L, path):
                    continue
                p = r.random()
                if p < 0.25:
                    self.subtree(L, path, r.randrange(1, 40))
                elif p < 0.3 and files:
                    src = r.choice(files)
                    self.place(L, path, Node('file', src.meta,
                                             inode=src.inode))
                else:
                    n = self.nondir(path)
                    self.place(L, path, n)
                    if n.kind == 'file':
                        files.append(n)
            elif op == 'override' and nondirs:
                path = r.choice(nondirs)
                if self.can_place(L, path):
                    n = self.nondir(path)
                    self.place(L, path, n)
                    if n.kind == 'file':
                        files.append(n)
            elif op == 'wh_file' and nondirs:
                self.whiteout(L, r.choice(nondirs))
            elif op == 'wh_dir' and subdirs:
                self.whiteout(L, r.choice(subdirs))
            elif op == 'opaque' and subdirs:
                path = r.choice(subdirs)
                if not self.can_place(L, path):
                    continue
                self.place(L, path, Node('dir', self.meta('dir'),
                                         opaque=True))
                lower = vkids.get(path, [])
                for _ in range(r.randrange(0, 5)):
                    name = r.choice(lower) if lower and r.random() < 0.6 \
                        else self.name()
                    if self.can_place(L, path + (name,)):
                        n = self.nondir(path + (name,))
                        L.add(path + (name,), n)
            elif op == 'file_over_dir' and subdirs:
                path = r.choice(subdirs)
                if self.can_place(L, path):
                    self.place(L, path, self.nondir(path))
            elif op == 'dir_over_file' and nondirs:
                path = r.choice(nondirs)
                if self.can_place(L, path):
                    self.subtree(L, path, r.randrange(0, 10))
            elif op == 'dirmeta' and subdirs:
                path = r.choice(subdirs)
                if self.can_place(L, path):
                    self.place(L, path, Node('dir', self.meta('dir')))
            elif op == 'ghost':
                d = r.choice(dirs)
                name = self.name()
                if name not in vkids.get(d, []):
                    self.whiteout(L, d + (name,))
            elif op == 'hardlink' and files:
                src = r.choice(files)
                path = r.choice(dirs) + (self.name(),)
                if self.can_place(L, path):
                    self.place(L, path, Node('file', src.meta,
                                             inode=src.inode))
        return L

    def big_dir_ops(self, L, view, path, bottom):
        """A directory of thousands of entries (readdir continues over many
        getdents calls): created in the bottom layer, then each upper layer
        adds, overrides and whites out a few dozen of its names."""
        r = self.rnd
        if not bottom and view.get(path, ('',))[0] != 'dir':
            return
        count = r.randrange(500, 3000) if bottom else r.randrange(0, 60)
        for _ in range(count):
            name = b'%05d-' % r.randrange(3000) + b'n' * r.choice(
                [0, 1, 10, 100, 200])
            child = path + (name,)
            if not self.can_place(L, child):
                continue
            if not bottom and r.random() < 0.3:
                self.whiteout(L, child)
            elif r.random() < 0.05:
                self.place(L, child, Node('dir', self.meta('dir')))
            else:
                n = Node('symlink', self.meta('symlink'), target=name) \
                    if r.random() < 0.3 else Node('file', None, inode=FileInode(
                        0, [], 0, self.meta('file')))
                if n.kind == 'file':
                    n.meta = n.inode.meta
                self.place(L, child, n)

    def generate(self):
        layers = []
        view = {(): ('dir', 0)}
        big = (b'big',) if self.rnd.random() < 0.35 else None
        for i in range(self.n_layers):
            # Deep stacks refresh the view every 16 layers only (merging is
            # quadratic); a stale view still yields valid layers.
            if layers and (i < 64 or i % 16 == 0):
                view = merge_view(layers)
            layers.append(self.layer(view, bottom=(i == 0)))
            if big and (i == 0 or self.rnd.random() < 0.4):
                self.big_dir_ops(layers[-1], view, big, i == 0)
        return layers
