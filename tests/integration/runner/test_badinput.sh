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
	# (126/127: the container did run, so the summary line follows)
	msg=$(printf '%s\n' "$ERR" | grep -Ev '^amber-run: [0-9]+ writes? blocked; log: ')
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
# Late failures (amberfs already running): still nothing left behind.
bad 125 "synthesizes directories only" --ro-bind /etc/hostname:/etc/newfile "$IMG" true
bad 125 "cannot change to the working directory '/nonexistent'" -w /nonexistent "$IMG" true
bad 127 "command not found" "$IMG" /nonexistent/cmd
bad 126 "cannot execute" "$IMG" /etc
