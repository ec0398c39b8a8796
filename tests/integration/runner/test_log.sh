#!/bin/bash
# The audit log under amber-run: capped by default (amberfs log_max_size=64M,
# log_keep=4), rotated as --log-max-size/--log-keep ask, and the exit line
# says how many refused writes the log could not record when its disk
# fills up, and when the log has no stop record to count from.
. "$(dirname "$0")/lib.sh"

# 500 refused creates of distinct names (no coalescing), ~600 bytes each.
flood='i=0; while [ $i -lt 500 ]; do echo >"/flood-$i"; i=$((i+1)); done 2>/dev/null'

log=$T/logs/default.log
run --log "$log" "$IMG" true
expect_rc 0 "default run"
jq -e -s '.[0] | .kind == "start" and .options.log_max_size == 67108864 and .options.log_keep == 4' "$log" \
	>/dev/null || fail "default cap not passed to amberfs: $(head -n 1 "$log")"
ok "by default the log is capped: log_max_size=64M, log_keep=4"

log=$T/logs/rotated.log
run --log "$log" --log-max-size 16K --log-keep 2 "$IMG" sh -c "$flood"
expect_rc 0 "flood with rotation"
[ -f "$log.1" ] && [ -f "$log.2" ] || fail "no rotated files: $(ls "$T/logs")"
[ -e "$log.3" ] && fail "more than 2 rotated files kept: $(ls "$T/logs")"
for f in "$log" "$log.1" "$log.2"; do
	[ "$(stat -c %s "$f")" -le 16384 ] || fail "$f is larger than 16K: $(stat -c %s "$f")"
done
n=$(tail -n 1 "$log" | jq -r 'select(.kind == "stop") | .totals.attempts')
[ -n "$n" ] && [ "$n" -ge 500 ] || fail "stop record after rotation: $(tail -n 1 "$log")"
expect_err "^amber-run: $n writes blocked; log: $log\$" "summary line after rotation"
ok "--log-max-size 16K --log-keep 2: three files of at most 16K, $n writes blocked"

# A log disk that fills up: a 64K tmpfs, 48K of it taken by a file the
# container removes after its flood, so that amberfs can write its loss
# and stop records at the end.
mkdir -p "$T/mnt/logfs"
mount -t tmpfs -o size=64k,mode=0755 amber-run-test "$T/mnt/logfs"
mkdir "$T/mnt/logfs/spill"
head -c 49152 /dev/zero >"$T/mnt/logfs/spill/filler"
[ "$MODE" = user ] && chown -R "$TEST_USER" "$T/mnt"
log=$T/mnt/logfs/full.log
run --log "$log" -v "$T/mnt/logfs/spill:/spill" "$IMG" sh -c "$flood; rm /spill/filler"
expect_rc 0 "flood on a full log disk"
line=$(printf '%s\n' "$ERR" | grep '^amber-run: [0-9]* writes blocked') ||
	fail "no summary line: $ERR"
re="^amber-run: ([0-9]+) writes blocked \\(([0-9]+) not recorded: log disk full\\); log: $log\$"
[[ $line =~ $re ]] || fail "summary line does not report the losses: $line"
n=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]}
[ "$n" -ge 500 ] && [ "$m" -gt 0 ] || fail "implausible counts: $line"
stop=$(tail -n 1 "$log" | jq -c 'select(.kind == "stop") | [.totals.attempts, .totals.lost]')
[ "$stop" = "[$n,$m]" ] || fail "summary line '$line' differs from the stop record $stop"
lost=$(jq -s '[.[] | select(.kind == "loss") | .count] | add' "$log")
[ "$lost" = "$m" ] || fail "the loss records count $lost lost, the summary line $m"
ok "log disk full: '${line#amber-run: }'"

# The same without the space coming back: the stop record may not fit; then
# the line says so and counts what the log holds.
rm -f "$log"
head -c 49152 /dev/zero >"$T/mnt/logfs/spill/filler"
[ "$MODE" = user ] && chown -R "$TEST_USER" "$T/mnt"
log=$T/mnt/logfs/full2.log
run --log "$log" "$IMG" sh -c "$flood"
expect_rc 0 "flood on a disk that stays full"
line=$(printf '%s\n' "$ERR" | grep '^amber-run: .* writes blocked') || fail "no summary line: $ERR"
re1="^amber-run: [0-9]+ writes blocked \\([0-9]+ not recorded: log disk full\\); log: $log\$"
re2="^amber-run: unknown number of writes blocked \\(the log has no stop record; [0-9]+ recorded"
re2+="(, at least [0-9]+ not recorded: log disk full)?\\); log: $log\$"
[[ $line =~ $re1 || $line =~ $re2 ]] || fail "summary line on a full disk: $line"
ok "log disk still full: '${line#amber-run: }'"
