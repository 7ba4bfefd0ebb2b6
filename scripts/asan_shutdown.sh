#!/usr/bin/env bash
# Builds the server, the simulator and the shutdown end-to-end test with
# AddressSanitizer and UndefinedBehaviorSanitizer (the fuzz targets' flags)
# into ${BUILD_DIR:-/tmp/build-asan} and runs the test: SIGTERM with tasks
# mid-flight on every provider, under the sanitizers, exit 0 and no leak.
# Not part of CI (a second full build); see docs/LIFECYCLE.md "Shutdown".
set -euo pipefail
cd "$(dirname "$0")/.."
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=pointer-overflow -fno-omit-frame-pointer"
BUILD_DIR=${BUILD_DIR:-/tmp/build-asan} BUILD_TYPE=Release \
  TARGETS="mediagw mediagw-sim shutdown_e2e_test" scripts/build.sh \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG $SAN" \
  -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
"${BUILD_DIR:-/tmp/build-asan}/tests/integration/e2e/shutdown_e2e_test"
