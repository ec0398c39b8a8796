#!/bin/bash
# A real Debian minbase root file system, made by debootstrap and owned by
# host root, run by amber-run as root and rootless (with a subordinate id
# range).  Rootless, its owners cannot be mapped: amber-run shows them as
# root's (--owners auto, amberfs squash_to_root), so dpkg, apt-get and id
# work, and every write is refused with EROFS and logged, also from a
# non-root user inside (-u 1000), whom the kernel's default_permissions
# used to refuse with an unlogged EACCES.
#
# The rootfs is cached in /var/tmp/amber-minbase (about 200 MB, 30-60 s
# to make); the test skips (77) when debootstrap cannot reach a mirror.
. "$(dirname "$0")/lib.sh"

command -v debootstrap >/dev/null || skip "debootstrap is not installed"
MB=/var/tmp/amber-minbase
(
	flock 9
	if [ ! -f "$MB.done" ]; then
		rm -rf "$MB"
		debootstrap --variant=minbase bookworm "$MB" http://deb.debian.org/debian \
			>"$T/debootstrap.log" 2>&1 || exit 77
		touch "$MB.done"
	fi
) 9>"$MB.lock" || { rc=$?; [ $rc = 77 ] && skip "debootstrap failed: $(tail -n 3 "$T/debootstrap.log")"; fail "debootstrap"; }
[ "$(stat -c %u "$MB/etc/passwd")" = 0 ] || fail "$MB is not owned by root"

if [ "$MODE" = user ]; then
	grep -q "^$TEST_USER:" /etc/subuid /etc/subgid 2>/dev/null ||
		usermod --add-subuids 200000-265535 --add-subgids 200000-265535 "$TEST_USER"
fi

log=$T/logs/minbase.log
run --log "$log" "$MB" sh -c '
	id
	dpkg -l | grep -c "^ii"
	apt-get --version | head -n 1
	stat -c "passwd %u:%g" /etc/passwd
	touch /etc/x; echo x >>/etc/passwd; rm /usr/bin/dpkg; mkdir /var/x; chmod 4755 /bin/sh
	true'
expect_rc 0 "minbase run"
expect_out '^uid=0\(root\) gid=0\(root\)' "id works"
expect_out '^apt [0-9.]+' "apt-get --version works"
n=$(printf '%s\n' "$OUT" | sed -n 2p)
[ "$n" -gt 50 ] 2>/dev/null || fail "dpkg -l lists $n installed packages; stdout: $OUT; stderr: $ERR"
expect_out '^passwd 0:0$' "files owned by root inside"
for w in "touch: cannot touch '/etc/x': Read-only file system" \
	"create /etc/passwd: Read-only file system" \
	"rm: cannot remove '/usr/bin/dpkg': Read-only file system" \
	"mkdir: cannot create directory '/var/x': Read-only file system" \
	"chmod: changing permissions of '/bin/sh': Read-only file system"; do
	expect_err "$w" "refused with EROFS"
done
n=$(jq -s '[.[] | select(.kind == "attempt")] | length' "$log")
[ "$n" -ge 5 ] || fail "expected at least 5 attempt records, found $n"
for a in create open_write unlink mkdir chmod; do
	jq -e -s --arg a "$a" 'any(.[]; .kind == "attempt" and .event.action == $a)' "$log" >/dev/null ||
		fail "no '$a' record in the log"
done
ok "minbase ($MODE): dpkg -l, apt-get --version and id work; 5 writes refused with EROFS, all logged"

# A non-root user inside: EROFS and a record, not the kernel's EACCES.
log=$T/logs/minbase-u.log
run --log "$log" -u 1000 "$MB" sh -c '
	id -u; echo x >>/etc/passwd; rm /etc/passwd; mkdir /etc/x; cat /etc/shadow; true'
expect_rc 0 "minbase run as 1000"
expect_out '^1000$' "runs as 1000"
expect_err "create /etc/passwd: Read-only file system" "append as 1000: EROFS"
expect_err "rm: cannot remove '/etc/passwd': Read-only file system" "rm as 1000: EROFS"
expect_err "mkdir: cannot create directory '/etc/x': Read-only file system" "mkdir as 1000: EROFS"
expect_err "cat: can't open '/etc/shadow': Permission denied|cat: /etc/shadow: Permission denied" \
	"reads keep the permission check"
n=$(jq -s '[.[] | select(.kind == "attempt" and .user.uid == 1000)] | length' "$log")
[ "$n" = 3 ] || fail "expected 3 attempt records by uid 1000, found $n: $(cat "$log")"
ok "minbase ($MODE) -u 1000: writes get EROFS and are logged; /etc/shadow stays unreadable"
