#!/usr/bin/env bash
# Load on the hook (bench/README.md, "load.sh"; docs/RELIABILITY.md, "Loads
# held").  Not part of CI: a full run takes a few minutes.  As root:
#
#     bench/load.sh [--hook PATH] [--seq N] [--streams S] [--per-stream M]
#                   [--pairs P] [--only abc] [--workdir DIR]
#
#   (a) N sequential starts under runc (default 500) with the hook, and as
#       many without it, alternating;
#   (b) S concurrent streams of M starts each under crun (default 10 x 50),
#       with the hook, then without it;
#   (c) two containers with different mappings (0:B1:65536 and 0:B2:65536)
#       on one rootfs directory, started together, P times (default 20), under
#       runc and under crun.
# Every start runs `stat -c %u /` and is checked: 0 with the hook (the rootfs
# is idmapped), 65534 without it.  Before and after, the host is compared: its
# mount table, process count, zombies, the fd counts of the processes alive
# at both ends, the user namespaces in use (lsns -t user), and any process
# left in a user namespace with this run's host ids.  The runs happen in a
# private mount namespace with runtime state on a tmpfs; rootfs on disk.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

hook=$repo/build/oci-idmap-hook
seq_n=500 streams=10 per_stream=50 pairs=20 only=abc workdir=/var/tmp
while [ $# -gt 0 ]; do
        case $1 in
        --hook) hook=$2; shift 2 ;;
        --seq) seq_n=$2; shift 2 ;;
        --streams) streams=$2; shift 2 ;;
        --per-stream) per_stream=$2; shift 2 ;;
        --pairs) pairs=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --workdir) workdir=$2; shift 2 ;;
        --inside) inside=1; shift ;;          # internal: the run in the private namespace
        *) echo "load.sh: unknown option \"$1\"" >&2; exit 2 ;;
        esac
done
[ "$(id -u)" = 0 ] || { echo "load.sh: must run as root" >&2; exit 1; }
[ -x "$hook" ] || { echo "load.sh: no hook at \"$hook\" (build it, or --hook PATH)" >&2; exit 1; }
hook=$(cd "$(dirname "$hook")" && pwd)/$(basename "$hook")

# Host ids no test uses: the runs' containers map 0:BASE:65536 (and BASE2).
: "${BASE:=$((3000000 + ($$ % 1000) * 131072))}"
BASE2=$((BASE + 65536))
export BASE BASE2

# ---- the host, before and after ------------------------------------------------

# This script and the processes it runs under (its shell, its terminal):
# their fds change with the run itself, they are left out.
ancestors() {
        local p=$$
        while [ "$p" -gt 1 ]; do
                echo "$p"
                p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null || echo 1)
        done
}

snapshot() {        # DIR: what the host looks like now
        local d=$1 p skip
        skip=" $(ancestors | tr '\n' ' ') "
        mkdir -p "$d"
        # the mount table outside any private namespace: init's
        cut -d' ' -f5- /proc/1/mountinfo | sort > "$d/mounts"
        : > "$d/procs"
        for p in /proc/[0-9]*; do
                [[ $skip == *" ${p#/proc/} "* ]] && continue
                # pid, start time (field 22), state, comm, fd count
                local stat fds
                stat=$(cat "$p/stat" 2>/dev/null) || continue
                fds=$(ls "$p/fd" 2>/dev/null | wc -l) || fds=?
                # the comm may hold spaces: take fields after the last ')'
                local rest=${stat##*) } comm=${stat#*(}
                comm=${comm%)*}
                set -- $rest
                echo "${p#/proc/} ${20} $1 $fds ${comm// /_}" >> "$d/procs"
        done
        sort -n -o "$d/procs" "$d/procs"
        lsns -t user -n -o NS 2>/dev/null | sort -u > "$d/userns"
}

ours_in_userns() {  # processes in a user namespace mapping this run's ids
        local f
        for f in /proc/[0-9]*/uid_map; do
                awk -v a="$BASE" -v b="$BASE2" -v f="$f" \
                        '$2 == a || $2 == b { print f ": " $0 }' "$f" 2>/dev/null || true
        done
}

compare() {         # BEFORE AFTER
        local b=$1 a=$2
        echo "== the host, before and after"
        if diff -q "$b/mounts" "$a/mounts" > /dev/null; then
                echo "   mount table (/proc/1/mountinfo): unchanged, $(wc -l < "$a/mounts") mounts"
        else
                echo "   mount table (/proc/1/mountinfo): CHANGED"
                diff "$b/mounts" "$a/mounts" | sed 's/^/     /' | head -20
        fi
        echo "   processes: $(wc -l < "$b/procs") before, $(wc -l < "$a/procs") after"
        # the host is shared: name what came and went, so that the runs' own
        # (runc, crun, sh, oci-idmap-hook) would stand out from others' work
        echo "     new since: $(join -v2 <(awk '{ print $1 "/" $2 }' "$b/procs" | sort) \
                <(awk '{ print $1 "/" $2, $5 }' "$a/procs" | sort) |
                awk '{ print $2 }' | sort | uniq -c | sort -rn | awk '{ printf "%s x%s, ", $2, $1 }')"
        echo "   zombies: $(awk '$3 == "Z"' "$b/procs" | wc -l) before," \
             "$(awk '$3 == "Z"' "$a/procs" | wc -l) after:" \
             "$(awk '$3 == "Z" { printf "%s ", $5 }' "$a/procs")"
        # the same process at both ends: same pid and start time
        join <(awk '{ print $1 "/" $2, $4, $5 }' "$b/procs" | sort) \
             <(awk '{ print $1 "/" $2, $4 }' "$a/procs" | sort) |
                awk '{ n++; if ($2 != $4) { c++; printf "     %s %s: %s -> %s fds\n", $1, $3, $2, $4 } }
                     END { printf "   long-lived processes (alive at both ends): %d, fd count changed in %d\n", n, c }'
        echo "   user namespaces in use (lsns -t user): $(wc -l < "$b/userns") before," \
             "$(wc -l < "$a/userns") after; new ones still in use: $(comm -13 "$b/userns" "$a/userns" | wc -l)"
        local left
        left=$(ours_in_userns)
        if [ -z "$left" ]; then
                echo "   processes in a user namespace with this run's host ids ($BASE, $BASE2): none"
        else
                echo "   processes in a user namespace with this run's host ids: LEFT"
                echo "$left" | sed 's/^/     /'
        fi
}

if [ -z "${inside:-}" ]; then
        if [ -s /sys/fs/cgroup/unified/cgroup.controllers ] ||
           ! command -v runc > /dev/null || ! command -v crun > /dev/null; then
                "$repo/.ci/setup-host"
        fi
        snap=$(mktemp -d /tmp/oih-load-snap.XXXXXX)
        trap 'rm -rf "$snap"' EXIT
        snapshot "$snap/before"
        rc=0
        unshare -m --propagation private "$0" --inside --hook "$hook" --seq "$seq_n" \
                --streams "$streams" --per-stream "$per_stream" --pairs "$pairs" \
                --only "$only" --workdir "$workdir" || rc=$?
        sleep 1     # let the last runtime processes be reaped
        snapshot "$snap/after"
        compare "$snap/before" "$snap/after"
        exit $rc
fi

# ---- inside the private mount namespace -----------------------------------------

mount -t tmpfs tmpfs /run                       # runtimes' state, gone with the namespace
mkdir -p /run/oih-load/bundles
# A /dev/null of this namespace's own: crun 1.8.1 chowns its stdio to the
# container root's host ids, and a runtime given /dev/null would change the
# machine's.
mknod -m 666 /run/oih-load/null c 1 3 && mount --bind /run/oih-load/null /dev/null
work=$(mktemp -d "$workdir/oih-load.XXXXXX")
cg=oih-load-$$
cleanup() {
        local c
        for rt in runc crun; do
                for c in $("$rt" --root "/run/oih-load/$rt" list -q 2>/dev/null); do
                        "$rt" --root "/run/oih-load/$rt" delete --force "$c" > /dev/null 2>&1 || true
                done
        done
        find /sys/fs/cgroup -depth -type d -path "*/$cg*" -exec rmdir {} + 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

make_rootfs() {     # DIR: a busybox rootfs owned by 0:0
        local d=$1 a
        mkdir -p "$d"/{bin,etc,proc,sys,dev,run,tmp,var/tmp,root}
        chmod 1777 "$d/tmp"
        cp /bin/busybox "$d/bin/busybox"
        for a in sh stat true cat; do ln -s busybox "$d/bin/$a"; done
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' > "$d/etc/passwd"
        printf 'root:x:0:\nnobody:x:65534:\n' > "$d/etc/group"
        : > "$d/etc/hosts"; : > "$d/etc/hostname"; : > "$d/etc/resolv.conf"
}

# bundle ID ROOTFS BASE with|without: the bundle's directory
bundle() {
        local b=/run/oih-load/bundles/$1 hooks='{}'
        [ "$4" = with ] && hooks="{\"createRuntime\":[{\"path\":\"$hook\",\"args\":[\"oci-idmap-hook\",\"createRuntime\"]}]}"
        mkdir -p "$b"
        sed -e "s|@ROOTFS@|$2|" -e "s|@BASE@|$3|g" -e "s|@CGROUP@|/$cg/$1|" \
            -e "s|@HOOKS@|$hooks|" "$repo/bench/load-config.json.in" > "$b/config.json"
        echo "$b"
}

now_ns() { date +%s%N; }

# start RT ID ROOTFS BASE with|without EXPECT: runs and deletes one container;
# prints its run time in ns, or "FAIL ..." when it did not run as expected.
start() {
        local rt=$1 id=$2 b out t0 t1 rc=0
        b=$(bundle "$id" "$3" "$4" "$5")
        t0=$(now_ns)
        out=$("$rt" --root "/run/oih-load/$rt" run --bundle "$b" "$id" 2>&1) || rc=$?
        t1=$(now_ns)
        "$rt" --root "/run/oih-load/$rt" delete --force "$id" > /dev/null 2>&1 || true
        rm -rf "$b"
        if [ $rc -ne 0 ] || [ "$out" != "$6" ]; then
                echo "FAIL $rt $id ($5 hook): exit $rc: $(echo "$out" | head -3 | tr '\n' ' ')"
        else
                echo $((t1 - t0))
        fi
}

# figures FILE LABEL: starts, failures, starts per second of run time, median
figures() {
        local f=$1 label=$2 fail
        fail=$(grep -c '^FAIL' "$f" || true)
        grep '^FAIL' "$f" | head -3 | sed 's/^/     /' >&2 || true
        grep -v '^FAIL' "$f" | sort -n | awk -v label="$label" -v fail="$fail" '
                { n++; sum += $1; v[n] = $1 }
                END {
                        med = n ? v[int((n + 1) / 2)] / 1e6 : 0
                        printf "   %-34s %4d ok, %d failed; %.1f starts/s (run time), median %.2f ms\n",
                               label, n, fail, n ? n / (sum / 1e9) : 0, med
                }'
}

rootfs=$work/rootfs
make_rootfs "$rootfs"
chmod 755 "$work"
echo "== load.sh: hook $hook"
echo "   runc $(runc --version | awk 'NR == 1 { print $3 }'), crun $(crun --version | awk 'NR == 1 { print $3 }'), $(nproc) CPUs, kernel $(uname -r)"

if [[ $only == *a* ]]; then
        echo "== (a) $seq_n sequential starts under runc, with and without the hook (alternating)"
        : > "$work/a-with"; : > "$work/a-without"
        t0=$(now_ns)
        for i in $(seq 1 "$seq_n"); do
                start runc "a$i-w" "$rootfs" "$BASE" with 0 >> "$work/a-with"
                start runc "a$i-n" "$rootfs" "$BASE" without 65534 >> "$work/a-without"
        done
        t1=$(now_ns)
        figures "$work/a-with" "runc, with the hook"
        figures "$work/a-without" "runc, without the hook"
        echo "   wall clock for all $((2 * seq_n)) starts and deletes: $(( (t1 - t0) / 1000000 )) ms"
fi

# stream RT N WITH EXPECT TAG: one stream of N starts, one after the other
stream() {
        local i
        for i in $(seq 1 "$2"); do
                start "$1" "$5-$i" "$rootfs" "$BASE" "$3" "$4"
        done
}

if [[ $only == *b* ]]; then
        echo "== (b) $streams concurrent streams of $per_stream starts under crun"
        for kind in with without; do
                expect=0; [ $kind = without ] && expect=65534
                t0=$(now_ns)
                for s in $(seq 1 "$streams"); do
                        stream crun "$per_stream" $kind $expect "b$s-$kind" > "$work/b-$kind-$s" &
                done
                wait
                t1=$(now_ns)
                cat "$work"/b-$kind-* > "$work/b-$kind"
                figures "$work/b-$kind" "crun x$streams, $kind the hook"
                awk -v n=$((streams * per_stream)) -v t=$((t1 - t0)) -v k=$kind \
                        'BEGIN { printf "     %d starts and deletes in %.2f s of wall clock: %.1f starts/s %s the hook\n", n, t / 1e9, n / (t / 1e9), k }'
        done
fi

if [[ $only == *c* ]]; then
        echo "== (c) two containers, mappings 0:$BASE:65536 and 0:$BASE2:65536, one rootfs, started together $pairs times"
        for rt in runc crun; do
                : > "$work/c-$rt"
                for i in $(seq 1 "$pairs"); do
                        start $rt "c$i-1" "$rootfs" "$BASE" with 0 >> "$work/c-$rt-1" &
                        start $rt "c$i-2" "$rootfs" "$BASE2" with 0 >> "$work/c-$rt-2" &
                        wait
                done
                cat "$work/c-$rt-1" "$work/c-$rt-2" > "$work/c-$rt"
                figures "$work/c-$rt" "$rt, pairs, with the hook"
        done
        owners=$(find "$rootfs" -xdev \( -uid "$BASE" -o -uid "$BASE2" \) | wc -l)
        echo "   files in the shared rootfs owned by either mapping's root: $owners"
fi

fails=$(cat "$work"/a-* "$work"/b-* "$work"/c-* 2>/dev/null | grep -c '^FAIL' || true)
echo "== failed starts: $fails"
[ "$fails" = 0 ]
