#!/bin/sh
# Shows oci-idmap-hook at work on real podman containers: a container with a
# user namespace of its own (--uidmap 0:100000:65536) on a rootfs that root
# owns on disk, under runc and crun, without and with the hook.  Prints who
# owns / inside, and who owns on disk a file the container's root creates.
# Run as root after `cmake --install build` (PREFIX defaults to /usr/local).
set -eu

prefix=${PREFIX:-/usr/local}
hooks=$prefix/share/containers/oci/hooks.d
if [ ! -f "$hooks/oci-idmap-hook.json" ]; then
        echo "demo: no $hooks/oci-idmap-hook.json: run 'cmake --install build' first" >&2
        exit 1
fi

work=$(mktemp -d /var/tmp/oci-idmap-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"                   # the container's root (uid 100000) must reach the rootfs
mkdir "$work/no-hooks"
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" \
         "$rootfs/run" "$rootfs/tmp" "$rootfs/var/tmp"
cp /bin/busybox "$rootfs/bin/"
for applet in sh stat touch; do ln -s busybox "$rootfs/bin/$applet"; done
# podman mounts over these; a user-namespaced runtime could not create them.
touch "$rootfs/etc/hosts" "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf" \
      "$rootfs/run/.containerenv"

show() {        # show RUNTIME HOOKS_DIR
        rm -f "$rootfs/made-inside"
        # cgroupfs, file events, no network, low rlimits: what a machine without
        # systemd or network plugins needs.
        podman --cgroup-manager=cgroupfs --events-backend=file \
                --runtime "$1" --hooks-dir "$2" \
                run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
                --uidmap 0:100000:65536 --gidmap 0:100000:65536 --rootfs "$rootfs" \
                sh -c 'echo "  inside:  / is owned by uid $(stat -c %u /)"
                       touch /made-inside 2>/dev/null && echo "  inside:  root created /made-inside" ||
                       echo "  inside:  root cannot create /made-inside"'
        if [ -e "$rootfs/made-inside" ]; then
                echo "  on disk: made-inside is owned by uid $(stat -c %u "$rootfs/made-inside")"
        fi
}

for runtime in runc crun; do
        echo "$runtime, without the hook:"
        show "$runtime" "$work/no-hooks"
        echo "$runtime, with the hook:"
        show "$runtime" "$hooks"
done
