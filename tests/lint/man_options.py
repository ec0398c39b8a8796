#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""man_options.py PROGRAM PAGE.scd [SUBCOMMAND...]: the man page names every
option that the program's --help (and each SUBCOMMAND's --help) lists.

Options are the long ones (--name) and amberfs's -o options (-o name=...).
A man page that misses one is out of date: add the option to man/PAGE.scd.
When scdoc is installed the page must also render without an error.
"""
import re
import shutil
import subprocess
import sys

LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
MOUNT_OPT = re.compile(r"-o ([a-z][a-z_.]*)")


def help_text(argv):
    run = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=30)
    return run.stdout + run.stderr


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    program, page = sys.argv[1], sys.argv[2]
    subcommands = sys.argv[3:]
    with open(page, encoding="utf-8") as f:
        source = f.read()
    text = help_text([program])
    for sub in subcommands:
        text += help_text([program, sub])
    wanted = set(LONG.findall(text)) | set(MOUNT_OPT.findall(text))
    # scdoc escapes a backslash; the markup * and _ never splits a name.
    missing = sorted(o for o in wanted if o not in source)
    for sub in subcommands:
        if sub not in source:
            missing.append(sub + " (command)")
    rc = 0
    if missing:
        print("%s: not in %s: %s" % (program, page, ", ".join(missing)), file=sys.stderr)
        rc = 1
    scdoc = shutil.which("scdoc")
    if scdoc:
        run = subprocess.run([scdoc], input=source, capture_output=True, text=True)
        if run.returncode != 0:
            print("%s: scdoc: %s" % (page, run.stderr.strip()), file=sys.stderr)
            rc = 1
    if rc == 0:
        print("%s: all %d options of --help are in %s" % (program, len(wanted), page))
    return rc


if __name__ == "__main__":
    sys.exit(main())
