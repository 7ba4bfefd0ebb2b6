#!/bin/sh
# Starts mediagw-sim and mediagw (every provider wired to the simulator, a
# short SSE heartbeat), runs the eventsource client test against them and
# stops both. Usage: run.sh /path/to/mediagw /path/to/mediagw-sim
set -eu
server_bin=$1
sim_bin=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$here"

if [ ! -d node_modules/eventsource ]; then
  npm ci --no-audit --no-fund
fi

tmp=$(mktemp -d)
sim_pid=
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

wait_file() {
  i=0
  while [ ! -s "$1" ]; do
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then
      echo "timed out waiting for $1" >&2
      cat "$tmp"/*.log >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

# 100 ms per step: the 50-step task runs about five seconds, past the
# client's 3 s reconnect delay, so the resumed stream sees heartbeats.
"$sim_bin" --port 0 --ports-file "$tmp/sim.ports" --step-ms 100 \
  >"$tmp/sim.log" 2>&1 &
sim_pid=$!
wait_file "$tmp/sim.ports"
sim_port=$(sed -n 's/.*"port": *\([0-9][0-9]*\).*/\1/p' "$tmp/sim.ports")

key=sk-sse-client-test
env_file="$tmp/env.sh"
SSE_KEY=$key python3 "$root/scripts/sim_config.py" \
  --sim "http://127.0.0.1:$sim_port" --data "$tmp/data" \
  --out "$tmp/mediagw.json" --ports-file "$tmp/mediagw.ports" \
  --key-env SSE_KEY --poll-ms 50 --print-env >"$env_file"
# A heartbeat every 300 ms, so one shows while the task runs.
python3 - "$tmp/mediagw.json" <<'PY'
import json, sys
path = sys.argv[1]
cfg = json.load(open(path))
cfg.setdefault("server", {})["sse_heartbeat_ms"] = 300
json.dump(cfg, open(path, "w"), indent=2)
PY
# shellcheck disable=SC1090
. "$env_file"
SSE_KEY=$key "$server_bin" --config="$tmp/mediagw.json" >"$tmp/mediagw.log" 2>&1 &
server_pid=$!
wait_file "$tmp/mediagw.ports"
http_port=$(sed -n 's/.*"http": *\([0-9][0-9]*\).*/\1/p' "$tmp/mediagw.ports")
echo "mediagw on port $http_port"

status=0
REST_URL="http://127.0.0.1:$http_port" API_KEY=$key timeout 150 node sse_test.mjs \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- mediagw log ---" >&2
  tail -50 "$tmp/mediagw.log" >&2
fi
exit "$status"
