#!/usr/bin/env bash
# Side-by-side InfluxDB sink benchmark (issue "Every InfluxDB client and tool works unchanged, and the sink keeps up
# with InfluxDB"): the same interval lines into InfluxDB 1.x,
#   1. directly, by the load generator (bench/Monitoring.LoadGenerator --from-spool: each spool record one request,
#      the same number of connections as the sink has requests in flight),
#   2. through `monitoring serve`'s sink, draining the same spool (a backlog, as after an outage or a back-fill),
# on this machine, one after the other, each into a fresh database. Prints lines/s for each and the ratio.
#
#   bench/sink-compare.sh [--lines 6000000] [--runs 3] [--in-flight 4] [--gzip]
#
# --lines is the readings fed to serve to make the backlog (its intervals are the sink's lines). Without --gzip both
# send plain bodies (loopback); with it the load generator sends bodies it compressed before its clock started, the
# sink compresses as it sends (its default, Influx:Gzip). Needs influxd
# (./test.sh installs it). Everything listens on 127.0.0.1 only. The figures are medians of --runs runs.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

LINES=6000000 RUNS=3 IN_FLIGHT=4 GZIP=false LOAD_GZIP=()
while (($#)); do
  case "$1" in
    --gzip) GZIP=true LOAD_GZIP=(--gzip); shift ;;
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --in-flight) IN_FLIGHT=$2; shift 2 ;;
    *) echo "sink-compare.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

say() { echo "sink-compare: $*" >&2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sink-compare.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "sink-compare: $1 did not answer" >&2; exit 1
}
stop_last() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }
figure() { # port check figure
  curl -fs "http://127.0.0.1:$1/health/ready" | python3 -c "import json, sys; print(json.load(sys.stdin)['checks']['$2']['figures']['$3'])"
}

say "building (Release)"
for project in src/Monitoring.Server bench/Monitoring.LoadGenerator; do
  dotnet build -c Release -v q -nologo "$project" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
done
SERVE="$REPO/src/Monitoring.Server/bin/Release/net10.0/monitoring.dll"
LOAD=(dotnet "$REPO/bench/Monitoring.LoadGenerator/bin/Release/net10.0/monitoring-load.dll" --registry "$REPO/config")

INFLUX_PORT=$(free_port) SERVE_PORT=$(free_port)
DATA="$WORK/serve"
mkdir -p "$DATA"
TOKEN=$(dotnet "$SERVE" token create --tokens "$DATA/tokens.json" --name bench --role writer)
start_serve() {
  MONITORING_Mqtt__Mode=off MONITORING_Logging__LogLevel__Default=Warning \
  MONITORING_Influx__Kind=v1 MONITORING_Influx__Url="http://127.0.0.1:$INFLUX_PORT" MONITORING_Influx__Database=sink \
  MONITORING_Influx__MaxInFlight="$IN_FLIGHT" MONITORING_Influx__Gzip="$GZIP" MONITORING_Influx__SpoolMaxBytes=$((8 << 30)) \
    dotnet "$SERVE" serve --registry "$REPO/config" --urls "http://127.0.0.1:$SERVE_PORT" --data "$DATA/data" --tokens "$DATA/tokens.json" \
    >>"$WORK/serve.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$SERVE_PORT/health/ready"
}

# 1. The backlog: readings into serve while nothing listens where its sink writes; SIGTERM flushes and checkpoints.
say "feeding $LINES readings to serve (its sink's InfluxDB is not there yet)"
start_serve
fed=$("${LOAD[@]}" --lines "$LINES" --url "http://127.0.0.1:$SERVE_PORT/api/v2/write?org=bench&bucket=bench&precision=s" --token "$TOKEN")
fields=$(sed -n 's/.*fields=\([0-9]*\).*/\1/p' <<<"$fed")
for _ in $(seq 1 1200); do
  [[ $(figure "$SERVE_PORT" aggregation readings_applied) == "$fields" ]] && break
  sleep 0.1
done
stop_last
cp -r "$DATA/data/spool" "$WORK/spool-pristine"

# 2. InfluxDB 1.x, once, for both.
mkdir -p "$WORK/influx"
cat >"$WORK/influx/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port)"
[meta]
  dir = "$WORK/influx/meta"
[data]
  dir = "$WORK/influx/data"
  wal-dir = "$WORK/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
/usr/bin/influxd -config "$WORK/influx/influxdb.conf" >"$WORK/influx.log" 2>&1 &
INFLUX_PID=$!
wait_http "http://127.0.0.1:$INFLUX_PORT/ping"
query() { curl -fs -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=$1" >/dev/null; }

direct_rates=() sink_rates=()
for run in $(seq 1 "$RUNS"); do
  query "DROP DATABASE direct"; query "CREATE DATABASE direct"
  rm -rf "$WORK/spool-direct"; cp -r "$WORK/spool-pristine" "$WORK/spool-direct"
  line=$("${LOAD[@]}" --from-spool "$WORK/spool-direct" --connections "$IN_FLIGHT" "${LOAD_GZIP[@]}" --url "http://127.0.0.1:$INFLUX_PORT/write?db=direct&precision=ms")
  say "direct run $run: $line"
  direct_rates+=("$(sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p' <<<"$line")")

  query "DROP DATABASE sink"; query "CREATE DATABASE sink"
  rm -rf "$DATA/data/spool"; cp -r "$WORK/spool-pristine" "$DATA/data/spool"
  start_serve
  start=$(date +%s.%N) # serve is ready: its start (recovery, replay) is not the sink's time
  for _ in $(seq 1 6000); do
    [[ $(figure "$SERVE_PORT" influxdb pending_records) == 0 ]] && break
    sleep 0.05
  done
  end=$(date +%s.%N)
  written=$(figure "$SERVE_PORT" influxdb lines_written)
  stop_last
  rate=$(awk -v n="$written" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", n / (b - a)}')
  say "sink run $run: lines=$written seconds=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}') lines_per_s=$rate"
  sink_rates+=("$rate")
done
kill "$INFLUX_PID"; wait "$INFLUX_PID" 2>/dev/null || true

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
DIRECT=$(median "${direct_rates[@]}") SINK=$(median "${sink_rates[@]}")
printf '\n%-52s %12s %8s\n' "into InfluxDB $(/usr/bin/influxd version 2>/dev/null | awk '{print $2}')" "lines/s" "ratio"
printf '%-52s %12s %7.2f\n' "load generator, $IN_FLIGHT connections, the spool's records" "$DIRECT" 1
printf '%-52s %12s %7.2f\n' "monitoring serve's sink, MaxInFlight $IN_FLIGHT, draining it" "$SINK" "$(awk -v s="$SINK" -v d="$DIRECT" 'BEGIN {print s / d}')"
echo "(median of $RUNS run(s); $(nproc) cores; gzip $GZIP; the sink timed from serve ready to an empty spool)"
