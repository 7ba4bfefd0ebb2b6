#!/usr/bin/env bash
# Builds mediagw and runs it on the embedded default (SQLite file + local
# disk under one data directory) against the provider simulator. Submits one
# image through the legacy REST endpoint and one through gRPC, waits for
# both, saves the PNGs and prints where everything is. Keeps serving until
# Ctrl-C; with --once it exits 0 once the images are saved.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ONCE=0
[ "${1:-}" = "--once" ] && ONCE=1

scripts/install-deps.sh
TARGETS="mediagw mediagw-sim mediagw-cli" scripts/build.sh
BIN=${BUILD_DIR:-$ROOT/build}
SERVER=$BIN/server/mediagw
SIM=$BIN/tools/sim/mediagw-sim
CLI=$BIN/tools/cli/mediagw-cli

DATA=${DEMO_DATA:-$ROOT/data/demo}
mkdir -p "$DATA"
rm -f "$DATA/sim.ports" "$DATA/mediagw.ports"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {  # file, seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }

"$SIM" --host 127.0.0.1 --port 0 --ports_file "$DATA/sim.ports" --step_ms 40 >"$DATA/sim.log" 2>&1 &
PIDS+=($!)
wait_for "$DATA/sim.ports" 20
SIM_URL="http://127.0.0.1:$(json_get "$DATA/sim.ports" "['port']")"

export MEDIAGW_DEMO_KEY=${MEDIAGW_DEMO_KEY:-sk-demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# The admin key of AdminService (mediagw-cli admin ...), in the variable the
# config's accounts.admin_key_env names.
export MEDIAGW_ADMIN_KEY=${MEDIAGW_ADMIN_KEY:-mgw_admin_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# Every provider and workflow, wired to the simulator; upstream keys are the
# simulator's (printed as exports by the generator). The example's prices
# apply: the demo key is unlimited, so its ledger records what each task
# used.
eval "$(python3 scripts/sim_config.py --sim "$SIM_URL" --data "$DATA" \
  --out "$DATA/mediagw.json" --ports-file "$DATA/mediagw.ports" \
  --key-env MEDIAGW_DEMO_KEY --admin-key-env MEDIAGW_ADMIN_KEY \
  --poll-ms 200 --print-env)"

"$SERVER" --config="$DATA/mediagw.json" >"$DATA/mediagw.log" 2>&1 &
PIDS+=($!)
wait_for "$DATA/mediagw.ports" 30
REST="http://127.0.0.1:$(json_get "$DATA/mediagw.ports" "['http']")"
GRPC="127.0.0.1:$(json_get "$DATA/mediagw.ports" "['grpc']")"
echo "rest: $REST"
echo "grpc: $GRPC"
echo "api-key: $MEDIAGW_DEMO_KEY"
echo "admin-key: $MEDIAGW_ADMIN_KEY"

KEY_HEADER="x-api-key: $MEDIAGW_DEMO_KEY"
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print((d.get("data") or {}).get(sys.argv[2]) or d.get("error") or "")' "$1" "$2"; }

# Submits one legacy request and waits for it; saves the result as $DATA/<name>.<ext>.
run_legacy() {  # name endpoint body
  local name=$1 endpoint=$2 body=$3 reply id status_json status url
  reply=$(curl -sS -X POST "$REST/v1/index.php?endpoint=$endpoint" \
    -H 'Content-Type: application/json' -H "$KEY_HEADER" -d "$body")
  id=$(field "$reply" id)
  [ -n "$id" ] || { echo "$name: submit refused: $reply" >&2; return 1; }
  echo "$name: submitted: $reply"
  for _ in $(seq 1 600); do
    status_json=$(curl -sS "$REST/v1/index.php?endpoint=task_status&task_id=$id" -H "$KEY_HEADER")
    status=$(field "$status_json" status)
    [ "$status" = completed ] && break
    if [ "$status" = failed ] || [ "$status" = cancelled ]; then echo "$name: ended $status: $status_json" >&2; return 1; fi
    sleep 0.2
  done
  [ "$status" = completed ] || { echo "$name: did not complete: $status_json" >&2; return 1; }
  url=$(field "$status_json" video_url)
  [ -n "$url" ] || url=$(field "$status_json" image_url)
  curl -sSf -o "$DATA/$name.${url##*.}" "$url"
  echo "$name: $DATA/$name.${url##*.} ($(file -b "$DATA/$name.${url##*.}" | cut -d, -f1-2))"
}

# 1. The seed requests on the legacy REST endpoint, one per workflow.
SEED_BODY='"prompt": "1girl, white hair, blue eyes, starry sky, masterpiece",
  "negative_prompt": "lowres, bad quality, watermark", "width": 768, "height": 1024,
  "steps": 20, "seed": -1, "cfg": 6'
run_legacy rest "image_generation" "{$SEED_BODY, \"workflow\": \"default\"}"
run_legacy anime "image_generation" "{$SEED_BODY, \"workflow\": \"anime\"}"
run_legacy z-image "image_generation" "{$SEED_BODY, \"workflow\": \"z-image\"}"
run_legacy rr3 "image_generation" "{$SEED_BODY, \"workflow\": \"rr3\"}"
run_legacy grok "image_generation" '{"prompt": "a futuristic city, cyberpunk style", "workflow": "grok", "width": 1024, "height": 1024}'
# The video seed names a remote picture by URL; here it is the simulator's
# sample host (the one address the fetcher may reach). kie-video gets the
# first image inline, as base64.
run_legacy video "video_generation" "{\"prompt\": \"1girl, dancing, high quality\", \"image\": \"$SIM_URL/samples/512x512.jpg\", \"seed\": -1}"
INPUT_B64=$(base64 -w0 "$DATA/rest.png")
run_legacy kie-video "video_generation" "{\"prompt\": \"1girl, dancing, high quality\", \"image\": \"$INPUT_B64\", \"seed\": -1, \"workflow\": \"kie-video\"}"

# 2. gRPC: SubmitImage, then StreamTask until it succeeds, then download.
"$CLI" --addr="$GRPC" --key="$MEDIAGW_DEMO_KEY" submit --prompt="a lighthouse at dusk, oil painting" \
  --workflow=anime --width=640 --height=448 --out="$DATA/grpc.png" >"$DATA/grpc-events.jsonl"
echo "gRPC task events: $DATA/grpc-events.jsonl"
echo "image (gRPC): $DATA/grpc.png ($(file -b "$DATA/grpc.png" | cut -d, -f1-2))"

# 3. Metering: what the tasks above were charged, from the ledger.
"$CLI" --addr="$GRPC" --admin_key="$MEDIAGW_ADMIN_KEY" admin list-ledger demo \
  >"$DATA/ledger.json"
echo "ledger (demo): $DATA/ledger.json ($(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])).get("entries",[]); print(len(e), "entries,", sum(int(x.get("amount",0)) for x in e if x.get("kind")=="SETTLE"), "credits charged")' "$DATA/ledger.json"))"
if [ "$ONCE" = 1 ]; then exit 0; fi
echo "serving; press Ctrl-C to stop"
wait
