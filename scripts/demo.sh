#!/usr/bin/env bash
# The main job, end to end on a throwaway cluster: provision PostgreSQL, start a
# cluster, load the fixture databases, dump, restore into a new database and verify
# the copy (schema, per-table checksums, large objects, sequences).
# Extra arguments go to the demo program (try --help).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/postgres.sh >/dev/null
cargo build --release --locked -p pgark -p pgark-testkit --bins
exec target/release/pgark-demo "$@"
