#!/bin/bash
# -t gives the command a pseudo-terminal (script(1) provides ours).
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script(1) missing"

cmd="XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR XDG_STATE_HOME=$XDG_STATE_HOME XDG_CACHE_HOME=$XDG_CACHE_HOME AMBERFS=$AMBERFS $RUNNER -q -t $IMG sh -c 'tty; test -t 0 && echo stdin-is-tty; echo \$TERM'"
RC=0
OUT=$(as script -qec "$cmd" /dev/null </dev/null | tr -d '\r') || RC=$?
ERR=
assert_clean
expect_rc 0 "-t"
# (script(1) may echo a stray ^@ when its stdin ends: not anchored left)
expect_out '/dev/pts/[0-9]+$' "tty prints a path"
expect_out 'stdin-is-tty$' "stdin is the terminal"
expect_out '^xterm$' "TERM is set"
ok "-t: tty prints $(printf '%s\n' "$OUT" | grep -o '/dev/pts/[0-9]*')"

cmd="XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR XDG_STATE_HOME=$XDG_STATE_HOME XDG_CACHE_HOME=$XDG_CACHE_HOME AMBERFS=$AMBERFS $RUNNER -q $IMG tty"
RC=0
OUT=$(as script -qec "$cmd" /dev/null </dev/null | tr -d '\r') || RC=$?
assert_clean
expect_out '^not a tty$' "without -t"
ok "without -t there is no terminal"

# An interactive shell through the pty.
cmd="XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR XDG_STATE_HOME=$XDG_STATE_HOME XDG_CACHE_HOME=$XDG_CACHE_HOME AMBERFS=$AMBERFS $RUNNER -q -t $IMG sh"
RC=0
OUT=$(printf 'echo in-$((40+2))\nexit 5\n' | as script -qec "$cmd" /dev/null | tr -d '\r') || RC=$?
assert_clean
expect_out 'in-42' "interactive shell ran the input"
ok "interactive shell over -t"
