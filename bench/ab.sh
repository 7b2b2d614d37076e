#!/usr/bin/env bash
# Compares two fixgw builds side by side in one run: alternates them
# (A, B, A, B, ...), each run a fresh `bench/quickfix_executor.sh` run of
# the gateway cases, so both see the same machine load over time; then
# prints the median of each figure per build.
#
#   bench/ab.sh A_FIXGW B_FIXGW [N] [RUNS]        (defaults 20000 5)
#
# Environment: CASES (default "fixgw-bench qfclient-fixgw"), WINDOWS
# (default "1 200"), and whatever bench/quickfix_executor.sh reads.
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(realpath "$1")
B=$(realpath "$2")
N=${3:-20000}
RUNS=${4:-5}
export CASES=${CASES:-"fixgw-bench qfclient-fixgw"}
export WINDOWS=${WINDOWS:-"1 200"}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "A: $A"
echo "B: $B"
echo "N=$N, runs=$RUNS each, alternating; cases: $CASES; windows: $WINDOWS"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
    for side in A B; do
        bin=$A
        [ "$side" = B ] && bin=$B
        FIXGW=$bin bench/quickfix_executor.sh "$N" 1 >"$OUT/$side.$r" 2>&1 ||
            { tail -n 30 "$OUT/$side.$r" >&2; echo "bench/ab.sh: run $r of $side failed" >&2; exit 1; }
        grep '^| ' "$OUT/$side.$r" | grep -v 'client -> acceptor\|---' | sed "s/^/$side /" >>"$OUT/rows"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$OUT/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, rest = line.split(" ", 1)
    cells = [c.strip() for c in rest.strip().strip("|").split("|")]
    name, w, ops, p50, p99, c50 = cells[:6]
    rows.setdefault((name, int(w), side), []).append((float(ops), float(p50), float(p99), float(c50)))
print()
print("| client -> acceptor | W | build | orders/s | ack p50 us | ack p99 us | close p50 us | orders/s of each run |")
print("|---|---:|---|---:|---:|---:|---:|---|")
for (name, w, side), rs in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
    med = [statistics.median(r[i] for r in rs) for i in range(4)]
    runs = ", ".join(f"{r[0]:.0f}" for r in rs)
    print(f"| {name} | {w} | {side} | {med[0]:.0f} | {med[1]:.1f} | {med[2]:.1f} | {med[3]:.1f} | {runs} |")
PY
