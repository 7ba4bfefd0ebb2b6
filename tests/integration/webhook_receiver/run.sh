#!/bin/sh
# Starts mediagw-sim, gives the test account a webhook secret and a previous
# one still in its rotation grace (as RotateWebhookSecret leaves them), and
# runs the standardwebhooks receiver test, which starts (and restarts)
# mediagw itself. Usage: run.sh /path/to/mediagw /path/to/mediagw-sim
# /path/to/webhook_seed_account
set -eu
server_bin=$(realpath "$1")
sim_bin=$(realpath "$2")
seed_bin=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$here"

if [ ! -d node_modules/standardwebhooks ]; then
  npm ci --no-audit --no-fund
fi

tmp=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

i=0
"$sim_bin" --port 0 --ports-file "$tmp/sim.ports" --step-ms 5 \
  >"$tmp/sim.log" 2>&1 &
sim_pid=$!
while [ ! -s "$tmp/sim.ports" ]; do
  i=$((i + 1))
  if [ "$i" -gt 300 ]; then echo "simulator did not start" >&2; exit 1; fi
  sleep 0.1
done
sim_port=$(sed -n 's/.*"port": *\([0-9][0-9]*\).*/\1/p' "$tmp/sim.ports")

key=sk-webhook-receiver-test
env_file="$tmp/env.sh"
HOOK_KEY=$key python3 "$root/scripts/sim_config.py" \
  --sim "http://127.0.0.1:$sim_port" --data "$tmp/data" \
  --out "$tmp/mediagw.json" --ports-file "$tmp/mediagw.ports" \
  --key-env HOOK_KEY --poll-ms 50 --print-env >"$env_file"
# Quick retries, so that a refused first attempt is retried within the test.
python3 - "$tmp/mediagw.json" <<'PY'
import json, sys
path = sys.argv[1]
cfg = json.load(open(path))
cfg.setdefault("webhooks", {}).update(
    {"retry_base_ms": 200, "retry_max_delay_ms": 500, "poll_interval_ms": 100})
json.dump(cfg, open(path, "w"), indent=2)
PY
# The secrets RotateWebhookSecret would have made: the current one and the
# previous one, both signing during the grace period.
secret="whsec_$(head -c 24 /dev/urandom | base64)"
previous="whsec_$(head -c 24 /dev/urandom | base64)"
mkdir -p "$tmp/data"
"$seed_bin" "$tmp/data/mediagw.db" demo "$secret" "$previous"

# shellcheck disable=SC1090
. "$env_file"
status=0
HOOK_KEY=$key SERVER_BIN=$server_bin CONFIG="$tmp/mediagw.json" \
  PORTS_FILE="$tmp/mediagw.ports" LOG_FILE="$tmp/mediagw.log" API_KEY=$key \
  SECRET=$secret PREVIOUS_SECRET=$previous \
  timeout 200 node webhook_test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- mediagw log ---" >&2
  tail -60 "$tmp/mediagw.log" >&2 || true
fi
exit "$status"
