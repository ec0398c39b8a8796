#!/bin/bash
# Import of real images made by umoci and skopeo, in every transport:
# oci:DIR:REF, oci-archive:, docker-archive: (skopeo's legacy form and the
# OCI-in-docker form).  Oracle: the tree amberfs serves for each import is
# compared with `umoci unpack` of the same image over a whole walk (names,
# types, modes, owners, sizes, symlink targets, file hashes).
#   root   owners, setuid bits and the device node exactly as the image says;
#   nosub  rootless without a subordinate range: owners and modes are in
#          user.containers.override_stat, the device is a placeholder
#          described there, and a warning reports it;
#   user   rootless with a range: the import runs in a user namespace
#          mapped like amber-run's, so owners on disk are the range's
#          (image uid 1000 -> first subordinate id + 999); the served tree
#          is walked without owners (amberfs runs as the user outside the
#          namespace) and owners are checked on disk and by verify.
# Then: config and inspect, a second import reuses the layers, verify is
# clean, rm + gc empty the store.
. "$(dirname "$0")/lib.sh"
command -v fusermount3 >/dev/null || skip "fusermount3 is missing"
build_images
# The walker runs as the test's user too: a copy it can read wherever the
# clone lives (a 0700 checkout is not readable by that user).
cp "$HERE/treewalk.py" "$T/treewalk.py" && chmod 644 "$T/treewalk.py"
python3 "$HERE/treewalk.py" $(walk_flags) "$IMGS/ref/rootfs" >"$T/ref.txt"
if [ "$MODE" = user ] || [ "$MODE" = nosub ]; then
	# The walk runs as the user, and home/user is the image's uid 1000's,
	# mode 0750.  user: amberfs runs as the user, outside the namespace,
	# and cannot read below it (a subordinate id owns it on disk).  nosub:
	# amberfs presents the owner and mode of the override xattr and checks
	# the walker's permission against them, as the kernel would.  amber-run
	# serves such layers from inside its namespace; verify covers them.
	grep -v '^home/user/' "$T/ref.txt" >"$T/ref.tmp" && mv "$T/ref.tmp" "$T/ref.txt"
fi

mnt=$T/mnt
mkdir_as "$mnt"
n=0
for src in "oci:$IMGS/img:t" "oci-archive:$IMGS/oci.tar" "docker-archive:$IMGS/docker.tar" \
	"docker-archive:$IMGS/ocidocker.tar"; do
	n=$((n + 1))
	ai import "$src" "it/$n"
	expect_rc 0 "import $src"
	[ "$OUT" = "it/$n:latest" ] || fail "import $src printed '$OUT', want it/$n:latest"
	if [ "$MODE" != root ] && [ $n = 1 ]; then
		expect_err "dev/null' \(char 1:3\) cannot be created by this user" "the device node is reported"
	fi
	if [ "$MODE" = nosub ] && [ $n = 1 ]; then
		expect_err "setuid/setgid file\(s\): the bits are kept in user.containers.override_stat" \
			"setuid bits kept in the xattr are reported"
	fi
	ai mount "it/$n" "$mnt"
	expect_rc 0 "mount it/$n"
	walk_rc=0
	as /usr/bin/python3 "$T/treewalk.py" $(walk_flags) "$mnt" >"$T/got.txt" 2>"$T/walk.err" || walk_rc=$?
	fusermount3 -u "$mnt"
	[ $walk_rc = 0 ] || fail "walking the mount of $src: $(cat "$T/walk.err")"
	if ! diff -u "$T/ref.txt" "$T/got.txt" >"$T/diff.txt"; then
		fail "$src: the served tree differs from umoci unpack: $(head -n 40 "$T/diff.txt")"
	fi
	ok "$MODE: $src: the served tree equals umoci unpack ($(wc -l <"$T/ref.txt") entries)"
done

# Each layer was unpacked once, shared by the four images.
[ "$(ls "$STORE/layers" | wc -l)" = 4 ] || fail "expected 4 layers in the store, found: $(ls "$STORE/layers")"
ok "$MODE: 4 images share 4 layers"

ai config it/1 --json
expect_rc 0 "config"
printf '%s\n' "$OUT" | jq -e '.Entrypoint == ["/bin/sh","-c"] and .Cmd == ["echo hello from the image"] and
	(.Env | index("GREETING=hi")) != null and .WorkingDir == "/home/user" and .User == "1000:1000" and
	.StopSignal == "SIGINT" and .Labels["org.example.test"] == "yes"' >/dev/null ||
	fail "config: $OUT"
ai inspect "$(jq -r .Id <<<"$(as "$AI" --store "$STORE" inspect it/2)")"
expect_rc 0 "inspect by id"
printf '%s\n' "$OUT" | jq -e '(.DiffIDs | length) == 4 and (.LayerDirs | length) == 4 and
	(.ManifestDigest | startswith("sha256:"))' >/dev/null || fail "inspect: $OUT"
ai layers it/3
expect_rc 0 "layers"
[ "$(tr ':' '\n' <<<"$OUT" | wc -l)" = 4 ] || fail "layers: $OUT"
ok "$MODE: config, inspect (by id) and layers"

case "$MODE" in
user)
	f=$(ls -d "$STORE"/layers/*/root/home/user/file)
	[ "$(stat -c %u:%g "$f")" = "$((SUBUID + 999)):$((SUBUID + 999))" ] ||
		fail "home/user/file is owned by $(stat -c %u:%g "$f") on disk, want the range's uid for 1000"
	f=$(ls "$STORE"/layers/*/root/bin/suidtest)
	[ "$(stat -c %a "$f")" = 4755 ] || fail "setuid bit lost in the user namespace: $(stat -c %a "$f")"
	ok "user: owners on disk are the subordinate ids the image's owners map to; setuid kept"
	;;
nosub)
	f=$(ls "$STORE"/layers/*/root/home/user/file)
	[ "$(getfattr --absolute-names --only-values -n user.containers.override_stat "$f")" = "1000:1000:0640:file" ] ||
		fail "override xattr of home/user/file: $(getfattr -d "$f")"
	ok "nosub: owners and modes recorded in user.containers.override_stat"
	;;
esac

ai verify
expect_rc 0 "verify after import"
expect_out "it/4:latest: layer 4 of 4 .*: [0-9]+ files checked, ok" "verify lists each layer"
ai verify --json
expect_rc 0 "verify --json"
jq -e '.ok == true and (.images | length) == 4' <<<"$OUT" >/dev/null || fail "verify --json: $OUT"
ok "$MODE: verify is clean after import"

# A second import of the same source reads no layer (all present).
ai import "oci-archive:$IMGS/oci.tar" again
expect_rc 0 "second import"
ok "$MODE: second import of present layers"

ai rm it/1 it/2 it/3 it/4 again
expect_rc 0 "rm"
ai gc
expect_rc 0 "gc"
expect_out "removed 4 layer\(s\)" "gc removes the layers"
assert_store_empty "after rm and gc"
ok "$MODE: rm and gc leave an empty store"
