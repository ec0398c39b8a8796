#!/usr/bin/env python3
"""report: turns a bench/run results directory into results.json,
results.md and gnuplot PNG plots.

Input: DIR/samples.jsonl (one raw sample per line, written by bench/run) and
DIR/machine.json.  Every figure is a time (lower is better); ratios divide
a system's median by kernel overlayfs's median for the same stack, workload
and mode, i.e. from the same run.  Warm-up samples (counted=false) are kept
in results.json but never enter a statistic.  The targets of the
performance work (targets.py) are computed from the same statistics, and
bench/run's wall-time records ("wall:W") give the time each part took.
"""
import json
import os
import statistics
import subprocess
import sys

import targets

SYSTEMS = ["overlayfs", "native", "fuse-overlayfs", "amberfs", "amberfs-st",
           "amberfs-noopendir", "amberfs-nosplice", "amberfs-log", "amber-run", "bwrap", "crun",
           "amber-run-rootless", "bwrap-rootless"]
LABEL = {"amberfs-st": "amberfs -s", "amberfs-noopendir": "amberfs noopendir",
         "amberfs-nosplice": "amberfs nosplice",
         "amberfs-log": "amberfs log=", "overlayfs": "kernel overlayfs",
         "amber-run-rootless": "amber-run rootless", "bwrap-rootless": "bwrap rootless"}
# workload -> (unit, function(sample) -> value)
def per_op_us(s, ns="ns", ops="ops"):
    return s[ns] / max(s[ops], 1) / 1e3

METRICS = {
    "statwalk": ("ms", lambda s: s["ns"] / 1e6),
    "readdir": ("ms", lambda s: s["ns"] / 1e6),
    "readall": ("ms", lambda s: s["ns"] / 1e6),
    "compile": ("ms", lambda s: s["ns"] / 1e6),
    "mount": ("ms", lambda s: s["ns"] / 1e6),
    "seqread": ("ms", lambda s: s["ns"] / 1e6),
    "startup": ("ms", lambda s: s["ns"] / 1e6),
    "openclose": ("µs/op", per_op_us),
    "neglookup": ("µs/op", per_op_us),
    "randread": ("µs/op", per_op_us),
    "refused": ("µs/op", per_op_us),
    "contention-alone": ("µs/op", lambda s: per_op_us(s, "alone_ns", "alone_ops")),
    "contention-flood": ("µs/op", per_op_us),
    "contention-writes": ("µs/op", lambda s: per_op_us(s, "flood_ns", "flood_ops")),
    "writer": ("µs/op", per_op_us),
}
ORDER = ["statwalk", "readdir", "readall", "openclose", "neglookup", "mount", "seqread",
         "randread", "compile", "refused", "contention-alone", "contention-flood",
         "contention-writes", "writer", "startup"]
DESCR = {
    "statwalk": "lstat of every entry (whole tree)",
    "readdir": "readdir-only walk (d_type)",
    "readall": "read every regular file",
    "openclose": "open+close of existing files",
    "neglookup": "stat of names that do not exist",
    "mount": "mount until the first stat answers",
    "seqread": "fio sequential read of the big file, 1 MiB blocks",
    "randread": "fio random 4 KiB reads (psync)",
    "compile": "compile-like: include search + header reads",
    "refused": "refused write opens (EROFS)",
    "contention-alone": "reader open+close, alone",
    "contention-flood": "same reader while a refused-write flood runs",
    "contention-writes": "the flood's refused writes",
    "writer": "the audit writer alone (no FUSE): µs per record written, 2 threads submitting distinct events",
    "startup": "runner start-up, `true`",
}


def load(d):
    samples = []
    with open(os.path.join(d, "samples.jsonl")) as f:
        for line in f:
            if line.strip():
                samples.append(json.loads(line))
    with open(os.path.join(d, "machine.json")) as f:
        machine = json.load(f)
    return samples, machine


def expand(samples):
    """contention samples carry three measurements; split them."""
    out = []
    for s in samples:
        if s["workload"] == "contention" and not s.get("failed"):
            for w in ("contention-alone", "contention-flood", "contention-writes"):
                out.append(dict(s, workload=w))
        else:
            out.append(s)
    return out


def aggregate(samples):
    groups = {}
    for s in samples:
        w = s["workload"]
        if not s.get("counted") or s.get("failed") or w not in METRICS:
            continue
        key = (s["stack"], w, s["mode"], s["system"])
        groups.setdefault(key, []).append(METRICS[w][1](s))
    stats = {}
    for key, vals in groups.items():
        stats[key] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                      "n": len(vals)}
    for (stack, w, mode, system), st in stats.items():
        ref = stats.get((stack, w, mode, "overlayfs"))
        st["ratio"] = st["median"] / ref["median"] if ref and ref["median"] > 0 else None
    return stats


def rss(samples):
    out = {}
    for s in samples:
        if s["workload"].startswith("rss:") and not s.get("failed"):
            key = (s["stack"], s["system"])
            prev = out.get(key, {"rss_kb": 0, "hwm_kb": 0})
            out[key] = {"rss_kb": max(prev["rss_kb"], s["rss_kb"]),
                        "hwm_kb": max(prev["hwm_kb"], s["hwm_kb"])}
    return out


def fmt(v):
    if v is None:
        return "–"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def keys_sorted(stats):
    stacks = []
    for (stack, w, mode, _s) in stats:
        if stack not in stacks:
            stacks.append(stack)
    rows = sorted({(stack, w, mode) for (stack, w, mode, _s) in stats},
                  key=lambda k: (stacks.index(k[0]), ORDER.index(k[1]), k[2] != "cold"))
    return rows


def systems_in(stats, rows=None):
    present = {s for (st, w, m, s) in stats if rows is None or (st, w, m) in rows}
    return [s for s in SYSTEMS if s in present]


def scaling_rows(stats, prefix):
    pts = sorted({int(st.split("-")[1]) for (st, _w, _m, _s) in stats if st.startswith(prefix + "-")})
    return pts


def md_ratio_table(stats, rows):
    systems = [s for s in systems_in(stats, set(rows)) if s != "overlayfs"]
    head = "| stack | workload | mode | overlayfs median | " + " | ".join(
        LABEL.get(s, s) + " ÷ ovl" for s in systems) + " |"
    lines = [head, "|" + "---|" * (4 + len(systems))]
    for (stack, w, mode) in rows:
        ref = stats.get((stack, w, mode, "overlayfs"))
        if not ref:
            continue
        cells = []
        for s in systems:
            st = stats.get((stack, w, mode, s))
            cells.append("×" + fmt(st["ratio"]) if st and st["ratio"] is not None else "–")
        refcell = "%s %s" % (fmt(ref["median"]), METRICS[w][0]) if ref else "–"
        lines.append("| %s | %s | %s | %s | %s |" % (stack, w, mode, refcell, " | ".join(cells)))
    return lines


def md_summary_table(stats, rows):
    """The closing-note table: amberfs and fuse-overlayfs over kernel
    overlayfs, one line per stack and workload, cold and warm side by side."""
    pairs = []
    for (stack, w, _m) in rows:
        if (stack, w) not in pairs and any(stats.get((stack, w, m, "overlayfs")) for m in ("cold", "warm")):
            pairs.append((stack, w))
    lines = ["| stack | workload | amberfs ÷ ovl cold | amberfs ÷ ovl warm | fuse-overlayfs ÷ ovl cold "
             "| fuse-overlayfs ÷ ovl warm |", "|---|---|---|---|---|---|"]
    for (stack, w) in pairs:
        cells = []
        for s in ("amberfs", "fuse-overlayfs"):
            for m in ("cold", "warm"):
                st = stats.get((stack, w, m, s))
                cells.append("×" + fmt(st["ratio"]) if st and st["ratio"] is not None else "–")
        lines.append("| %s | %s | %s |" % (stack, w, " | ".join(cells)))
    return lines


def md_detail_table(stats, rows, runs):
    systems = systems_in(stats, set(rows))
    lines = ["| stack | workload | mode | unit | " + " | ".join(LABEL.get(s, s) for s in systems) + " |",
             "|" + "---|" * (4 + len(systems))]
    for (stack, w, mode) in rows:
        cells = []
        for s in systems:
            st = stats.get((stack, w, mode, s))
            cell = "%s (%s–%s)" % (fmt(st["median"]), fmt(st["min"]), fmt(st["max"])) if st else "–"
            if st and st["n"] != runs:
                cell += " n=%d" % st["n"]
            cells.append(cell)
        lines.append("| %s | %s | %s | %s | %s |" % (stack, w, mode, METRICS[w][0], " | ".join(cells)))
    return lines


def phases(samples):
    """bench/run's wall time per stack, workload and mode, in run order."""
    out = []
    for s in samples:  # a stack found built in --data takes no time: left out
        if s["workload"].startswith("wall:") and not (s["workload"] == "wall:prepare" and s["ns"] < 5e8):
            out.append({"stack": s["stack"], "part": s["workload"][5:], "mode": s["mode"], "s": s["ns"] / 1e9})
    return out


def hms(sec):
    return "%.1f s" % sec if sec < 60 else "%dm%02ds" % (sec // 60, sec % 60)


def md_phases(machine, ph):
    lines = ["| stack | part | mode | wall time |", "|---|---|---|---|"]
    per_stack = {}
    for p in ph:
        lines.append("| %s | %s | %s | %s |" % (p["stack"], p["part"], p["mode"], hms(p["s"])))
        per_stack[p["stack"]] = per_stack.get(p["stack"], 0) + p["s"]
    lines += ["", "| stack | wall time (all its parts) |", "|---|---|"]
    lines += ["| %s | %s |" % (k, hms(v)) for k, v in per_stack.items()]
    total = sum(p["s"] for p in ph)
    lines += ["", "Parts listed: %s; the whole run: %s (the rest: the writer and start-up workloads, "
              "mounting probes, the report)." % (hms(total), hms(machine["elapsed_s"]) if "elapsed_s" in machine
                                                   else "?")]
    return lines


def write_markdown(d, machine, stats, rss_tab, plots, tgts, ph):
    rows = keys_sorted(stats)
    main_rows = [r for r in rows if not r[0].startswith(("layers-", "files-"))]
    scale_rows = [r for r in rows if r[0].startswith(("layers-", "files-"))]
    v = machine.get("versions", {})
    out = ["# amber benchmark results", "",
           "- date: %s, host %s, mode `%s`, %d counted runs per figure after one warm-up"
           % (machine["date"], machine.get("host", "?"), machine["mode"], machine["runs"]),
           "- machine: %s, %d CPUs, %.1f GiB RAM, kernel %s, %s; stacks on %s"
           % (machine["cpu"], machine["ncpu"], machine["mem_kb"] / 2**20, machine["kernel"],
              machine["os"], machine["data_fs"]),
           "- load average at start %s, at end %s" % (machine.get("load_start"), machine.get("load_end", "?")),
           "- elapsed: %s (bench/run from start to report)"
           % (hms(machine["elapsed_s"]) if "elapsed_s" in machine else "? (interrupted)"),
           "- amberfs: %s (commit %s); fuse-overlayfs: %s; %s; %s"
           % (v.get("amberfs"), v.get("amberfs_commit"), v.get("fuse_overlayfs"), v.get("libfuse"), v.get("fio")),
           ]
    if machine.get("amberfs_missing"):
        out.append("- **amberfs not measured**: %s" % machine["amberfs_missing"])
    if machine.get("user_stack"):
        u = machine["user_stack"]
        out.append("- stack `%s`: %s%s" % (u["name"], "image %s, layers " % u["image"] if u.get("image") else
                                           "layers (top first) ", u["lowerdir"].replace(":", " : ")))
    out += ["", "All figures are times: lower is better.  Ratios are a system's median divided by kernel "
            "overlayfs's median for the same stack, workload and mode, from this run (×1.00 = as fast as "
            "kernel overlayfs, ×2 = twice as slow).  Cold: caches dropped and a fresh mount before each "
            "sample; warm: the same mount, after one warm-up pass.", ""]
    if any(t["now"] != "not measured" for t in tgts):
        out += ["## Targets", "", targets.INTRO, ""] + targets.markdown(tgts) + [""]
    out += ["## Summary: amberfs and fuse-overlayfs over kernel overlayfs", ""]
    out += md_summary_table(stats, main_rows + scale_rows)
    out += ["", "## Ratios to kernel overlayfs, every system", ""]
    out += md_ratio_table(stats, main_rows)
    out += ["", "## Medians (min–max)", ""]
    out += md_detail_table(stats, main_rows, machine["runs"])
    if scale_rows:
        out += ["", "## Scaling (layers-N: N layers, same file count; files-N: N entries, 10 layers)", ""]
        out += md_detail_table(stats, scale_rows, machine["runs"])
        out += [""] + md_ratio_table(stats, scale_rows)
    if rss_tab:
        out += ["", "## Daemon memory (peak VmHWM / last VmRSS, MiB)", "",
                "| stack | system | peak | rss |", "|---|---|---|---|"]
        for (stack, system), r in sorted(rss_tab.items()):
            out.append("| %s | %s | %.1f | %.1f |" % (stack, system, r["hwm_kb"] / 1024, r["rss_kb"] / 1024))
    if ph:
        out += ["", "## Where the time went", ""] + md_phases(machine, ph)
    out += ["", "## Workloads", ""] + ["- `%s`: %s" % (w, DESCR[w]) for w in ORDER]
    if plots:
        out += ["", "## Plots", ""] + ["![%s](plots/%s)" % (p, p) for p in plots]
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(out) + "\n")


def gnuplot(d, name, script):
    pdir = os.path.join(d, "plots")
    with open(os.path.join(pdir, name + ".gp"), "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", name + ".gp"], cwd=pdir, capture_output=True, text=True)
    if r.returncode != 0:
        print("report: gnuplot failed for %s: %s" % (name, r.stderr.strip()), file=sys.stderr)
        return None
    return name + ".png"


HEAD = "set terminal pngcairo size 1000,520 font 'sans,10'\nset output '%s.png'\n"


def plot_ratios(d, stats, mode):
    rows = [r for r in keys_sorted(stats) if r[2] == mode and not r[0].startswith(("layers-", "files-"))
            and ("overlayfs" in [s for s in systems_in(stats, {r})])]
    systems = [s for s in systems_in(stats, set(rows)) if s not in ("overlayfs",)]
    if not rows or not systems:
        return None
    name = "ratios-" + mode
    with open(os.path.join(d, "plots", name + ".dat"), "w") as f:
        f.write("# label " + " ".join(systems) + "\n")
        for (stack, w, m) in rows:
            vals = []
            for s in systems:
                st = stats.get((stack, w, m, s))
                vals.append("%.4f" % st["ratio"] if st and st["ratio"] else "NaN")
            f.write('"%s/%s" %s\n' % (stack, w, " ".join(vals)))
    plots = ", ".join("'%s.dat' using %d:xtic(1) title '%s'" % (name, i + 2, LABEL.get(s, s))
                      for i, s in enumerate(systems))
    script = HEAD % name + (
        "set title 'time relative to kernel overlayfs, %s (median; 1 = same; log scale)'\n"
        "set style data histogram\nset style histogram cluster gap 1\nset style fill solid 0.8 border -1\n"
        "set logscale y 2\nset yrange [0.01<*<0.5:*]\nset grid ytics\nset xtics rotate by -35 scale 0\n"
        "set key top left\nset arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc 'black'\n"
        "plot %s\n") % (mode, plots)
    return gnuplot(d, name, script)


def plot_scaling(d, stats, prefix, xlabel):
    pts = scaling_rows(stats, prefix)
    if len(pts) < 2:
        return None
    systems = systems_in(stats, {(prefix + "-%d" % p, w, m) for p in pts
                                 for w in ("statwalk", "neglookup") for m in ("cold", "warm")})
    name = "scaling-" + prefix
    panels = []
    for w, mode in (("statwalk", "cold"), ("statwalk", "warm"), ("neglookup", "cold"), ("neglookup", "warm")):
        fn = "%s-%s-%s.dat" % (name, w, mode)
        with open(os.path.join(d, "plots", fn), "w") as f:
            f.write("# x " + " ".join(systems) + "\n")
            for p in pts:
                vals = []
                for s in systems:
                    st = stats.get(("%s-%d" % (prefix, p), w, mode, s))
                    vals.append("%.5f" % st["median"] if st else "NaN")
                f.write("%d %s\n" % (p, " ".join(vals)))
        lines = ", ".join("'%s' using 1:%d with linespoints lw 2 title '%s'" % (fn, i + 2, LABEL.get(s, s))
                          for i, s in enumerate(systems))
        panels.append("set title '%s, %s (%s)'\nset ylabel '%s'\nplot %s\n"
                      % (w, mode, DESCR[w], METRICS[w][0], lines))
    script = (HEAD.replace("1000,520", "1100,800") % name +
              "set multiplot layout 2,2 title 'scaling with %s (median of counted runs)'\n"
              "set logscale x\nset logscale y\nset grid\nset key top left font ',8'\nset xlabel '%s'\n"
              % (xlabel, xlabel) + "".join(panels) + "unset multiplot\n")
    return gnuplot(d, name, script)


def plot_rss(d, rss_tab):
    series = {}
    for (stack, system), r in rss_tab.items():
        for prefix in ("layers", "files"):
            if stack.startswith(prefix + "-"):
                series.setdefault((prefix, system), []).append((int(stack.split("-")[1]), r["hwm_kb"] / 1024))
    if not series:
        return None
    name = "rss"
    panels = []
    for prefix, xlabel in (("layers", "layers (same file count)"), ("files", "entries (10 layers)")):
        systems = [s for s in SYSTEMS if (prefix, s) in series]
        if not systems:
            continue
        lines = []
        for s in systems:
            fn = "rss-%s-%s.dat" % (prefix, s)
            with open(os.path.join(d, "plots", fn), "w") as f:
                for x, y in sorted(series[(prefix, s)]):
                    f.write("%d %.2f\n" % (x, y))
            lines.append("'%s' using 1:2 with linespoints lw 2 title '%s'" % (fn, LABEL.get(s, s)))
        panels.append("set title 'daemon peak RSS vs %s'\nset xlabel '%s'\nplot %s\n"
                      % (prefix, xlabel, ", ".join(lines)))
    script = (HEAD % name + "set multiplot layout 1,%d\nset logscale x\nset grid\nset ylabel 'MiB (VmHWM)'\n"
              "set key top left\nset yrange [0:*]\n" % len(panels) + "".join(panels) + "unset multiplot\n")
    return gnuplot(d, name, script)


def main():
    d = sys.argv[1]
    raw, machine = load(d)
    samples = expand(raw)
    stats = aggregate(samples)
    rss_tab = rss(samples)
    tgts = targets.compute(stats, rss_tab, samples)
    ph = phases(raw)
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)
    plots = [p for p in (plot_ratios(d, stats, "cold"), plot_ratios(d, stats, "warm"),
                         plot_scaling(d, stats, "layers", "layers"),
                         plot_scaling(d, stats, "files", "entries"), plot_rss(d, rss_tab)) if p]
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"machine": machine,
                   "summary": [dict(stack=k[0], workload=k[1], mode=k[2], system=k[3],
                                    unit=METRICS[k[1]][0], **v) for k, v in sorted(stats.items())],
                   "rss": [dict(stack=k[0], system=k[1], **v) for k, v in sorted(rss_tab.items())],
                   "targets": tgts, "phases": ph,
                   "samples": raw}, f, indent=1)
    write_markdown(d, machine, stats, rss_tab, plots, tgts, ph)
    print(os.path.join(d, "results.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
