#!/bin/bash
# mkimages.sh DIR - builds the image tests' images with umoci and skopeo
# (no network, no container runtime), as root:
#   layer 1: busybox-static and its links, /etc files, a file and a 0750
#            directory owned by 1000:1000, a 0555 directory, a sticky /tmp,
#            a fifo, a device node (char 1:3), files to delete later;
#   layer 2: deletes a file and replaces a directory (umoci writes .wh.NAME
#            whiteouts);
#   layer 3: added verbatim with an opaque marker (.wh..wh..opq) over a
#            directory of layer 1;
#   layer 4: a setuid file, a setgid file and a hard link to the setuid one.
# Config: Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, a label.
# Results in DIR: img/ (OCI layout, tag t), oci.tar (oci-archive),
# docker.tar (docker-archive, amber/test:1), ocidocker.tar (the
# OCI-in-docker form that Docker 25+ saves: manifest.json naming
# blobs/sha256/...), ref/rootfs (`umoci unpack`: the oracle).
set -euo pipefail
D=${1:?usage: mkimages.sh DIR}
mkdir -p "$D"
cd "$D"
umoci init --layout img
umoci new --image img:t
umoci unpack --image img:t b >/dev/null
R=b/rootfs
mkdir -p $R/{bin,etc,tmp,dev,home/user,opq,opq2,del,ro}
cp /bin/busybox $R/bin/
for a in sh ls cat id stat echo true; do ln -s busybox $R/bin/$a; done
echo 'root:x:0:0:root:/root:/bin/sh' >$R/etc/passwd
echo 'user:x:1000:1000::/home/user:/bin/sh' >>$R/etc/passwd
printf 'root:x:0:\nuser:x:1000:\n' >$R/etc/group
echo hello >$R/etc/hello
echo secret >$R/home/user/file
chown -R 1000:1000 $R/home/user
chmod 0750 $R/home/user
chmod 0640 $R/home/user/file
echo a >$R/opq/a; echo b >$R/opq/b
echo x >$R/opq2/x; echo y >$R/opq2/y
echo me >$R/del/me; echo keep >$R/del/keep
echo ro >$R/ro/file
chmod 0555 $R/ro
chmod 1777 $R/tmp
mkfifo $R/dev/fifo
mknod $R/dev/null c 1 3
chmod 0666 $R/dev/null
umoci repack --refresh-bundle --image img:t b
rm -f $R/del/me
rm -rf $R/opq
mkdir $R/opq
echo c >$R/opq/c
umoci repack --refresh-bundle --image img:t b
# An opaque directory, as other builders write it (umoci itself writes one
# .wh. per deleted file).
mkdir -p l3/opq2
: >l3/opq2/.wh..wh..opq
echo z >l3/opq2/z
tar --numeric-owner --owner=0 --group=0 -C l3 -cf l3.tar opq2
umoci raw add-layer --image img:t l3.tar
rm -rf b
umoci unpack --image img:t b >/dev/null
printf '#!/bin/sh\necho suid\n' >$R/bin/suidtest
chmod 4755 $R/bin/suidtest
ln $R/bin/suidtest $R/bin/hardlink
printf 'sgid\n' >$R/bin/sgidtest
chown 0:1000 $R/bin/sgidtest
chmod 2755 $R/bin/sgidtest
umoci repack --refresh-bundle --image img:t b
umoci config --image img:t --config.entrypoint /bin/sh --config.entrypoint -c \
	--config.cmd 'echo hello from the image' --config.env GREETING=hi --config.env PATH=/bin \
	--config.workingdir /home/user --config.user 1000:1000 --config.stopsignal SIGINT \
	--config.label org.example.test=yes
rm -rf b
umoci unpack --image img:t ref >/dev/null
skopeo copy -q oci:img:t oci-archive:oci.tar:t
skopeo copy -q oci:img:t docker-archive:docker.tar:amber/test:1
python3 - <<'PY'
import json, os, tarfile
idx = json.load(open("img/index.json"))
man_d = idx["manifests"][0]["digest"].split(":")[1]
man = json.load(open("img/blobs/sha256/" + man_d))
mj = [{"Config": "blobs/sha256/" + man["config"]["digest"].split(":")[1],
       "RepoTags": ["amber/ocidocker:1"],
       "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in man["layers"]]}]
with open("manifest.json", "w") as f:
    json.dump(mj, f)
with tarfile.open("ocidocker.tar", "w") as t:
    t.add("manifest.json", "manifest.json")
    t.add("img/index.json", "index.json")
    t.add("img/oci-layout", "oci-layout")
    for n in sorted(os.listdir("img/blobs/sha256")):
        t.add("img/blobs/sha256/" + n, "blobs/sha256/" + n)
PY
rm -f manifest.json l3.tar
rm -rf l3
