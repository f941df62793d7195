#!/bin/sh
# Shows oci-idmap-hook at work on real podman containers: a container with a
# user namespace of its own (--uidmap 0:100000:65536) on a rootfs that root
# owns on disk, under runc and crun, without and with the hook.  Prints who
# owns / inside, and who owns on disk a file the container's root creates.
# Run as root after `cmake --install build` (PREFIX defaults to /usr/local).
#
# It leaves the machine as it found it: it runs in a mount namespace of its
# own, podman keeps its state on a tmpfs there, and /dev/null there is a node
# of its own (conmon gives a container that is not interactive /dev/null as
# stdin, and crun 1.8.1 chowns its stdio to the container root's host ids).
set -eu

if [ -z "${OCI_IDMAP_DEMO_NS:-}" ]; then
        exec env OCI_IDMAP_DEMO_NS=1 unshare --mount "$0" "$@"
fi
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs /run            # /run/runc, /run/crun, /run/containers

prefix=${PREFIX:-/usr/local}
hooks=$prefix/share/containers/oci/hooks.d
if [ ! -f "$hooks/oci-idmap-hook.json" ]; then
        echo "demo: no $hooks/oci-idmap-hook.json: run 'cmake --install build' first" >&2
        exit 1
fi

work=$(mktemp -d /var/tmp/oci-idmap-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"                   # the container's root (uid 100000) must reach the rootfs
mkdir "$work/no-hooks" "$work/state" "$work/dev"
mount -t tmpfs -o mode=700 tmpfs "$work/state"
mount -t tmpfs -o mode=755 tmpfs "$work/dev"
mknod -m 666 "$work/dev/null" c 1 3
mount --bind "$work/dev/null" /dev/null
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
        podman --root "$work/state/root" --runroot "$work/state/run" --tmpdir "$work/state/tmp" \
                --network-config-dir "$work/state/networks" \
                --cgroup-manager=cgroupfs --events-backend=file \
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
# The state tmpfs goes with this namespace; the rootfs directory with the trap.
umount "$work/state" "$work/dev" 2>/dev/null || true
