#!/usr/bin/env bash
# Restore benchmark (not a test): stock pg_restore 18 -j 2 against `pgark restore -j 2`
# on the same directory archives made by stock pg_dump 18, restored into fresh databases
# of one throwaway PostgreSQL 18 cluster:
#   (a) a pgbench database of about 1 GB (pgbench -i -s $SCALE, default 70);
#   (b) $TABLES (default 10000) small tables, each with a primary key, an index, a comment
#       and a grant.
# Prints both wall times and the ratio pgark/stock for each. Targets: (a) <= 1.0, (b) <= 0.6.
# With RUNS=N each is measured N times, stock and pgark alternately (on a busy machine
# the ratio of neighbouring runs is what means something), then the mean ratio.
#
# Usage: benches/restore/run.sh [workdir]   (env: SCALE, TABLES, PORT, JOBS, RUNS, PGBIN, PGARK, ONLY=a|b|ab)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCALE=${SCALE:-70}
TABLES=${TABLES:-10000}
PORT=${PORT:-55440}
JOBS=${JOBS:-2}
RUNS=${RUNS:-1}
PGBIN=${PGBIN:-$ROOT/target/pg/18/bin}
WORK=${1:-$(mktemp -d /tmp/pgark-restore-bench.XXXXXX)}
PGARK=${PGARK:-}

if [ -z "$PGARK" ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bench} cargo build --release --bin pgark >&2)
    PGARK=${CARGO_TARGET_DIR:-$ROOT/target-bench}/release/pgark
fi

mkdir -p "$WORK"
chmod 755 "$WORK"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$WORK"; fi

DATA=$WORK/data
SOCK=$WORK
export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

if [ ! -d "$DATA" ]; then
    as_pg "$PGBIN/initdb" -D "$DATA" --auth=trust -U postgres --locale=C.UTF-8 --encoding=UTF8 >/dev/null
fi
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories=$SOCK -p $PORT -c max_wal_size=4GB -c shared_buffers=256MB" start >/dev/null

psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

prepare() {
    local db=$1
    if [ -d "$WORK/$db.dir" ]; then return; fi
    psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    case $db in
        bench_pgbench)
            echo "creating pgbench database (scale $SCALE)..." >&2
            "$PGBIN/pgbench" -i -q -s "$SCALE" "$db" >/dev/null 2>&1
            ;;
        bench_small)
            echo "creating $TABLES small tables..." >&2
            psql -d postgres -c "DO \$\$ BEGIN CREATE ROLE bench_reader; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
            psql -d "$db" <<SQL
DO \$\$
BEGIN
  FOR i IN 1..$TABLES LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, val text, n int)', i);
    EXECUTE format('CREATE INDEX t%s_n ON t%s (n)', i, i);
    EXECUTE format('COMMENT ON TABLE t%s IS %L', i, 'small table ' || i);
    EXECUTE format('GRANT SELECT ON t%s TO bench_reader', i);
    EXECUTE format('INSERT INTO t%s SELECT g, md5(g::text), g %% 7 FROM generate_series(1, 10) g', i);
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
END
\$\$;
SQL
            ;;
    esac
    echo "dumping $db..." >&2
    "$PGBIN/pg_dump" -Fd -f "$WORK/$db.dir" "$db"
}

run_one() {
    local label=$1 archive=$2 target=$3; shift 3
    psql -d postgres -c "DROP DATABASE IF EXISTS $target" -c "CREATE DATABASE $target TEMPLATE template0"
    psql -d postgres -c "CHECKPOINT"
    local t0 t1
    t0=$(now)
    "$@" -d "$target" -j "$JOBS" "$archive" 2>"$WORK/$target.stderr" || {
        echo "$label failed:" >&2; tail -5 "$WORK/$target.stderr" >&2; }
    t1=$(now)
    elapsed "$t0" "$t1"
}

report() {
    local name=$1 db=$2 target=$3
    prepare "$db"
    local stock pgark ratio sum=0 run
    for run in $(seq 1 "$RUNS"); do
        stock=$(run_one "stock pg_restore" "$WORK/$db.dir" "${target}_stock" "$PGBIN/pg_restore")
        pgark=$(run_one "pgark restore" "$WORK/$db.dir" "${target}_pgark" "$PGARK" restore --no-progress)
        ratio=$(echo "$pgark / $stock" | bc -l)
        sum=$(echo "$sum + $ratio" | bc -l)
        printf '%-28s stock pg_restore -j %s: %8.2f s   pgark restore -j %s: %8.2f s   ratio %.2f\n' \
            "$name" "$JOBS" "$stock" "$JOBS" "$pgark" "$ratio"
    done
    if [ "$RUNS" -gt 1 ]; then
        printf '%-28s mean ratio over %s runs: %.2f\n' "$name" "$RUNS" "$(echo "$sum / $RUNS" | bc -l)"
    fi
}

# Same contents? (a quick check; the restore tests do the thorough one)
summary() {
    psql -At -d "$1" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'" \
        -c "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'" \
        -c "SELECT count(*) FROM pg_description" | tr '\n' ' '
}
check() {
    local a b
    a=$(summary "${1}_stock"); b=$(summary "${1}_pgark")
    if [ "$a" = "$b" ]; then echo "  same relations, indexes and comments: $a"; else echo "  DIFFERENT: stock $a / pgark $b"; fi
}

case ${ONLY:-ab} in *a*) report "(a) pgbench scale $SCALE" bench_pgbench r_pgbench; check r_pgbench;; esac
case ${ONLY:-ab} in *b*) report "(b) $TABLES small tables" bench_small r_small; check r_small;; esac
