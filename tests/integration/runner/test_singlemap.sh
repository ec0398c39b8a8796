#!/bin/bash
# Rootless without /etc/subuid and /etc/subgid ranges: a single-id user
# namespace.  A user-owned image still gives EROFS with audit records; -u to
# another id fails with one clear message (125); a root-owned image is shown
# as root's (--owners auto), and its writes get EROFS with records too.
. "$(dirname "$0")/lib.sh"
[ "$MODE" = user ] || skip "only meaningful for an unprivileged user"

nosub=amber-run-nosub
id "$nosub" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$nosub" || skip "cannot create $nosub"
# This user must have no subordinate ids (only its own lines are touched).
sed -i "/^$nosub:/d" /etc/subuid /etc/subgid
AS=(setpriv --reuid "$nosub" --regid "$nosub" --init-groups --)
as() { "${AS[@]}" "$@"; }
chown -R "$nosub" "$T/run" "$T/state" "$T/cache" "$T/home" "$T/logs"
cp -a "$T/image" "$T/myimage"
chown -R "$nosub:$nosub" "$T/myimage"
MYIMG=$T/myimage/config:$T/myimage/app:$T/myimage/base

log=$T/logs/single.log
run --tmpfs /tmp --log "$log" "$MYIMG" sh -c '
	cat /proc/self/uid_map | tr -s " " | tr "\n" ";"; echo
	echo ok >/tmp/f && cat /tmp/f
	echo x >>/etc/passwd; mkdir /persist; true'
expect_rc 0 "single map run"
expect_out '^ ?0 [0-9]+ 1 ?;$' "a single-id map"
expect_out '^ok$' "tmpfs writable"
expect_err "can't create /etc/passwd: Read-only file system" "EROFS on a user-owned image"
n=$(jq -s '[.[] | select(.kind == "attempt")] | length' "$log")
[ "$n" = 2 ] || fail "expected 2 attempt records, found $n"
ok "single-id map: user-owned image writes refused with EROFS and logged"

run -q -u 1000 "$MYIMG" id
expect_rc 125 "-u 1000 without subordinate ids"
expect_err "id not mapped in the user namespace" "-u message"
ok "-u to an unmapped id: 125 with a clear message"

run -q "$IMG" true
expect_rc 0 "root-owned image"
[ -z "$ERR" ] || fail "--quiet printed: $ERR"
# A root-owned image cannot be mapped: --owners auto shows it as root's, so
# container root's writes reach amberfs (EROFS, logged), not the kernel's
# EACCES.  Before squash_to_root they failed with EACCES, unlogged.
log=$T/logs/rootimg.log
run --log "$log" "$IMG" sh -c 'stat -c "%u:%g" /etc/passwd; echo x >>/etc/passwd; rm /bin/sh; true'
expect_rc 0 "root-owned image"
expect_err "cannot map: showing the image's files as owned by root" "the runner says it squashes"
expect_out '^0:0$' "files shown as root's"
expect_err "can't create /etc/passwd: Read-only file system" "EROFS on a root-owned image"
n=$(jq -s '[.[] | select(.kind == "attempt")] | length' "$log")
[ "$n" = 2 ] || fail "expected 2 attempt records on the root-owned image, found $n"
run --owners image "$IMG" stat -c %u:%g /etc/passwd
expect_out '^65534:65534$' "--owners image keeps the unmapped owners (nobody)"
ok "root-owned image: shown as root's, writes refused with EROFS and logged"
