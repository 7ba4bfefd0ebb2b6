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
cat >"$DATA/mediagw.json" <<JSON
{
  "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
             "ports_file": "$DATA/mediagw.ports"},
  "storage": {"data_dir": "$DATA"},
  "api_keys": [{"name": "demo", "key_env": "MEDIAGW_DEMO_KEY"}],
  "channels": [{"name": "comfy-local", "provider": "comfyui", "base_urls": ["$SIM_URL"]}],
  "workflows": [
    {"name": "default", "channels": ["comfy-local"], "template_file": "$ROOT/config/workflows/default.json",
     "default_cfg": 7, "accepts_model": true},
    {"name": "anime", "channels": ["comfy-local"], "template_file": "$ROOT/config/workflows/anime.json",
     "default_cfg": 7, "accepts_model": true},
    {"name": "z-image", "channels": ["comfy-local"], "template_file": "$ROOT/config/workflows/z-image.json",
     "default_cfg": 1}
  ],
  "dispatch": {"poll_interval_ms": 200, "default_deadline_seconds": 300}
}
JSON

"$SERVER" --config="$DATA/mediagw.json" >"$DATA/mediagw.log" 2>&1 &
PIDS+=($!)
wait_for "$DATA/mediagw.ports" 30
REST="http://127.0.0.1:$(json_get "$DATA/mediagw.ports" "['http']")"
GRPC="127.0.0.1:$(json_get "$DATA/mediagw.ports" "['grpc']")"
echo "rest: $REST"
echo "grpc: $GRPC"
echo "api-key: $MEDIAGW_DEMO_KEY"

# 1. The legacy REST endpoint, exactly as in the seed document.
SUBMIT=$(curl -sS -X POST "$REST/v1/index.php?endpoint=image_generation" \
  -H 'Content-Type: application/json' -H "x-api-key: $MEDIAGW_DEMO_KEY" \
  -d '{"prompt": "1girl, white hair, blue eyes, starry sky, masterpiece",
       "negative_prompt": "lowres, bad quality, watermark",
       "width": 768, "height": 1024, "steps": 20, "workflow": "default", "seed": -1, "cfg": 6}')
echo "submitted (REST): $SUBMIT"
TASK_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["id"])' "$SUBMIT")
for _ in $(seq 1 600); do
  STATUS_JSON=$(curl -sS "$REST/v1/index.php?endpoint=task_status&task_id=$TASK_ID" -H "x-api-key: $MEDIAGW_DEMO_KEY")
  STATUS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["status"])' "$STATUS_JSON")
  [ "$STATUS" = completed ] && break
  if [ "$STATUS" = failed ] || [ "$STATUS" = cancelled ]; then echo "REST task ended: $STATUS_JSON" >&2; exit 1; fi
  sleep 0.2
done
[ "$STATUS" = completed ] || { echo "REST task did not complete: $STATUS_JSON" >&2; exit 1; }
IMAGE_URL=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["image_url"])' "$STATUS_JSON")
curl -sSf -o "$DATA/rest.png" "$IMAGE_URL"

# 2. gRPC: SubmitImage, then StreamTask until it succeeds, then download.
"$CLI" --addr="$GRPC" --key="$MEDIAGW_DEMO_KEY" submit --prompt="a lighthouse at dusk, oil painting" \
  --workflow=anime --width=640 --height=448 --out="$DATA/grpc.png" >"$DATA/grpc-events.jsonl"
echo "gRPC task events: $DATA/grpc-events.jsonl"

echo "image (REST): $DATA/rest.png ($(file -b "$DATA/rest.png" | cut -d, -f1-2))"
echo "image (gRPC): $DATA/grpc.png ($(file -b "$DATA/grpc.png" | cut -d, -f1-2))"
if [ "$ONCE" = 1 ]; then exit 0; fi
echo "serving; press Ctrl-C to stop"
wait
