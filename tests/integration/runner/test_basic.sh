#!/bin/bash
# amber-run end to end: the overlays (--tmpfs, -v) are writable, the rest of
# the tree answers EROFS and each refused write is in the audit log; volume
# contents reach the host; -u, -w, -e honoured; the summary line; the
# image's whiteout and missing mountpoints (synthesized by amberfs).
. "$(dirname "$0")/lib.sh"

log=$T/logs/basic.log
run --tmpfs /tmp -v "$T/vol:/data" --log "$log" "$IMG" sh -c '
	echo scratch >/tmp/a && cat /tmp/a
	echo hostvisible >/data/out
	for t in /etc/passwd /usr/bin/new /newfile; do
		if echo x >>"$t"; then echo "WROTE $t"; fi
	done
	mkdir /persist || true
	rm /bin/sh || true
	test -e /etc/motd && echo "MOTD VISIBLE"
	cat /etc/app.conf'
expect_rc 0 "write script"
expect_out '^scratch$' "tmpfs is writable"
expect_out '^greeting=hello$' "upper layer file visible"
printf '%s\n' "$OUT" | grep -q WROTE && fail "a write to the image succeeded: $OUT"
printf '%s\n' "$OUT" | grep -q "MOTD VISIBLE" && fail "whited-out /etc/motd is visible"
expect_err 'Read-only file system' "refused writes report EROFS"
ok "tmpfs and volume writable, image writes refused, whiteout honoured"

[ "$(cat "$T/vol/out")" = hostvisible ] || fail "volume content not visible on the host"
ok "volume content visible on the host"

[ -s "$log" ] || fail "no audit log at $log"
n=$(jq -s '[.[] | select(.kind == "attempt" or .kind == "summary")] | length' "$log")
[ "$n" -ge 5 ] || fail "expected >= 5 refused attempts in the log, found $n"
for p in /etc/passwd /usr/bin/new /newfile /persist /bin/sh; do
	jq -e -s --arg p "$p" 'any(.[]; .kind == "attempt" and .file.path == $p)' "$log" >/dev/null ||
		fail "no attempt record for $p in $log: $(jq -c "[.kind, .file.path]" "$log" | tr "\n" " ")"
done
jq -e -s 'any(.[]; .kind == "attempt" and .file.path == "/tmp/a")' "$log" >/dev/null &&
	fail "a tmpfs write was logged as refused"
ok "each refused write has an audit record; overlay writes have none"

total=$(tail -n 1 "$log" | jq -r 'select(.kind == "stop") | .totals.attempts')
expect_err "^amber-run: $total writes? blocked; log: $log\$" "summary line"
ok "summary line reports the stop record's count ($total)"

run -q --log "$log" "$IMG" true
expect_rc 0 "--quiet"
[ -z "$ERR" ] || fail "--quiet still printed: $ERR"
ok "--quiet prints nothing"

# -u, -w, -e, --env-file, --hostname
printf 'FROMFILE=yes\n# comment\n' >"$T/envfile"
chmod 644 "$T/envfile"
if [ "$MODE" = root ] || grep -q "^$TEST_USER:" /etc/subuid; then
	run -q -u 1000:1000 -w /home/user -e GREETING=hi --env-file "$T/envfile" --hostname box "$IMG" \
		sh -c 'id -u; id -g; pwd; echo "$GREETING $FROMFILE $HOME"; hostname'
	expect_rc 0 "-u -w -e"
	[ "$OUT" = "$(printf '1000\n1000\n/home/user\nhi yes /home/user\nbox')" ] ||
		fail "-u/-w/-e/--hostname not honoured: $OUT"
	ok "-u 1000:1000 -w -e --env-file --hostname honoured"
fi
run -q -u user -w /etc "$IMG" sh -c 'id -un; pwd'
if [ "$MODE" = user ] && ! grep -q "^$TEST_USER:" /etc/subuid; then
	expect_rc 125 "-u user without subordinate ids"
else
	expect_rc 0 "-u NAME"
	[ "$OUT" = "$(printf 'user\n/etc')" ] || fail "-u user -w /etc: $OUT"
fi
ok "-u NAME resolved in the image's /etc/passwd"

# Missing mountpoints are synthesized; nested mounts on a tmpfs work.
run -q --tmpfs /scratch --tmpfs /scratch/deeper/x -v "$T/vol:/srv/vol:ro" "$IMG" sh -c '
	echo a >/scratch/f && echo b >/scratch/deeper/x/f && cat /srv/vol/out
	echo no >/srv/vol/nope'
expect_rc 1 "ro volume write fails"
expect_out '^hostvisible$' "ro volume readable"
expect_err 'Read-only file system' "ro volume refuses writes"
ok "missing mountpoints synthesized, nested tmpfs, read-only volume"

# The generated /etc files are read-only.
run -q --hostname h1 "$IMG" sh -c 'cat /etc/hostname; echo x >/etc/hostname'
expect_out '^h1$' "/etc/hostname"
[ "$RC" -ne 0 ] || fail "/etc/hostname writable"
ok "/etc/hostname generated and read-only"
