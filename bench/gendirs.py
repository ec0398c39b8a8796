"""gendirs: the directory-heavy stack, kind `dirs` of bench/genstack.py.

A tree shaped like a Debian root file system on which a few hundred packages
were installed over several image layers (one `apt-get install` step per
layer): at the default --files 26000, about 26,000 entries in about 2,300
directories, 10 layers.  What makes it unlike the synth stack is the shape:

- a few very large directories that every layer adds to and that therefore
  merge across all layers (usr/lib/x86_64-linux-gnu, usr/bin,
  var/lib/dpkg/info, usr/share/man/man1, usr/share/doc);
- many small ones (one usr/share/doc/PKG per package, locale
  LC_MESSAGES directories, package-private trees under usr/lib, usr/share,
  usr/include and the Python and Perl module directories), down to a depth
  of 8;
- mostly small files with real-ish sizes (log-normal around 1.5 KiB;
  executables and shared libraries larger), usrmerge symlinks, .so
  symlinks, /etc/alternatives links and a few hard links;
- what image layers really carry: files each layer rewrites
  (var/lib/dpkg/status, ld.so.cache, the logs), .deb files one layer
  downloads and the next deletes (whiteouts), apt lists removed in the top
  layer (an opaque directory).

Everything is drawn from random.Random(seed): the same arguments give the
same tree on every machine.
"""
import math
import random

# 90 locale directories, as usr/share/locale holds them
LANGS = ("af am an ar as ast az be bg bn br bs ca ckb crh cs cy da de dz el en_AU en_CA en_GB eo es et "
         "eu fa fi fr fur ga gd gl gu he hi hr hu hy ia id is it ja ka kk km kn ko ku ky lg lt lv mai mk "
         "ml mn mr ms my nb ne nl nn oc or pa pl ps pt pt_BR ro ru rw si sk sl sq sr sr@latin sv ta te tg "
         "th tk tr ug uk ur uz vi wa zh_CN zh_HK zh_TW").split()
SYL = "ac al an ar bi ca co da de el en fo ga gi io ka li lu ma mo na ne or pa ra re si so ta ti ul ve xo zy".split()
TZ_REGIONS = ("Africa America Antarctica Arctic Asia Atlantic Australia Brazil Canada Chile Europe "
              "Indian Mexico Pacific US Etc").split()
BASE_DIRS = ("boot dev home media mnt opt proc root run srv sys tmp usr/games usr/local/bin usr/local/lib "
             "usr/local/share usr/local/sbin usr/lib64 usr/libexec usr/share/info usr/share/common-licenses "
             "usr/share/pixmaps usr/share/applications usr/share/pkgconfig usr/lib/x86_64-linux-gnu/pkgconfig "
             "var/backups var/cache/apt/archives/partial var/cache/debconf var/cache/ldconfig var/lib/apt/lists/partial "
             "var/lib/misc var/lib/systemd var/local var/log/apt var/mail var/opt var/spool/cron var/tmp "
             "etc/alternatives etc/apt/apt.conf.d etc/apt/preferences.d etc/apt/sources.list.d etc/apt/trusted.gpg.d "
             "etc/cron.daily etc/default etc/init.d etc/logrotate.d etc/profile.d etc/security etc/skel etc/systemd/system "
             "etc/ld.so.conf.d etc/dpkg/dpkg.cfg.d etc/pam.d etc/update-motd.d").split()
ETC_FILES = "passwd group shadow gshadow hostname hosts issue motd os-release profile bash.bashrc " \
            "nsswitch.conf ld.so.conf login.defs environment shells debian_version adduser.conf".split()
LAYER_REWRITES = ["var/lib/dpkg/status", "var/lib/dpkg/status-old", "var/lib/dpkg/available",
                  "var/cache/debconf/config.dat", "var/cache/debconf/templates.dat", "var/log/dpkg.log",
                  "var/log/apt/history.log", "var/log/apt/term.log", "var/lib/apt/extended_states",
                  "etc/ld.so.cache", "var/cache/ldconfig/aux-cache"]
MAX_DEPTH = 8


class Gen:
    def __init__(self, seed, st, pool_size):
        self.rng = random.Random(seed)
        self.st = st
        self.pool = pool_size
        self.names = set()

    def size(self, median, sigma, cap=4 << 20):
        return min(cap, int(self.rng.lognormvariate(math.log(median), sigma)))

    def file(self, layer, path, median=1500, sigma=1.3, mode=0o644):
        self.st.add(layer, path, "file", (self.rng.randrange(self.pool), self.size(median, sigma), mode))

    def name(self, lo=1, hi=3):
        while True:
            n = "".join(self.rng.choice(SYL) for _ in range(self.rng.randint(lo, hi)))
            if self.rng.random() < 0.3:
                n += self.rng.choice(["-utils", "-common", "-data", "3", "2", "-bin", "-tools", "-base"])
            if n not in self.names:
                self.names.add(n)
                return n

    def word(self, lo=1, hi=2):
        """A name that need not be unique (the caller makes it so)."""
        return "".join(self.rng.choice(SYL) for _ in range(self.rng.randint(lo, hi)))

    def pareto(self, base, alpha, cap):
        return min(cap, int(base * self.rng.paretovariate(alpha)))

    def tree(self, layer, root, nfiles, exts, median=1500):
        """A package-private tree under root: about one directory per 9
        files, attached at random (depth capped at MAX_DEPTH from /), files
        spread with Zipf-like weights so a few directories hold most."""
        dirs = [root]
        ndirs = max(1, nfiles // 9)
        for _ in range(ndirs - 1):
            parent = self.rng.choice(dirs)
            if parent.count("/") + 1 >= MAX_DEPTH:
                parent = root
            dirs.append("%s/%s%d" % (parent, self.word(), len(dirs)))
        for d in dirs:
            self.st.add(layer, d, "dir")
        weights = [1.0 / (k + 1) for k in range(len(dirs))]
        self.rng.shuffle(weights)
        for i, d in enumerate(self.rng.choices(dirs, weights, k=nfiles)):
            self.file(layer, "%s/%s%d%s" % (d, self.word(), i, self.rng.choice(exts)), median)


def base_layer(g, scale):
    """Layer 0: the skeleton of a minimal Debian (usrmerge), /etc, tzdata."""
    st, rng = g.st, g.rng
    for d in BASE_DIRS:
        st.add(0, d, "dir")
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")):
        st.add(0, link, "symlink", target)
    for f in ETC_FILES:
        g.file(0, "etc/" + f, 400, 1.0)
    for f in LAYER_REWRITES:
        g.file(0, f, 20000 if "status" in f or "available" in f else 3000, 0.8)
    # tzdata: three copies of the region tree (zoneinfo, posix, right)
    nzones = max(2, int(60 * scale))
    for top in ("usr/share/zoneinfo", "usr/share/zoneinfo/posix", "usr/share/zoneinfo/right"):
        for reg in TZ_REGIONS:
            for i in range(g.pareto(nzones // 6, 1.3, nzones * 3)):
                g.file(0, "%s/%s/Zone%s%d" % (top, reg, g.word().capitalize(), i), 1200, 0.5)
    for i in range(int(40 * scale) + 1):  # apt lists, removed again in the top layer
        g.file(0, "var/lib/apt/lists/deb.debian.org_dists_%s_%d_Packages" % (g.word(), i), 30000, 1.5)
    return rng


def package(g, layer, langs):
    """One installed package: dpkg metadata, docs, binaries or libraries,
    man pages, translations and, for some, a private tree."""
    rng, st = g.rng, g.st
    n = g.name()
    kind = rng.choices(["lib", "tool", "data", "dev", "python"], [40, 30, 10, 10, 10])[0]
    info = ["list", "md5sums"] + [s for s, p in (("postinst", .6), ("prerm", .4), ("postrm", .5),
                                  ("conffiles", .3), ("triggers", .2), ("shlibs", .25), ("symbols", .2),
                                  ("templates", .15), ("config", .15)) if rng.random() < p]
    for s in info:
        g.file(layer, "var/lib/dpkg/info/%s.%s" % (n, s), 900, 1.2)
    g.file(layer, "usr/share/doc/%s/copyright" % n, 3000, 0.9)
    if rng.random() < 0.9:
        g.file(layer, "usr/share/doc/%s/changelog.Debian.gz" % n, 1500, 1.0)
    if rng.random() < 0.12:
        g.file(layer, "usr/share/doc/%s/NEWS.Debian.gz" % n, 1200, 1.0)
    if rng.random() < 0.05:
        g.tree(layer, "usr/share/doc/%s/examples" % n, g.pareto(3, 1.5, 60), [".txt", ".conf", ".sh", ""])
    if kind == "tool":
        for i in range(g.pareto(1, 1.2, 40)):
            where, man = ("usr/sbin", "man8") if rng.random() < 0.2 else ("usr/bin", "man1")
            exe = n if i == 0 else "%s-%s%d" % (n, g.word(1, 1), i)
            g.file(layer, "%s/%s" % (where, exe), 15000, 1.0, 0o755)
            g.file(layer, "usr/share/man/%s/%s.%s.gz" % (man, exe, man[-1]), 2500, 0.9)
            if rng.random() < 0.1:
                st.add(layer, "etc/alternatives/%s" % exe, "symlink", "/%s/%s" % (where, exe))
        if rng.random() < 0.3:
            g.tree(layer, rng.choice(["usr/lib/", "usr/share/", "usr/libexec/"]) + n,
                   g.pareto(6, 1.1, 1500), [".conf", "", ".sh", ".dat", ".txt"])
    elif kind in ("lib", "dev"):
        for i in range(g.pareto(1, 1.5, 12)):
            lib = "lib%s%s" % (n, "" if i == 0 else "-%s%d" % (g.word(1, 1), i))
            major = rng.randint(0, 9)
            real = "usr/lib/x86_64-linux-gnu/%s.so.%d.%d.%d" % (lib, major, rng.randint(0, 30), rng.randint(0, 9))
            g.file(layer, real, 25000, 1.0)
            st.add(layer, "usr/lib/x86_64-linux-gnu/%s.so.%d" % (lib, major), "symlink", real.rsplit("/", 1)[1])
            if kind == "dev":
                st.add(layer, "usr/lib/x86_64-linux-gnu/%s.so" % lib, "symlink", real.rsplit("/", 1)[1])
                g.file(layer, "usr/lib/x86_64-linux-gnu/%s.a" % lib, 30000, 1.0)
                g.file(layer, "usr/lib/x86_64-linux-gnu/pkgconfig/%s.pc" % lib, 300, 0.4)
        if kind == "dev":
            g.tree(layer, "usr/include/" + n, g.pareto(8, 1.1, 1500), [".h", ".h", ".hpp", ".inc"], 2500)
        elif rng.random() < 0.15:
            g.tree(layer, "usr/lib/x86_64-linux-gnu/" + n, g.pareto(5, 1.2, 600), [".so", ".conf", ".dat"], 20000)
    elif kind == "data":
        g.tree(layer, "usr/share/" + n, g.pareto(10, 1.0, 2500), [".xml", ".png", ".svg", ".txt", ".json", ""])
    else:
        root = rng.choice(["usr/lib/python3/dist-packages/", "usr/share/perl5/"]) + n
        ext = [".py", ".py", ".pyi", ".txt"] if "python" in root else [".pm", ".pm", ".pl", ".pod"]
        g.tree(layer, root, g.pareto(10, 1.1, 2500), ext, 3000)
        if "python" in root:
            g.file(layer, "usr/lib/python3/dist-packages/%s-1.0.dist-info/METADATA" % n, 2000, 0.8)
            g.file(layer, "usr/lib/python3/dist-packages/%s-1.0.dist-info/RECORD" % n, 3000, 1.0)
    if rng.random() < 0.15:
        for lang in rng.sample(langs, rng.randint(5, len(langs))):
            g.file(layer, "usr/share/locale/%s/LC_MESSAGES/%s.mo" % (lang, n), 3000, 0.8)
    if rng.random() < 0.3:
        if rng.random() < 0.5:
            g.file(layer, "etc/%s.conf" % n, 800, 1.0)
        else:
            for i in range(rng.randint(1, 6)):
                g.file(layer, "etc/%s/%s%d.conf" % (n, g.word(1, 1), i), 800, 1.0)


def plan_dirs(a, st, pool_size):
    """Fills st (a genstack.Stack) with the directory-heavy tree; file
    contents are (offset, size, mode) in a pool of pool_size bytes."""
    g = Gen(a.seed, st, pool_size)
    scale = a.files / 26000.0
    rng = base_layer(g, scale)
    langs = LANGS[:max(5, int(len(LANGS) * min(1.0, scale * 1.5)))]
    npkg = max(10, int(500 * scale))
    nl = len(st.layers)
    # the base layer carries 40 % of the packages, the others share the rest
    for i in range(npkg):
        layer = 0 if nl == 1 or i < npkg * 0.4 else 1 + int((i - npkg * 0.4) * (nl - 1) / (npkg * 0.6))
        package(g, min(layer, nl - 1), langs)
    for layer in range(1, nl):
        for f in LAYER_REWRITES:  # every apt step rewrites these
            if rng.random() < 0.8:
                g.file(layer, f, 20000 if "status" in f or "available" in f else 3000, 0.8)
        if layer + 1 < nl:  # downloaded here, deleted in the next layer
            for i in range(rng.randint(1, 4)):
                deb = "var/cache/apt/archives/%s_1.%d_amd64.deb" % (g.word(), i)
                g.file(layer, deb, 50000, 1.0)
                st.add(layer + 1, deb, "whiteout")
    if nl > 1:
        top = nl - 1
        st.add(top, "var/lib/apt/lists", "dir", "opaque")
        st.add(top, "var/lib/apt/lists/partial", "dir")
        g.file(top, "var/lib/apt/lists/lock", 1, 0.1)
        # a few files deleted by later layers (docs, caches)
        lower = [(j, p) for j in range(top) for p, (k, _) in st.layers[j].items() if k == "file"]
        for j, p in rng.sample(lower, max(1, len(lower) // 200)):
            st.add(rng.randrange(j + 1, nl), p, "whiteout")
    perl = [p for p, (k, _) in st.layers[0].items() if k == "file" and p.startswith("usr/bin/")][:3]
    for p in perl:  # hard links, as perl and perl5.36.0
        st.add(0, p + "-5.36", "hardlink", p)
