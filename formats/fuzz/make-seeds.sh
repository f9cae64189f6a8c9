#!/usr/bin/env bash
# Makes seed corpora for the fuzz targets from archives written by stock pg_dump:
# corpus/custom (-Fc, several compressions, pipe-written), corpus/directory_toc
# (toc.dat of -Fd), corpus/tar (-Ft). Small database: a few tables and large objects.
# Usage: formats/fuzz/make-seeds.sh [major]   (default 18; binaries from target/pg/<major>)
set -euo pipefail
major=${1:-18}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$here/../.." && pwd)/target/pg/$major/bin
work=$(mktemp -d /tmp/pgark-seeds-XXXXXX)
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
chown postgres:postgres "$work"
runuser -u postgres -- "$bin/initdb" -D "$work/data" --auth=trust -U postgres >/dev/null
port=55231
runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -w -l "$work/log" \
  -o "-c listen_addresses='' -c unix_socket_directories=$work -p $port" start >/dev/null
conn=(-h "$work" -p "$port" -U postgres)
"$bin/psql" "${conn[@]}" -q -d postgres -c "CREATE DATABASE seed"
"$bin/psql" "${conn[@]}" -q -d seed <<'SQL'
CREATE SCHEMA s;
CREATE TABLE s.t (id int PRIMARY KEY, v text);
INSERT INTO s.t SELECT i, 'row ' || i FROM generate_series(1, 50) i;
CREATE TABLE s.e (x int);
COMMENT ON TABLE s.t IS 'seed';
SELECT lo_from_bytea(424242, 'hello large object'), lo_from_bytea(3000000000, ''::bytea);
SQL
mkdir -p "$here/corpus/custom" "$here/corpus/directory_toc" "$here/corpus/tar"
comps="0 6"
[ "$major" -ge 16 ] && comps="none gzip lz4 zstd"
for z in $comps; do
  "$bin/pg_dump" "${conn[@]}" -Fc -Z "$z" -f "$here/corpus/custom/v${major}_$z.dump" seed
  "$bin/pg_dump" "${conn[@]}" -Fd -Z "$z" -f "$work/d_$z" seed
  cp "$work/d_$z/toc.dat" "$here/corpus/directory_toc/v${major}_$z.toc.dat"
done
"$bin/pg_dump" "${conn[@]}" -Fc seed | cat > "$here/corpus/custom/v${major}_pipe.dump"
"$bin/pg_dump" "${conn[@]}" -Ft -f "$here/corpus/tar/v${major}.tar" seed
ls -l "$here"/corpus/*
