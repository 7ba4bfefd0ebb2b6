#!/usr/bin/env bash
# Channels under failure, long form: the 503-storm end-to-end test with a
# 30 s storm (the ctest run uses 5 s). Two ComfyUI channels on one
# simulator, the first behind a fault proxy answering 503 to everything for
# the window while tasks arrive 8 a second; prints the figures recorded in
# docs/PERFORMANCE.md ("Channels under failure") and fails if a check does.
#
#   bench/channel_faults.sh [--no-build] [WINDOW_SECONDS]
#
# Environment: BUILD_DIR (default build), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [[ "${1:-}" == "--no-build" ]]; then
  shift
else
  JOBS=${JOBS:-2} BUILD_DIR=$BUILD_DIR TARGETS="mediagw mediagw-sim channel_faults_e2e_test" \
    scripts/build.sh >/dev/null
fi
WINDOW=${1:-30}
OUT=$(mktemp /tmp/mediagw-channel-faults-XXXXXX.log)
rc=0
MEDIAGW_FAULT_WINDOW_S=$WINDOW \
  "$BUILD_DIR/tests/integration/e2e/channel_faults_e2e_test" \
  --gtest_filter='*A503StormOpensTheBreakerAndTasksFailOver' >"$OUT" 2>&1 ||
  rc=$?
grep -E '^\[channel-faults\]|Failure|Expected|Which is|PASSED|FAILED' "$OUT" || true
echo "full output: $OUT"
exit $rc
