#!/bin/bash
# Images saved by podman: `podman import` of a debootstrap'ed Debian
# minbase, then `podman save` as docker-archive (the legacy form, whose
# layer is reached through a symlink) and as oci-archive.  Both imports
# must serve exactly the tree `umoci unpack` makes of the same image, and
# verify must be clean.  The minbase is cached in /var/tmp/amber-minbase
# (shared with the runner tests); the test skips (77) when debootstrap
# cannot reach a mirror or podman is not installed.
. "$(dirname "$0")/lib.sh"
[ "$MODE" = root ] || skip "podman runs as root here (rootless podman needs its own set-up)"
command -v podman >/dev/null || skip "podman is not installed"
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

# podman with its own storage in $T (PEERS.md's recipe), nothing global.
P=(podman --root "$T/pstore" --runroot "$T/prun" --storage-driver vfs --cgroup-manager cgroupfs
	--events-backend file)
tar -C "$MB" -cf "$T/mb.tar" .
"${P[@]}" import -q "$T/mb.tar" localhost/minbase:1 >/dev/null || skip "podman import does not work here"
"${P[@]}" save -q --format docker-archive -o "$T/mb-docker.tar" localhost/minbase:1
"${P[@]}" save -q --format oci-archive -o "$T/mb-oci.tar" localhost/minbase:1
"${P[@]}" rmi -a -f >/dev/null 2>&1 || true
rm -f "$T/mb.tar"

skopeo copy -q "oci-archive:$T/mb-oci.tar" "oci:$T/lay:x"
umoci unpack --image "$T/lay:x" "$T/ref" >/dev/null
python3 "$HERE/treewalk.py" "$T/ref/rootfs" >"$T/ref.txt"
rm -rf "$T/ref" "$T/lay"

mkdir "$T/mnt"
for src in "docker-archive:$T/mb-docker.tar" "oci-archive:$T/mb-oci.tar"; do
	ai import "$src" minbase
	expect_rc 0 "import $src"
	ai mount minbase "$T/mnt"
	expect_rc 0 "mount"
	python3 "$HERE/treewalk.py" "$T/mnt" >"$T/got.txt" || { fusermount3 -u "$T/mnt"; fail "walk"; }
	fusermount3 -u "$T/mnt"
	diff -u "$T/ref.txt" "$T/got.txt" >"$T/diff.txt" ||
		fail "$src: the served tree differs from umoci unpack: $(head -n 40 "$T/diff.txt")"
	ai verify minbase
	expect_rc 0 "verify $src"
	ok "podman save ($src): the served tree equals umoci unpack ($(wc -l <"$T/ref.txt") entries), verify clean"
	ai rm minbase
	ai gc
done
