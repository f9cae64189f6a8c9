#!/usr/bin/env bash
# Builds PostgreSQL's own regression database ("regression") on a server of one major by
# running that major's core regression suite (pg_regress, parallel schedule) against it.
# Many tests fail when the suite's SQL is of the branch point and the server a later minor
# release; that does not matter: only the database the suite leaves behind is wanted.
#
# Usage: compat-tests/regression/build.sh MAJOR [--host DIR] [--port PORT] [--user USER]
#                                               [--outputdir DIR]
#   MAJOR        14, 16, 17 or 18 (15 is Debian's build, which has no pg_regress).
#   --host/--port/--user  the running server to build it on (default: $PGHOST, $PGPORT,
#                $PGUSER). With no port at all, the script initdb's and starts its own
#                cluster under target/regression/cluster-MAJOR and leaves it running
#                (it prints how to connect and how to stop it).
#   --outputdir  where pg_regress writes results/ and regression.diffs (default: a temp
#                dir removed at the end). The server writes there too (COPY TO), so it is
#                made writable for every user.
#   --contrib    also build database "contrib_regression": the regression SQL of the
#                contrib modules listed in CONTRIB_MODULES (those the build ships), run
#                one after another with psql into that one database (errors ignored),
#                which leaves extensions with member objects, config tables and user
#                objects using extension types behind.
#
# Inputs, cached under target/regression/src-MAJOR-COMMIT (keyed by commit):
#   - src/test/regress of the branch point of MAJOR (the commit "Stamp HEAD as
#     <MAJOR+1>devel"), from the full-history git mirror of PostgreSQL
#     ($PGARK_PG_MIRROR, default /work/.mirror/hackorum-dev+postgres/repo);
#   - regress.so compiled with gcc from that commit's regress.c against the server
#     headers of the build (target/pg/MAJOR/include/server).
# Binaries: target/pg/MAJOR (scripts/postgres.sh MAJOR provisions them).
#
# Exit status: 0 when the regression database exists afterwards (whatever the tests'
# pass/fail count), 2 when the inputs are missing (no mirror, no build), 1 otherwise.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mirror=${PGARK_PG_MIRROR:-/work/.mirror/hackorum-dev+postgres/repo}
pg_cache=${PGARK_PG_CACHE:-$repo/target/pg}
cache=$repo/target/regression

die() { echo "build.sh: $*" >&2; exit 1; }
missing() { echo "build.sh: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: build.sh MAJOR [--host DIR] [--port PORT] [--user USER] [--outputdir DIR]"
major=$1
shift
host=${PGHOST:-}
port=${PGPORT:-}
user=${PGUSER:-postgres}
outputdir=
contrib=0
# Contrib modules whose regression SQL needs no server configuration, no other server
# and no input/ processing.
CONTRIB_MODULES="hstore ltree pg_trgm citext cube seg btree_gist btree_gin isn intarray
  earthdistance tablefunc lo tcn unaccent dict_int dict_xsyn fuzzystrmatch bloom uuid-ossp
  tsm_system_rows tsm_system_time intagg moddatetime insert_username pgcrypto"
while [ $# -gt 0 ]; do
  case "$1" in
    --host) host=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --outputdir) outputdir=$2; shift 2 ;;
    --contrib) contrib=1; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
done
case "$major" in 14 | 15 | 16 | 17 | 18) ;; *) die "unsupported major '$major' (14..18)" ;; esac

pg=$pg_cache/$major
pg_regress=$pg/lib/pgxs/src/test/regress/pg_regress
[ -x "$pg/bin/postgres" ] || missing "PostgreSQL $major is not provisioned ($pg/bin); run scripts/postgres.sh $major"
[ -x "$pg_regress" ] || missing "the PostgreSQL $major build has no pg_regress ($pg_regress)"
[ -f "$pg/include/server/postgres.h" ] || missing "the PostgreSQL $major build has no server headers ($pg/include/server)"
command -v gcc >/dev/null || missing "gcc is needed to compile regress.c"
git --git-dir="$mirror" rev-parse --verify -q HEAD >/dev/null ||
  missing "no PostgreSQL git mirror at $mirror (set PGARK_PG_MIRROR)"

# The branch point of MAJOR: master's commit stamping the next major's development.
commit=$(git --git-dir="$mirror" log --format=%H -n 1 --fixed-strings \
  --grep "Stamp HEAD as $((major + 1))devel" HEAD)
[ -n "$commit" ] || missing "no commit 'Stamp HEAD as $((major + 1))devel' in $mirror"

src=$cache/src-$major-${commit:0:12}
mkdir -p "$cache"
# Concurrent runs of one major wait for the one filling the cache.
exec 9>"$cache/.lock-$major"
flock 9
if [ ! -f "$src/.complete-2" ]; then
  rm -rf "$src"
  mkdir -p "$src"
  git --git-dir="$mirror" archive "$commit" src/test/regress | tar -x -C "$src"
  for m in $CONTRIB_MODULES; do
    # Modules absent at this commit are skipped.
    if git --git-dir="$mirror" cat-file -e "$commit:contrib/$m" 2>/dev/null; then
      git --git-dir="$mirror" archive "$commit" "contrib/$m" | tar -x -C "$src"
    fi
  done
  mkdir -p "$src/lib"
  # Flags of PostgreSQL's own shared-module builds (Makefile.global CFLAGS_SL, -fno-strict-aliasing...).
  gcc -O1 -fPIC -shared -fno-strict-aliasing -fwrapv -Wno-deprecated-declarations \
    -I"$pg/include/server" -I"$pg/include" \
    -o "$src/lib/regress.so" "$src/src/test/regress/regress.c"
  # Older suites load contrib/spi's autoinc and refint from the same directory.
  for lib in autoinc refint; do
    [ -f "$pg/lib/$lib.so" ] && ln -sf "$pg/lib/$lib.so" "$src/lib/$lib.so"
  done
  touch "$src/.complete-2"
fi
flock -u 9
inputdir=$src/src/test/regress

as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ -z "$port" ]; then
  # No server given: make one that outlives the script.
  cluster=$cache/cluster-$major
  [ -e "$cluster" ] && die "$cluster exists: stop it (pg_ctl stop -D $cluster/data) and remove it first"
  mkdir -p "$cluster"
  chmod 755 "$cluster"
  [ "$(id -u)" = 0 ] && chown postgres: "$cluster"
  as_server_user "$pg/bin/initdb" -D "$cluster/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 --no-sync >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  {
    echo "port = $port"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$cluster'"
    echo "fsync = off"
  } >>"$cluster/data/postgresql.conf"
  as_server_user "$pg/bin/pg_ctl" start -w -D "$cluster/data" -l "$cluster/server.log" >/dev/null
  host=$cluster
  user=postgres
  echo "build.sh: started PostgreSQL $major: psql -h $host -p $port -U postgres regression" >&2
  echo "build.sh: stop it with: runuser -u postgres -- $pg/bin/pg_ctl stop -D $cluster/data" >&2
fi

keep_output=1
if [ -z "$outputdir" ]; then
  outputdir=$(mktemp -d "${TMPDIR:-/tmp}/pgark-regress-$major.XXXXXX")
  keep_output=0
fi
# The server (another OS user when run as root) writes COPY TO files into results/ and
# older suites' tablespaces into testtablespace/: pg_regress keeps existing directories.
mkdir -p "$outputdir/results" "$outputdir/testtablespace"
chmod 777 "$outputdir" "$outputdir/results" "$outputdir/testtablespace"

conn=(--port="$port" --user="$user")
[ -n "$host" ] && conn+=(--host="$host")
started=$(date +%s)
set +e
(cd "$outputdir" && "$pg_regress" --inputdir="$inputdir" --outputdir="$outputdir" \
  --bindir="$pg/bin" --dlpath="$src/lib" --schedule="$inputdir/parallel_schedule" \
  --max-connections=20 --max-concurrent-tests=20 "${conn[@]}" --dbname=regression \
  >"$outputdir/pg_regress.out" 2>&1)
status=$?
set -e
summary=$(grep -E "tests (passed|failed)|of [0-9]+ tests|All [0-9]+ tests" "$outputdir/pg_regress.out" | tail -n 1 || true)
echo "build.sh: pg_regress $major (${commit:0:12}) exited $status after $(($(date +%s) - started)) s: ${summary:-no summary}" >&2

psql_args=(-X -At "--port=$port" "--username=$user" -d regression)
[ -n "$host" ] && psql_args+=("--host=$host")
tables=$("$pg/bin/psql" "${psql_args[@]}" -c "select count(*) from pg_class where relnamespace <> 'pg_catalog'::regnamespace and relnamespace <> 'information_schema'::regnamespace" 2>/dev/null) ||
  {
    tail -n 40 "$outputdir/pg_regress.out" >&2
    die "no regression database after pg_regress (output in $outputdir)"
  }
echo "build.sh: database regression has $tables relations" >&2

if [ "$contrib" = 1 ]; then
  admin=(-X -q "--port=$port" "--username=$user" -d postgres)
  [ -n "$host" ] && admin+=("--host=$host")
  "$pg/bin/psql" "${admin[@]}" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS contrib_regression" \
    -c "CREATE DATABASE contrib_regression TEMPLATE template0" >/dev/null
  db=(-X -q "--port=$port" "--username=$user" -d contrib_regression)
  [ -n "$host" ] && db+=("--host=$host")
  ran=0
  for m in $CONTRIB_MODULES; do
    dir=$src/contrib/$m
    [ -f "$pg/share/extension/$m.control" ] && [ -f "$dir/Makefile" ] || continue
    for t in $(sed -n 's/^REGRESS *= *//p' "$dir/Makefile" | head -n 1); do
      [ -f "$dir/sql/$t.sql" ] || continue
      (cd "$dir" && PG_ABS_SRCDIR=$dir PG_LIBDIR=$src/lib "$pg/bin/psql" "${db[@]}" \
        -f "sql/$t.sql" >>"$outputdir/contrib.out" 2>&1) || true
      ran=$((ran + 1))
    done
  done
  extensions=$("$pg/bin/psql" "${db[@]}" -At -c "select count(*) from pg_extension")
  echo "build.sh: database contrib_regression: $ran contrib test files, $extensions extensions" >&2
fi
[ "$keep_output" = 1 ] || rm -rf "$outputdir"
