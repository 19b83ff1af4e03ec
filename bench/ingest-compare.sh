#!/usr/bin/env bash
# Side-by-side ingestion benchmark (issue "Ingestion service"): the same line-protocol payload, sent by the same
# load generator (bench/Monitoring.LoadGenerator) with the same connections, to
#   1. `monitoring serve` (Release, aggregation on, write-ahead log with fsync, no InfluxDB sink; the run ends when
#      every reading is applied, and how long that took after the last acknowledgement is printed),
#   2. VictoriaMetrics  POST /api/v2/write,
#   3. InfluxDB 1.x     POST /write,
# all on this machine, one after the other, each on a fresh data folder. Prints points/s for each and the ratios.
#
#   bench/ingest-compare.sh [--lines 6000000] [--batch 5000] [--connections 4] [--gzip] [--runs 3]
#
# Needs influxd and victoria-metrics (./test.sh installs them). Every server listens on 127.0.0.1 only. The figure
# of each target is the median of --runs runs; machines are noisy, read the ratios.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

LOAD_ARGS=() RUNS=3
while (($#)); do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --gzip) LOAD_ARGS+=(--gzip); shift ;;
    --lines|--batch|--connections) LOAD_ARGS+=("$1" "$2"); shift 2 ;;
    *) echo "ingest-compare.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

say() { echo "ingest-compare: $*" >&2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ingest-compare.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "ingest-compare: $1 did not answer" >&2; exit 1
}
stop_last() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

say "building (Release)"
for project in src/Monitoring.Server bench/Monitoring.LoadGenerator; do
  dotnet build -c Release -v q -nologo "$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
done
SERVE="$REPO/src/Monitoring.Server/bin/Release/net10.0/monitoring.dll"
LOAD=(dotnet "$REPO/bench/Monitoring.LoadGenerator/bin/Release/net10.0/monitoring-load.dll" --registry "$REPO/config" "${LOAD_ARGS[@]}")

run_serve() { # run number -> result line
  local port data token
  port=$(free_port) data="$WORK/serve-$1"
  mkdir -p "$data"
  token=$(dotnet "$SERVE" token create --tokens "$data/tokens.json" --name bench --role writer)
  MONITORING_Mqtt__Mode=off MONITORING_Logging__LogLevel__Default=Warning \
    dotnet "$SERVE" serve --registry "$REPO/config" --urls "http://127.0.0.1:$port" --data "$data/data" --tokens "$data/tokens.json" \
    >"$WORK/serve-$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/health/ready"
  local result fields applied="" since
  result=$("${LOAD[@]}" --url "http://127.0.0.1:$port/api/v2/write?org=bench&bucket=bench&precision=s" --token "$token")
  # An acknowledgement means "in the write-ahead log": wait until the aggregation has applied every reading too, and
  # say how long after the last acknowledgement (a rate that outran the aggregation would show here).
  fields=$(sed -n 's/.*fields=\([0-9]*\).*/\1/p' <<<"$result") since=$(date +%s.%N)
  for _ in $(seq 1 1200); do
    applied=$(curl -fs "http://127.0.0.1:$port/health/ready" | python3 -c 'import json, sys; print(json.load(sys.stdin)["checks"]["aggregation"]["figures"]["readings_applied"])')
    [[ $applied == "$fields" ]] && break
    sleep 0.05
  done
  [[ $applied == "$fields" ]] || { say "serve applied $applied of $fields readings"; exit 1; }
  echo "$result applied_after_s=$(awk -v a="$since" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')"
  stop_last
}

run_victoria() {
  local port; port=$(free_port)
  /usr/bin/victoria-metrics -storageDataPath="$WORK/vm-$1" -httpListenAddr="127.0.0.1:$port" -retentionPeriod=100y >"$WORK/vm-$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/health"
  "${LOAD[@]}" --url "http://127.0.0.1:$port/api/v2/write?org=bench&bucket=bench&precision=s"
  stop_last
}

run_influxdb() {
  local port rpc dir; port=$(free_port) rpc=$(free_port) dir="$WORK/influx-$1"
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
  /usr/bin/influxd -config "$dir/influxdb.conf" >"$WORK/influx-$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/ping"
  curl -fs -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
  "${LOAD[@]}" --url "http://127.0.0.1:$port/write?db=bench&precision=s"
  stop_last
}

declare -A RATES
for target in serve victoria influxdb; do
  rates=()
  for run in $(seq 1 "$RUNS"); do
    line=$("run_$target" "$run")
    say "$target run $run: $line"
    rates+=("$(sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p' <<<"$line")")
  done
  RATES[$target]=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
done

printf '\n%-34s %14s %10s\n' "target" "points/s" "vs serve"
for target in serve victoria influxdb; do
  case $target in
    serve) name="monitoring serve (aggregation on)" ;;
    victoria) name="VictoriaMetrics /api/v2/write" ;;
    influxdb) name="InfluxDB $(/usr/bin/influxd version 2>/dev/null | awk '{print $2}') /write" ;;
  esac
  printf '%-34s %14s %9.2fx\n' "$name" "${RATES[$target]}" "$(awk -v s="${RATES[serve]}" -v t="${RATES[$target]}" 'BEGIN {print s / t}')"
done
echo "(median of $RUNS run(s); the last column is how many times faster monitoring serve is; $(nproc) cores)"
