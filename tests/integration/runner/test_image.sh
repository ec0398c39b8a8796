#!/bin/bash
# amber-run IMAGE: an OCI archive built with umoci and skopeo (the demo
# image: three layers, a whiteout, Cmd /app/run.sh, Env PATH, a label) is
# imported into a store on first use and run by name afterwards, with the
# image's config applied the way "docker run" applies it:
#   - no COMMAND: Entrypoint + Cmd; a COMMAND replaces Cmd; --entrypoint
#     replaces Entrypoint and drops Cmd;
#   - Env under -e; WorkingDir unless -w; User unless -u;
#   - a second run by name reads the store only (the archive may be gone);
#   - the audit log's start record names the image; its writes are refused
#     with EROFS and logged.
. "$(dirname "$0")/lib.sh"

command -v umoci >/dev/null && command -v skopeo >/dev/null || skip "umoci and skopeo are needed"
IMAGE_BIN=$AMBER_BUILDDIR/image/amber-image
[ -x "$IMAGE_BIN" ] || skip "amber-image is not built"
if [ "$MODE" = user ]; then
	cp "$IMAGE_BIN" "$T/bin/"
	export AMBER_IMAGE=$T/bin/amber-image
else
	export AMBER_IMAGE=$IMAGE_BIN
fi
# The archive is built as root (umoci unpack keeps owners).
"$AMBER_SRCDIR/scripts/make-demo-archive.sh" "$T/image" "$T/demo.tar" >/dev/null
chmod 644 "$T/demo.tar"
store=$T/store
as mkdir "$store"
runimg() { run --store "$store" -v "$T/vol:/data" --tmpfs /tmp "$@"; }

log=$T/logs/first.log
runimg --log "$log" "oci-archive:$T/demo.tar"
expect_rc 0 "first run of the archive (imported on first use)"
expect_out "inside the container" "the image's Cmd ran"
expect_out "write /etc/passwd +refused: Read-only file system" "writes refused"
expect_out "/etc/motd is whited out by the config layer: No such file or directory" "the whiteout layer"
n=$(as env AMBER_IMAGE="$AMBER_IMAGE" "$AMBER_IMAGE" --store "$store" list | grep -c demo) ||
	fail "amber-image list after the first run: $n"
name=$(jq -r 'select(.kind == "start") | .options.meta.image' "$log")
[ "$name" = "demo:latest" ] || fail "start record names image '$name': $(head -n 1 "$log")"
jq -e -s 'map(select(.kind == "start"))[0].options.meta.diff_ids | split(" ") | length == 3' "$log" >/dev/null ||
	fail "start record lacks the 3 diff_ids: $(head -n 1 "$log")"
jq -e -s '[.[] | select(.kind == "attempt")] | length >= 4' "$log" >/dev/null ||
	fail "attempts not logged: $(cat "$log")"
ok "an archive is imported on first use and its Cmd runs; the start record names the image"

# The archive is gone: a run by name, and a run of the same reference,
# read only the store.
mv "$T/demo.tar" "$T/demo.tar.away"
runimg -q demo sh -c 'echo "cwd=$PWD path=$PATH"; cat /etc/app.conf'
expect_rc 0 "run by name"
expect_out '^cwd=/ path=/usr/local/bin:/usr/bin:/bin$' "WorkingDir and Env from the image"
runimg -q "oci-archive:$T/demo.tar" true
expect_rc 0 "the same reference again, archive gone: taken from the store"
ok "runs by name and by the same reference read only the store"

runimg -q -e PATH=/bin -w /etc -u 1000 demo sh -c 'echo "cwd=$PWD path=$PATH uid=$(id -u)"'
expect_rc 0 "overrides"
expect_out '^cwd=/etc path=/bin uid=1000$' "-e, -w and -u win over the image's config"
runimg -q --entrypoint /bin/echo demo hello world
expect_out '^hello world$' "--entrypoint with a COMMAND"
runimg -q --entrypoint /bin/true demo
expect_rc 0 "--entrypoint alone drops the image's Cmd"
ok "COMMAND, --entrypoint, -e, -w and -u override the config as in docker run"

run --store "$store" -q no-such-image true
expect_rc 125 "unknown image"
expect_err "no-such-image" "the message names the image"
ok "an unknown image: 125 and a message that names it"
