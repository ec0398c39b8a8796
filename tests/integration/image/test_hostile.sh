#!/bin/bash
# Hostile archives (written with Python's tarfile by hostile.py, each in a
# layout whose digests are right): absolute names, "..", a symlink out of
# the layer and a write through it (absolute and relative), hard links to
# /etc/passwd, out of the layer and to a file the layer does not hold, a
# 1 TiB entry, a sparse entry, a name past PATH_MAX, a duplicate entry,
# a file used as a directory.  Each import is refused naming the entry and
# the reason, leaves nothing in the store, and nothing appears in the
# directory the entries aim at.
. "$(dirname "$0")/lib.sh"

outside=$T/outside
mkdir -p "$outside" "$T/hostile"
chmod 0777 "$outside" # writable by the test user too: only the importer's care keeps it empty
python3 "$HERE/hostile.py" "$T/hostile" "$outside" >"$T/cases.txt"
chmod -R a+rX "$T/hostile"
n=0
while IFS=$'\t' read -r case why; do
	ai import "oci:$T/hostile/$case:t"
	expect_rc 2 "hostile case $case"
	expect_err "entry '.*' refused: .*$why" "hostile case $case names the entry and says why"
	assert_store_empty "hostile case $case"
	left=$(ls -A "$outside")
	[ -z "$left" ] || fail "hostile case $case wrote outside the layer: $left"
	n=$((n + 1))
	ok "$MODE: $case refused ($why), nothing stored, nothing written outside"
done <"$T/cases.txt"
[ $n -ge 12 ] || fail "only $n hostile cases ran"
