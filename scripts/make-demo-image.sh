#!/bin/sh
# make-demo-image.sh DIR: build the demo image used by scripts/demo.sh.
#
# A three-layer image made from Debian's busybox-static, stored as plain
# directories (the format amberfs and kernel overlayfs take as lowerdir):
#   DIR/base    a busybox userland: /bin, /usr/bin, /etc, /root, ...
#   DIR/app     the application: /app/run.sh and /usr/bin/hello
#   DIR/config  configuration: /etc/app.conf, and an OCI whiteout
#               (/etc/.wh.motd) that deletes the base layer's /etc/motd
# Stack them top first: DIR/config:DIR/app:DIR/base.
# The image has no /data: the runner asks amberfs to synthesize it.
# Idempotent: an existing DIR is rebuilt from scratch.
set -eu

dir=${1:?usage: make-demo-image.sh DIR}
# A statically linked busybox, so the image needs no shared libraries.
is_static() { LC_ALL=C ldd "$1" 2>&1 | grep -Eq 'not a dynamic|statically'; }
bb=
for c in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
	if [ -n "$c" ] && [ -x "$c" ] && is_static "$c"; then
		bb=$c
		break
	fi
done
if [ -z "$bb" ]; then
	echo "make-demo-image: no static busybox found (apt-get install busybox-static)" >&2
	exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
base=$dir/base app=$dir/app config=$dir/config

# --- base layer ---------------------------------------------------------
mkdir -p "$base/bin" "$base/usr/bin" "$base/sbin" "$base/etc" "$base/root" \
	"$base/tmp" "$base/proc" "$base/dev" "$base/var/log" "$base/home/user"
cp "$bb" "$base/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$base/bin/$a"
done
chmod 1777 "$base/tmp"
cat >"$base/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:demo user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$base/etc/group" <<'G'
root:x:0:
user:x:1000:
nogroup:x:65534:
G
echo demo >"$base/etc/hostname"
printf '127.0.0.1\tlocalhost\n' >"$base/etc/hosts"
: >"$base/etc/resolv.conf"
echo "welcome to the base layer" >"$base/etc/motd"
echo "base layer" >"$base/etc/os-release"

# --- app layer ----------------------------------------------------------
mkdir -p "$app/app" "$app/usr/bin"
cat >"$app/usr/bin/hello" <<'H'
#!/bin/sh
echo "hello from the app layer"
H
chmod 755 "$app/usr/bin/hello"
cat >"$app/app/run.sh" <<'S'
#!/bin/sh
# The demo workload: what works and what amberfs refuses.
try() { # description, command...
	d=$1; shift
	if out=$("$@" 2>&1); then
		printf '  %-36s ok\n' "$d"
	else
		printf '  %-36s refused: %s\n' "$d" "${out##*: }"
	fi
}
echo "inside the container: $(id -un 2>/dev/null || id -u) on $(hostname)"
hello
echo "/etc/motd is whited out by the config layer: $(cat /etc/motd 2>&1 | sed 's/.*: //')"
echo "config: $(cat /etc/app.conf)"
echo "writes:"
try "write /tmp/scratch (tmpfs)" sh -c 'echo scratch >/tmp/scratch'
try "write /data/result (volume)" sh -c 'date >/data/result'
try "write /etc/passwd" sh -c 'echo evil::0:0::/:/bin/sh >>/etc/passwd'
try "create /usr/bin/backdoor" sh -c 'echo x >/usr/bin/backdoor'
try "mkdir /persist" mkdir /persist
try "rm /bin/sh" rm /bin/sh
try "chmod 4755 /bin/busybox" chmod 4755 /bin/busybox
S
chmod 755 "$app/app/run.sh"

# --- config layer -------------------------------------------------------
mkdir -p "$config/etc"
echo "greeting=hello" >"$config/etc/app.conf"
: >"$config/etc/.wh.motd"   # OCI whiteout: /etc/motd disappears

echo "demo image: $config:$app:$base"
