#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The names of the audit log, as amber-log knows them (`amber-log schema
--json`, the tables of common/audit_schema.c), are the names the contract
gives, docs/audit-log.md: the schema version, every record kind (one
section each), every action of the gate's table, the loss and rotate
reasons, the outcome, the "now" of time arguments, and every flag and file
type the page names.  The other tests take the names from the dump, so
this is where a name that drifts from the contract is caught."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from amber.amberlog import check, finish, run  # noqa: E402

SRC = os.environ.get("AMBER_SRCDIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def section(doc, title_re, level="##"):
    """The text of the first section whose heading matches, up to the next
    heading of the same or a higher level."""
    m = re.search(rf"^{level} {title_re}.*$", doc, re.M)
    if not m:
        return ""
    rest = doc[m.end():]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.M)
    return rest[:end.start()] if end else rest


def ticked(text):
    """The `code` spans of the prose (fenced examples left out)."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.findall(r"`([^`]+)`", prose)


doc = open(os.path.join(SRC, "docs", "audit-log.md"), encoding="utf-8").read()
rc, out, err = run("schema", "--json", check_rc=0)
if rc != 0:
    finish("logtool-schema-contract")
s = json.loads(out)

# version: "Every record begins with `"v":1`"
m = re.search(r'Every record begins with `"v":(\d+)`', doc)
check(m and int(m.group(1)) == s["version"], f"schema version {s['version']}, contract {m and m.group(1)}")

# kinds: one "### `kind` — ..." section each, in this order
rec = section(doc, "Record format")
kinds = re.findall(r"^### `(\w+)` —", rec, re.M)
check(kinds == s["kinds"], f"kinds: schema {s['kinds']}, contract sections {kinds}")

# actions: the first column of the gate's table
gate = section(doc, "The gate")
actions = []
for line in gate.splitlines():
    if line.startswith("| `"):
        actions += ticked(line.split("|")[1])
check(sorted(actions) == sorted(s["actions"]) and len(actions) == len(set(actions)),
      f"actions: schema {sorted(s['actions'])}, contract table {sorted(actions)}")

# loss reasons: queue_full, queue_timeout, write_error:<ERRNO>
loss = section(doc, "`loss`", "###")
reasons = set()
for t in ticked(loss):
    if re.fullmatch(r"queue_\w+", t):
        reasons.add(t)
    elif t.startswith("write_error" + s["loss_errno_separator"]):
        reasons.add("write_error")
check(reasons == set(s["loss_reasons"]), f"loss reasons: schema {s['loss_reasons']}, contract {sorted(reasons)}")
check(f"`write_error{s['loss_errno_separator']}<ERRNO>`" in loss, "write_error carries the errno name")

# rotate reasons: "`reason` is `size` (log_max_size) or `reopen`"
rot = section(doc, "`rotate`", "###")
m = re.search(r"`reason` is `(\w+)`[^`]*or `(\w+)`", rot)
check(m and list(m.groups()) == s["rotate_reasons"], f"rotate reasons: schema {s['rotate_reasons']}, "
      f"contract {m and m.groups()}")

# the outcome and "now", as the attempt section spells them
att = section(doc, "`attempt`", "###")
check(f'"outcome":"{s["outcome"]}"' in att, f"outcome {s['outcome']!r} is the contract's")
check(f'`"{s["time_now"]}"`' in att, f"time argument {s['time_now']!r} is the contract's")

# every flag and file type the page names is one the schema knows
flags = set(s["open_access"]) | set(s["open_flags"]) | set(s["rename_flags"])
named = set(re.findall(r"\b(?:O|RENAME)_[A-Z]+\b", rec + gate))
check(named and named <= flags, f"flags the contract names but the schema lacks: {sorted(named - flags)}")
m = re.search(r"mknod adds `type`: (.*?)…", att, re.S)
types = set(ticked(m.group(1))) if m else set()
check(types and types <= set(s["file_types"]), f"file types: contract {sorted(types)}, schema {s['file_types']}")

# the text form lists the same names
rc, text, _ = run("schema", check_rc=0)
for a in s["actions"] + s["kinds"]:
    check(re.search(rf"\b{a}\b", text), f"amber-log schema (text) lists {a}")

finish("logtool-schema-contract")
