#!/bin/bash
# Nothing of a run outlives it, however it ends: SIGKILL of amber-run takes
# the container (even one that ignores SIGTERM), amberfs and the state
# directory with it; amberfs dying under a running container stops the
# container and makes amber-run fail (125) with a clear message.
. "$(dirname "$0")/lib.sh"

# The command names $T, so leftovers() sees it too (not only the runner,
# the holder, init and amberfs, whose command lines name the layers).
deaf='trap "" TERM INT HUP; echo ready; while :; do sleep 1; done'

for init in "" --no-init; do
	log=$T/logs/kill${init}.log
	start_bg $init --log "$log" "$IMG" sh -c "$deaf" "$T/deaf"
	kill -KILL "$BG"
	wait_bg 10
	expect_rc 137 "amber-run killed"
	# Bounded: the daemon gets 5 s to end by itself before a SIGTERM.
	wait_clean 30
	tail -n 1 "$log" | jq -e 'select(.kind == "stop")' >/dev/null ||
		fail "amberfs did not finish its log with a stop record: $(tail -n 1 "$log")"
	ok "SIGKILL of amber-run ${init:+($init) }ends the container, amberfs and the state directory"
done

# amberfs killed under a running container.
for init in "" --no-init; do
	log=$T/logs/daemon${init}.log
	start_bg $init --log "$log" "$IMG" sh -c 'echo ready; while :; do sleep 0.2; done' "$T/loop"
	daemon=
	for p in $(leftovers); do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		parent=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		case "$cmd" in amberfs\ *) ;; *) continue ;; esac
		# the daemon, not one of its helpers (children of it)
		case "$(tr '\0' ' ' <"/proc/$parent/cmdline" 2>/dev/null)" in amberfs\ *) continue ;; esac
		daemon=$p
	done
	[ -n "$daemon" ] || fail "no amberfs daemon found"
	kill -KILL "$daemon"
	wait_bg 30
	expect_rc 125 "amberfs killed under the container"
	expect_err "amberfs \\(pid $daemon\\) died while the container was running: killed by signal 9" \
		"the runner says amberfs died"
	expect_err "unknown number of writes blocked \\(the log has no stop record; " "no stop record, said so"
	wait_clean 10
	ok "amberfs killed under a running container${init:+ ($init)}: container stopped, exit 125"
done

# Interrupted while amberfs mounts, after it forked its daemon: the runner
# kills both (the daemon becomes the holder's child only once amberfs is
# gone) and exits, leaving nothing.  A stand-in amberfs that never says
# "mounted"; its "daemon" names $T so leftovers() sees it.
mkdir -p "$T/fake"
cat >"$T/fake/amberfs" <<FAKE
#!/bin/bash
bash -c 'while :; do sleep 1; done' "$T/fake/daemon" &
touch "$T/fake/started"
while :; do sleep 1; done
FAKE
chmod -R a+rx "$T/fake"
chmod a+w "$T/fake"
"${AS[@]}" env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" XDG_STATE_HOME="$XDG_STATE_HOME" \
	XDG_CACHE_HOME="$XDG_CACHE_HOME" AMBERFS="$T/fake/amberfs" HOME="$HOME" "$RUNNER" -q "$IMG" true \
	>"$T/bg.out" 2>"$T/bg.err" &
BG=$!
for _ in $(seq 1 400); do
	[ -e "$T/fake/started" ] && break
	sleep 0.05
done
[ -e "$T/fake/started" ] || fail "the stand-in amberfs did not start: $(cat "$T/bg.err")"
sleep 0.2
kill -TERM "$BG"
wait_bg 20
[ "$RC" != 0 ] || fail "amber-run interrupted while mounting exited 0"
wait_clean 10
ok "SIGTERM while amberfs mounts, after it forked: amber-run exits and kills amberfs and its daemon"
