#!/usr/bin/env bash
# The whole test suite: provision PostgreSQL 14..18, build, run every test
# (unit tests, integration tests against throwaway clusters, compat-tests against
# the stock tools). This is the command the README names and CI runs.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

echo "== provisioning PostgreSQL builds"
scripts/postgres.sh

echo "== building"
cargo build --workspace --all-targets --locked

echo "== testing"
# Each test that needs a server starts its own cluster; two at a time fits two cores.
export RUST_TEST_THREADS=${RUST_TEST_THREADS:-2}
cargo test --workspace --locked --no-fail-fast
