#!/usr/bin/env bash
# mediagw load benchmark: one command, bounded in time, loopback only.
#
#   bench/run.sh [--quick] [--no-build]
#
# Builds the server and the simulator (scripts/build.sh, tests off), then on
# 127.0.0.1 with kernel-chosen ports:
#   a. gRPC: h2load on grpc.health.v1.Health/Check (baseline), then on
#      mediagw.v1.MediaService/SubmitImage; the simulator sleeps a long time
#      per step and dispatch.max_active_tasks is small, so submits pile up
#      PENDING in SQLite. h2load counts any HTTP 200 as success, so the gRPC
#      status is checked server side: the /metrics delta of
#      mediagw_submits_total{code="OK"} must equal the requests h2load sent.
#   b. RSS of the server (VmRSS) before and after 10,000 queued submits
#      (and after 50,000 without --quick).
#   c. REST: wrk on GET /healthz (baseline), then wrk POSTing the seed
#      example body to /v1/index.php?endpoint=image_generation.
#   d. end to end: fresh server (max_active_tasks 256) and simulator at
#      --step-ms 0; baseline = the same number of prompts POSTed straight to
#      the simulator's /prompt, timed until its queue is empty; then the same
#      number of SubmitImage calls through mediagw, timed until
#      mediagw_tasks_finished_total{state="TASK_STATE_SUCCEEDED"} reaches it.
# Figures are printed as absolute numbers and as ratios against the baseline
# measured in the same run. Raw outputs go to $BENCH_OUT (default
# /tmp/mediagw-bench-<timestamp>). Every process started here is killed on
# exit.
#
# Environment: BUILD_DIR (default /tmp/build-bench), JOBS (default 2),
# BENCH_OUT, H2LOAD_C / H2LOAD_M (default 8 / 64), WRK_C (default 32).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
BUILD=1
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

for tool in h2load wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${BENCH_OUT:-/tmp/mediagw-bench-$(date +%Y%m%d-%H%M%S)}
C=${H2LOAD_C:-8}
M=${H2LOAD_M:-64}
WRK_C=${WRK_C:-32}
if [ "$QUICK" = 1 ]; then
  HEALTH_N=10000; SUBMIT_N1=10000; SUBMIT_N2=0; WRK_D=2; E2E_N=300; E2E_TIMEOUT=40
else
  HEALTH_N=50000; SUBMIT_N1=10000; SUBMIT_N2=40000; WRK_D=5; E2E_N=2000; E2E_TIMEOUT=120
fi
QUEUED_STEP_MS=600000   # one sampler step = 10 minutes: nothing finishes
QUEUED_MAX_ACTIVE=32
E2E_MAX_ACTIVE=256

if [ "$BUILD" = 1 ]; then
  BUILD_DIR=$BUILD_DIR MEDIAGW_BUILD_TESTS=OFF TARGETS="mediagw mediagw-sim" \
    JOBS=${JOBS:-2} scripts/build.sh
fi
SERVER=$BUILD_DIR/server/mediagw
SIM=$BUILD_DIR/tools/sim/mediagw-sim
for bin in "$SERVER" "$SIM"; do
  [ -x "$bin" ] || { echo "bench: $bin missing (build first)" >&2; exit 1; }
done

mkdir -p "$OUT"
echo "bench: results in $OUT"
SIM_PID=""
SERVER_PID=""
cleanup() {
  for p in $SERVER_PID $SIM_PID; do kill "$p" 2>/dev/null || true; done
  for p in $SERVER_PID $SIM_PID; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt"; }
wait_for() {  # file, seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "bench: timed out waiting for $1" >&2; return 1
}
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
now() { date +%s.%N; }
calc() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime
CLK_TCK=$(getconf CLK_TCK)

metrics() {  # save /metrics to $1
  curl -sSf --max-time 10 "$REST/metrics" >"$1"
}
mval() {  # file, exact series name with labels -> integer (0 if absent)
  python3 - "$1" "$2" <<'PY'
import sys
want = sys.argv[2]
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    name, _, value = line.rstrip("\n").rpartition(" ")
    if name == want:
        print(int(float(value)))
        break
else:
    print(0)
PY
}
submit_codes() {  # before, after -> "CODE:delta ..." for every submit code that moved
  python3 - "$1" "$2" <<'PY'
import re, sys
def read(path):
    out = {}
    for line in open(path):
        m = re.match(r'mediagw_submits_total\{code="([A-Z_]+)"\} (\S+)', line)
        if m:
            out[m.group(1)] = int(float(m.group(2)))
    return out
a, b = read(sys.argv[1]), read(sys.argv[2])
moved = ["%s:%d" % (k, b[k] - a.get(k, 0)) for k in sorted(b) if b[k] != a.get(k, 0)]
print(" ".join(moved) if moved else "none")
PY
}

# h2load output -> variables: H_RPS, H_DONE, H_OK2XX, H_FAILED, H_SECS
parse_h2load() {
  H_RPS=$(sed -n 's/^finished in \([0-9.]*\)\(m*s\), \([0-9.]*\) req\/s.*/\3/p' "$1")
  H_SECS=$(sed -n 's/^finished in \([0-9.]*\)\(m*s\), .*/\1 \2/p' "$1" |
           awk '{print ($2 == "ms") ? $1 / 1000 : $1}')
  H_DONE=$(sed -n 's/^requests: .* \([0-9]*\) done.*/\1/p' "$1")
  H_FAILED=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$1")
  H_OK2XX=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$1")
  : "${H_RPS:=0}" "${H_SECS:=0}" "${H_DONE:=0}" "${H_FAILED:=0}" "${H_OK2XX:=0}"
}
# wrk output -> W_REQS, W_RPS, W_NON2XX
parse_wrk() {
  W_REQS=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$1")
  W_RPS=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1")
  W_NON2XX=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1")
  : "${W_REQS:=0}" "${W_RPS:=0}" "${W_NON2XX:=0}"
}

grpc_h2load() {  # name, n, frame file, path, [extra h2load args...]
  local name=$1 n=$2 frame=$3 path=$4
  shift 4
  timeout 180 h2load -n "$n" -c "$C" -m "$M" -t 1 -d "$frame" \
    -H 'content-type: application/grpc' -H 'te: trailers' "$@" \
    "http://$GRPC$path" >"$OUT/$name.h2load.txt" 2>&1 || true
  parse_h2load "$OUT/$name.h2load.txt"
}

# Sends one gRPC call with curl and prints its grpc-status trailer.
grpc_status_of() {  # path, frame file, [curl args...]
  local path=$1 frame=$2
  shift 2
  curl -sS --max-time 10 --http2-prior-knowledge -o /dev/null -D - \
    -H 'content-type: application/grpc' -H 'te: trailers' "$@" \
    --data-binary "@$frame" "http://$GRPC$path" |
    tr -d '\r' | sed -n 's/^grpc-status: *//p' | tail -1
}

# Newer simulators also wait --start-ms (default 50) before each job; the
# end-to-end phase sets it to the step time when the flag exists.
SIM_HELP=$("$SIM" --helpfull 2>&1 || true)
start_sim() {  # step_ms, max_history, tag
  local extra=()
  case $SIM_HELP in *start_ms*) extra=(--start-ms "$1") ;; esac
  rm -f "$OUT/$3.sim.ports"
  "$SIM" --host 127.0.0.1 --port 0 --ports-file "$OUT/$3.sim.ports" \
    --step-ms "$1" --max-history "$2" "${extra[@]}" >"$OUT/$3.sim.log" 2>&1 &
  SIM_PID=$!
  wait_for "$OUT/$3.sim.ports" 20
  SIM_URL="http://127.0.0.1:$(json_get "$OUT/$3.sim.ports" port)"
}

start_server() {  # max_active, poll_ms, tag, [metering: on|off]
  local data=$OUT/$3.data
  # Phase e compares a metered account (a balance, priced workflow, a hold
  # and its ledger row per submit) with metering off.
  local key_extra="" price="" accounts=""
  if [ -n "${4:-}" ]; then
    key_extra=', "balance": 1000000000000'
    price=', "price": {"per_output": 3}'
    accounts=', "accounts": {"metering": '$([ "$4" = on ] && echo true || echo false)'}'
  fi
  rm -rf "$data"; mkdir -p "$data"
  cat >"$data/mediagw.json" <<JSON
{
  "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
             "ports_file": "$data/mediagw.ports"},
  "storage": {"data_dir": "$data"},
  "api_keys": [{"name": "bench", "key_env": "MEDIAGW_BENCH_KEY"$key_extra}],
  "channels": [{"name": "comfy-local", "provider": "comfyui", "base_urls": ["$SIM_URL"]}],
  "workflows": [
    {"name": "default", "channels": ["comfy-local"],
     "template_file": "$ROOT/config/workflows/default.json",
     "default_cfg": 7, "accepts_model": true$price}
  ],
  "dispatch": {"poll_interval_ms": $2, "default_deadline_seconds": 900,
               "max_active_tasks": $1}$accounts
}
JSON
  "$SERVER" --config="$data/mediagw.json" >"$OUT/$3.server.log" 2>&1 &
  SERVER_PID=$!
  wait_for "$data/mediagw.ports" 30
  REST="http://127.0.0.1:$(json_get "$data/mediagw.ports" http)"
  GRPC="127.0.0.1:$(json_get "$data/mediagw.ports" grpc)"
  DATA=$data
}

stop_all() {
  cleanup
  SERVER_PID=""; SIM_PID=""
}

FAIL=0
check() {  # description, condition result (0 ok)
  if [ "$2" = 0 ]; then log "check ok: $1"; else log "CHECK FAILED: $1"; FAIL=1; fi
}

# ---------------------------------------------------------------- setup
export MEDIAGW_BENCH_KEY=sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SUBMIT_FRAME=$OUT/submit.grpc
HEALTH_FRAME=$OUT/health.grpc
python3 bench/grpc_frame.py submit "$SUBMIT_FRAME" --prompt "a lighthouse at dusk, oil painting" \
  --width 64 --height 64 --steps 4 --workflow default
python3 bench/grpc_frame.py health "$HEALTH_FRAME"
# The seed example body (seeds/000); workflow "rr3" there is not configured
# in this build, so the ComfyUI "default" workflow is used.
cat >"$OUT/rest_submit.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"prompt": "1girl, white hair, blue eyes, starry sky, masterpiece", "negative_prompt": "lowres, bad quality, watermark", "width": 768, "height": 1024, "steps": 20, "workflow": "default", "seed": -1, "cfg": 6}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "$MEDIAGW_BENCH_KEY"
LUA

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)"
  echo "binaries built: $(date -u -r "$SERVER" +%Y-%m-%dT%H:%M:%SZ) (server), $(date -u -r "$SIM" +%Y-%m-%dT%H:%M:%SZ) (sim)"
  echo "cpus: $(nproc)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "h2load: -c $C -m $M -t 1; wrk: -t 1 -c $WRK_C -d ${WRK_D}s"
} | tee "$OUT/env.txt"

# ---------------------------------------------------------------- a/b: queued
log "phase a/b: simulator --step-ms $QUEUED_STEP_MS, max_active_tasks $QUEUED_MAX_ACTIVE"
start_sim "$QUEUED_STEP_MS" 1000 queued
start_server "$QUEUED_MAX_ACTIVE" 1000 queued
log "server pid $SERVER_PID grpc $GRPC rest $REST"

st=$(grpc_status_of /grpc.health.v1.Health/Check "$HEALTH_FRAME")
check "Health/Check answers grpc-status 0 (got '$st')" "$([ "$st" = 0 ]; echo $?)"
st=$(grpc_status_of /mediagw.v1.MediaService/SubmitImage "$SUBMIT_FRAME" -H "x-api-key: $MEDIAGW_BENCH_KEY")
check "SubmitImage answers grpc-status 0 (got '$st')" "$([ "$st" = 0 ]; echo $?)"
st=$(grpc_status_of /mediagw.v1.MediaService/SubmitImage "$SUBMIT_FRAME" -H "x-api-key: wrong")
check "SubmitImage with a wrong key answers grpc-status 16 (got '$st')" "$([ "$st" = 16 ]; echo $?)"

# Warm-up (gRPC stack, SQLite page cache, allocator arenas), not measured.
grpc_h2load warmup-health 2000 "$HEALTH_FRAME" /grpc.health.v1.Health/Check
grpc_h2load warmup-submit 1000 "$SUBMIT_FRAME" /mediagw.v1.MediaService/SubmitImage -H "x-api-key: $MEDIAGW_BENCH_KEY"
sleep 1

log "a. baseline: Health/Check x $HEALTH_N"
c0=$(cpu_ticks "$SERVER_PID")
grpc_h2load health "$HEALTH_N" "$HEALTH_FRAME" /grpc.health.v1.Health/Check
c1=$(cpu_ticks "$SERVER_PID")
HEALTH_RPS=$H_RPS
HEALTH_CPU_US=$(calc "($c1-$c0)*1e6/$CLK_TCK/max(1,$H_DONE)")
check "health: $H_DONE of $HEALTH_N done, $H_OK2XX 2xx" "$([ "$H_DONE" = "$HEALTH_N" ] && [ "$H_OK2XX" = "$HEALTH_N" ]; echo $?)"

sleep 1
RSS0=$(rss_kib "$SERVER_PID")
metrics "$OUT/metrics.0.txt"
log "b. RSS before queued submits: $RSS0 KiB"

log "a. SubmitImage x $SUBMIT_N1"
c0=$(cpu_ticks "$SERVER_PID")
grpc_h2load submit1 "$SUBMIT_N1" "$SUBMIT_FRAME" /mediagw.v1.MediaService/SubmitImage -H "x-api-key: $MEDIAGW_BENCH_KEY"
c1=$(cpu_ticks "$SERVER_PID")
SUBMIT1_RPS=$H_RPS; SUBMIT1_SECS=$H_SECS; SUBMIT1_DONE=$H_DONE
SUBMIT1_CPU_US=$(calc "($c1-$c0)*1e6/$CLK_TCK/max(1,$H_DONE)")
metrics "$OUT/metrics.1.txt"
OK1=$(( $(mval "$OUT/metrics.1.txt" 'mediagw_submits_total{code="OK"}') - $(mval "$OUT/metrics.0.txt" 'mediagw_submits_total{code="OK"}') ))
CODES1=$(submit_codes "$OUT/metrics.0.txt" "$OUT/metrics.1.txt")
check "submit1: OK delta $OK1 == sent $SUBMIT_N1 (h2load done $H_DONE, 2xx $H_OK2XX; codes moved: $CODES1)" \
  "$([ "$OK1" = "$SUBMIT_N1" ]; echo $?)"
sleep 1
RSS1=$(rss_kib "$SERVER_PID")
ACTIVE1=$(mval "$OUT/metrics.1.txt" mediagw_active_tasks)
WAITING1=$(mval "$OUT/metrics.1.txt" mediagw_waiting_tasks)
log "b. RSS after $SUBMIT_N1 queued submits: $RSS1 KiB (active $ACTIVE1, waiting $WAITING1)"

SUBMIT2_RPS=""; SUBMIT2_SECS=0; RSS2=""; OK2=""; SUBMIT2_CPU_US=""
if [ "$SUBMIT_N2" -gt 0 ]; then
  log "a. SubmitImage x $SUBMIT_N2 more"
  c0=$(cpu_ticks "$SERVER_PID")
  grpc_h2load submit2 "$SUBMIT_N2" "$SUBMIT_FRAME" /mediagw.v1.MediaService/SubmitImage -H "x-api-key: $MEDIAGW_BENCH_KEY"
  c1=$(cpu_ticks "$SERVER_PID")
  SUBMIT2_RPS=$H_RPS; SUBMIT2_SECS=$H_SECS; SUBMIT2_DONE=$H_DONE
  SUBMIT2_CPU_US=$(calc "($c1-$c0)*1e6/$CLK_TCK/max(1,$H_DONE)")
  metrics "$OUT/metrics.2.txt"
  OK2=$(( $(mval "$OUT/metrics.2.txt" 'mediagw_submits_total{code="OK"}') - $(mval "$OUT/metrics.1.txt" 'mediagw_submits_total{code="OK"}') ))
  CODES2=$(submit_codes "$OUT/metrics.1.txt" "$OUT/metrics.2.txt")
  check "submit2: OK delta $OK2 == sent $SUBMIT_N2 (h2load done $H_DONE, 2xx $H_OK2XX; codes moved: $CODES2)" \
    "$([ "$OK2" = "$SUBMIT_N2" ]; echo $?)"
  sleep 1
  RSS2=$(rss_kib "$SERVER_PID")
  log "b. RSS after $((SUBMIT_N1 + SUBMIT_N2)) queued submits: $RSS2 KiB (active $(mval "$OUT/metrics.2.txt" mediagw_active_tasks), waiting $(mval "$OUT/metrics.2.txt" mediagw_waiting_tasks))"
fi
DB_BYTES=$(du -sb "$DATA" | cut -f1)

# ---------------------------------------------------------------- c: REST
log "c. baseline: wrk GET /healthz ${WRK_D}s"
timeout 60 wrk -t 1 -c "$WRK_C" -d "${WRK_D}s" "$REST/healthz" >"$OUT/healthz.wrk.txt" 2>&1 || true
parse_wrk "$OUT/healthz.wrk.txt"
HEALTHZ_RPS=$W_RPS
check "healthz: $W_REQS requests, non-2xx $W_NON2XX" "$([ "$W_REQS" -gt 0 ] && [ "$W_NON2XX" = 0 ]; echo $?)"

log "c. wrk POST image_generation ${WRK_D}s"
metrics "$OUT/metrics.r0.txt"
c0=$(cpu_ticks "$SERVER_PID")
timeout 60 wrk -t 1 -c "$WRK_C" -d "${WRK_D}s" -s "$OUT/rest_submit.lua" \
  "$REST/v1/index.php?endpoint=image_generation" >"$OUT/rest_submit.wrk.txt" 2>&1 || true
c1=$(cpu_ticks "$SERVER_PID")
sleep 0.5
metrics "$OUT/metrics.r1.txt"
parse_wrk "$OUT/rest_submit.wrk.txt"
REST_RPS=$W_RPS; REST_REQS=$W_REQS
REST_CPU_US=$(calc "($c1-$c0)*1e6/$CLK_TCK/max(1,$W_REQS)")
OKR=$(( $(mval "$OUT/metrics.r1.txt" 'mediagw_submits_total{code="OK"}') - $(mval "$OUT/metrics.r0.txt" 'mediagw_submits_total{code="OK"}') ))
CODESR=$(submit_codes "$OUT/metrics.r0.txt" "$OUT/metrics.r1.txt")
# wrk counts only the responses it read before its deadline; requests still
# in flight then were served too, so the OK delta may exceed wrk's count by
# at most the number of connections.
check "rest submit: OK delta $OKR vs wrk $W_REQS completed (+ <= $WRK_C in flight), non-2xx $W_NON2XX, codes moved: $CODESR" \
  "$([ "$W_REQS" -gt 0 ] && [ "$W_NON2XX" = 0 ] && [ "$OKR" -ge "$W_REQS" ] && [ "$OKR" -le $((W_REQS + WRK_C)) ]; echo $?)"
stop_all

# ---------------------------------------------------------------- d: end to end
log "d. end to end: simulator --step-ms 0, $E2E_N tasks"
start_sim 0 $(( 2 * E2E_N + 100 )) e2e
# Baseline: the same prompts POSTed straight to the simulator's /prompt
# (the workflow mediagw renders from config/workflows/default.json).
python3 - "$ROOT/config/workflows/default.json" "$OUT/sim_prompt.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
wf, slots = t["workflow"], t["slots"]
values = {"prompt": "a lighthouse at dusk, oil painting", "width": 64,
          "height": 64, "steps": 4, "seed": 12345, "cfg": 7.0}
for slot, value in values.items():
    for node, field in slots.get(slot, []):
        wf[node]["inputs"][field] = value
json.dump({"prompt": wf, "client_id": "bench"}, open(sys.argv[2], "w"))
PY
t0=$(now)
timeout 120 h2load --h1 -n "$E2E_N" -c 8 -m 1 -t 1 -d "$OUT/sim_prompt.json" \
  -H 'content-type: application/json' "$SIM_URL/prompt" >"$OUT/sim_raw.h2load.txt" 2>&1 || true
parse_h2load "$OUT/sim_raw.h2load.txt"
check "raw simulator: $H_OK2XX of $E2E_N prompts accepted" "$([ "$H_OK2XX" = "$E2E_N" ]; echo $?)"
read -r RAW_DONE RAW_SECS < <(python3 bench/poll.py sim "$SIM_URL" "$E2E_N" "$t0" "$E2E_TIMEOUT" || true)
: "${RAW_DONE:=0}" "${RAW_SECS:=0}"
RAW_TPS=$(calc "round($RAW_DONE / max(1e-9, $RAW_SECS), 1)")
check "raw simulator: $RAW_DONE of $E2E_N finished successfully ${RAW_SECS}s after the first POST" "$([ "$RAW_DONE" = "$E2E_N" ]; echo $?)"

start_server "$E2E_MAX_ACTIVE" 500 e2e
log "server pid $SERVER_PID grpc $GRPC rest $REST"
metrics "$OUT/metrics.e0.txt"
SUCC='mediagw_tasks_finished_total{state="TASK_STATE_SUCCEEDED"}'
t0=$(now)
grpc_h2load e2e-submit "$E2E_N" "$SUBMIT_FRAME" /mediagw.v1.MediaService/SubmitImage -H "x-api-key: $MEDIAGW_BENCH_KEY"
t_sub=$(now)
read -r E2E_DONE E2E_SECS < <(python3 bench/poll.py metric "$REST" "$SUCC" "$E2E_N" "$t0" "$E2E_TIMEOUT" || true)
: "${E2E_DONE:=0}" "${E2E_SECS:=0}"
E2E_TPS=$(calc "round($E2E_DONE / max(1e-9, $E2E_SECS), 1)")
metrics "$OUT/metrics.e1.txt"
OKE=$(( $(mval "$OUT/metrics.e1.txt" 'mediagw_submits_total{code="OK"}') - $(mval "$OUT/metrics.e0.txt" 'mediagw_submits_total{code="OK"}') ))
grep '^mediagw_tasks_finished_total' "$OUT/metrics.e1.txt" >"$OUT/e2e.finished.txt" || true
check "end to end: submit OK delta $OKE == $E2E_N; $E2E_DONE succeeded in ${E2E_SECS}s (submits took $(calc "round($t_sub - $t0, 3)")s); finished: $(tr '\n' ' ' <"$OUT/e2e.finished.txt")" \
  "$([ "$OKE" = "$E2E_N" ] && [ "$E2E_DONE" = "$E2E_N" ]; echo $?)"
stop_all

# ---------------------------------------------------------------- e: accounting
# Durable gRPC submits with accounting on (a hold written with each task)
# against accounting off, alternating to spread the machine's noise.
ACCT_N=$([ "$QUICK" = 1 ] && echo 20000 || echo 50000)
ACCT_ON=0; ACCT_OFF=0
for mode in off on off on; do
  log "e. accounting $mode: $ACCT_N submits"
  start_sim "$QUEUED_STEP_MS" 1000 "acct-$mode"
  start_server "$QUEUED_MAX_ACTIVE" 1000 "acct-$mode" "$mode"
  grpc_h2load "acct-warm-$mode" 1000 "$SUBMIT_FRAME" /mediagw.v1.MediaService/SubmitImage -H "x-api-key: $MEDIAGW_BENCH_KEY"
  metrics "$OUT/metrics.acct0.txt"
  grpc_h2load "acct-$mode" "$ACCT_N" "$SUBMIT_FRAME" /mediagw.v1.MediaService/SubmitImage -H "x-api-key: $MEDIAGW_BENCH_KEY"
  metrics "$OUT/metrics.acct1.txt"
  OKA=$(( $(mval "$OUT/metrics.acct1.txt" 'mediagw_submits_total{code="OK"}') - $(mval "$OUT/metrics.acct0.txt" 'mediagw_submits_total{code="OK"}') ))
  check "accounting $mode: OK delta $OKA == sent $ACCT_N" "$([ "$OKA" = "$ACCT_N" ]; echo $?)"
  if [ "$mode" = on ]; then ACCT_ON=$(calc "$ACCT_ON + $H_RPS"); else ACCT_OFF=$(calc "$ACCT_OFF + $H_RPS"); fi
  stop_all
done
ACCT_ON=$(calc "$ACCT_ON / 2"); ACCT_OFF=$(calc "$ACCT_OFF / 2")

# ---------------------------------------------------------------- summary
python3 - "$OUT" <<PY | tee "$OUT/summary.txt"
import json, sys
def f(x):
    try: return float(x)
    except (TypeError, ValueError): return None
def ratio(a, b):
    a, b = f(a), f(b)
    return "%.3f" % (a / b) if a is not None and b else "n/a"
health, s1, s2 = f("$HEALTH_RPS"), f("$SUBMIT1_RPS"), f("$SUBMIT2_RPS")
rss0, rss1, rss2 = f("$RSS0"), f("$RSS1"), f("$RSS2")
n1, n2 = $SUBMIT_N1, $SUBMIT_N2
rows = [
  ("gRPC Health/Check (baseline)", "%.0f req/s" % health, "1.000", "server %s us CPU/req" % "$HEALTH_CPU_US"[:6]),
  ("gRPC SubmitImage, first %d" % n1, "%.0f req/s" % s1, ratio(s1, health), "server %s us CPU/req; OK delta $OK1/%d" % ("$SUBMIT1_CPU_US"[:6], n1)),
]
sustained = s1
if s2 is not None:
  rows.append(("gRPC SubmitImage, next %d" % n2, "%.0f req/s" % s2, ratio(s2, health), "server %s us CPU/req; OK delta $OK2/%d" % ("$SUBMIT2_CPU_US"[:6], n2)))
  sustained = (n1 + n2) / (f("$SUBMIT1_SECS") + f("$SUBMIT2_SECS"))
  rows.append(("gRPC SubmitImage, all %d" % (n1 + n2), "%.0f req/s" % sustained, ratio(sustained, health), "total requests / total h2load time"))
rows.append(("RSS before queued submits", "%.1f MiB" % (rss0 / 1024), "", ""))
rows.append(("RSS after %d queued" % n1, "%.1f MiB" % (rss1 / 1024), ratio(rss1, rss0),
             "+%.1f MiB, %.0f B/task" % ((rss1 - rss0) / 1024, (rss1 - rss0) * 1024 / n1)))
if rss2 is not None:
  rows.append(("RSS after %d queued" % (n1 + n2), "%.1f MiB" % (rss2 / 1024), ratio(rss2, rss0),
               "+%.1f MiB, %.0f B/task" % ((rss2 - rss0) / 1024, (rss2 - rss0) * 1024 / (n1 + n2))))
  rows.append(("RSS marginal, %d -> %d queued" % (n1, n1 + n2), "%+.1f MiB" % ((rss2 - rss1) / 1024), ratio(rss2, rss1),
               "%.0f B/task" % ((rss2 - rss1) * 1024 / n2)))
rows += [
  ("REST GET /healthz (baseline)", "%.0f req/s" % f("$HEALTHZ_RPS"), "1.000", ""),
  ("REST POST image_generation", "%.0f req/s" % f("$REST_RPS"), ratio("$REST_RPS", "$HEALTHZ_RPS"),
   "server %s us CPU/req; OK delta $OKR / wrk $REST_REQS" % "$REST_CPU_US"[:6]),
  ("raw simulator, $E2E_N prompts (baseline)", "$RAW_TPS tasks/s", "1.000", "$RAW_DONE done in ${RAW_SECS}s"),
  ("end to end via mediagw, $E2E_N tasks", "$E2E_TPS tasks/s", ratio("$E2E_TPS", "$RAW_TPS"), "$E2E_DONE succeeded in ${E2E_SECS}s"),
  ("gRPC SubmitImage, accounting off (baseline)", "%.0f req/s" % f("$ACCT_OFF"), "1.000", "mean of 2 runs of $ACCT_N"),
  ("gRPC SubmitImage, accounting on", "%.0f req/s" % f("$ACCT_ON"), ratio("$ACCT_ON", "$ACCT_OFF"), "hold + ledger row per submit; goal >= 0.9"),
]
w = [max(len(r[i]) for r in rows) for i in range(4)]
hdr = ("measurement", "absolute", "ratio", "notes")
w = [max(w[i], len(hdr[i])) for i in range(4)]
line = lambda r: "| " + " | ".join(r[i].ljust(w[i]) for i in range(4)) + " |"
print(line(hdr)); print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows: print(line(r))
goal = 10000
print()
print("goal >= %d SubmitImage/s over all %d submits: %s (%.0f req/s = %.2f of goal)" % (
    goal, n1 + n2, "MET" if sustained >= goal else "NOT MET", sustained, sustained / goal))
print("DB + uploads on disk after phase a-c: %.1f MiB" % ($DB_BYTES / 1048576))
print("loadavg at end: " + " ".join(open("/proc/loadavg").read().split()[:3]))
json.dump({"rows": rows}, open("$OUT/summary.json", "w"), indent=1)
PY
if [ "$FAIL" != 0 ]; then
  echo "bench: some checks failed (see $OUT/log.txt)" >&2
  exit 1
fi
echo "bench: all checks passed; raw outputs in $OUT"
