#!/usr/bin/env bash
# Data-dump benchmark (not a test): stock pg_dump 18 against `pgark dump` on one
# throwaway PostgreSQL 18 cluster, for
#   (a) a pgbench database of about 1 GB (pgbench -i -s $SCALE, default 70; one
#       dominant table, pgbench_accounts);
#   (b) about 1 GB in $WIDE_TABLES (default 4) similar wide tables of text, jsonb,
#       bytea and numeric columns ($WIDE_ROWS rows each, default 300000).
# Modes: -Fc (default gzip), -Fc -Z zstd, -Fd -j 2, and pgark's -Fd -j 2
# --split-tables-larger-than=$SPLIT (default 256MB) against stock's -Fd -j 2. For each: wall time, client CPU
# (user+sys), peak RSS, archive size, and pgark/stock ratios. Also the physical limit:
# the time the server needs to stream the same tables with COPY ... TO STDOUT into a
# discarding client (one connection, then two in parallel).
# Targets (issue 6): default-compression dumps <= 0.4x stock's wall time on (b);
# -Fd -j 2 on (a) <= 0.6x; no mode slower than stock; pgark's peak RSS < 100 MB while
# dumping the 1 GB table.
#
# Usage: benches/dump_data/run.sh [workdir]
#   env: DBS (default "bench_pgbench bench_wide"), SCALE, WIDE_TABLES, WIDE_ROWS, SPLIT, PORT, PGBIN, PGARK (prebuilt binary), CARGO_TARGET_DIR
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCALE=${SCALE:-70}
WIDE_TABLES=${WIDE_TABLES:-4}
WIDE_ROWS=${WIDE_ROWS:-300000}
SPLIT=${SPLIT:-256MB}
PORT=${PORT:-55450}
PGBIN=${PGBIN:-$ROOT/target/pg/18/bin}
WORK=${1:-$(mktemp -d /tmp/pgark-dump-bench.XXXXXX)}
PGARK=${PGARK:-}

if [ -z "$PGARK" ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-bench} cargo build --release --bin pgark >&2)
    PGARK=${CARGO_TARGET_DIR:-$ROOT/target-bench}/release/pgark
fi
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time (GNU time) is needed for CPU and peak RSS figures" >&2
    exit 1
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
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories=$WORK -p $PORT -c max_wal_size=4GB -c shared_buffers=256MB" start >/dev/null

psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

prepare() {
    local db=$1
    if [ "$(psql -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 1 ]; then
        return
    fi
    psql -d postgres -c "CREATE DATABASE $db"
    case $db in
        bench_pgbench)
            echo "creating pgbench database (scale $SCALE)..." >&2
            "$PGBIN/pgbench" -i -q -s "$SCALE" "$db" >/dev/null 2>&1
            ;;
        bench_wide)
            echo "creating $WIDE_TABLES wide tables of $WIDE_ROWS rows..." >&2
            for i in $(seq 1 "$WIDE_TABLES"); do
                psql -d "$db" <<SQL
CREATE TABLE wide_$i (id bigint PRIMARY KEY, title text, body text, doc jsonb, blob bytea, amount numeric);
INSERT INTO wide_$i
SELECT g,
       'title ' || g || ' ' || md5(g::text),
       repeat(md5((g * $i)::text) || ' lorem ipsum dolor sit amet ', 8),
       jsonb_build_object('id', g, 'tags', jsonb_build_array(md5(g::text), g % 97, g % 13),
                          'note', repeat('x', (g % 50)), 'nested', jsonb_build_object('a', g * 1.5, 'b', md5((g + $i)::text))),
       decode(md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text), 'hex') || sha512(g::text::bytea),
       (g * 12345.6789)::numeric / 7
FROM generate_series(1, $WIDE_ROWS) g;
SQL
            done
            ;;
    esac
    psql -d "$db" -c "VACUUM ANALYZE"
}

prepare bench_pgbench
prepare bench_wide

# measure OUTPUT COMMAND... : prints "wall cpu rss_kb size_bytes" for one dump.
measure() {
    local out=$1; shift
    rm -rf "$out"
    /usr/bin/time -o "$WORK/time.txt" -f "%e %U %S %M" "$@" >/dev/null 2>"$WORK/dump.err" || {
        echo "failed: $*" >&2
        cat "$WORK/dump.err" >&2
        exit 1
    }
    local t
    t=$(tail -1 "$WORK/time.txt")
    local size
    size=$(du -sb "$out" | cut -f1)
    read -r wall user sys rss <<<"$t"
    echo "$wall $(echo "$user + $sys" | bc) $rss $size"
}

# The physical limit: COPY TO STDOUT of every table into /dev/null.
copy_limit() {
    local db=$1 jobs=$2
    local tables
    tables=$(psql -At -d "$db" -c "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY pg_relation_size(relid) DESC")
    local start end
    start=$(date +%s.%N)
    echo "$tables" | xargs -P "$jobs" -I{} "$PGBIN/psql" -X -q -d "$db" -c "COPY {} TO STDOUT" -o /dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

declare -A s_cache

report() {
    printf '%-10s %-14s %-8s %8s %8s %9s %12s\n' "$@"
}

for db in ${DBS:-bench_pgbench bench_wide}; do
    size=$(psql -At -d "$db" -c "SELECT pg_size_pretty(sum(pg_relation_size(relid))) FROM pg_stat_user_tables")
    echo
    echo "== $db ($size of table data) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "   server COPY TO STDOUT into /dev/null: $(copy_limit "$db" 1) s on 1 connection, $(copy_limit "$db" 2) s on 2"
    report mode tool wall_s cpu_s rss_MB size_MB "pgark/stock"
    # Each mode: "stock options|pgark extra options". The last row is pgark's split mode
    # (the dominant table read by both workers) against stock's -Fd -j 2.
    for mode in "-Fc|" "-Fc -Z zstd|" "-Fd -j 2|" "-Fd -j 2|--split-tables-larger-than=$SPLIT"; do
        opts=${mode%%|*}
        extra=${mode#*|}
        if [ -z "$extra" ] || [ -z "${s_cache[$opts]:-}" ]; then
            # shellcheck disable=SC2086
            s_cache[$opts]="$(measure "$WORK/stock.out" "$PGBIN/pg_dump" $opts -f "$WORK/stock.out" "$db")"
        fi
        read -r s_wall s_cpu s_rss s_size <<<"${s_cache[$opts]}"
        # shellcheck disable=SC2086
        read -r p_wall p_cpu p_rss p_size <<<"$(measure "$WORK/pgark.out" "$PGARK" dump $opts $extra -f "$WORK/pgark.out" "$db")"
        if [ -z "$extra" ]; then
            report "$opts" "stock pg_dump" "$s_wall" "$s_cpu" "$((s_rss / 1024))" "$((s_size / 1048576))" ""
        fi
        report "$opts" "pgark dump${extra:+ (split)}" "$p_wall" "$p_cpu" "$((p_rss / 1024))" "$((p_size / 1048576))" \
            "$(echo "scale=2; $p_wall / $s_wall" | bc)x"
    done
    unset s_cache
    declare -A s_cache
    rm -rf "$WORK/stock.out" "$WORK/pgark.out"
done
