#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite through ctest
# (unit, provider contract against the simulator, end-to-end with the real
# binaries, the ComfyUI SDK client, fuzz corpus replay and short fuzz runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Tests need no debug info and little optimisation; both cost most of the
# build time on a 2-core machine.
BUILD_TYPE=${BUILD_TYPE:-Release} scripts/build.sh \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 --timeout 600 "$@"
