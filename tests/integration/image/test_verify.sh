#!/bin/bash
# verify: after an import it is clean; then a byte changed in an unpacked
# file, a file added and a mode changed are each reported (text and JSON),
# with exit status 1; an image that is fine still verifies alone.
. "$(dirname "$0")/lib.sh"
build_images
ai import "oci:$IMGS/img:t" a
expect_rc 0 "import"
ai verify a
expect_rc 0 "verify after import"

layer_of() { # PATH -> the layer root that holds it (as listed in its manifest)
	local m
	m=$(grep -l "\"path\":\"$1\"" "$STORE"/layers/*/files.jsonl | head -n 1)
	echo "${m%/files.jsonl}/root"
}
hello=$(layer_of etc/hello)/etc/hello
passwd=$(layer_of etc/passwd)/etc/passwd
added=$(layer_of etc/hello)/etc/added

# The layer directories are read-only (0555 and the image's modes): the
# tampering here is root's, as an intruder's would be.
chmod u+w "$(dirname "$hello")"
printf 'jello\n' >"$hello.new" && cat "$hello.new" >"$hello" && rm "$hello.new" # same size, one byte
echo intruder >"$added"
case "$MODE" in
nosub) setfattr -n user.containers.override_stat -v "0:0:0666:file" "$passwd" ;; # the mode amberfs shows
*) chmod 0666 "$passwd" ;;
esac
ai verify a
expect_rc 1 "verify after tampering"
expect_out "changed  etc/hello \(sha256\)" "a changed byte"
expect_out "added    etc/added" "an added file"
expect_out "changed  etc/passwd \(mode\)" "a changed mode"
expect_out "DRIFT" "drift said"
ok "$MODE: verify names a changed byte, an added file and a changed mode (exit 1)"

ai verify --json
expect_rc 1 "verify --json after tampering"
jq -e '.ok == false and ([.images[].layers[].changed[].path] | index("etc/hello") != null) and
	([.images[].layers[].added[]] | index("etc/added") != null) and
	([.images[].layers[].changed[] | select(.path == "etc/passwd") | .fields[]] | index("mode") != null)' \
	<<<"$OUT" >/dev/null || fail "verify --json: $OUT"
ok "$MODE: verify --json lists the same drift"

rm "$added"
rm -f "$(layer_of etc/group)/etc/group"
ai verify a
expect_rc 1 "verify after removal"
expect_out "removed  etc/group" "a removed file"
ok "$MODE: verify names a removed file"

if [ "$MODE" = nosub ]; then
	chmod 0666 "$(layer_of bin/busybox)/bin/busybox"
	ai verify a
	expect_out "changed  bin/busybox \(disk_mode\)" "a world-writable file on disk"
	ok "nosub: a mode changed on disk (not in the xattr) is drift too"
fi
