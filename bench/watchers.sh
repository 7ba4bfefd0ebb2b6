#!/usr/bin/env bash
# 10,000 SSE watchers and 10,000 StreamTask watchers on one server, then one
# update:
#
#   bench/watchers.sh [--no-build] [--count N]
#
# The simulator sleeps 10 minutes per sampler step, so a submitted task
# stays RUNNING. On 127.0.0.1 with kernel-chosen ports:
#   1. one task is submitted (POST /v1/tasks) and awaited until RUNNING;
#      RSS (VmRSS) and Threads of the server are read (/proc/<pid>/status);
#   2. N (default 10,000) SSE watchers open GET /v1/tasks/{id}/events
#      (bench/watchers.py sse: raw asyncio sockets); once each has its first
#      event (the snapshot), RSS and Threads again;
#   3. N StreamTask watchers on the same task (bench/watchers.py grpc:
#      python3-grpcio, 100 connections); once each has its snapshot, RSS
#      and Threads again;
#   4. the task is canceled (POST /v1/tasks/{id}/cancel): one update. Both
#      clients timestamp the arrival of the terminal event on every
#      watcher; the figure is cancel sent -> first and last arrival.
# RSS per watcher = RSS delta / watchers, for each kind. Raw outputs in
# $BENCH_OUT (default /tmp/mediagw-watchers-<timestamp>).
#
# Environment: BUILD_DIR (default /tmp/build-bench), JOBS (default 2),
# BENCH_OUT. Needs python3-grpcio for /usr/bin/python3 (installed with apt
# when missing), curl, and a hard RLIMIT_NOFILE of at least 1.2 N + 1,200
# (the server's max_http_connections plus its 1,024 spare descriptors).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=1
N=10000
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) BUILD=0 ;;
    --count) N=$2; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

PY=/usr/bin/python3
if ! "$PY" -c 'import grpc' 2>/dev/null; then
  echo "bench: installing python3-grpcio (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-grpcio >/dev/null
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-grpcio >/dev/null
  fi
fi
command -v curl >/dev/null || { echo "bench: curl is required" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(( N + N / 5 + 1200 )) ]; then
  echo "bench: ulimit -n $(ulimit -n) is too low for $N watchers of each kind" >&2; exit 1
fi

BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${BENCH_OUT:-/tmp/mediagw-watchers-$(date +%Y%m%d-%H%M%S)}
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
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt"; }
wait_for() {  # file, seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "bench: timed out waiting for $1" >&2; return 1
}
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
calc() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpus: $(nproc)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "watchers: $N SSE + $N StreamTask on one task; ulimit -n $(ulimit -n)"
} | tee "$OUT/env.txt"

"$SIM" --host 127.0.0.1 --port 0 --ports-file "$OUT/sim.ports" \
  --step-ms 600000 --max-history 100 >"$OUT/sim.log" 2>&1 &
PIDS+=("$!")
wait_for "$OUT/sim.ports" 20
SIM_URL="http://127.0.0.1:$(json_get "$OUT/sim.ports" port)"

export MEDIAGW_BENCH_KEY=sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
DATA=$OUT/data
mkdir -p "$DATA"
# max_http_connections leaves room above the SSE watchers for the cancel
# and the probes (from 90% of the cap on, idle keep-alive connections are
# shed first; the watchers are mid-response, never idle).
cat >"$DATA/mediagw.json" <<JSON
{
  "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
             "ports_file": "$DATA/mediagw.ports",
             "max_http_connections": $(( N + N / 5 + 100 ))},
  "storage": {"data_dir": "$DATA"},
  "api_keys": [{"name": "bench", "key_env": "MEDIAGW_BENCH_KEY"}],
  "channels": [{"name": "comfy-local", "provider": "comfyui", "base_urls": ["$SIM_URL"]}],
  "workflows": [
    {"name": "default", "channels": ["comfy-local"],
     "template_file": "$ROOT/config/workflows/default.json", "default_cfg": 7}
  ],
  "dispatch": {"poll_interval_ms": 1000, "default_deadline_seconds": 3600,
               "max_active_tasks": 32}
}
JSON
"$SERVER" --config="$DATA/mediagw.json" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!; PIDS+=("$SERVER_PID")
wait_for "$DATA/mediagw.ports" 30
REST="http://127.0.0.1:$(json_get "$DATA/mediagw.ports" http)"
GRPC="127.0.0.1:$(json_get "$DATA/mediagw.ports" grpc)"
log "server pid $SERVER_PID rest $REST grpc $GRPC"
H=(-H "x-api-key: $MEDIAGW_BENCH_KEY" -H 'content-type: application/json')

curl -sSf --max-time 10 "${H[@]}" -o "$OUT/task.json" \
  -d '{"image": {"prompt": "a lighthouse at dusk", "workflow": "default", "width": 64, "height": 64, "steps": 4}}' \
  "$REST/v1/tasks"
TASK=$(json_get "$OUT/task.json" id)
state=""
for _ in $(seq 1 100); do
  state=$(curl -sSf --max-time 5 "${H[@]}" "$REST/v1/tasks/$TASK" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$state" = TASK_STATE_RUNNING ] && break
  sleep 0.1
done
[ "$state" = TASK_STATE_RUNNING ] || { log "task $TASK never reached RUNNING ($state)"; exit 1; }
log "task $TASK is RUNNING"
sleep 1

RSS0=$(rss_kib "$SERVER_PID"); THR0=$(threads "$SERVER_PID"); FD0=$(fds "$SERVER_PID")
log "0 watchers: RSS $RSS0 KiB, $THR0 threads, $FD0 fds"

"$PY" bench/watchers.py sse --url "$REST" --key "$MEDIAGW_BENCH_KEY" --task "$TASK" \
  --count "$N" --ready "$OUT/sse.ready.json" --out "$OUT/sse.json" >"$OUT/sse.log" 2>&1 &
PIDS+=("$!")
wait_for "$OUT/sse.ready.json" 300
log "SSE watchers with their snapshot: $(cat "$OUT/sse.ready.json")"
sleep 2
RSS1=$(rss_kib "$SERVER_PID"); THR1=$(threads "$SERVER_PID"); FD1=$(fds "$SERVER_PID")
log "+$N SSE watchers: RSS $RSS1 KiB, $THR1 threads, $FD1 fds"

"$PY" bench/watchers.py grpc --target "$GRPC" --key "$MEDIAGW_BENCH_KEY" --task "$TASK" \
  --count "$N" --ready "$OUT/grpc.ready.json" --out "$OUT/grpc.json" >"$OUT/grpc.log" 2>&1 &
PIDS+=("$!")
wait_for "$OUT/grpc.ready.json" 300
log "StreamTask watchers with their snapshot: $(cat "$OUT/grpc.ready.json")"
sleep 2
RSS2=$(rss_kib "$SERVER_PID"); THR2=$(threads "$SERVER_PID"); FD2=$(fds "$SERVER_PID")
log "+$N StreamTask watchers: RSS $RSS2 KiB, $THR2 threads, $FD2 fds"

CPU_A=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
T0=$(python3 -c 'import time; print(time.time())')
code=$(curl -sS --max-time 30 "${H[@]}" -X POST -o "$OUT/cancel.json" -w '%{http_code}' "$REST/v1/tasks/$TASK/cancel")
T1=$(python3 -c 'import time; print(time.time())')
log "cancel answered $code in $(calc "round(($T1-$T0)*1000, 1)") ms"
wait_for "$OUT/sse.json" 120
wait_for "$OUT/grpc.json" 120
RSS3=$(rss_kib "$SERVER_PID"); THR3=$(threads "$SERVER_PID")
CPU_B=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
# Server CPU from the cancel until both clients had every terminal event
# (they poll their result files, so this overshoots by up to 0.1 s of idle).
UPDATE_CPU_MS=$(calc "round(($CPU_B-$CPU_A)*1000/$(getconf CLK_TCK))")
log "server CPU during the update: $UPDATE_CPU_MS ms for $(( 2 * N )) watchers"
log "SSE: $(cat "$OUT/sse.json")"
log "gRPC: $(cat "$OUT/grpc.json")"

FAIL=0
check() { if [ "$2" = 0 ]; then log "check ok: $1"; else log "CHECK FAILED: $1"; FAIL=1; fi; }
for k in sse grpc; do
  got=$(json_get "$OUT/$k.json" terminal)
  check "$k: $got of $N watchers got the terminal event" "$([ "$got" = "$N" ]; echo $?)"
done

summary() {
  python3 - "$OUT" "$N" "$T0" "$RSS0" "$RSS1" "$RSS2" "$RSS3" "$THR0" "$THR1" "$THR2" "$THR3" "$FD0" "$FD1" "$FD2" <<'PY'
import json, sys
out, n, t0 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rss = [int(x) for x in sys.argv[4:8]]
thr = [int(x) for x in sys.argv[8:12]]
fd = [int(x) for x in sys.argv[12:15]]
sse = json.load(open(out + "/sse.json"))
grpc = json.load(open(out + "/grpc.json"))
sse_r = json.load(open(out + "/sse.ready.json"))
grpc_r = json.load(open(out + "/grpc.ready.json"))
mib = lambda k: k / 1024
def ms(t):
    return "%.1f ms" % ((t - t0) * 1000) if t else "-"
d_sse, d_grpc = rss[1] - rss[0], rss[2] - rss[1]
print()
print("| measurement | SSE | StreamTask |")
print("|---|---|---|")
print("| watchers with their snapshot | %d (opened in %.1f s) | %d (opened in %.1f s) |"
      % (sse_r["watchers"], sse_r["open_seconds"], grpc_r["watchers"], grpc_r["open_seconds"]))
print("| server RSS before -> after | %.1f -> %.1f MiB | %.1f -> %.1f MiB |"
      % (mib(rss[0]), mib(rss[1]), mib(rss[1]), mib(rss[2])))
print("| RSS delta, scaled to 10,000 watchers (goal <= 256 MB) | **%.1f MiB** | **%.1f MiB** |"
      % (mib(d_sse) * 10000 / n, mib(d_grpc) * 10000 / n))
print("| RSS per watcher | %.0f bytes | %.0f bytes |" % (d_sse * 1024 / n, d_grpc * 1024 / n))
print("| server threads before -> with watchers | %d -> %d | %d -> %d |" % (thr[0], thr[1], thr[1], thr[2]))
print("| server fds before -> with watchers | %d -> %d | %d -> %d |" % (fd[0], fd[1], fd[1], fd[2]))
print("| terminal event received | %d of %d | %d of %d |" % (sse["terminal"], n, grpc["terminal"], n))
print("| cancel sent -> first watcher | %s | %s |" % (ms(sse["first_terminal"]), ms(grpc["first_terminal"])))
print("| cancel sent -> last watcher | **%s** | **%s** |" % (ms(sse["last_terminal"]), ms(grpc["last_terminal"])))
def spread(d):
    return "%.1f ms" % ((d["last_terminal"] - d["first_terminal"]) * 1000) if d["last_terminal"] else "-"
print("| first -> last watcher (fan-out) | %s | %s |" % (spread(sse), spread(grpc)))
print("| errors | %s | %s |" % (sse["errors"] or "none", grpc["errors"] or "none"))
ts = [d[k] for d in (sse, grpc) for k in ("first_terminal", "last_terminal") if d[k]]
if ts:
    print("| all %d watchers: cancel sent -> last; first -> last | %s; %.1f ms | |"
          % (2 * n, ms(max(ts)), (max(ts) - min(ts)) * 1000))
print()
print("server after the update: RSS %.1f MiB, %d threads" % (mib(rss[3]), thr[3]))
print("goal <= 256 MB per 10,000: SSE %s, StreamTask %s; threads flat: %s"
      % ("met" if mib(d_sse) * 10000 / n <= 256 else "not met",
         "met" if mib(d_grpc) * 10000 / n <= 256 else "not met",
         "met" if thr[2] == thr[0] else "not met (%+d)" % (thr[2] - thr[0])))
PY
  echo "server CPU for the update (cancel + $(( 2 * N )) events): ${UPDATE_CPU_MS} ms, $(calc "round($UPDATE_CPU_MS*1000/(2*$N), 1)") us per watcher"
  echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}
summary | tee "$OUT/summary.txt"
exit "$FAIL"
