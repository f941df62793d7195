#!/usr/bin/env bash
# Builds and runs bench-hook (bench/README.md, "## bench-hook") as root.
#
#   bench/bench-hook.sh [--profile] [bench-hook options...]
#
# BUILD_DIR (default /tmp/build-bench) is the out-of-tree build directory.
# Without --profile: the four parts, results on stdout (progress on stderr).
# With --profile: where the hook's time goes, on the same stand-in container
# as part (a): the in-process stages (d), then system calls of one run by
# `strace -c` (counts; strace's own overhead inflates the times), then by
# `perf trace -s` (times without ptrace) when perf is installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
build=${BUILD_DIR:-/tmp/build-bench}

if [ "$(id -u)" != 0 ]; then
        echo "bench-hook.sh: must run as root" >&2
        exit 1
fi

# crun 1.8.1 refuses the machine's hybrid cgroup layout; setup-host fixes
# exactly that (and installs what is missing), as in CI.
unified=/sys/fs/cgroup/unified/cgroup.controllers
if [ -r "$unified" ] && [ -n "$(tr -d '[:space:]' < "$unified")" ]; then
        "$src/.ci/setup-host"
fi

cmake -B "$build" -S "$src" >/dev/null
cmake --build "$build" -j2 --target oci-idmap-hook bench-hook >/dev/null

bench=("$build/bench/bench-hook")
if [ "${1:-}" != --profile ]; then
        exec "${bench[@]}" "$@"
fi
shift

out=$(mktemp -d /tmp/bench-hook-profile.XXXXXX)
trap 'rm -rf "$out"' EXIT

"${bench[@]}" --only ad --runs 40 "$@"

echo
echo "System calls of the last of 3 hook runs with work to do (strace -c -f):"
"${bench[@]}" --only a --runs 3 --wrap "strace -c -f -o $out/strace.txt" "$@" >/dev/null 2>&1
cat "$out/strace.txt"

if command -v perf >/dev/null 2>&1; then
        echo
        echo "The same by perf trace -s (no ptrace stops):"
        if "${bench[@]}" --only a --runs 3 --wrap "perf trace -s -o $out/perf.txt" "$@" \
                >/dev/null 2>&1; then
                cat "$out/perf.txt"
        else
                echo "(perf trace failed here)"
        fi
fi
