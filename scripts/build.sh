#!/usr/bin/env bash
# Configures and builds mediagw into ${BUILD_DIR:-build} with clang.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -G Ninja -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMEDIAGW_BUILD_TESTS=${MEDIAGW_BUILD_TESTS:-ON} "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" ${TARGETS:+--target $TARGETS}
