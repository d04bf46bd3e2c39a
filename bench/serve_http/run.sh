#!/usr/bin/env bash
# Online serving over HTTP: `keel serve` against FastAPI + uvicorn + xgboost
# serving the same model, and nginx serving a static file of Keel's reply
# bytes (the ceiling), under the same load generator on loopback.
#
#   bench/serve_http/run.sh BUILD_DIR
#
# The model: a gbdt of 100 trees of depth 6 on 58 features, trained with
# `keel train` on `keel datagen fraud` transactions joined to their users;
# its pipeline turns 9 raw fields (strings with gaps, RFC 3339 timestamps,
# an int with gaps) into the 58 features (impute + indicator, scale, log1p,
# one-hot with unknown buckets, datetime parts). Each request is one row in
# TF Serving's form, POST /v1/models/fraud:predict {"instances": [{...}]};
# wrk cycles 8 different rows. Keel runs with --no-access-log at --threads 1
# and 2; peer_fastapi.py does the same work (same pipeline state, xgboost's
# inplace_predict, same reply bytes, checked first) under uvicorn with 1 and
# 2 workers; nginx (1 worker) answers the POST with a static file holding
# Keel's reply to the first row (error_page 405 =200 $uri).
#
# Then startup: time from process start to /v2/health/ready answering 200
# for `keel serve` with 10 models (10 gbdt of 100 trees, depth 6, on 3000
# rows), best and worst of KEEL_BENCH_REPEAT starts, and Keel's own
# "models loaded in X ms".
#
# Environment: KEEL_BENCH_SECONDS per measurement (10, after a 3 s warm-up
# with the same settings), KEEL_BENCH_CONNECTIONS (32), KEEL_BENCH_WRK_THREADS
# (2), KEEL_BENCH_ROWS training rows (20000), KEEL_BENCH_REPEAT starts (3),
# KEEL_BENCH_PIN=1 (servers on core 0, one wrk thread on core 1).
# Prints one line per server (requests/s, p50/p99 latency in ms, the
# server's and wrk's CPU in % of one core, failed requests, requests per
# server CPU-second), then "ratio" lines: keel/fastapi and keel/nginx
# requests/s (best setting of each), keel's p99 in ms and the 10-model start
# in ms, against the issue's targets (>= 15, >= 0.7, <= 2 ms, <= 300 ms),
# and the two ratios per server CPU-second (steadier when other work shares
# the cores). wrk runs on the same cores as the server.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh" "$@"
# A copy, so that a rebuild of BUILD_DIR/keel during the run changes nothing.
cp "$build/keel" "$data/keel"
keel="$data/keel"
seconds="${KEEL_BENCH_SECONDS:-10}"
connections="${KEEL_BENCH_CONNECTIONS:-32}"
wrk_threads="${KEEL_BENCH_WRK_THREADS:-2}"
rows="${KEEL_BENCH_ROWS:-20000}"
# KEEL_BENCH_PIN=1: every server on core 0 only, wrk (one thread) on core 1,
# so that no server shares a core with the load generator (the latency
# figures then measure the server, not the scheduler).
server_pin=()
wrk_pin=()
if [[ "${KEEL_BENCH_PIN:-0}" == 1 ]]; then
  server_pin=(taskset -c 0)
  wrk_pin=(taskset -c 1)
  wrk_threads=1
fi
python=/usr/bin/python3
# keel reads KEEL_* variables as settings (and warns about unknown ones).
for variable in $(compgen -e | grep '^KEEL_BENCH_' || true); do unset "$variable"; done

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "serve_http: $tool is missing (apt-get install $tool)" >&2; exit 2; }
done

# Every server started here, stopped by its PID on exit.
pids=()
cleanup() {
  set +e  # a server killed here exits non-zero; go on
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$data"
}
trap cleanup EXIT

# Polls URL until it answers 2xx (30 s at most).
wait_ready() {
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.05
  done
  echo "serve_http: $1 never answered" >&2
  return 1
}

stop() {
  local pid kept=()
  kill "$1" && wait "$1" 2>/dev/null || true
  for pid in "${pids[@]}"; do [[ "$pid" != "$1" ]] && kept+=("$pid"); done
  pids=("${kept[@]}")
}

# ---------------------------------------------------------------- the model
ws="$data/ws"
"$keel" -q init "$ws" --project bench >"$data/setup.log"
cd "$ws"
"$keel" -q datagen fraud --rows "$rows" --out raw >>"$data/setup.log"
# Transactions with their user's signup time, age (gaps), segment and home country.
awk -F, -v OFS=, 'NR == FNR { if (FNR > 1) user[$1] = $2 "," $4 "," $5 "," $3; next }
  FNR == 1 { print $0, "signup_time,age,segment,home_country"; next }
  { print $0, user[$3] }' raw/users.csv raw/transactions.csv >tx.csv
head -3001 tx.csv >tx_small.csv
cat >prep.yaml <<'EOF'
remainder: drop            # ids stay out
steps:
  - step: impute           # users without an age: the median, and a 0/1 flag
    columns: [age]
    strategy: median
    add_indicator: true
  - step: scale
    columns: [age]
  - step: log1p
    columns: [amount]
  - step: scale
    columns: [amount]
  - step: one_hot          # gaps are a category; unseen values go to a bucket
    columns: [category, country, device, segment, home_country]
    handle_unknown: bucket
  - step: datetime
    columns: [event_time]
    features: [hour, dow, day, month, weekend, hour_sin, hour_cos, dow_sin, dow_cos, seconds]
  - step: datetime
    columns: [signup_time]
    features: [year, seconds]
EOF
"$keel" -q ingest tx.csv --name tx >>"$data/setup.log"
"$keel" -q train --data tx --target is_fraud --model gbdt --transform prep.yaml --name fraud \
  -p n_estimators=100 -p max_depth=6 >>"$data/setup.log"
"$keel" -q models export fraud --out export >>"$data/setup.log"
features="$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["features"]))' export/manifest.json)"
if [[ "$features" != 58 ]]; then
  echo "serve_http: the model has $features features, not 58: fix prep.yaml" >&2
  exit 1
fi
echo "model: gbdt, 100 trees of depth 6, $features features, $rows training rows"

# ---------------------------------------------------------------- measuring
# CPU ticks (user + system) of a process and its direct children.
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# load LABEL PID URL: a warm-up, then the measured run; appends to results.txt
# the line printed: requests/s, p50 and p99 latency in ms, the server's and
# wrk's CPU in % of one core, failed requests (errors and non-2xx answers),
# requests per second of server CPU (what the server would do with a core of
# its own: the figure to read when other work shares the cores).
load() {
  local label="$1" pid="$2" url="$3" before after
  "${wrk_pin[@]}" wrk -t "$wrk_threads" -c "$connections" -d 3s -s "$data/post.lua" "$url" >/dev/null
  local TIMEFORMAT='%U %S'  # wrk's own CPU seconds, from bash's time
  before=$(cpu_ticks "$pid")
  { time "${wrk_pin[@]}" wrk -t "$wrk_threads" -c "$connections" -d "${seconds}s" --latency -s "$data/post.lua" "$url" \
    >"$data/wrk_$label.txt"; } 2>"$data/wrk_cpu_$label.txt"
  after=$(cpu_ticks "$pid")
  awk -v label="$label" -v cpu="$(( (after - before) * 100 / $(getconf CLK_TCK) / seconds ))" \
    -v wrk_cpu="$(awk -v s="$seconds" '{ printf "%d", ($1 + $2) * 100 / s }' "$data/wrk_cpu_$label.txt")" \
    '$1 == "result" { printf "%-22s %11.0f %8.3f %8.3f %6d %6d %8d %11.0f\n", label, $2, $3, $4, cpu, wrk_cpu, $5 + $6, (cpu > 0 ? $2 * 100 / cpu : 0) }' \
    "$data/wrk_$label.txt" | tee -a "$data/results.txt"
  if ! tail -1 "$data/results.txt" | awk '$7 > 0 { exit 1 }'; then
    echo "serve_http: $label failed requests; see $(sed -n '/Non-2xx/p;/Socket errors/p' "$data/wrk_$label.txt")" >&2
  fi
}

# Starts `keel serve` with extra flags; sets server_pid and port.
start_keel() {
  "${server_pin[@]}" "$keel" --json serve --model fraud --port 0 --no-access-log "$@" >"$data/keel.out" 2>"$data/keel.err" &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 600); do
    grep -q '"port"' "$data/keel.out" 2>/dev/null && break
    sleep 0.05
  done
  port=$(grep -o '"port": *[0-9]*' "$data/keel.out" | grep -o '[0-9]*$')
  wait_ready "http://127.0.0.1:$port/v2/health/ready"
}

start_fastapi() {
  port=$("$bin" free-port)
  KEEL_PEER_EXPORT="$ws/export" KEEL_PEER_MODEL=fraud "${server_pin[@]}" "$python" -m uvicorn peer_fastapi:app \
    --app-dir "$here" --host 127.0.0.1 --port "$port" --workers "$1" \
    --log-level warning --no-access-log 2>"$data/fastapi.err" &
  server_pid=$!
  pids+=("$server_pid")
  wait_ready "http://127.0.0.1:$port/v2/health/ready"
}

start_nginx() {
  port=$("$bin" free-port)
  local root="$data/nginx"
  mkdir -p "$root/www/v1/models" "$root/tmp"
  chmod 755 "$data" "$root" "$root/www" "$root/www/v1" "$root/www/v1/models"  # the worker may run as nobody
  curl -s --data-binary "@$data/body_0.json" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$keel_port/v1/models/fraud:predict" >"$root/www/v1/models/fraud:predict"
  chmod 644 "$root/www/v1/models/fraud:predict"
  cat >"$root/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $root/nginx.pid;
error_log $root/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 10000000;
  sendfile on;
  open_file_cache max=16;
  client_body_temp_path $root/tmp/body;
  proxy_temp_path $root/tmp/proxy;
  fastcgi_temp_path $root/tmp/fastcgi;
  uwsgi_temp_path $root/tmp/uwsgi;
  scgi_temp_path $root/tmp/scgi;
  types { }
  default_type application/json;
  server {
    listen 127.0.0.1:$port;
    root $root/www;
    # The static module refuses POST (405); answer it with the file, as a 200.
    location / { error_page 405 =200 \$uri; }
  }
}
EOF
  "${server_pin[@]}" nginx -p "$root" -c "$root/nginx.conf" -e "$root/error.log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_ready "http://127.0.0.1:$port/v1/models/fraud:predict"
}

# ---------------------------------------------------------------- the runs
have_fastapi=1
"$python" -c 'import fastapi, uvicorn, xgboost' 2>/dev/null || have_fastapi=0
have_nginx=1
command -v nginx >/dev/null || have_nginx=0

# The replies must agree before anything is timed.
start_keel --threads 1
keel_port=$port
keel_pid=$server_pid

# ---------------------------------------------------------------- requests
# Eight rows (some with a null country, device or age), each a TF Serving
# body with the inputs the model asks for (its KServe V2 metadata, served by
# keel), typed as its exported pipeline says.
curl -s "http://127.0.0.1:$keel_port/v2/models/fraud" >"$data/metadata.json"
"$python" - tx.csv export/pipeline.json "$data" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
types = {i["name"]: i["type"] for i in json.load(open(sys.argv[2]))["inputs"]}
inputs = [(i["name"], types[i["name"]]) for i in json.load(open(sys.argv[3] + "/metadata.json"))["inputs"]]
convert = {"int64": int, "float64": float}
def raw(r):
    return {k: None if r[k] == "" else convert.get(t, str)(r[k]) for k, t in inputs}
picked = rows[:5]
for field in ("country", "device", "age"):
    picked.append(next(r for r in rows if r[field] == ""))
bodies = [json.dumps({"instances": [raw(r)]}, separators=(",", ":")) for r in picked]
for i, b in enumerate(bodies):
    open(f"{sys.argv[3]}/body_{i}.json", "w").write(b)
with open(f"{sys.argv[3]}/post.lua", "w") as lua:
    lua.write("-- POSTs the bodies in turn; done() prints one machine-readable line.\n")
    lua.write("local bodies = {\n" + "".join(f"  [==[{b}]==],\n" for b in bodies) + "}\n")
    lua.write('''wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("result %.1f %.3f %.3f %d %d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
''')
EOF
nbodies=$(ls "$data"/body_*.json | wc -l)
echo "requests: $nbodies rows of $("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["inputs"]))' "$data/metadata.json") raw fields, e.g. $(cat "$data/body_5.json")"

if ((have_fastapi)); then
  start_fastapi 1
  same=0
  for ((i = 0; i < nbodies; ++i)); do
    a=$(curl -s --data-binary "@$data/body_$i.json" "http://127.0.0.1:$keel_port/v1/models/fraud:predict")
    b=$(curl -s --data-binary "@$data/body_$i.json" "http://127.0.0.1:$port/v1/models/fraud:predict")
    [[ "$a" == "$b" ]] && same=$((same + 1)) || echo "  differ: keel $a, fastapi $b"
  done
  echo "replies: keel and fastapi byte-identical on $same of $nbodies rows"
  ((same == nbodies)) || { echo "serve_http: the replies differ; nothing timed" >&2; exit 1; }
  stop "$server_pid"
fi

echo "$("$keel" --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t $wrk_threads -c $connections -d ${seconds}s, $nbodies rows in turn"
echo "server                 requests/s   p50 ms   p99 ms  cpu %  wrk %   failed  req/cpu-s"
load "keel-threads-1" "$keel_pid" "http://127.0.0.1:$keel_port/v1/models/fraud:predict"
if ((have_nginx)); then
  start_nginx
  load "nginx-1-worker" "$server_pid" "http://127.0.0.1:$port/v1/models/fraud:predict"
  stop "$server_pid"
else
  echo "nginx: skipped, not installed (apt-get install nginx-light)"
fi
stop "$keel_pid"
start_keel --threads 2
load "keel-threads-2" "$server_pid" "http://127.0.0.1:$port/v1/models/fraud:predict"
stop "$server_pid"
if ((have_fastapi)); then
  for workers in 1 2; do
    start_fastapi "$workers"
    load "fastapi-workers-$workers" "$server_pid" "http://127.0.0.1:$port/v1/models/fraud:predict"
    stop "$server_pid"
  done
  "$python" -c 'import fastapi, uvicorn, xgboost, importlib.util as u
print("peer: fastapi", fastapi.__version__, "uvicorn", uvicorn.__version__, "xgboost", xgboost.__version__,
      "(uvloop)" if u.find_spec("uvloop") else "(asyncio loop)", "(httptools)" if u.find_spec("httptools") else "(h11)")'
else
  echo "fastapi: skipped, install python3-fastapi python3-uvicorn python3-xgboost"
fi
((have_nginx)) && echo "peer: $(nginx -v 2>&1 | sed 's/.*: //'), 1 worker, static file of Keel's reply ($(stat -c %s "$data/nginx/www/v1/models/fraud:predict") bytes)"

# ---------------------------------------------------------------- startup
"$keel" -q ingest tx_small.csv --name tx_small >>"$data/setup.log"
models=()
for m in $(seq 10); do
  "$keel" -q train --data tx_small --target is_fraud --model gbdt --transform prep.yaml \
    --name "m$m" --seed "$m" -p n_estimators=100 -p max_depth=6 >>"$data/setup.log"
  models+=(--model "m$m")
done
for ((r = 0; r < repeat; ++r)); do
  p=$("$bin" free-port)
  "$bin" ready --port "$p" --cwd "$ws" -- "$keel" serve "${models[@]}" --port "$p" --no-access-log \
    >>"$data/ready.txt" || echo "startup: keel serve with 10 models did not become ready" >&2
done
ready=$(awk '$1 == "ready_ms" { print $2 }' "$data/ready.txt" | sort -n | head -1)
echo "startup 10 models: ready in $ready ms (best of $repeat starts; all: $(awk '$1 == "ready_ms" { printf "%s ", $2 }' "$data/ready.txt")ms)," \
  "keel's log: models loaded in $(awk '$1 == "load_ms" { printf "%s ", $2 }' "$data/ready.txt")ms"
bundle_bytes() {  # NAME...: the sum of their bundles' sizes
  local name total=0
  for name in "$@"; do
    total=$((total + $("$keel" --json models show "$name" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["bundle_size_bytes"])')))
  done
  echo "$total"
}
echo "  bundles: $(bundle_bytes $(seq -f 'm%g' 10)) bytes for the 10 (the benchmark's model: $(bundle_bytes fraud) bytes)"

# ---------------------------------------------------------------- ratios
awk -v ready="$ready" '
  $1 ~ /^keel/ && $2 > keel { keel = $2; keel_p99 = $4; keel_at = $1 }
  $1 ~ /^fastapi/ && $2 > fastapi { fastapi = $2; fastapi_at = $1 }
  $1 ~ /^nginx/ { nginx = $2; nginx_p99 = $4 }
  $1 ~ /^keel/ && $8 > keel_eff { keel_eff = $8 }
  $1 ~ /^fastapi/ && $8 > fastapi_eff { fastapi_eff = $8 }
  $1 ~ /^nginx/ { nginx_eff = $8 }
  END {
    if (fastapi > 0) printf "ratio keel/fastapi requests/s %.1f (%s vs %s; target >= 15)\n", keel / fastapi, keel_at, fastapi_at
    if (nginx > 0) printf "ratio keel/nginx requests/s %.2f (%s; target >= 0.7)\n", keel / nginx, keel_at
    printf "ratio keel p99 ms %.3f (%s; target <= 2; nginx p99 %.3f ms)\n", keel_p99, keel_at, nginx_p99
    if (fastapi_eff > 0) printf "ratio keel/fastapi requests per server cpu-s %.1f\n", keel_eff / fastapi_eff
    if (nginx_eff > 0) printf "ratio keel/nginx requests per server cpu-s %.2f\n", keel_eff / nginx_eff
    if (ready != "") printf "ratio keel ready 10 models ms %.1f (target <= 300)\n", ready
  }' "$data/results.txt"
