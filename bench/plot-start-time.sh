#!/usr/bin/env bash
# Container start time against rootfs size: a copy made with `cp -a` and
# `chown -R` for the container's mapping, then a start without the hook,
# against a start with the hook on the rootfs as it is.  Drawn with gnuplot
# from bench-hook's own output (bench/README.md, parts (b) and (c)).
#
#   bench/plot-start-time.sh [--starts N] [--out PNG]    # as root: runs the bench
#   bench/plot-start-time.sh --from FILE [--out PNG]     # plots a saved output
#
# A run saves bench-hook's output beside the PNG (start-time.txt), so the
# plot can be drawn again from it.  Defaults: --starts 40, --out
# docs/start-time.png.  Installs gnuplot-nox when it is missing.
#
# What is drawn, per runtime (runc, crun) and per tree of N files (1 000,
# 10 000, 100 000; directories of 100 files of 0-2 KiB, on disk):
#   copy: (c)'s total for N files (cp -a + chown -R + sync) + (b)'s median
#         start without a hook;
#   hook: (b)'s median start with the hook.
# (b) starts a busybox rootfs: the hook reads no file of the rootfs (it
# clones and idmaps the mount), so its start is the same for every N and is
# drawn flat; the copy's cost is what grows.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
starts=40 out=$src/docs/start-time.png from=
while [ $# -gt 0 ]; do
        case $1 in
        --starts) starts=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --from) from=$2; shift 2 ;;
        *) echo "plot-start-time.sh: unknown argument \"$1\"" >&2; exit 2 ;;
        esac
done

if ! command -v gnuplot >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gnuplot-nox
fi

raw=${out%.png}.txt
if [ -z "$from" ]; then
        "$here/bench-hook.sh" --only bc --starts "$starts" --files 1000,10000,100000 \
                --chown-reps 1 >"$raw.new"
        mv "$raw.new" "$raw"
        from=$raw
fi

work=$(mktemp -d /tmp/plot-start-time.XXXXXX)
trap 'rm -rf "$work"' EXIT

# (b): "runc   no hook   65.586 ms ..." and "       the hook   31.855 ms ..."
# (a runtime's first row names it); (c): "   1000   0.12 s  0.01 s  0.02 s  0.14 s ...".
awk -v dat="$work/start.dat" '
        /^\(b\)/ { part = "b" } /^\(c\)/ { part = "c" } /^Targets/ { part = "" }
        part == "b" && $1 ~ /^(runc|crun)$/ { rt = $1; sub(/^ *(runc|crun) */, "") }
        part == "b" && rt != "" {
                line = $0; sub(/^ */, "", line)
                if (line ~ /^no hook /) { split(line, f, " "); nohook[rt] = f[3] }
                if (line ~ /^the hook  /) { split(line, f, " "); hook[rt] = f[3] }
        }
        part == "c" && $1 ~ /^[0-9]+$/ && $3 == "s" { total[$1] = $8; n[++files] = $1 }
        END {
                if (!("runc" in hook) || !("crun" in hook) || files < 3) {
                        print "plot-start-time.sh: the bench output lacks part (b) or (c)" > "/dev/stderr"
                        exit 1
                }
                print "# files copy_runc_s hook_runc_s copy_crun_s hook_crun_s" > dat
                for (i = 1; i <= files; i++)
                        printf "%d %.4f %.4f %.4f %.4f\n", n[i],
                               total[n[i]] + nohook["runc"] / 1000, hook["runc"] / 1000,
                               total[n[i]] + nohook["crun"] / 1000, hook["crun"] / 1000 > dat
        }' "$from"
cat "$work/start.dat"

gnuplot <<EOF
set terminal pngcairo size 900,560 font "sans,11"
set output "$out"
set title "Container start with a rootfs of N files, user namespace 0:100000:65536"
set xlabel "files in the rootfs"
set ylabel "seconds to a started container (log scale)"
set logscale xy
set xrange [700:140000]
set xtics ("1 000" 1000, "10 000" 10000, "100 000" 100000)
set format y "%g"
set grid
set key top left
plot "$work/start.dat" using 1:2 with linespoints lw 2 pt 7 title "cp -a + chown -R, then runc", \
     "$work/start.dat" using 1:4 with linespoints lw 2 pt 5 title "cp -a + chown -R, then crun", \
     "$work/start.dat" using 1:3 with linespoints lw 2 pt 7 dt 2 title "runc with oci-idmap-hook", \
     "$work/start.dat" using 1:5 with linespoints lw 2 pt 5 dt 2 title "crun with oci-idmap-hook"
EOF
echo "plot-start-time.sh: wrote $out (from $from)"
