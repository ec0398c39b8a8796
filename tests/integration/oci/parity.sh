#!/bin/bash
# Parity check: one podman scenario run twice, once with the runtime that
# amber-oci wraps (runc here; crun where the cgroup layout allows it) and
# once with amber-oci.  Every step's output and exit code must be the same,
# except the steps tagged "write", which change the image: those succeed
# with the plain runtime and are refused (EROFS) and logged with amber-oci.
# Run by meson as oci_parity; by hand: AMBER_OCI=... AMBERFS=... parity.sh
. "$(dirname "$0")/lib.sh"
need podman
RT=${AMBER_OCI_RUNTIME:-$(command -v runc || command -v crun)} || skip "neither runc nor crun is installed"

mkdir -p "$T/bin" "$T/logs"
# podman hands --log-format=json and --log to the runtimes it knows to
# support them (runc, crun) and reads their errors back from there: it
# must know amber-oci does too, or error messages differ in form.
printf '[engine]\nruntime_supports_json = ["crun", "runc", "amber-oci"]\n' >"$T/containers.conf"
export CONTAINERS_CONF=$T/containers.conf
cp "$AMBER_OCI" "$AMBERFS" "$T/bin/"
P=(podman --root "$T/pstore" --runroot "$T/prun" --tmpdir "$T/ptmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file)
on_exit "${P[*]} rm -af -t 0"
RUN=(run --network=none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
	--annotation "org.amber.log=$T/logs/parity.log")
make_rootfs "$T/rootfs"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
"${P[@]}" import "$T/rootfs.tar" localhost/amber-oci-parity >/dev/null 2>"$T/import.err" ||
	skip "podman cannot import an image here: $(tail -1 "$T/import.err")"
"${P[@]}" --runtime "$RT" "${RUN[@]}" --rm localhost/amber-oci-parity true 2>"$T/pre.err" ||
	skip "podman cannot run a container with $RT here: $(tail -1 "$T/pre.err")"

# step TAG NAME podman-args...: one line "TAG NAME rc=N: output" per step.
step() {
	local tag=$1 name=$2 out rc; shift 2
	out=$("${P[@]}" --runtime "$R" "$@" 2>&1)
	rc=$?
	# The runtime's path is part of podman's error messages.
	echo "$tag $name rc=$rc: $(tr '\n' '|' <<<"${out//$R/RUNTIME}")"
}

scenario() {
	local I=localhost/amber-oci-parity
	step same read "${RUN[@]}" --rm $I sh -c 'exec 2>&1; cat /etc/motd; ls /bin | wc -l; id; cat /etc/hostname >/dev/null && echo hostname-ok'
	step same exit "${RUN[@]}" --rm $I sh -c 'exec 2>&1; exit 7'
	step same missing "${RUN[@]}" --rm $I /no/such/program
	step write etc "${RUN[@]}" --rm $I sh -c 'exec 2>&1; echo x > /etc/x && cat /etc/x'
	step write rm "${RUN[@]}" --rm $I sh -c 'exec 2>&1; rm /etc/motd && echo removed'
	step same ro-tmpfs "${RUN[@]}" --rm --read-only --tmpfs /tmp $I sh -c 'exec 2>&1; echo t > /tmp/t && cat /tmp/t; echo x > /etc/x || echo refused'
	step same detach "${RUN[@]}" -d --name par $I sh -c 'exec 2>&1; trap "exit 42" TERM; while :; do sleep 0.1; done' >/dev/null
	echo "same detach-id rc=0: $("${P[@]}" ps -q --filter name=par | wc -l)"
	step same exec exec par sh -c 'exec 2>&1; cat /etc/passwd; echo $((6 * 7))'
	step same stop stop -t 20 par
	step same exit-code inspect --format '{{.State.ExitCode}}' par
	step same rm rm par
}

R=$RT
plain=$(scenario)
R=$T/bin/amber-oci
amber=$(scenario)
echo "$plain" | sed "s|^|# $(basename "$RT"): |"
echo "$amber" | sed 's/^/# amber-oci: /'
d=$(diff <(grep '^same ' <<<"$plain") <(grep '^same ' <<<"$amber")) ||
	fail "outputs or exit codes differ between $RT and amber-oci: $d"
pass "$(grep -c '^same ' <<<"$plain") steps: identical outputs and exit codes"
while read -r tag name rest; do
	[ "$tag" = write ] || continue
	grep -q "^write $name rc=0: " <<<"$plain" || fail "step '$name' failed with $RT itself: $rest"
	grep "^write $name " <<<"$amber" | grep -q "Read-only file system" || fail "step '$name' was not refused by amber-oci"
done <<<"$plain"
[ "$(log_attempts "$T/logs/parity.log" | sort | tr '\n' ' ')" = "create /etc/x create /etc/x unlink /etc/motd " ] ||
	fail "the audit log: $(log_attempts "$T/logs/parity.log" | tr '\n' ' ')"
pass "the write steps succeed with $RT and are refused and logged with amber-oci"
