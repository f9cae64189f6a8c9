#!/usr/bin/env bash
# Catalog-cost benchmark (not a test): stock `pg_dump -s` 18 against `pgark dump -s`
# (release build) on one database of a throwaway PostgreSQL 18 cluster holding
# $TABLES (default 10000) tables, each with a primary key, an index, a comment and a
# grant, plus $VIEWS (default 2000) views and $FUNCS (default 2000) functions
# (schema.sql). Each tool runs $RUNS times (default 3) into /dev/null, alternating; the
# best wall time of each is printed with the ratio pgark/stock. Target: <= 0.5.
#
# Usage: benches/dump_catalog/run.sh [workdir]
#   env: TABLES, VIEWS, FUNCS, RUNS, PORT, PGBIN, PGARK (a pgark binary to use instead of
#        building one), CARGO_TARGET_DIR (where the release build goes).
# The workdir keeps the cluster between runs (the database is built once).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TABLES=${TABLES:-10000}
VIEWS=${VIEWS:-2000}
FUNCS=${FUNCS:-2000}
RUNS=${RUNS:-3}
PORT=${PORT:-55441}
PGBIN=${PGBIN:-$ROOT/target/pg/18/bin}
WORK=${1:-$(mktemp -d /tmp/pgark-dump-catalog-bench.XXXXXX)}
PGARK=${PGARK:-}

if [ -z "$PGARK" ]; then
    target=${CARGO_TARGET_DIR:-$ROOT/target-bench}
    (cd "$ROOT" && CARGO_TARGET_DIR=$target cargo build --release --bin pgark >&2)
    PGARK=$target/release/pgark
fi

mkdir -p "$WORK"
chmod 755 "$WORK"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$WORK"; fi

DATA=$WORK/data
export PGHOST=$WORK PGPORT=$PORT PGUSER=postgres
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

if [ ! -d "$DATA" ]; then
    as_pg "$PGBIN/initdb" -D "$DATA" --auth=trust -U postgres --locale=C.UTF-8 --encoding=UTF8 >/dev/null
fi
# A server left running by an interrupted run is stopped first.
as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories=$WORK -p $PORT -c max_wal_size=4GB -c fsync=off -c max_locks_per_transaction=256" \
    start >/dev/null

psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
DB=bench_catalog
marker=$WORK/$DB-$TABLES-$VIEWS-$FUNCS.built
if [ ! -f "$marker" ]; then
    echo "creating $TABLES tables, $VIEWS views, $FUNCS functions..." >&2
    psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    psql -d "$DB" -v tables="$TABLES" -v views="$VIEWS" -v funcs="$FUNCS" -f "$HERE/schema.sql"
    touch "$marker"
fi

now() { date +%s.%N; }
best_stock=
best_pgark=
time_one() {
    local start end
    start=$(now)
    "$@" >/dev/null
    end=$(now)
    echo "$end - $start" | bc
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# Same output first: a benchmark of a wrong dump would mean nothing.
KEY=benchRestrictKey0123456789
if ! cmp -s <("$PGBIN/pg_dump" -s --restrict-key=$KEY "$DB" | grep -v '^-- Dumped ') \
            <("$PGARK" dump -s --restrict-key=$KEY "$DB" | grep -v '^-- Dumped '); then
    echo "warning: pgark dump -s output differs from stock pg_dump -s" >&2
fi

for run in $(seq 1 "$RUNS"); do
    s=$(time_one "$PGBIN/pg_dump" -s "$DB")
    p=$(time_one "$PGARK" dump -s "$DB")
    echo "run $run: stock pg_dump -s ${s}s, pgark dump -s ${p}s" >&2
    best_stock=$(min "$best_stock" "$s")
    best_pgark=$(min "$best_pgark" "$p")
done

printf 'stock pg_dump -s : %6.3f s\n' "$best_stock"
printf 'pgark dump -s    : %6.3f s\n' "$best_pgark"
printf 'ratio pgark/stock: %6.3f (target <= 0.5)\n' "$(echo "$best_pgark / $best_stock" | bc -l)"
