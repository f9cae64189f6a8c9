#!/usr/bin/env bash
# Builds PostgreSQL's own regression database ("regression") on a server of one major by
# running that major's core regression suite (pg_regress, parallel schedule) against it.
# Failing tests do not matter (some fail when the suite's SQL is of the branch point and
# the server a later minor release): only the database the suite leaves behind is wanted.
#
# Usage: compat-tests/regression/build.sh MAJOR [--host DIR] [--port PORT] [--user USER]
#                                               [--outputdir DIR]
#   MAJOR        14..18 (for Debian's 15, scripts/postgres.sh installs pg_regress and the
#                server headers from postgresql-server-dev-15).
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
# Inputs, cached under target/regression/src-MAJOR-KEY:
#   - src/test/regress and the listed contrib modules' directories of the server's own
#     release, from Debian's source tarball (postgresql-MAJOR_VERSION.orig.tar.bz2, the
#     upstream tarball) of the version scripts/postgres.sh installs, pinned by sha256 in
#     TARBALLS below (KEY = that version). It is downloaded once into
#     target/regression/downloads ($PGARK_REGRESSION_TARBALL_DIR). Same SQL as the server,
#     so fewer tests fail than with the branch point's suite.
#   - For a major with no pinned tarball: the branch point of MAJOR (the commit "Stamp HEAD
#     as <MAJOR+1>devel") from the full-history git mirror of PostgreSQL
#     ($PGARK_PG_MIRROR, default /work/.mirror/hackorum-dev+postgres/repo), KEY = commit.
#   - regress.so compiled with gcc from that regress.c against the server headers of the
#     build (target/pg/MAJOR/include/server).
# Binaries: target/pg/MAJOR (scripts/postgres.sh MAJOR provisions them).
#
# Exit status: 0 when the regression database exists afterwards (whatever the tests'
# pass/fail count), 2 when the inputs are missing (tarball download failed, no mirror,
# no build, no gcc), 1 otherwise.
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

# Debian's copies of the upstream tarballs of the releases scripts/postgres.sh installs:
# MAJOR VERSION SHA256 (from Debian's Sources index or the .dsc; Debian's pool keeps
# them while the release is current; a stable release's security update sits in the
# security pool until the next point release moves it to the main pool). 14 and 16 have
# no Debian package of their wheel's release in either pool: they use the git mirror.
TARBALLS="
18 18.6 555610c24d53e4316da5b7d3fc25c279d96856d5e0e23ee308c328c5fa881d9f
17 17.11 dd27f2b3c59e73ed14aa3324901242bf69a032a6347805f274e6260322d42979
15 15.18 11df0df97fe3ea4ba9a791faaf39cee1d2fe571e78885b5b55d8517d27c323b4
"
read -r _ version sha256 < <(echo "$TARBALLS" | awk -v m="$major" '$1 == m' ) || true
mkdir -p "$cache"

# Fills $1 with src/test/regress and the contrib modules' directories of the pinned tarball.
extract_tarball() {
  local dest=$1 name=postgresql-${major}_$version.orig.tar.bz2
  local url="http://deb.debian.org/debian/pool/main/p/postgresql-$major/$name
    http://deb.debian.org/debian-security/pool/updates/main/p/postgresql-$major/$name"
  local downloads=${PGARK_REGRESSION_TARBALL_DIR:-$cache/downloads}
  mkdir -p "$downloads"
  # python3 (which scripts/postgres.sh needs anyway) downloads, checks and extracts, so
  # neither curl nor bzip2 is needed.
  python3 - "$url" "$downloads/$name" "$sha256" "$dest" "postgresql-$version" $CONTRIB_MODULES <<'PY' ||
import hashlib, os, sys, tarfile, urllib.request
urls, path, sha256, dest, top, modules = sys.argv[1].split(), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]

def digest(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

if not (os.path.isfile(path) and digest(path) == sha256):
    part = path + ".part"
    errors = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=120) as r, open(part, "wb") as f:
                while block := r.read(1 << 20):
                    f.write(block)
            break
        except OSError as e:
            errors.append(f"{url}: {e}")
    else:
        sys.exit("build.sh: cannot download " + "; ".join(errors))
    got = digest(part)
    if got != sha256:
        os.remove(part)
        sys.exit(f"build.sh: {url}: sha256 {got}, expected {sha256}")
    os.replace(part, path)
wanted = [f"{top}/src/test/regress/"] + [f"{top}/contrib/{m}/" for m in modules]
with tarfile.open(path, "r:bz2") as tar:
    members = [m for m in tar if (m.isfile() or m.isdir()) and any(m.name.startswith(w) for w in wanted)]
    for m in members:
        m.name = m.name[len(top) + 1:]
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, members=members, filter="data")
    else:
        tar.extractall(dest, members=members)
if not os.path.isfile(os.path.join(dest, "src/test/regress/regress.c")):
    sys.exit(f"build.sh: {path} has no {top}/src/test/regress/regress.c")
PY
    missing "no regression sources of PostgreSQL $version (from $(echo $url))"
}

if [ -n "${version:-}" ]; then
  # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)": the third word.
  server=$("$pg/bin/postgres" --version 2>/dev/null | awk '{print $3}') || true
  [ "$server" = "$version" ] ||
    echo "build.sh: note: the server is ${server:-unknown}, the regression sources are of $version" >&2
  key=$version
  from="$version tarball"
else
  git --git-dir="$mirror" rev-parse --verify -q HEAD >/dev/null ||
    missing "no pinned source tarball of PostgreSQL $major and no git mirror at $mirror (set PGARK_PG_MIRROR)"
  # The branch point of MAJOR: master's commit stamping the next major's development.
  commit=$(git --git-dir="$mirror" log --format=%H -n 1 --fixed-strings \
    --grep "Stamp HEAD as $((major + 1))devel" HEAD)
  [ -n "$commit" ] || missing "no commit 'Stamp HEAD as $((major + 1))devel' in $mirror"
  key=${commit:0:12}
  from="branch point $key"
fi

src=$cache/src-$major-$key
# Concurrent runs of one major wait for the one filling the cache.
exec 9>"$cache/.lock-$major"
flock 9
if [ ! -f "$src/.complete-2" ]; then
  rm -rf "$src"
  mkdir -p "$src"
  if [ -n "${version:-}" ]; then
    extract_tarball "$src"
  else
    git --git-dir="$mirror" archive "$commit" src/test/regress | tar -x -C "$src"
    for m in $CONTRIB_MODULES; do
      # Modules absent at this commit are skipped.
      if git --git-dir="$mirror" cat-file -e "$commit:contrib/$m" 2>/dev/null; then
        git --git-dir="$mirror" archive "$commit" "contrib/$m" | tar -x -C "$src"
      fi
    done
  fi
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
echo "build.sh: pg_regress $major ($from) exited $status after $(($(date +%s) - started)) s: ${summary:-no summary}" >&2

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
