#!/usr/bin/env bash
# Crash benchmark, full form: the real mediagw and mediagw-sim on 127.0.0.1,
# every workflow on both surfaces from many clients, 20 kill -9s each with
# ~1,000 tasks submitted in the phase before it, then one more phase; prints
# the harness's summary (kills, acknowledged, lost, run twice, sync resent,
# stuck, ...). The short form runs in ctest as crash_short.
#
#   bench/crash.sh [--no-build] [harness flags, e.g. --kills=5 --seed=42]
#
# Environment: BUILD_DIR (default build), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [[ "${1:-}" == "--no-build" ]]; then
  shift
else
  BUILD_DIR=$BUILD_DIR JOBS=${JOBS:-2} TARGETS="crash_harness mediagw mediagw-sim" \
    scripts/build.sh >/dev/null
fi
exec "$BUILD_DIR/tests/integration/e2e/crash_harness" \
  --kills=20 --per_phase=1000 --clients=32 --deadline_s=120 "$@"
