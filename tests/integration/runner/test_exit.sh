#!/bin/bash
# Exit codes (0, 3, 126, 127, 128+15), SIGTERM to the runner reaching the
# command (with and without init), and no zombie left under init.
. "$(dirname "$0")/lib.sh"

run -q "$IMG" true;                      expect_rc 0 "true"
run -q "$IMG" sh -c 'exit 3';            expect_rc 3 "exit 3"
run -q "$IMG" /etc/passwd;               expect_rc 126 "not executable"
expect_err "cannot execute '/etc/passwd'" "126 message"
run -q "$IMG" no-such-command;           expect_rc 127 "not found"
expect_err "command not found 'no-such-command'" "127 message"
run -q "$IMG" sh -c 'kill -TERM $$';     expect_rc 143 "killed by SIGTERM"
ok "exit codes 0 3 126 127 143"

# SIGTERM to the runner reaches the command (a trap answers it).
stop_bg() {
	kill -TERM "$BG"
	RC=0
	wait "$BG" || RC=$?
	OUT=$(cat "$T/bg.out")
	ERR=$(cat "$T/bg.err")
	assert_clean
}
loop='trap "echo got-TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done'
start_bg -q "$IMG" sh -c "$loop"
stop_bg
expect_rc 7 "trap exit code"
expect_out '^got-TERM$' "SIGTERM reached the command"
ok "SIGTERM to the runner reaches the command under init"

start_bg -q --no-init "$IMG" sh -c "$loop"
stop_bg
expect_rc 7 "trap exit code (--no-init)"
expect_out '^got-TERM$' "SIGTERM reached PID 1"
ok "SIGTERM reaches the command as PID 1 (--no-init)"

start_bg -q "$IMG" sh -c 'echo ready; exec sleep 1000'
stop_bg
expect_rc 143 "sleep killed by SIGTERM"
ok "runner exits 128+15 when the command dies of SIGTERM"

# Orphans reparent to init and are reaped: no Z state after they exit.
run -q "$IMG" sh -c '
	sh -c "sleep 0.2 & sleep 0.1 & exit 0"
	sleep 1
	ps -o pid,stat,comm | awk "NR > 1 && \$2 ~ /Z/ { print \"ZOMBIE\", \$0 }"
	ps -o pid,comm | awk "\$1 == 1 { print \"pid1\", \$2 }"'
expect_rc 0 "orphan script"
printf '%s\n' "$OUT" | grep -q ZOMBIE && fail "zombie under init: $OUT"
expect_out '^pid1 amber-init$' "init is PID 1"
ok "no zombie left under init"
