"""targets: the performance targets of amberfs, computed from one bench/run.

Each target is a figure of this run (a ratio to kernel overlayfs from the
same run, or an absolute figure where the goal is one), the figure the
targets were set from ("was", the bench/run --full of docs/benchmarks.md
before the work), the goal, and whether this run meets it.  A target whose
workload did not run says "not measured".  Used by report.py (section
"Targets" of results.md, key "targets" of results.json).
"""
import statistics

INTRO = ("Goals of the daemon performance work, from this run: ratios are ÷ kernel overlayfs for the same "
         "stack, workload and mode; \"was\" is the figure they were set from (docs/benchmarks.md, before).  "
         "A figure needs its workload in the run (the default and --full runs have them all but the 1M point, "
         "which only --full has).")
NOT = "not measured"


def _st(stats, stack, w, mode, system):
    return stats.get((stack, w, mode, system))


def _ratio(stats, stack, w, mode, system="amberfs"):
    st = _st(stats, stack, w, mode, system)
    return st["ratio"] if st and st.get("ratio") is not None else None


def _x(v):
    if v is None:
        return NOT
    return "×%.0f" % v if v >= 100 else "×%.1f" % v if v >= 10 else "×%.2f" % v


def _row(target, was, now, goal, ok, value=None):
    return {"target": target, "was": was, "now": now, "goal": goal,
            "met": None if ok is None else bool(ok), "value": value}


def _ratio_row(stats, target, was, stack, w, mode, limit, goal=None):
    r = _ratio(stats, stack, w, mode)
    return _row(target, was, _x(r), goal or "≤ ×%g" % limit, None if r is None else r <= limit, r)


def _openclose(stats, stack, was):
    a, s = _ratio(stats, stack, "openclose", "warm"), _ratio(stats, stack, "openclose", "warm", "amberfs-st")
    now = _x(a) + ("; amberfs -s %s" % _x(s) if s is not None else "")
    return _row("openclose warm, %s (amberfs; -s)" % stack, was, now, "≤ ×2.0 (default mode)",
                None if a is None else a <= 2.0, a)


def _no_worse_than_st(stats, tolerance=1.05):
    """amberfs against amberfs -s wherever both ran: slower by more than
    the tolerance (noise) counts as worse."""
    pairs = []
    for (stack, w, mode, system), st in stats.items():
        if system != "amberfs":
            continue
        s = stats.get((stack, w, mode, "amberfs-st"))
        if s and s["median"] > 0:
            pairs.append((st["median"] / s["median"], "%s %s %s" % (stack, w, mode)))
    if not pairs:
        return _row("amberfs no worse than amberfs -s", "slower: synth warm openclose ×1.64, readall ×1.77, statwalk ×2.20",
                    NOT, "nowhere slower", None)
    worse = sorted((p for p in pairs if p[0] > tolerance), reverse=True)
    now = "slower on %d of %d figures%s" % (len(worse), len(pairs), ": " + ", ".join(
        "%s ×%.2f" % (name, r) for r, name in worse[:4]) + (" …" if len(worse) > 4 else "") if worse else "")
    return _row("amberfs no worse than amberfs -s (median ÷ median, same run)",
                "slower: synth warm openclose ×1.64, readall ×1.77, statwalk ×2.20", now, "nowhere > ×%.2f of -s" % tolerance, not worse,
                len(worse))


def _refused(stats):
    st = _st(stats, "synth", "refused", "warm", "amberfs-log")
    r = _ratio(stats, "synth", "refused", "warm", "amberfs-log")
    if not st:
        return _row("refused write with log=", "52.4 µs (×23.0)", NOT, "≤ 15 µs", None)
    return _row("refused write with log= (µs per refused open)", "52.4 µs (×23.0)",
                "%.1f µs (%s)" % (st["median"], _x(r)), "≤ 15 µs", st["median"] <= 15, st["median"])


def _writer(samples):
    runs = [s for s in samples if s["workload"] == "writer" and s.get("counted") and not s.get("failed")]
    if not runs:
        return _row("logged refusals per second (writer)", "about 19,000/s", NOT, "≥ 100,000/s, none lost", None)
    rates = [s["ops"] / (s["ns"] / 1e9) for s in runs if s["ns"] > 0]
    lost = sum(s.get("errors", 0) for s in runs)
    rate, low = statistics.median(rates), min(rates)
    now = "%s/s (slowest run %s/s; %d runs of %d threads); lost %d" % (
        format(int(rate), ","), format(int(low), ","), len(runs), runs[0].get("threads", 0), lost)
    return _row("logged refusals per second, audit writer alone (`writer`)",
                "about 19,000/s (through FUSE: 1 / 52.4 µs)", now, "≥ 100,000/s sustained, none lost",
                low >= 100000 and lost == 0, rate)


def _flood(stats):
    alone = _st(stats, "synth", "contention-alone", "warm", "amberfs-log")
    flood = _st(stats, "synth", "contention-flood", "warm", "amberfs-log")
    if not alone or not flood or alone["median"] <= 0:
        return _row("reader slowed by a refused-write flood (log=)", "+65 %", NOT, "≤ +25 %", None)
    slow = (flood["median"] / alone["median"] - 1) * 100
    return _row("reader slowed by a refused-write flood, amberfs log= (flood ÷ alone)", "+65 %",
                "%+.0f %% (%.1f → %.1f µs/op)" % (slow, alone["median"], flood["median"]), "≤ +25 %",
                slow <= 25, slow)


def _largest(stats, prefix):
    pts = sorted({int(k[0].split("-")[1]) for k in stats if k[0].startswith(prefix + "-")})
    return pts[-1] if pts else None


def _neglookup(stats):
    n = _largest(stats, "files")
    if n is None:
        return _row("neglookup cold at 1M entries", "×2.71", NOT, "≤ ×1.2", None)
    r = _ratio(stats, "files-%d" % n, "neglookup", "cold")
    return _row("neglookup cold at files-%d%s" % (n, "" if n >= 1000000 else " (largest point of this run)"),
                "×2.71 at 1M", _x(r), "≤ ×1.2 at 1M", None if r is None or n < 1000000 else r <= 1.2, r)


def _entries(samples, stack):
    for s in samples:
        if s["stack"] == stack and s.get("entries"):
            return s["entries"]
    for s in samples:
        if s["stack"] == stack and s.get("files"):
            return s["files"]
    return None


def _memory(rss_tab, samples):
    pts = sorted({int(st.split("-")[1]) for (st, sys) in rss_tab if st.startswith("files-") and sys == "amberfs"})
    if not pts:
        return _row("daemon memory per merged entry", "about 200 B at 1M", NOT, "≤ 120 B at 1M", None)
    n = pts[-1]
    stack = "files-%d" % n
    entries = _entries(samples, stack) or n
    hwm = rss_tab[(stack, "amberfs")]["hwm_kb"] * 1024
    per = hwm / entries
    now = "%.0f B (peak RSS %.1f MiB ÷ %s entries, files-%d)" % (per, hwm / 2**20, format(entries, ","), n)
    if len(pts) > 1:  # the part that grows with the tree, without the daemon's fixed size
        small = "files-%d" % pts[0]
        e0 = _entries(samples, small) or pts[0]
        h0 = rss_tab[(small, "amberfs")]["hwm_kb"] * 1024
        if entries > e0:
            now += "; %.0f B per added entry from files-%d" % ((hwm - h0) / (entries - e0), pts[0])
    return _row("daemon memory per merged entry (amberfs peak VmHWM after the walks ÷ merged entries: files, "
                "directories and symlinks the merged tree shows)", "about 200 B at 1M", now,
                "≤ 120 B at 1M", per <= 120 if n >= 1000000 else None, per)


def _startup(stats):
    rows = []
    ar, cr = _st(stats, "startup", "startup", "warm", "amber-run"), _st(stats, "startup", "startup", "warm", "crun")
    if ar and cr:
        rows.append(_row("amber-run start-to-exit of `true`, root (vs crun, same hyperfine session)",
                         "11.2 ms vs crun 6.75 ms", "%.1f ms vs crun %.1f ms (×%.2f)" %
                         (ar["median"], cr["median"], ar["median"] / cr["median"]), "≤ crun",
                         ar["median"] <= cr["median"], ar["median"] / cr["median"]))
    else:
        rows.append(_row("amber-run start-to-exit of `true`, root (vs crun)", "11.2 ms vs crun 6.75 ms",
                         NOT if not ar else "%.1f ms; crun not measured" % ar["median"], "≤ crun", None))
    rl = _st(stats, "startup", "startup", "warm", "amber-run-rootless")
    if rl:
        bw = _st(stats, "startup", "startup", "warm", "bwrap-rootless")
        rows.append(_row("amber-run start-to-exit of `true`, rootless", "14 ms",
                         "%.1f ms%s (crun rootless not measured)" % (rl["median"], "; bwrap rootless %.1f ms"
                                                                     % bw["median"] if bw else ""),
                         "≤ crun", None, rl["median"]))
    return rows


def compute(stats, rss_tab, samples):
    """The target rows, in the order of the issue's table."""
    rows = [_openclose(stats, "synth", "×3.30 (×2.01 with -s)"),
            _openclose(stats, "dirs", "×8.39 (external harness)"),
            _no_worse_than_st(stats),
            _ratio_row(stats, "statwalk warm, dirs", "×1.79 (external harness)", "dirs", "statwalk", "warm", 1.0),
            _ratio_row(stats, "readall warm, synth", "×2.40", "synth", "readall", "warm", 1.3),
            _ratio_row(stats, "readall warm, real", "×1.94", "real", "readall", "warm", 1.3),
            _ratio_row(stats, "compile warm, real", "×1.76", "real", "compile", "warm", 1.3),
            _ratio_row(stats, "compile cold, real", "×2.16", "real", "compile", "cold", 1.5),
            _ratio_row(stats, "mount cold, synth", "×4.78", "synth", "mount", "cold", 1.5),
            _ratio_row(stats, "mount warm, synth", "×7.57", "synth", "mount", "warm", 2.0),
            _ratio_row(stats, "mount cold, dirs", "×2.80 (external harness, mode not given)", "dirs", "mount", "cold", 1.5),
            _refused(stats), _writer(samples), _flood(stats), _neglookup(stats), _memory(rss_tab, samples)]
    return rows + _startup(stats)


def markdown(rows):
    out = ["| target | was | now (this run) | goal | met |", "|---|---|---|---|---|"]
    for r in rows:
        met = "–" if r["met"] is None else ("**met**" if r["met"] else "missed")
        out.append("| %s | %s | %s | %s | %s |" % (r["target"], r["was"], r["now"], r["goal"], met))
    return out
