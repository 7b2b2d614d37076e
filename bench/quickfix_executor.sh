#!/usr/bin/env bash
# Measures a QuickFIX C++ acceptor and sim-venue under the same load, on the
# same machine, for sim-venue/BENCHMARKS-FIX.md:
#
#   A. `sim-venue load` (our FIX load client) -> QuickFIX's own `executor`
#      example (Debian's libquickfix-doc: a FIX 4.4 acceptor that fills
#      every limit order with one ExecutionReport), as EXECUTOR <- LOAD1.
#   B. `sim-venue load` -> `sim-venue` (SIMX, AAPL and MSFT), marketable
#      IOC limit buys; with its in-memory message store (the default) and
#      with --data-dir (file store, no fsync), as the executor keeps
#      QuickFIX's FileStore.
#   C. tests/interop/quickfix_client.cpp (QuickFIX C++ as the client) ->
#      `sim-venue`.
#   D. quickfix_client -> executor: QuickFIX on both ends, one hop.
#   E. `fixgw bench` (the same load client) -> `fixgw demo --bench`: the
#      full round trip client -> gateway (risk, OMS, journal) -> sim venue
#      -> gateway -> client, with the journal written before every
#      acknowledgement (--journal-fsync never: survives kill -9) and with
#      an fdatasync per journal batch (--journal-fsync always).
#   F. quickfix_client -> `fixgw demo --bench`.
#
# Each for W=1 and W=200 in flight, N orders, RUNS runs, each run against a
# freshly started acceptor; prints every run and a table of medians.
#
# Usage: bench/quickfix_executor.sh [N] [RUNS]    (defaults 20000 3)
# Environment:
#   SIM_VENUE      sim-venue binary (default $CARGO_TARGET_DIR or
#                  target/, release/sim-venue; build it with
#                  `cargo build --release -p sim-venue`)
#   QF_DICTIONARY  a QuickFIX-format FIX44.xml (default the project's own,
#                  fix-dictionaries/xml/FIX-4.4.xml)
#   WINDOWS        windows to measure (default "1 200")
#   FIXGW          fixgw binary (default .../release/fixgw; cargo build
#                  --release -p gateway --bin fixgw)
#   CASES          cases to run (default all: load-executor load-simvenue
#                  load-simvenue-file qfclient-simvenue qfclient-executor
#                  fixgw-bench fixgw-bench-fsync qfclient-fixgw)
#   KEEP_TMP=1     keep the working directory (settings, logs, outputs)
#
# Needs g++, pkg-config, libquickfix-dev and libquickfix-doc, python3.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_DIR=$(pwd)
N=${1:-20000}
RUNS=${2:-3}
WINDOWS=${WINDOWS:-"1 200"}
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_DIR/target}
SIM_VENUE=${SIM_VENUE:-$TARGET_DIR/release/sim-venue}
FIXGW=${FIXGW:-$TARGET_DIR/release/fixgw}
CASES=${CASES:-"load-executor load-simvenue load-simvenue-file qfclient-simvenue qfclient-executor fixgw-bench fixgw-bench-fsync qfclient-fixgw"}
QF_DICTIONARY=${QF_DICTIONARY:-$REPO_DIR/fix-dictionaries/xml/FIX-4.4.xml}
EXAMPLES=/usr/share/doc/libquickfix-doc/examples
ORDERS="AAPL=199.00,MSFT=440.00"

die() {
    printf 'bench/quickfix_executor.sh: FAILED: %s\n' "$*" >&2
    exit 1
}

[ -x "$SIM_VENUE" ] || die "no sim-venue binary at $SIM_VENUE (cargo build --release -p sim-venue, or set SIM_VENUE)"
[ -f "$QF_DICTIONARY" ] || die "no FIX 4.4 data dictionary at $QF_DICTIONARY (set QF_DICTIONARY)"
pkg-config --exists quickfix || die "libquickfix-dev is not installed (apt-get install -y libquickfix-dev)"
[ -d "$EXAMPLES/executor" ] || die "libquickfix-doc is not installed (apt-get install -y libquickfix-doc)"
QF_DICTIONARY=$(realpath "$QF_DICTIONARY")
SIM_VENUE=$(realpath "$SIM_VENUE")
case " $CASES " in
*fixgw*) [ -x "$FIXGW" ] || die "no fixgw binary at $FIXGW (cargo build --release -p gateway --bin fixgw, or set FIXGW)"
    FIXGW=$(realpath "$FIXGW") ;;
esac

WORK=$(mktemp -d /tmp/quickfix-bench.XXXXXX)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "working directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# QuickFIX's executor: the binary Debian ships in the doc package (built
# from executor.cpp and Application.cpp there), or built from those sources.
EXECUTOR=$WORK/executor
if [ -f "$EXAMPLES/executor/C++/.libs/executor.gz" ]; then
    gunzip -c "$EXAMPLES/executor/C++/.libs/executor.gz" >"$EXECUTOR"
    chmod +x "$EXECUTOR"
    EXECUTOR_FROM="prebuilt $EXAMPLES/executor/C++/.libs/executor.gz"
else
    mkdir -p "$WORK/executor-src"
    cp "$EXAMPLES/executor/C++/executor.cpp" "$EXAMPLES/executor/C++/Application.h" "$WORK/executor-src/"
    gunzip -c "$EXAMPLES/executor/C++/Application.cpp.gz" >"$WORK/executor-src/Application.cpp"
    : >"$WORK/executor-src/config.h"
    # shellcheck disable=SC2046
    g++ -O2 -std=c++14 -Wno-deprecated -I"$WORK/executor-src" -o "$EXECUTOR" \
        "$WORK/executor-src/executor.cpp" "$WORK/executor-src/Application.cpp" \
        $(pkg-config --cflags --libs quickfix) -lpthread
    EXECUTOR_FROM="built with g++ -O2 from $EXAMPLES/executor/C++"
fi

# Our QuickFIX client (C++14: QuickFIX 1.15.1's headers do not compile as C++17).
QF_CLIENT=$WORK/quickfix_client
# shellcheck disable=SC2046
g++ -O2 -std=c++14 -Wno-deprecated -o "$QF_CLIENT" "$REPO_DIR/tests/interop/quickfix_client.cpp" \
    $(pkg-config --cflags --libs quickfix) -lpthread

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() {
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1" \
        >/dev/null 2>&1
}

# Starts "$@" in the background (log in $WORK/server.log) and waits, up to
# 30 s, until it accepts connections on $PORT.
start_server() {
    "$@" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 30))
    until port_open "$PORT"; do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "$1 exited before listening on $PORT"; }
        [ "$SECONDS" -lt "$deadline" ] || die "$1 did not listen on $PORT within 30 s"
        sleep 0.1
    done
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

start_executor() {
    PORT=$(free_port)
    mkdir -p "$WORK/store"
    rm -rf "$WORK/store"/*
    cat >"$WORK/executor.cfg" <<EOF
[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort=$PORT
SocketReuseAddress=Y
SocketNodelay=Y
StartTime=00:00:00
EndTime=00:00:00
FileStorePath=$WORK/store
UseDataDictionary=Y
DataDictionary=$QF_DICTIONARY
ResetOnLogon=Y
ScreenLogShowIncoming=N
ScreenLogShowOutgoing=N
ScreenLogShowEvents=N

[SESSION]
BeginString=FIX.4.4
SenderCompID=EXECUTOR
TargetCompID=LOAD1
EOF
    start_server "$EXECUTOR" "$WORK/executor.cfg"
}

# $1: optional extra arguments (--data-dir DIR).
start_sim_venue() {
    PORT=$(free_port)
    start_server "$SIM_VENUE" --port "$PORT" --comp-id SIMX --symbols AAPL=190.00,MSFT=420.00 --seed 1 "$@"
}

# `fixgw demo --bench` on a free port; $1: journal fsync (never|always).
start_fixgw() {
    PORT=$(free_port)
    rm -rf "$WORK/gw"
    start_server "$FIXGW" demo --bench --journal-fsync "$1" --port "$PORT" --tls-port "$(free_port)" \
        --data-dir "$WORK/gw" --certs "$REPO_DIR/certs"
    # The port opens before the venue sessions are logged on: wait for the banner.
    local deadline=$((SECONDS + 30))
    until grep -q "fixgw demo is running" "$WORK/server.log"; do
        [ "$SECONDS" -lt "$deadline" ] || die "fixgw demo did not report running within 30 s"
        sleep 0.1
    done
}

# One run: the client's output in $WORK/out; one result line appended to
# $WORK/results: "case W orders_per_s ack_p50_us ack_p99_us close_p50_us".
record() {
    local case=$1 w=$2 client=$3
    local line
    if [ "$client" = load ]; then
        line=$(python3 - "$WORK/out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"orders sent (\d+) acked (\d+) closed (\d+) \(filled qty (\d+), rejected (\d+), inconsistent reports (\d+)\)", t)
ops = re.search(r"([\d.]+) orders/s", t).group(1)
ack = re.search(r"ack latency\s+p50 ([\d.]+) us\s+p99 ([\d.]+) us", t)
close = re.search(r"close latency p50 ([\d.]+) us", t)
sent, acked, closed, filled, rejected, bad = m.groups()
assert sent == acked == closed and rejected == "0" and bad == "0", t
print(ops, ack.group(1), ack.group(2), close.group(1), filled)
PY
)
    else
        line=$(python3 - "$WORK/out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
s = dict(re.findall(r"(\w+) ([\d.]+)", t))
assert s["orders"] == s["acked"] == s["closed"] and s["inconsistent"] == "0" and s["rejected"] == "0", t
print(s["orders_per_s"], s["ack_p50_us"], s["ack_p99_us"], s["close_p50_us"], s["filled_qty"])
PY
)
    fi
    echo "$case $w $line" >>"$WORK/results"
    echo "  $case W=$w: orders/s ack_p50_us ack_p99_us close_p50_us filled_qty = $line"
}

run_case() {
    local case=$1 w=$2 i
    for i in $(seq "$RUNS"); do
        case $case in
        load-executor)
            start_executor
            "$SIM_VENUE" load --target "127.0.0.1:$PORT" --comp-id EXECUTOR --sender LOAD1 -n "$N" -w "$w" >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "load against executor failed"; }
            record "$case" "$w" load
            ;;
        load-simvenue)
            start_sim_venue
            "$SIM_VENUE" load --target "127.0.0.1:$PORT" --comp-id SIMX --sender LOAD1 -n "$N" -w "$w" >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "load against sim-venue failed"; }
            record "$case" "$w" load
            ;;
        load-simvenue-file)
            rm -rf "$WORK/venue-store"
            start_sim_venue --data-dir "$WORK/venue-store"
            "$SIM_VENUE" load --target "127.0.0.1:$PORT" --comp-id SIMX --sender LOAD1 -n "$N" -w "$w" >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "load against sim-venue --data-dir failed"; }
            record "$case" "$w" load
            ;;
        qfclient-simvenue)
            start_sim_venue
            QF_DICTIONARY=$QF_DICTIONARY "$QF_CLIENT" 127.0.0.1 "$PORT" QFCLIENT SIMX "$N" "$w" "$ORDERS" ACC1 >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "quickfix_client against sim-venue failed"; }
            record "$case" "$w" qf
            ;;
        fixgw-bench | fixgw-bench-fsync)
            if [ "$case" = fixgw-bench ]; then start_fixgw never; else start_fixgw always; fi
            "$FIXGW" bench --target "127.0.0.1:$PORT" -n "$N" -w "$w" >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "fixgw bench against fixgw demo failed"; }
            record "$case" "$w" load
            ;;
        qfclient-fixgw)
            start_fixgw never
            QF_DICTIONARY=$QF_DICTIONARY "$QF_CLIENT" 127.0.0.1 "$PORT" CLIENT1 GATEWAY "$N" "$w" "AAPL=195.00,MSFT=430.00" ACC1 >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "quickfix_client against fixgw demo failed"; }
            record "$case" "$w" qf
            ;;
        qfclient-executor)
            start_executor
            QF_DICTIONARY=$QF_DICTIONARY "$QF_CLIENT" 127.0.0.1 "$PORT" LOAD1 EXECUTOR "$N" "$w" "$ORDERS" ACC1 >"$WORK/out" 2>&1 ||
                { cat "$WORK/out" >&2; die "quickfix_client against executor failed"; }
            record "$case" "$w" qf
            ;;
        esac
        stop_server
    done
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "QuickFIX $(dpkg-query -W -f='${Version}' libquickfix-dev 2>/dev/null || pkg-config --modversion quickfix); executor: $EXECUTOR_FROM"
echo "sim-venue: $SIM_VENUE"
echo "fixgw: $FIXGW"
echo "N=$N, runs=$RUNS, windows: $WINDOWS"
: >"$WORK/results"
for w in $WINDOWS; do
    for case in $CASES; do
        run_case "$case" "$w"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    case, w, ops, p50, p99, c50, filled = line.split()
    rows.setdefault((case, int(w)), []).append((float(ops), float(p50), float(p99), float(c50)))
names = {
    "load-executor": "sim-venue load -> QuickFIX executor",
    "load-simvenue": "sim-venue load -> sim-venue",
    "load-simvenue-file": "sim-venue load -> sim-venue --data-dir",
    "qfclient-simvenue": "quickfix_client -> sim-venue",
    "qfclient-executor": "quickfix_client -> QuickFIX executor",
    "fixgw-bench": "fixgw bench -> fixgw demo --bench (round trip via a venue)",
    "fixgw-bench-fsync": "fixgw bench -> fixgw demo --bench --journal-fsync always",
    "qfclient-fixgw": "quickfix_client -> fixgw demo --bench",
}
print()
print("| client -> acceptor | W | orders/s | ack p50 us | ack p99 us | close p50 us | runs |")
print("|---|---:|---:|---:|---:|---:|---|")
for (case, w), rs in sorted(rows.items(), key=lambda kv: (kv[0][1], list(names).index(kv[0][0]))):
    med = [statistics.median(r[i] for r in rs) for i in range(4)]
    runs = ", ".join(f"{r[0]:.0f}" for r in rs)
    print(f"| {names[case]} | {w} | {med[0]:.0f} | {med[1]:.1f} | {med[2]:.1f} | {med[3]:.1f} | orders/s {runs} |")
PY
