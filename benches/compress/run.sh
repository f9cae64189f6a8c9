#!/usr/bin/env bash
# Compressor micro-benchmark (not a test): saves COPY text of the data benchmark's
# tables (benches/dump_data/run.sh creates them) to files once, then times pgark's
# compressed members against alternative encoders and stock pg_dump's shape (one stream
# per entry), single-threaded, in CPU seconds (the machine may be shared).
#
# Usage: benches/compress/run.sh BENCH_WORKDIR [SAMPLES_DIR]
#   BENCH_WORKDIR: the workdir of a benches/dump_data/run.sh run (its cluster, stopped).
#   env: PORT (default 55450), PGBIN, ROWS_WIDE (default 60000), ROWS_ACCOUNTS
#   (default 600000), BLOCK (member size, default 1048576), ONLY (substring of the
#   compressors to run), CARGO_TARGET_DIR.
# The benchmark crate is outside the workspace (its own dependencies: libdeflater,
# zstd's bulk API); its Cargo.lock starts as a copy of the workspace's.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH=${1:?usage: run.sh BENCH_WORKDIR [SAMPLES_DIR]}
SAMPLES=${2:-$BENCH/compress-samples}
PORT=${PORT:-55450}
PGBIN=${PGBIN:-$ROOT/target/pg/18/bin}
BLOCK=${BLOCK:-1048576}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$SAMPLES"
if [ ! -s "$SAMPLES/wide.copy" ] || [ ! -s "$SAMPLES/accounts.copy" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$BENCH/data" -l "$BENCH/server.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories=$BENCH -p $PORT" start >/dev/null
    trap 'as_pg "$PGBIN/pg_ctl" -D "$BENCH/data" -m fast stop >/dev/null' EXIT
    copy() { "$PGBIN/psql" -X -q -h "$BENCH" -p "$PORT" -U postgres -d "$1" -c "COPY ($2) TO STDOUT" >"$3"; }
    copy bench_wide "SELECT * FROM wide_1 LIMIT ${ROWS_WIDE:-60000}" "$SAMPLES/wide.copy"
    copy bench_pgbench "SELECT * FROM pgbench_accounts LIMIT ${ROWS_ACCOUNTS:-600000}" "$SAMPLES/accounts.copy"
fi

[ -f "$HERE/Cargo.lock" ] || cp "$ROOT/Cargo.lock" "$HERE/Cargo.lock"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target-bench}/compress-bench
(cd "$HERE" && CARGO_TARGET_DIR=$TARGET cargo build --release >&2)
uptime
"$TARGET/release/pgark-compress-bench" --block "$BLOCK" "$SAMPLES/wide.copy" "$SAMPLES/accounts.copy"
