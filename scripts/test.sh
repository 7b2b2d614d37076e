#!/usr/bin/env bash
# Runs every check of the project, the way CI does (.ci/run calls this):
#
#   1. PostgreSQL on 127.0.0.1:5432 for the store tests: started if it is
#      installed but stopped, installed with apt if missing, and a `test`
#      database created. Tests that need it fail (never skip) without it.
#   2. QuickFIX C++ (libquickfix-dev, with g++ and pkg-config) for the
#      interoperability tests: installed with apt if pkg-config does not
#      know it. The tests fail (never skip) without it.
#   3. cargo fmt --check, cargo clippy with warnings denied, cargo test,
#      then the coverage-guided fuzz targets in fuzz/ (scripts/fuzz.sh:
#      the FIX framer, message parser, validator and scenario parser, each
#      for FIXGW_FUZZ_SECONDS, default 20).
#   4. The FIX session acceptance suite (../shared/tools/fix_acceptance.py)
#      against `fixgw acceptance-server` on a free loopback port, and the
#      validator's check of every message of that suite; both only when
#      ../shared/fix-acceptance sits beside the repository (a clone on its
#      own has no ../shared: the script then says plainly that they were
#      not run, and everything else still runs).
#
# Any failure stops the run with a non-zero exit status and says why.
# Environment: FIXGW_TEST_PG_URL overrides the store tests' database URL;
# FIXGW_ACCEPTANCE_PORT fixes the acceptance server's port.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_DIR=$(pwd)
SHARED_DIR=$(dirname "$REPO_DIR")/shared
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_DIR/target}

PG_HOST=127.0.0.1
PG_PORT=5432
export FIXGW_TEST_PG_URL=${FIXGW_TEST_PG_URL:-"host=$PG_HOST port=$PG_PORT user=postgres dbname=test"}

step() { printf '\n==> %s\n' "$*"; }
die() {
    printf '\nscripts/test.sh: FAILED: %s\n' "$*" >&2
    exit 1
}

# Runs a command as root (CI and the dev machines run as root; sudo otherwise).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

pg_ready() {
    command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
}

pg_psql() {
    psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U postgres "$@"
}

ensure_postgres() {
    step "PostgreSQL on $PG_HOST:$PG_PORT"
    if ! pg_ready; then
        if ! command -v pg_ctlcluster >/dev/null 2>&1; then
            echo "PostgreSQL is not installed: installing it with apt-get"
            as_root apt-get update
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
        fi
        local version
        version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
        [ -n "$version" ] || die "PostgreSQL is installed but /etc/postgresql holds no cluster"
        echo "starting PostgreSQL $version/main"
        # Fails harmlessly if the cluster is already starting; readiness decides.
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        local waited=0
        until pg_ready; do
            [ "$waited" -lt 60 ] || die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within 60 s"
            sleep 1
            waited=$((waited + 1))
        done
    fi
    # The tests connect as postgres over loopback without a password. A
    # fresh Debian install asks for one: trust loopback, as on the dev
    # machines (this is a test database on a test machine).
    if ! pg_psql -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
        local hba
        hba=$(as_root runuser -u postgres -- psql -X -p "$PG_PORT" -qtAc 'SHOW hba_file') ||
            die "cannot ask PostgreSQL where pg_hba.conf is"
        echo "allowing passwordless loopback connections in $hba"
        as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
        as_root runuser -u postgres -- psql -X -p "$PG_PORT" -qtAc 'SELECT pg_reload_conf()' >/dev/null
        pg_psql -d postgres -qtAc 'SELECT 1' >/dev/null ||
            die "cannot connect to PostgreSQL as postgres on $PG_HOST:$PG_PORT"
    fi
    if [ "$(pg_psql -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
        echo "creating database test"
        createdb -w -h "$PG_HOST" -p "$PG_PORT" -U postgres test
    fi
    echo "PostgreSQL is ready"
}

# QuickFIX C++ for tests/tests/quickfix_interop.rs, which builds a QuickFIX
# client with g++ against it.
ensure_quickfix() {
    step "QuickFIX C++ (libquickfix-dev)"
    if ! command -v pkg-config >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1 ||
        ! pkg-config --exists quickfix; then
        echo "libquickfix-dev, g++ or pkg-config is missing: installing them with apt-get"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y libquickfix-dev g++ pkg-config
        pkg-config --exists quickfix || die "libquickfix-dev is installed but pkg-config does not know quickfix"
    fi
    echo "QuickFIX $(pkg-config --modversion quickfix) is ready"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# True once something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1" \
        >/dev/null 2>&1
}

# Stops a background process: SIGTERM, then SIGKILL if it is still there
# after 10 s.
stop_process() {
    local pid=$1 waited=0
    kill "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do
        sleep 0.2
        waited=$((waited + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

ACCEPTANCE_DIR=$SHARED_DIR/fix-acceptance
ACCEPTANCE_SCRIPT=$SHARED_DIR/tools/fix_acceptance.py

# True when the shared FIX acceptance suite (QuickFIX's scripts, never
# copied into this repository) sits beside the repository.
have_acceptance_suite() {
    [ -d "$ACCEPTANCE_DIR" ] && [ -f "$ACCEPTANCE_SCRIPT" ]
}

# The validator's own check of every inbound message of the shared suite
# (an ignored test: it reads ../shared, which a plain clone does not have).
run_acceptance_messages_test() {
    step "validator against every message of the shared FIX acceptance suite"
    FIX_ACCEPTANCE_DIR="$ACCEPTANCE_DIR" cargo test -p fix-engine --lib -- --ignored acceptance_suite_messages
}

# Runs the shared FIX acceptance suite against `fixgw acceptance-server`.
run_acceptance_suite() {
    step "FIX acceptance suite against fixgw acceptance-server"
    local script="$ACCEPTANCE_SCRIPT"

    cargo build -p gateway --bin fixgw
    local fixgw="$TARGET_DIR/debug/fixgw"
    local port=${FIXGW_ACCEPTANCE_PORT:-$(free_port)}
    local server_log="$TARGET_DIR/acceptance-server.log"

    "$fixgw" acceptance-server --port "$port" >"$server_log" 2>&1 &
    ACCEPTANCE_SERVER_PID=$!
    local server_pid=$ACCEPTANCE_SERVER_PID
    # Stop the server however the script ends.
    trap 'kill "$ACCEPTANCE_SERVER_PID" 2>/dev/null || true' EXIT

    # Ready when the port accepts connections; give up after 30 s or as
    # soon as the server exits.
    local deadline=$((SECONDS + 30))
    until port_open "$port"; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            tail -n 50 "$server_log" >&2 || true
            die "fixgw acceptance-server exited before listening on port $port (log: $server_log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 50 "$server_log" >&2 || true
            die "fixgw acceptance-server did not listen on port $port within 30 s (log: $server_log)"
        fi
        sleep 0.2
    done
    echo "acceptance server listening on 127.0.0.1:$port (pid $server_pid, log $server_log)"

    local status=0
    python3 "$script" --port "$port" || status=$?

    stop_process "$server_pid"
    trap - EXIT
    if [ "$status" -ne 0 ]; then
        tail -n 50 "$server_log" >&2 || true
        die "FIX acceptance suite failed (exit status $status; server log: $server_log)"
    fi
}

ensure_postgres
ensure_quickfix

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace --no-fail-fast

step "fuzz targets"
./scripts/fuzz.sh "${FIXGW_FUZZ_SECONDS:-20}"

if have_acceptance_suite; then
    run_acceptance_messages_test
    # Last, so that the run closes on the suite's 'N passed, M failed' line.
    run_acceptance_suite
else
    step "FIX acceptance suite: NOT RUN"
    echo "The shared FIX session acceptance suite was not found at $ACCEPTANCE_DIR"
    echo "(with $ACCEPTANCE_SCRIPT): neither it nor the validator's check of its"
    echo "messages was run. Put the shared/ folder beside the repository to run them."
fi
