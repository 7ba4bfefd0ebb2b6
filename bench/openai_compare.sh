#!/usr/bin/env bash
# OpenAI images (POST /v1/images/generations) side by side, in one run:
#
#   bench/openai_compare.sh [--no-build] [--no-perf] [--duration S]
#
# One fixed-reply upstream (bench/openai_upstream.js, Node) answers every
# generation with the same JSON naming a 64x64 PNG it also serves. Four
# contenders are measured against it with wrk (HTTP/1.1, keep-alive, the
# same POST body), each at c=1 and then c=50, for --duration seconds
# (default 5) after a 1 s warm-up:
#   direct   wrk straight at the upstream (the baseline);
#   nginx    one proxy hop (Debian nginx, one worker, keep-alive to the
#            upstream, unprivileged, temp config, loopback);
#   portkey  the Portkey gateway (npm @portkey-ai/gateway from
#            bench/portkey/package-lock.json, `npm ci`), OpenAI provider with
#            x-portkey-custom-host at the upstream;
#   mediagw  an openai_compat channel at the upstream and
#            compat.openai_models mapping the model: per request it stores a
#            durable task, calls the upstream, downloads the PNG, writes it
#            to its blob store and answers its own /uploads URL.
# Figures per contender: req/s at c=1 and c=50, p50/p99 at c=1 and the
# added p50/p99 against direct, CPU per request of the gateway process
# (utime+stime from /proc/<pid>/stat over the c=50 run), VmRSS after it.
# Ratios are against direct (latency) and Portkey (req/s) from the same
# run. With perf installed (and without --no-perf) a `perf record -g` of
# mediagw runs during a second c=50 run; the report is in $BENCH_OUT.
#
# Environment: BUILD_DIR (default /tmp/build-bench), JOBS (default 2),
# BENCH_OUT (default /tmp/mediagw-openai-<timestamp>).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=1
PERF=1
DUR=5
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) BUILD=0 ;;
    --no-perf) PERF=0 ;;
    --duration) DUR=$2; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "bench: installing nginx (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null
  fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk curl python3 node npm; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
if [ ! -d bench/portkey/node_modules/@portkey-ai/gateway ]; then
  (cd bench/portkey && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
fi
PORTKEY_JS=$ROOT/bench/portkey/node_modules/@portkey-ai/gateway/build/start-server.js

BUILD_DIR=${BUILD_DIR:-/tmp/build-bench}
OUT=${BENCH_OUT:-/tmp/mediagw-openai-$(date +%Y%m%d-%H%M%S)}
if [ "$BUILD" = 1 ]; then
  BUILD_DIR=$BUILD_DIR MEDIAGW_BUILD_TESTS=OFF TARGETS="mediagw" \
    JOBS=${JOBS:-2} scripts/build.sh
fi
SERVER=$BUILD_DIR/server/mediagw
[ -x "$SERVER" ] || { echo "bench: $SERVER missing (build first)" >&2; exit 1; }

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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_http() {  # url, seconds: any HTTP answer
  for _ in $(seq 1 $(( $2 * 10 ))); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1
  done
  echo "bench: $1 never answered" >&2; return 1
}

export MEDIAGW_BENCH_KEY=sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export MEDIAGW_UPSTREAM_KEY=sk-upstream
MODEL=grok-imagine-image
BODY='{"model": "'$MODEL'", "prompt": "a lighthouse at dusk, oil painting", "n": 1, "size": "1024x1024"}'

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpus: $(nproc)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "nginx: $("$NGINX" -v 2>&1)  node: $(node --version)  portkey: $(node -p "require('$ROOT/bench/portkey/node_modules/@portkey-ai/gateway/package.json').version")"
  echo "wrk: -t 1, c=1 and c=50, ${DUR}s after a 1 s warm-up"
} | tee "$OUT/env.txt"

# ---------------------------------------------------------------- upstream
node bench/openai_upstream.js "$OUT/upstream.ports" >"$OUT/upstream.log" 2>&1 &
UP_PID=$!; PIDS+=("$UP_PID")
wait_for "$OUT/upstream.ports" 10
UP_PORT=$(json_get "$OUT/upstream.ports" port)
UP="http://127.0.0.1:$UP_PORT"
log "upstream pid $UP_PID at $UP"

# ---------------------------------------------------------------- nginx
NG=$OUT/nginx
mkdir -p "$NG/tmp"
NG_PORT=$(free_port)
cat >"$NG/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $NG/tmp/body;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  upstream images { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NG_PORT;
    location / {
      proxy_pass http://images;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
NGINX_CMD=("$NGINX" -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf")
if [ "$(id -u)" = 0 ]; then
  chmod -R a+rwX "$NG"
  NGINX_CMD=(setpriv --reuid=nobody --regid=nogroup --clear-groups "${NGINX_CMD[@]}")
fi
"${NGINX_CMD[@]}" >"$NG/stdout.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$NG_PORT/stats" 10
NG_MASTER=$(cat "$NG/nginx.pid")
NG_WORKER=$(pgrep -P "$NG_MASTER" | head -1)
log "nginx master $NG_MASTER worker $NG_WORKER on $NG_PORT"

# ---------------------------------------------------------------- portkey
PK_PORT=$(free_port)
node "$PORTKEY_JS" --port="$PK_PORT" --headless >"$OUT/portkey.log" 2>&1 &
PK_PID=$!; PIDS+=("$PK_PID")
wait_http "http://127.0.0.1:$PK_PORT/" 30
log "portkey pid $PK_PID on $PK_PORT"

# ---------------------------------------------------------------- mediagw
MG=$OUT/mediagw
mkdir -p "$MG"
cat >"$MG/mediagw.json" <<JSON
{
  "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
             "ports_file": "$MG/mediagw.ports"},
  "storage": {"data_dir": "$MG"},
  "api_keys": [{"name": "bench", "key_env": "MEDIAGW_BENCH_KEY"}],
  "channels": [{"name": "images", "provider": "openai_compat",
                "base_urls": ["$UP"], "dialect": "seed004",
                "api_key_env": "MEDIAGW_UPSTREAM_KEY"}],
  "workflows": [{"name": "images", "channels": ["images"],
                 "accepts_model": true, "default_model": "$MODEL",
                 "default_width": 1024, "default_height": 1024}],
  "compat": {"openai_models": [{"name": "$MODEL", "workflow": "images",
                                "model": "$MODEL"}]},
  "fetch": {"allow_addresses": ["127.0.0.1:$UP_PORT"]},
  "dispatch": {"poll_interval_ms": 1000, "default_deadline_seconds": 120,
               "max_active_tasks": 256}
}
JSON
"$SERVER" --config="$MG/mediagw.json" >"$MG/server.log" 2>&1 &
MG_PID=$!; PIDS+=("$MG_PID")
wait_for "$MG/mediagw.ports" 30
MG_URL="http://127.0.0.1:$(json_get "$MG/mediagw.ports" http)"
log "mediagw pid $MG_PID at $MG_URL"

# ---------------------------------------------------------------- contenders
declare -A URL PID HDRS
URL[direct]=$UP/v1/images/generations;           PID[direct]=$UP_PID
URL[nginx]=http://127.0.0.1:$NG_PORT/v1/images/generations; PID[nginx]=$NG_WORKER
URL[portkey]=http://127.0.0.1:$PK_PORT/v1/images/generations; PID[portkey]=$PK_PID
URL[mediagw]=$MG_URL/v1/images/generations;      PID[mediagw]=$MG_PID
HDRS[direct]='wrk.headers["Authorization"] = "Bearer sk-upstream"'
HDRS[nginx]=${HDRS[direct]}
HDRS[portkey]='wrk.headers["Authorization"] = "Bearer sk-upstream"
wrk.headers["x-portkey-provider"] = "openai"
wrk.headers["x-portkey-custom-host"] = "'$UP'/v1"'
HDRS[mediagw]='wrk.headers["Authorization"] = "Bearer '$MEDIAGW_BENCH_KEY'"'
NAMES=(direct nginx portkey mediagw)

FAIL=0
for n in "${NAMES[@]}"; do
  cat >"$OUT/$n.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
${HDRS[$n]}
LUA
  # One request by hand: the reply must be an OpenAI images reply.
  hdr_args=()
  while IFS= read -r line; do
    k=$(sed -n 's/^wrk.headers\["\([^"]*\)"\] = "\(.*\)"$/\1: \2/p' <<<"$line")
    [ -n "$k" ] && hdr_args+=(-H "$k")
  done < "$OUT/$n.lua"
  code=$(curl -sS --max-time 30 -o "$OUT/$n.sample.json" -w '%{http_code}' \
    "${hdr_args[@]}" --data-binary "$BODY" "${URL[$n]}")
  if [ "$code" = 200 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["data"][0]["url"]' "$OUT/$n.sample.json"; then
    log "check ok: $n answers 200 with data[0].url ($(head -c 160 "$OUT/$n.sample.json"))"
  else
    log "CHECK FAILED: $n answered $code: $(head -c 300 "$OUT/$n.sample.json")"; FAIL=1
  fi
done
[ "$FAIL" = 0 ] || exit 1
# mediagw's URL must serve the mirrored PNG.
MG_IMG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"][0]["url"])' "$OUT/mediagw.sample.json")
curl -sSf --max-time 10 -o "$OUT/mediagw.sample.png" "$MG_IMG"
log "mediagw output $(stat -c %s "$OUT/mediagw.sample.png") bytes from $MG_IMG"

# wrk --latency output -> W_RPS W_REQS W_NON2XX W_ERR W_P50 W_P99 (ms)
parse_wrk() {
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    m = re.match(r"([0-9.]+)(us|ms|s|m)$", s)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v if u == "ms" else v * 1000 if u == "s" else v * 60000
rps = re.search(r"Requests/sec:\s*([0-9.]+)", t).group(1)
reqs = re.search(r"(\d+) requests in", t).group(1)
non = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", t)
err = re.search(r"Socket errors: (.*)", t)
p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
print(rps, reqs, non.group(1) if non else 0, '"' + (err.group(1) if err else "") + '"', p50, p99)
PY
}

declare -A RPS P50 P99 CPU RSS
run_wrk() {  # name, connections, tag
  local n=$1 c=$2 tag=$3
  timeout 30 wrk -t 1 -c "$c" -d 1s -s "$OUT/$n.lua" "${URL[$n]}" >/dev/null 2>&1 || true
  local pid=${PID[$n]} c0 c1
  c0=$(cpu_ticks "$pid")
  timeout $(( DUR + 30 )) wrk -t 1 -c "$c" -d "${DUR}s" --timeout 10s --latency \
    -s "$OUT/$n.lua" "${URL[$n]}" >"$OUT/$n.$tag.wrk.txt" 2>&1 || true
  c1=$(cpu_ticks "$pid")
  read -r rps reqs non err p50 p99 < <(parse_wrk "$OUT/$n.$tag.wrk.txt")
  RPS[$n.$tag]=$rps; P50[$n.$tag]=$p50; P99[$n.$tag]=$p99
  CPU[$n.$tag]=$(calc "round(($c1-$c0)*1e6/$CLK_TCK/max(1,$reqs), 1)")
  RSS[$n]=$(rss_kib "$pid")
  log "$n c=$c: $rps req/s, $reqs requests, non-2xx $non, socket errors $err, p50 ${p50} ms, p99 ${p99} ms, CPU ${CPU[$n.$tag]} us/req, RSS ${RSS[$n]} KiB"
  if [ "$non" != 0 ]; then log "CHECK FAILED: $n c=$c had $non non-2xx answers"; FAIL=1; fi
}

curl -sS "$MG_URL/metrics" >"$OUT/metrics.0.txt"
for n in "${NAMES[@]}"; do run_wrk "$n" 1 c1; done
for n in "${NAMES[@]}"; do run_wrk "$n" 50 c50; done
curl -sS "$MG_URL/metrics" >"$OUT/metrics.1.txt"
grep -E '^mediagw_(tasks_finished_total|submits_total)' "$OUT/metrics.1.txt" >"$OUT/mediagw.counts.txt" || true
log "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$PERF" = 1 ] && command -v perf >/dev/null; then
  log "perf record -g of mediagw during a c=50 run"
  perf record -g -F 499 -p "$MG_PID" -o "$OUT/perf.data" -- sleep "$DUR" >"$OUT/perf.record.log" 2>&1 &
  perf_pid=$!
  timeout $(( DUR + 30 )) wrk -t 1 -c 50 -d "${DUR}s" -s "$OUT/mediagw.lua" "${URL[mediagw]}" \
    >"$OUT/mediagw.perf.wrk.txt" 2>&1 || true
  wait "$perf_pid" || true
  preport() { perf report -i "$OUT/perf.data" -g none --stdio "$@" 2>/dev/null |
              grep -v '^#' | grep -v '^$' | cut -c1-200 | head -40 || true; }
  { echo "## $(perf report -i "$OUT/perf.data" --stdio 2>/dev/null | grep -m1 '^# Samples' || true) (499 Hz, ${DUR}s)"
    echo "## by library"; preport --no-children --sort dso
    echo "## by symbol (self)"; preport --no-children --sort sym
    echo "## by symbol (with callees)"; preport --children --sort sym
  } >"$OUT/perf.report.txt"
  if command -v strace >/dev/null; then
    # What the CPU profile cannot show: the file syscalls each request
    # waits on (c=1, so each count divides by the requests of that run).
    timeout 20 strace -f -c -e trace=fsync,fdatasync,openat,rename,unlink,pwrite64 \
      -p "$MG_PID" -o "$OUT/strace.txt" &
    st_pid=$!
    sleep 1
    timeout 20 wrk -t 1 -c 1 -d 3s -s "$OUT/mediagw.lua" "${URL[mediagw]}" >"$OUT/mediagw.strace.wrk.txt" 2>&1 || true
    kill -INT "$st_pid" 2>/dev/null || true
    wait "$st_pid" 2>/dev/null || true
    log "file syscalls under c=1 ($(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$OUT/mediagw.strace.wrk.txt") requests): $OUT/strace.txt"
  fi
  log "perf report in $OUT/perf.report.txt"
fi

# ---------------------------------------------------------------- summary
{
  echo
  echo "| contender | req/s c=1 | req/s c=50 | c=50 vs portkey | p50 c=1 | p99 c=1 | added p50 | added p99 | CPU/req c=50 | RSS |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for n in "${NAMES[@]}"; do
    printf '| %s | %.0f | %.0f | %.2f | %.3f ms | %.3f ms | %+.3f ms | %+.3f ms | %.0f us | %.1f MiB |\n' \
      "$n" "${RPS[$n.c1]}" "${RPS[$n.c50]}" "$(calc "${RPS[$n.c50]}/${RPS[portkey.c50]}")" \
      "${P50[$n.c1]}" "${P99[$n.c1]}" \
      "$(calc "${P50[$n.c1]}-${P50[direct.c1]}")" "$(calc "${P99[$n.c1]}-${P99[direct.c1]}")" \
      "${CPU[$n.c50]}" "$(calc "${RSS[$n]}/1024")"
  done
  echo
  r=$(calc "${RPS[mediagw.c50]}/${RPS[portkey.c50]}")
  a=$(calc "${P50[mediagw.c1]}-${P50[direct.c1]}")
  echo "target >= 10x portkey req/s at c=50: $(calc "'met' if $r >= 10 else 'not met'") (${r}x)"
  echo "target <= 1 ms added p50 at c=1: $(calc "'met' if $a <= 1 else 'not met'") (${a} ms)"
  echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/summary.txt"
exit "$FAIL"
