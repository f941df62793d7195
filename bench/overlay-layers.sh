#!/usr/bin/env bash
# What the hook costs for an overlay rootfs (issue 9), in one run, as root
# (bench/README.md, "## overlay-layers"):
#
#   (a) the hook's whole run, from its exec to its exit, under a real runtime,
#       for an overlay rootfs of 1, 10, 50 and 128 lower layers owned by 0,
#       next to a directory rootfs owned by 0; runs interleaved round by
#       round, medians, and ratios to the directory case of the same run;
#   (b) containerd 1.6: starting a user-namespaced container on a 10k-file
#       image with the hook (no chown), against chowning a copy of the
#       snapshot (cp -a + chown -R + sync), which is what a user-namespaced
#       container costs without idmapped layers, and against containerd's own
#       way (`ctr run --uidmap`, a new mapping each time).
#
#   bench/overlay-layers.sh [--only ab] [--runs N] [--starts N] [--files N]
#                           [--runtime runc|crun] [--hook PATH] [--layers "1 10 50 128"]
#                           [--tmpfs]
#
# --runs: (a)'s rounds (default 100); --starts: (b)'s rounds (default 5);
# --files: (b)'s image size (default 10000); --hook: the binary measured
# (default: built into BUILD_DIR, /tmp/build-bench).  A benchmark: it prints
# numbers and asserts nothing, but a variant whose hook fails is reported as
# failed, not timed.  It works in a private mount namespace of its own, in
# /var/tmp/oih-ob.XXXX on the disk (short: 128 layers must fit in the one
# page of mount options), and removes that, its runtime state, its cgroups
# and its containerd at exit.  --tmpfs: a tmpfs over /var/tmp in that
# namespace instead, so that nothing waits on the disk (the overlays'
# creation there: bench/README.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
only=ab runs=100 starts=5 files=10000 runtime=runc hook= layers="1 10 50 128" timer= tmpfs=
while [ $# -gt 0 ]; do
        case "$1" in
        --only) only=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --starts) starts=$2; shift 2 ;;
        --files) files=$2; shift 2 ;;
        --runtime) runtime=$2; shift 2 ;;
        --hook) hook=$2; shift 2 ;;
        --layers) layers=$2; shift 2 ;;
        --timer) timer=$2; shift 2 ;;
        --tmpfs) tmpfs=--tmpfs; shift ;;
        *) echo "overlay-layers.sh: unknown option $1" >&2; exit 2 ;;
        esac
done

if [ "$(id -u)" != 0 ]; then
        echo "overlay-layers.sh: must run as root" >&2
        exit 1
fi
build=${BUILD_DIR:-/tmp/build-bench}
if [ -z "$timer" ]; then
        cmake -B "$build" -S "$src" >/dev/null
        cmake --build "$build" -j2 --target oci-idmap-hook hook-timer >/dev/null
        timer=$build/bench/hook-timer
fi
[ -n "$hook" ] || hook=$build/oci-idmap-hook
for tool in "$runtime" jq containerd ctr podman busybox; do
        command -v "$tool" >/dev/null || { echo "overlay-layers.sh: no $tool (.ci/setup-host installs it)" >&2; exit 1; }
done

# Everything below in a mount namespace of our own: the overlays, the
# runtime's and containerd's state on a tmpfs over /run.
if [ -z "${OIH_OVERLAY_BENCH_NS:-}" ]; then
        exec env OIH_OVERLAY_BENCH_NS=1 unshare -m --propagation private "$0" \
                --only "$only" --runs "$runs" --starts "$starts" --files "$files" \
                --runtime "$runtime" --hook "$hook" --layers "$layers" --timer "$timer" $tmpfs
fi
mount -t tmpfs -o mode=755 tmpfs /run
[ -z "$tmpfs" ] || mount -t tmpfs -o mode=1777 tmpfs /var/tmp

W=$(mktemp -d /var/tmp/oih-ob.XXXX)
chmod 755 "$W"
cgroup=oih-bench-overlay-$$
ctd_pid=
cleanup() {
        set +e
        [ -n "$ctd_pid" ] && kill "$ctd_pid" && wait "$ctd_pid"
        for id in $("$runtime" --root /run/bench-state list -q 2>/dev/null); do
                "$runtime" --root /run/bench-state delete --force "$id"
        done
        for m in $(awk -v w="$W" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
                umount -l "$m"
        done
        for d in /sys/fs/cgroup/*/"$cgroup"; do
                [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "$*" >&2; }
now_ms() { local t=$EPOCHREALTIME; echo "${t/./}" | awk '{ printf "%.3f", $1 / 1000 }'; }

# A busybox rootfs owned by 0 at $1.
make_rootfs() {
        mkdir -p "$1"/{bin,etc,proc,sys,dev,tmp,root,run}
        cp /bin/busybox "$1/bin/busybox"
        for a in sh true stat touch cat ls; do ln -s busybox "$1/bin/$a"; done
        echo 'root:x:0:0:root:/root:/bin/sh' > "$1/etc/passwd"
}

# median and p90 of the numbers on stdin, "median p90".
stats() {
        sort -n | awk '{ v[NR] = $1 } END {
                if (NR == 0) { print "- -"; exit }
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                p = v[int(NR * 0.9 + 0.999)]
                printf "%.3f %.3f\n", m, p }'
}

# The runtime with pipes as its stdio, never the host's /dev/null: crun
# chowns its stdio to the container root's host ids, which would change the
# machine's /dev/null.
rt_run() { : | "$runtime" --root /run/bench-state run "$@" 2>&1 | cat; }

ratio() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# config.json for $1 (bundle dir), root.path $2, the file the timed hook
# appends to $3 (or "": no hook), then the container's args.
write_config() {
        local bundle=$1 root=$2 times=$3
        shift 3
        (cd "$bundle" && rm -f config.json && "$runtime" spec)
        local args
        args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
        jq --arg root "$root" --arg timer "$timer" --arg hook "$hook" --arg times "$times" \
           --argjson args "$args" \
           --arg cg "/$cgroup/$(basename "$bundle")" '
                .root = {path: $root, readonly: false}
                | .process.terminal = false | .process.args = $args
                | .linux.namespaces += [{type: "user"}]
                | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
                | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
                | .linux.cgroupsPath = $cg
                | if $times == "" then del(.hooks) else
                  .hooks.createRuntime = [{path: $timer,
                                           args: ["hook-timer", $times, $hook, "createRuntime"]}] end
        ' "$bundle/config.json" > "$bundle/config.json.new"
        mv "$bundle/config.json.new" "$bundle/config.json"
}

# "wall cpu" in ms per successful run, from bench/hook-timer's lines
# ("<wall µs> <cpu µs> <status>").
hook_times() {
        awk '$3 == 0 { printf "%.3f %.3f\n", $1 / 1000, $2 / 1000 }' "$1"
}

# ---- (a) ----------------------------------------------------------------------

part_a() {
        local max=0 n k lower variants=(dir)
        for n in $layers; do [ "$n" -gt "$max" ] && max=$n; variants+=("ovl$n"); done
        say "(a) making $max layers"
        make_rootfs "$W/l/0"
        for ((k = 1; k < max; k++)); do
                mkdir -p "$W/l/$k/layer"
                echo "$k" > "$W/l/$k/layer/$k"
        done
        make_rootfs "$W/dir"
        mkdir -p "$W/b"
        for v in "${variants[@]}"; do
                local root=$W/dir
                if [ "$v" != dir ]; then
                        n=${v#ovl}
                        lower=$W/l/0
                        for ((k = 1; k < n; k++)); do lower=$W/l/$k:$lower; done
                        mkdir -p "$W/o$n/u" "$W/o$n/w" "$W/m$n"
                        mount -t overlay overlay -o "lowerdir=$lower,upperdir=$W/o$n/u,workdir=$W/o$n/w" "$W/m$n"
                        root=$W/m$n
                fi
                mkdir -p "$W/b/$v"
                # Proof first: with the hook, the container sees / owned by 0.
                write_config "$W/b/$v" "$root" "$W/times-$v" stat -c %u /
                local out
                if out=$(rt_run --bundle "$W/b/$v" "check-$v") &&
                   [ "$out" = 0 ]; then
                        write_config "$W/b/$v" "$root" "$W/times-$v" true
                else
                        say "(a) $v: the hook did not give / owned by 0, left out: $(echo "$out" | tail -n 1)"
                        rm -rf "$W/b/$v"
                fi
                rm -f "$W/times-$v"
        done

        say "(a) $runs rounds of ${variants[*]} under $runtime"
        local r i nv=${#variants[@]}
        for ((r = 0; r < runs; r++)); do
                for ((i = 0; i < nv; i++)); do
                        v=${variants[$(((i + r) % nv))]}
                        [ -d "$W/b/$v" ] || continue
                        rt_run --bundle "$W/b/$v" "r$r-$v" >/dev/null ||
                                say "(a) $v: run $r failed"
                done
        done

        echo "(a) the hook's whole run under $runtime, $runs interleaved rounds (ms; CPU: user+system)"
        echo "| rootfs | median | p90 | x directory | CPU median | CPU x directory |"
        echo "| --- | --- | --- | --- | --- | --- |"
        local base= cbase= m p c cp label
        declare -A med cpu
        for v in "${variants[@]}"; do
                label="directory"
                [ "$v" != dir ] && label="overlay, ${v#ovl} layers"
                if [ ! -s "$W/times-$v" ]; then
                        echo "| $label | failed | | | | |"
                        continue
                fi
                read -r m p < <(hook_times "$W/times-$v" | awk '{ print $1 }' | stats)
                read -r c cp < <(hook_times "$W/times-$v" | awk '{ print $2 }' | stats)
                med[$v]=$m cpu[$v]=$c
                [ "$v" = dir ] && base=$m cbase=$c
                echo "| $label | $m | $p | $(ratio "$m" "$base") | $c | $(ratio "$c" "$cbase") |"
        done
        local first last
        first=$(echo $layers | awk '{ print $1 }')
        last=$(echo $layers | awk '{ print $NF }')
        if [ -n "${med[ovl$first]:-}" ] && [ -n "${med[ovl$last]:-}" ] && [ "$last" != "$first" ]; then
                awk -v a="${med[ovl$first]}" -v b="${med[ovl$last]}" -v ca="${cpu[ovl$first]}" \
                    -v cb="${cpu[ovl$last]}" -v f="$first" -v l="$last" 'BEGIN {
                        printf "per extra layer, %d to %d layers: %.4f ms wall, %.4f ms CPU (medians)\n",
                               f, l, (b - a) / (l - f), (cb - ca) / (l - f) }'
        fi
}

# ---- (b) ----------------------------------------------------------------------

ctr_() { ctr --address /run/bench-ctd/containerd.sock --namespace "$cgroup" "$@"; }

start_containerd() {
        mkdir -p /run/bench-ctd
        cat > /run/bench-ctd/config.toml <<EOF
version = 2
root = "$W/ctd-root"
state = "/run/bench-ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/bench-ctd/containerd.sock"
EOF
        containerd --config /run/bench-ctd/config.toml >"$W/containerd.log" 2>&1 &
        ctd_pid=$!
        for _ in $(seq 200); do [ -S /run/bench-ctd/containerd.sock ] && return; sleep 0.05; done
        say "containerd did not start:"; tail "$W/containerd.log" >&2; exit 1
}

# The runc ctr hands to the shim: adds the user namespace (and with $2, the
# hook) to config.json at create, makes the bundle's dirs searchable (as the
# e2e test does).
write_runc_wrapper() {
        local path=$1 add_hook=
        [ -n "${2:-}" ] && add_hook=' | .hooks.createRuntime = [{"path": "'"$hook"'", "args": ["oci-idmap-hook", "createRuntime"]}]'
        cat > "$path" <<EOF
#!/bin/sh
set -e
bundle= prev= create=
for a in "\$@"; do
        [ "\$prev" = --bundle ] && bundle=\$a
        [ "\$a" = create ] && create=1
        prev=\$a
done
if [ -n "\$create" ] && [ -n "\$bundle" ]; then
        m='[{"containerID": 0, "hostID": 100000, "size": 65536}]'
        jq --argjson m "\$m" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = \$m | .linux.gidMappings = \$m$add_hook' "\$bundle/config.json" > "\$bundle/config.json.new"
        mv "\$bundle/config.json.new" "\$bundle/config.json"
        d=\$bundle
        while [ "\$d" != /run/bench-ctd/state ]; do chmod o+x "\$d"; d=\$(dirname "\$d"); done
fi
exec runc "\$@"
EOF
        chmod 755 "$path"
}

# $files files of 0-2 KiB in directories of 100, on a busybox rootfs; made
# with shell builtins only.
make_image() {
        local img=$W/img d f
        make_rootfs "$img"
        for ((d = 0; d < (files + 99) / 100; d++)); do
                mkdir -p "$img/data/$d"
                for ((f = 0; f < 100 && d * 100 + f < files; f++)); do
                        printf '%*s' $((RANDOM % 2048)) '' > "$img/data/$d/$f"
                done
        done
        tar -C "$img" -cf "$W/img.tar" .
        local P=(podman --root "$W/podman/root" --runroot /run/bench-podman --tmpdir "$W/podman/tmp"
                 --cgroup-manager=cgroupfs --events-backend=file)
        "${P[@]}" import "$W/img.tar" localhost/oih-bench-files:1 >/dev/null 2>&1
        "${P[@]}" save --format oci-archive -o "$W/img.oci.tar" localhost/oih-bench-files:1 >/dev/null 2>&1
        ctr_ images import "$W/img.oci.tar" >/dev/null
}

time_ms() {
        local t0=$EPOCHREALTIME
        "$@" >/dev/null 2>"$W/last.err" || { say "failed: $*: $(tail -n 1 "$W/last.err")"; echo failed; return; }
        local t1=$EPOCHREALTIME
        awk -v a="${t0/./}" -v b="${t1/./}" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
}

part_b() {
        say "(b) containerd, an image of $files files"
        start_containerd
        make_image
        write_runc_wrapper "$W/runc-userns"
        write_runc_wrapper "$W/runc-wrapper" with-hook
        local snap image=localhost/oih-bench-files:1
        snap=$(ls -d "$W"/ctd-root/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs | head -n 1)
        # Proof: / owned by 0 and writable with the hook.
        local out
        out=$(ctr_ run --rm --runc-binary "$W/runc-wrapper" "$image" proof sh -c 'stat -c %u /; touch /x && echo written' 2>&1) || true
        [ "$out" = "$(printf '0\nwritten')" ] || say "(b) with the hook the container said: $out"

        : > "$W/b-plain"; : > "$W/b-userns"; : > "$W/b-hook"; : > "$W/b-copy"; : > "$W/b-uidmap"
        local r
        for ((r = 0; r < starts; r++)); do
                time_ms ctr_ run --rm "$image" "plain-$r" true >> "$W/b-plain"
                time_ms ctr_ run --rm --runc-binary "$W/runc-userns" "$image" "userns-$r" true >> "$W/b-userns"
                time_ms ctr_ run --rm --runc-binary "$W/runc-wrapper" "$image" "hook-$r" true >> "$W/b-hook"
                time_ms sh -c "cp -a '$snap' '$W/copy-$r' && chown -R 100000:100000 '$W/copy-$r' && sync" >> "$W/b-copy"
                local base=$((200000 + r * 65536))
                time_ms ctr_ run --rm --uidmap "0:$base:65536" --gidmap "0:$base:65536" "$image" "uidmap-$r" true >> "$W/b-uidmap"
        done

        echo "(b) containerd, image of $files files, $starts rounds (ms, median and range)"
        echo "| what | median | min | max |"
        echo "| --- | --- | --- | --- |"
        local f label
        for f in plain userns hook copy uidmap; do
                case $f in
                plain) label="ctr run, no user namespace (root in the container)" ;;
                userns) label="ctr run, user namespace 0:100000:65536, no hook (/ shows as 65534)" ;;
                hook) label="ctr run, user namespace 0:100000:65536, with the hook" ;;
                copy) label="cp -a + chown -R + sync of the snapshot" ;;
                uidmap) label="ctr run --uidmap (containerd chowns a copy), a new mapping each" ;;
                esac
                if grep -q failed "$W/b-$f"; then echo "| $label | failed | | |"; continue; fi
                sort -n "$W/b-$f" | awk -v l="$label" '{ v[NR] = $1 } END {
                        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        printf "| %s | %.1f | %.1f | %.1f |\n", l, m, v[1], v[NR] }'
        done
        du -s -B1 "$W"/copy-0 | awk '{ printf "one copy of the snapshot: %.1f MiB on disk\n", $1 / 1048576 }'
}

case $only in *a*) part_a ;; esac
case $only in *b*) part_b ;; esac
