#!/bin/sh
# Starts mediagw-sim on a free port, runs the ComfyUI SDK client against it
# and stops the simulator. Usage: run.sh /path/to/mediagw-sim
set -eu
sim_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if [ ! -d node_modules/@saintno/comfyui-sdk ]; then
  npm ci --no-audit --no-fund
fi

tmp=$(mktemp -d)
# A job waits 300 ms before it starts: slack for the client's websocket to
# subscribe before progress goes out on a loaded machine (the client checks
# that it saw every step; one unexplained failure was seen under heavy load).
"$sim_bin" --port 0 --ports-file "$tmp/ports.json" --step-ms 20 --start-ms 300 \
  >"$tmp/sim.log" 2>&1 &
sim_pid=$!
cleanup() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

i=0
while [ ! -s "$tmp/ports.json" ]; do
  i=$((i + 1))
  if [ "$i" -gt 100 ] || ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "mediagw-sim did not start:" >&2
    cat "$tmp/sim.log" >&2
    exit 1
  fi
  sleep 0.1
done
port=$(sed -n 's/.*"port": *\([0-9][0-9]*\).*/\1/p' "$tmp/ports.json")
echo "mediagw-sim on port $port"

status=0
SIM_URL="http://127.0.0.1:$port" timeout 120 node sdk_test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- simulator log ---" >&2
  cat "$tmp/sim.log" >&2
fi
exit "$status"
