#!/bin/bash
# Bad input: one clear message, exit 125 (or 126/127), nothing left
# behind (no state directory, mount, namespace holder or daemon).
. "$(dirname "$0")/lib.sh"

bad() { # want_rc, stderr regex, args...
	local want=$1 re=$2
	shift 2
	run "$@"
	expect_rc "$want" "amber-run $*"
	expect_err "$re" "amber-run $*"
	# (126/127: the container did run, so the summary line follows;
	# rootless, the note that the image's owners are shown as root's)
	msg=$(printf '%s\n' "$ERR" | grep -Ev '^amber-run: [0-9]+ writes? blocked; log: |which this user namespace cannot map')
	[ "$(printf '%s\n' "$msg" | grep -c .)" -eq 1 ] || fail "not exactly one message for '$*': $ERR"
	ok "exit $want, one message: ${msg#amber-run: }"
}

bad 125 "layer '$T/missing': No such file" "$T/missing" true
bad 125 "layer '.*/app' is not a directory|is not a directory" "$T/image/base/etc/passwd" true
bad 125 "expected SRC:DST" -v "$T/vol" "$IMG" true
bad 125 "must be an absolute path" -v "$T/vol:data" "$IMG" true
bad 125 "escapes the root" -v "$T/vol:/../../etc" "$IMG" true
bad 125 "escapes the root" --tmpfs "/a/../../b" "$IMG" true
bad 125 "volume source '$T/nope'" -v "$T/nope:/data" "$IMG" true
bad 125 "not allowed" --tmpfs "/t:dev" "$IMG" true
bad 125 "/proc, /dev and /sys are set up" --tmpfs /proc "$IMG" true
bad 125 "unknown option '--frobnicate'" --frobnicate "$IMG" true
bad 125 "missing COMMAND" "$IMG"
bad 125 "missing LAYER" -q
bad 125 "cannot read seccomp profile .*: No such file" --seccomp "$T/none.json" "$IMG" true
printf "{ not json" >"$T/bad.json"
chmod 644 "$T/bad.json"
bad 125 "is not valid JSON" --seccomp "$T/bad.json" "$IMG" true
# Inputs that never end or never come: refused at once (regular files of
# at most 1 MiB only), never read forever.  (run() kills a run that hangs
# after RUN_TIMEOUT s: status 124/137, not 125.)
RUN_TIMEOUT=30
mkfifo "$T/fifo"
chmod 666 "$T/fifo"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$T/big"
chmod 644 "$T/big"
bad 125 "seccomp profile '/dev/zero' is not a regular file" --seccomp /dev/zero "$IMG" true
bad 125 "seccomp profile '$T/fifo' is not a regular file" --seccomp "$T/fifo" "$IMG" true
bad 125 "seccomp profile '$T/big' is larger than 1024 KiB" --seccomp "$T/big" "$IMG" true
bad 125 "--env-file '/dev/zero' is not a regular file" --env-file /dev/zero "$IMG" true
bad 125 "--env-file '$T/fifo' is not a regular file" --env-file "$T/fifo" "$IMG" true
bad 125 "--env-file '$T/big' is larger than 1024 KiB" --env-file "$T/big" "$IMG" true
RUN_TIMEOUT=120
# Sizes that would wrap or mean "no limit" (tmpfs reads size=0 so).
bad 125 "size=17179869184g is too large" --tmpfs /tmp:size=17179869184g "$IMG" true
bad 125 "size=18446744073709551615 is too large" --tmpfs /tmp:size=18446744073709551615 "$IMG" true
bad 125 "size=99999999999999999999 is too large" --tmpfs /tmp:size=99999999999999999999 "$IMG" true
bad 125 "size=0 would mean no limit" --tmpfs /tmp:size=0 "$IMG" true
bad 125 "nr_inodes=99999999999999999999 is too large" --tmpfs /tmp:nr_inodes=99999999999999999999 "$IMG" true
bad 125 "uid=99999999999999999999" --tmpfs /tmp:uid=99999999999999999999 "$IMG" true
bad 125 "--log-max-size '99999999999999999999': too large" --log-max-size 99999999999999999999 "$IMG" true
bad 125 "--log-max-size '100': give 0" --log-max-size 100 "$IMG" true
bad 125 "--log-keep '1001': give a number from 0 to 1000" --log-keep 1001 "$IMG" true
# Container names become file names: not empty, printable, no '/'.
bad 125 "--name: the name is empty" --name '' "$IMG" true
bad 125 "--name: control character 0x0a at byte 1" --name "$(printf 'a\nb')" "$IMG" true
bad 125 "--name: control character 0x1b at byte 0" --name "$(printf '\033x')" "$IMG" true
bad 125 "must not contain '/'" --name a/b "$IMG" true
# Late failures (amberfs already running): still nothing left behind.
bad 125 "synthesizes directories only" --ro-bind /etc/hostname:/etc/newfile "$IMG" true
bad 125 "cannot change to the working directory '/nonexistent'" -w /nonexistent "$IMG" true
bad 127 "command not found" "$IMG" /nonexistent/cmd
bad 126 "cannot execute" "$IMG" /etc
