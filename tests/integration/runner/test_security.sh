#!/bin/bash
# The default seccomp profile blocks mount, unshare(CLONE_NEWUSER), keyctl,
# bpf and ptrace of a non-child; --seccomp unconfined lifts it; the
# container's root has Docker's capability set (--cap-add ALL: every one
# amber-run may grant); /proc is masked.
. "$(dirname "$0")/lib.sh"

probe=$AMBER_BUILDDIR/tests/integration/runner/amber-sysprobe
[ -x "$probe" ] || fail "amber-sysprobe not built"
cp "$probe" "$T/probe"
chmod 755 "$T/probe"
mnt=(--tmpfs /t --ro-bind "$T/probe:/t/probe")

for p in mount unshare-user keyctl bpf ptrace; do
	run -q "${mnt[@]}" "$IMG" /t/probe "$p"
	expect_rc 1 "default profile, $p"
	expect_out "^$p blocked" "default profile, $p"
	run -q --seccomp unconfined "${mnt[@]}" "$IMG" /t/probe "$p"
	expect_rc 0 "--seccomp unconfined, $p"
	expect_out "^$p allowed" "unconfined, $p"
done
ok "default seccomp blocks mount, unshare(NEWUSER), keyctl, bpf, ptrace; unconfined lifts it"

# --cap-add SYS_PTRACE re-allows ptrace, as in Docker.
run -q --cap-add SYS_PTRACE "${mnt[@]}" "$IMG" /t/probe ptrace
expect_rc 0 "ptrace with --cap-add SYS_PTRACE"
ok "--cap-add SYS_PTRACE re-allows ptrace"

# Descriptors the caller leaks to amber-run do not reach the container.
exec 7</dev/null 8>"$T/leak"
run -q "$IMG" sh -c 'ls /proc/$$/fd | tr "\n" " "'
exec 7<&- 8>&-
printf '%s\n' "$OUT" | grep -Eq '(^| )[78]( |$)' && fail "inherited descriptors reached the container: $OUT"
ok "only stdin, stdout and stderr reach the command ($OUT)"

# A Docker-format FILE profile: allow all but mkdir, which gets EACCES.
cat >"$T/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
chmod 644 "$T/profile.json"
run -q --seccomp "$T/profile.json" --tmpfs /scratch "$IMG" sh -c 'mkdir /scratch/d; echo ok >/scratch/f && cat /scratch/f'
expect_err 'Permission denied' "FILE profile: mkdir refused with EACCES"
expect_out '^ok$' "FILE profile: other calls allowed"
ok "--seccomp FILE (Docker JSON) applies its rules"

run -q "$IMG" sh -c 'grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/self/status; grep ^NoNewPrivs /proc/self/status; grep ^Seccomp: /proc/self/status'
expect_rc 0 "status"
expect_out $'^CapEff:\t00000000a80425fb$' "CapEff is the default set"
expect_out $'^CapBnd:\t00000000a80425fb$' "CapBnd is the default set"
expect_out $'^CapInh:\t0000000000000000$' "CapInh empty"
expect_out $'^NoNewPrivs:\t1$' "no_new_privs"
expect_out $'^Seccomp:\t2$' "seccomp filter mode"
ok "container root: CapEff = Docker's default set (a80425fb), no_new_privs, seccomp on"

run -q --cap-drop ALL --cap-add CHOWN "$IMG" grep ^CapEff /proc/self/status
expect_out $'^CapEff:\t0000000000000001$' "--cap-drop ALL --cap-add CHOWN"
run -q -u 1000:1000 "$IMG" grep ^CapEff /proc/self/status
if [ "$RC" = 0 ]; then
	expect_out $'^CapEff:\t0000000000000000$' "non-root user has no capabilities"
fi
ok "--cap-add/--cap-drop; a non-root user has no effective capabilities"

# --cap-add ALL grants every capability amber-run may grant: as root its
# bounding set (which may lack some, e.g. in a container), and no more;
# rootless, every capability of the new user namespace (its bounding set
# starts full).
last=$(cat /proc/sys/kernel/cap_last_cap)
if [ "$MODE" = root ]; then
	bnd=$(grep ^CapBnd /proc/self/status | cut -f2)
else
	bnd=$(printf '%016x' $(((1 << (last + 1)) - 1)))
fi
run -q --cap-add ALL "$IMG" grep -E '^Cap(Eff|Bnd)' /proc/self/status
expect_rc 0 "--cap-add ALL"
expect_out $'^CapEff:\t'"$bnd"'$' "--cap-add ALL: CapEff = what amber-run may grant"
expect_out $'^CapBnd:\t'"$bnd"'$' "--cap-add ALL: CapBnd = what amber-run may grant"
ok "--cap-add ALL gives what amber-run may grant ($bnd)"
# As root, a capability named but not in that set: refused, by name.
missing=
for c in $(seq 0 "$last"); do
	if [ $(((0x$bnd >> c) & 1)) = 0 ]; then missing=$c; break; fi
done
if [ -n "$missing" ]; then
	name=$(capsh --decode="$(printf '%x' $((1 << missing)))" 2>/dev/null | sed 's/.*=cap_//')
	if [ -n "$name" ]; then
		run -q --cap-add "$name" "$IMG" true
		expect_rc 125 "--cap-add $name (not in the bounding set)"
		expect_err "capability '$name' cannot be granted: it is not in amber-run's bounding set" "--cap-add $name"
		ok "--cap-add $name, outside the bounding set: refused, naming it"
	fi
fi
