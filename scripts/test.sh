#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite through ctest
# (unit, provider contract, end-to-end with the real binaries, PostgreSQL
# tests against a throwaway server, fuzz corpus replay).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 --timeout 600 "$@"
