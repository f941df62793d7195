#!/bin/sh
# dump-hook.sh OUTDIR: a createRuntime/prestart hook that records what the
# runtime shows a hook, for docs/runtimes.md: the state on stdin, and of the
# container init (state.pid) each fd's target and fdinfo, its mountinfo, name
# and command line.  A measuring tool, not used by the tests.
set -u
out=$1
mkdir -p "$out"
cat > "$out/state.json"
pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$out/state.json")
[ -n "$pid" ] || { echo "dump-hook: no pid in the state" >&2; exit 1; }
for f in /proc/"$pid"/fd/*; do
        n=${f##*/}
        printf '== fd %s -> %s\n' "$n" "$(readlink "$f")"
        cat /proc/"$pid"/fdinfo/"$n"
done > "$out/fds.txt" 2>&1
cat /proc/"$pid"/mountinfo > "$out/mountinfo.txt"
grep -E '^(Name|Pid|PPid):' /proc/"$pid"/status > "$out/status.txt"
tr '\0' ' ' < /proc/"$pid"/cmdline > "$out/cmdline.txt"
