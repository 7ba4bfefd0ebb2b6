#!/bin/sh
# Starts mediagw-sim and mediagw (the example config with every channel on
# the simulator) on free ports, runs the openai npm client against
# mediagw's OpenAI-compatible surface, and stops both.
# Usage: run.sh /path/to/mediagw /path/to/mediagw-sim
set -eu
# Absolute, as the script works from its own folder.
server_bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
sim_bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$here"

if [ ! -d node_modules/openai ]; then
  npm ci --no-audit --no-fund
fi

tmp=$(mktemp -d)
sim_pid=
server_pid=
cleanup() {
  for pid in $server_pid $sim_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Waits for a ports file to appear while `pid` lives.
wait_ports() {
  i=0
  while [ ! -s "$1" ]; do
    i=$((i + 1))
    if [ "$i" -gt 300 ] || ! kill -0 "$2" 2>/dev/null; then
      echo "$3 did not start:" >&2
      cat "$tmp"/*.log >&2
      exit 1
    fi
    sleep 0.1
  done
}

"$sim_bin" --port 0 --ports_file "$tmp/sim.ports" --step_ms 5 \
  >"$tmp/sim.log" 2>&1 &
sim_pid=$!
wait_ports "$tmp/sim.ports" "$sim_pid" mediagw-sim
sim_port=$(sed -n 's/.*"port": *\([0-9][0-9]*\).*/\1/p' "$tmp/sim.ports")
sim_url="http://127.0.0.1:$sim_port"

key=sk-openai-sdk-test
# A second key whose metered account holds no credits.
broke_key=sk-openai-sdk-broke
exports=$(python3 "$root/scripts/sim_config.py" --sim "$sim_url" \
  --data "$tmp/data" --out "$tmp/mediagw.json" \
  --ports-file "$tmp/mediagw.ports" --key-env OPENAI_SDK_KEY \
  --metered-key-env OPENAI_SDK_BROKE_KEY --metered-balance 0 \
  --poll-ms 50 --print-env)
eval "$exports"
OPENAI_SDK_KEY=$key OPENAI_SDK_BROKE_KEY=$broke_key \
  "$server_bin" --config="$tmp/mediagw.json" \
  >"$tmp/mediagw.log" 2>&1 &
server_pid=$!
wait_ports "$tmp/mediagw.ports" "$server_pid" mediagw
http_port=$(sed -n 's/.*"http": *\([0-9][0-9]*\).*/\1/p' "$tmp/mediagw.ports")

status=0
MEDIAGW_URL="http://127.0.0.1:$http_port" MEDIAGW_KEY=$key \
  MEDIAGW_BROKE_KEY=$broke_key SIM_URL=$sim_url \
  timeout 240 node sdk_test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- mediagw log ---" >&2
  tail -50 "$tmp/mediagw.log" >&2
fi
exit "$status"
