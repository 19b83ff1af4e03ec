#!/usr/bin/env bash
# The one test command: starts the real services the tests use, runs every test of Monitoring.sln, counts.
#
#   ./test.sh                 install what is missing, start the services, dotnet test, stop the services
#   ./test.sh --filter EXPR   passes EXPR to `dotnet test --filter` (e.g. --filter FullyQualifiedName~Modbus)
#   ./test.sh --keep          on a normal end, leaves the services running and prints the `export` lines
#                             (and the command that stops them), so `dotnet test` can be run by hand
#   ./test.sh --help
#
# Needs Debian 12 with the .NET SDK, run as root (CI) or as a user with sudo. Missing packages are installed
# with apt-get: mosquitto mosquitto-clients influxdb victoria-metrics postgresql python3-pymodbus
# python3-serial-asyncio mbpoll socat systemd python3-influxdb influxdb-client chromium docker-compose curl nodejs npm (their init scripts are kept from starting system-wide copies;
# docker-compose only parses compose.yaml: no Docker engine runs).
#
# Every service listens on 127.0.0.1 only, on free ports picked at run time, with its data and log in one
# `mktemp -d` folder, and is exported to the tests as:
#   MONITORING_TEST_MQTT=127.0.0.1:PORT               mosquitto (MQTT 3.1.1 and 5, anonymous)
#   MONITORING_TEST_INFLUXDB1=http://127.0.0.1:PORT   influxd 1.6 (v1 /write and /query, no auth)
#   MONITORING_TEST_VICTORIAMETRICS=http://127.0.0.1:PORT  victoria-metrics (/api/v2/write, /api/v1/export)
#   MONITORING_TEST_POSTGRES="Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres"  PostgreSQL 15, trust
#   MONITORING_TEST_MODBUS=127.0.0.1:PORT             tests/peers/modbus_server.py (pymodbus; map in its header)
#   MONITORING_TEST_MODBUS_RTU=127.0.0.1:PORT         the same map with RTU framing over TCP
#   MONITORING_TEST_MBPOLL=/usr/bin/mbpoll
#   MONITORING_TEST_SOCAT=/usr/bin/socat                pseudo-terminal pairs: the RS-485 bus of the serial Modbus tests
#   MONITORING_TEST_SYSTEMD_ANALYZE=/usr/bin/systemd-analyze  checks deploy/systemd's unit (no systemd needs to run)
#   MONITORING_TEST_INFLUX_SHELL=/usr/bin/influx        the InfluxDB 1.x shell (Debian's influxdb-client)
#   MONITORING_TEST_PEERS=tests/peers                   the peer scripts (pymodbus server, python3-influxdb client)
#   MONITORING_TEST_INFLUX_JS=tests/peers/influxdb-js   InfluxDB's JavaScript clients, npm-installed
#   MONITORING_TEST_NODE_RED=tests/peers/node-red       Node-RED 4.1 with node-red-contrib-influxdb, npm-installed
#
# The services are stopped by PID when the script ends, fails or is interrupted (Ctrl+C). The TRX files of
# `dotnet test` are counted and the last line printed is `tests: N passed, N failed` (everything that did not
# pass counts as failed: failures, errors, and tests that did not run). The exit code is non-zero when a
# test did not pass, a test project left no TRX file, dotnet test failed, or no test ran at all.
# On failure the temp folder (service logs, TRX files) is kept and its path printed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$REPO"

FILTER=""
KEEP=0
while (($#)); do
  case "$1" in
    --filter) [[ $# -ge 2 ]] || { echo "test.sh: --filter needs an expression" >&2; exit 2; }
              FILTER="$2"; shift 2 ;;
    --filter=*) FILTER="${1#--filter=}"; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (see ./test.sh --help)" >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3              # Debian's python: the only one that imports pymodbus
PGBIN=/usr/lib/postgresql/15/bin
READY_TIMEOUT=60                 # seconds each service gets to become ready
STOP_TIMEOUT=15                  # seconds each service gets to stop before SIGKILL

say() { echo "test.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi

# ---------------------------------------------------------------- state and cleanup

WORK=""
CREATED_POLICY_RC=0
CLEANED=0
DOTNET_PID=""
FAILED=1                         # cleared once the run is known to have passed
SVC_NAMES=() SVC_PIDS=() SVC_LOGS=() SVC_STOPSIG=()

log_tail() { # name log
  say "last lines of $1's log ($2):"
  tail -n 30 "$2" 2>/dev/null | sed 's/^/    /' >&2 || true
}

stop_services() {
  local i pid name waited
  for ((i = ${#SVC_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SVC_PIDS[i]} name=${SVC_NAMES[i]}
    if kill -0 "$pid" 2>/dev/null; then
      kill "-${SVC_STOPSIG[i]}" "$pid" 2>/dev/null || true
      waited=0
      while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
        sleep 0.1; waited=$((waited + 1))
      done
      if kill -0 "$pid" 2>/dev/null; then
        say "$name (pid $pid) did not stop within ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      wait "$pid" 2>/dev/null || true
      say "stopped $name (pid $pid)"
    fi
  done
  SVC_PIDS=() SVC_NAMES=() SVC_LOGS=() SVC_STOPSIG=()
}

cleanup() {
  ((CLEANED)) && return 0
  CLEANED=1
  if ((CREATED_POLICY_RC)); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d || true; fi
  stop_services
  if [[ -n $WORK && -d $WORK ]]; then
    if ((FAILED)); then
      say "kept $WORK (service logs in logs/, TRX files in results/)"
    else
      rm -rf "$WORK" || true # as root, or all the current user's (postgres runs as that user too)
    fi
  fi
}

on_signal() {
  trap - INT TERM
  trap '' PIPE # a closed terminal or pipe must not stop the cleanup half-way
  say "interrupted by SIG$1: stopping the tests and the services"
  if [[ -n $DOTNET_PID ]] && kill -0 "$DOTNET_PID" 2>/dev/null; then
    kill -TERM -- "-$DOTNET_PID" 2>/dev/null || true
    for _ in {1..50}; do kill -0 "$DOTNET_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$DOTNET_PID" 2>/dev/null || true
  fi
  cleanup
  trap - EXIT
  [[ $1 == INT ]] && exit 130 || exit 143
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

# ---------------------------------------------------------------- packages

# package:file that proves it is there
REQUIRED=(
  mosquitto:/usr/sbin/mosquitto
  mosquitto-clients:/usr/bin/mosquitto_pub
  influxdb:/usr/bin/influxd
  victoria-metrics:/usr/bin/victoria-metrics
  postgresql:$PGBIN/postgres
  python3-pymodbus:/usr/lib/python3/dist-packages/pymodbus/__init__.py
  python3-serial-asyncio:/usr/lib/python3/dist-packages/serial_asyncio/__init__.py
  mbpoll:/usr/bin/mbpoll
  socat:/usr/bin/socat
  systemd:/usr/bin/systemd-analyze
  python3-influxdb:/usr/lib/python3/dist-packages/influxdb/__init__.py
  influxdb-client:/usr/bin/influx
  chromium:/usr/bin/chromium
  docker-compose:/usr/bin/docker-compose
  curl:/usr/bin/curl
  nodejs:/usr/bin/node
  '?npm:/usr/bin/npm'               # NodeSource's nodejs ships npm itself and conflicts with Debian's npm
)

missing_packages() {
  local entry package file
  for entry in "${REQUIRED[@]}"; do
    package=${entry%%:*} file=${entry#*:}
    if [[ $package == \?* ]]; then # the file is enough, whichever package brought it
      package=${package#\?}
      [[ -e $file ]] || echo "$package"
      continue
    fi
    if [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) != installed || ! -e $file ]]; then
      echo "$package"
    fi
  done
}

mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]})); then
  say "installing ${MISSING[*]}"
  if ((${#SUDO[@]})) && ! command -v sudo >/dev/null; then
    die "missing packages (${MISSING[*]}) and no sudo: run as root or install them"
  fi
  # Keep the packages' init scripts from starting system-wide copies of the services (on 0.0.0.0 and the
  # default ports): the tests start their own.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    "${SUDO[@]}" sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    CREATED_POLICY_RC=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${MISSING[@]}"
  if ((CREATED_POLICY_RC)); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; CREATED_POLICY_RC=0; fi
  mapfile -t MISSING < <(missing_packages)
  ((${#MISSING[@]} == 0)) || die "still missing after apt-get install: ${MISSING[*]}"
fi
command -v dotnet >/dev/null || die "dotnet is not on PATH: install the .NET SDK"

# ---------------------------------------------------------------- temp folder and ports

WORK=$(mktemp -d "${TMPDIR:-/tmp}/monitoring-test.XXXXXX")
mkdir -p "$WORK/logs" "$WORK/results"
say "services' data and logs in $WORK"

# Free ports: bind all at once on 127.0.0.1:0, so they are distinct, then release them for the services.
read -r PORT_MQTT PORT_INFLUX PORT_INFLUX_RPC PORT_VM PORT_PG PORT_MODBUS PORT_MODBUS_RTU < <("$PY" - 7 <<'EOF'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
for s in sockets:
    s.close()
EOF
)

for port in "$PORT_MQTT" "$PORT_INFLUX" "$PORT_INFLUX_RPC" "$PORT_VM" "$PORT_PG" "$PORT_MODBUS" "$PORT_MODBUS_RTU"; do
  [[ $port =~ ^[0-9]+$ ]] || die "could not pick free ports on 127.0.0.1 with $PY"
done

# The tests and the readiness checks talk to 127.0.0.1 only: never through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

# ---------------------------------------------------------------- service helpers

start_service() { # name stop-signal command...  (stdout+stderr into logs/name.log)
  local name=$1 signal=$2 log="$WORK/logs/$1.log"
  shift 2
  "$@" >"$log" 2>&1 </dev/null &
  SVC_NAMES+=("$name") SVC_PIDS+=($!) SVC_LOGS+=("$log") SVC_STOPSIG+=("$signal")
  say "started $name (pid $!) on 127.0.0.1, log $log"
}

wait_ready() { # name command...  (polls the command until it succeeds, the service dies, or the timeout)
  local name=$1 i pid="" log=""
  shift
  for i in "${!SVC_NAMES[@]}"; do
    [[ ${SVC_NAMES[i]} == "$name" ]] && pid=${SVC_PIDS[i]} log=${SVC_LOGS[i]}
  done
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail "$name" "$log"
      die "$name exited before it was ready (log: $log)"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$name" "$log"
      die "$name was not ready within ${READY_TIMEOUT}s (log: $log)"
    fi
    sleep 0.2
  done
  say "$name is ready"
}

http_status_is() { # url status
  "$PY" - "$1" "$2" <<'EOF'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == int(sys.argv[2]) else 1)
EOF
}

# ---------------------------------------------------------------- mosquitto

mkdir -p "$WORK/mosquitto"
cat >"$WORK/mosquitto/mosquitto.conf" <<EOF
listener $PORT_MQTT 127.0.0.1
allow_anonymous true
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
persistence false
# Queue every QoS 1 message for an offline persistent session (the default is 1000): the edge crash test
# restarts an agent under load and counts every message.
max_queued_messages 0
EOF
start_service mosquitto TERM /usr/sbin/mosquitto -c "$WORK/mosquitto/mosquitto.conf"

# ---------------------------------------------------------------- InfluxDB 1.x

mkdir -p "$WORK/influxdb/meta" "$WORK/influxdb/data" "$WORK/influxdb/wal"
cat >"$WORK/influxdb/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$PORT_INFLUX_RPC"

[meta]
  dir = "$WORK/influxdb/meta"

[data]
  dir = "$WORK/influxdb/data"
  wal-dir = "$WORK/influxdb/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$PORT_INFLUX"
  auth-enabled = false
  log-enabled = true

[monitor]
  store-enabled = false

[subscriber]
  enabled = false
EOF
start_service influxdb TERM /usr/bin/influxd -config "$WORK/influxdb/influxdb.conf"

# ---------------------------------------------------------------- VictoriaMetrics

mkdir -p "$WORK/victoria-metrics"
start_service victoria-metrics TERM /usr/bin/victoria-metrics \
  -storageDataPath="$WORK/victoria-metrics" \
  -httpListenAddr="127.0.0.1:$PORT_VM" \
  -search.latencyOffset=0s \
  -search.disableCache \
  -retentionPeriod=100y

# ---------------------------------------------------------------- PostgreSQL 15

PGDIR="$WORK/postgres"
mkdir -p "$PGDIR/data" "$PGDIR/socket"
if [[ $(id -u) -eq 0 ]]; then
  # initdb and postgres refuse to run as root: they run as the postgres user, which needs to reach the folder.
  id postgres >/dev/null 2>&1 || die "user postgres does not exist (package postgresql-common creates it)"
  chmod 0711 "$WORK"
  chown -R postgres:postgres "$PGDIR"
  AS_PG_INIT=(runuser -u postgres --)
  AS_PG_SERVER=(setpriv --reuid=postgres --regid=postgres --init-groups --) # exec, so $! is the postmaster
else
  AS_PG_INIT=() AS_PG_SERVER=()
fi
if ! (cd "$PGDIR" && "${AS_PG_INIT[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --no-locale \
      --no-sync >"$WORK/logs/initdb.log" 2>&1); then
  log_tail initdb "$WORK/logs/initdb.log"
  die "initdb failed (log: $WORK/logs/initdb.log)"
fi
# SIGINT = PostgreSQL's fast shutdown. fsync off: a throw-away test cluster.
start_service postgres INT "${AS_PG_SERVER[@]}" "$PGBIN/postgres" -D "$PGDIR/data" \
  -c listen_addresses=127.0.0.1 -p "$PORT_PG" -k "$PGDIR/socket" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200

# ---------------------------------------------------------------- Modbus peer

start_service modbus "TERM" "$PY" "$REPO/tests/peers/modbus_server.py" --host 127.0.0.1 --port "$PORT_MODBUS" --rtu-port "$PORT_MODBUS_RTU"

# ---------------------------------------------------------------- readiness

wait_ready mosquitto /usr/bin/mosquitto_pub -h 127.0.0.1 -p "$PORT_MQTT" -q 1 -t monitoring-test/ready -m ready
wait_ready influxdb http_status_is "http://127.0.0.1:$PORT_INFLUX/ping" 204
wait_ready victoria-metrics http_status_is "http://127.0.0.1:$PORT_VM/health" 200
wait_ready postgres "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT_PG" -U postgres -d postgres
modbus_ready() { # unit 1, PDU 0 (no zero_mode shift): holding 100 and the float32 L1 voltage 230.5
  /usr/bin/mbpoll -m tcp -p "$PORT_MODBUS" -1 -o 1 -a 1 -t 4 -0 -r 0 127.0.0.1 | grep '^\[0\]:[[:space:]]*100$' >/dev/null &&
    /usr/bin/mbpoll -m tcp -p "$PORT_MODBUS" -1 -o 1 -a 1 -t 3:float -B -0 -r 0 127.0.0.1 | grep '^\[0\]:[[:space:]]*230\.5$' >/dev/null
}
wait_ready modbus modbus_ready

export MONITORING_TEST_MQTT="127.0.0.1:$PORT_MQTT"
export MONITORING_TEST_INFLUXDB1="http://127.0.0.1:$PORT_INFLUX"
export MONITORING_TEST_VICTORIAMETRICS="http://127.0.0.1:$PORT_VM"
export MONITORING_TEST_POSTGRES="Host=127.0.0.1;Port=$PORT_PG;Username=postgres;Database=postgres"
export MONITORING_TEST_MODBUS="127.0.0.1:$PORT_MODBUS"
export MONITORING_TEST_MODBUS_RTU="127.0.0.1:$PORT_MODBUS_RTU"
export MONITORING_TEST_MBPOLL=/usr/bin/mbpoll
export MONITORING_TEST_SOCAT=/usr/bin/socat
export MONITORING_TEST_SYSTEMD_ANALYZE=/usr/bin/systemd-analyze
export MONITORING_TEST_INFLUX_SHELL=/usr/bin/influx
export MONITORING_TEST_PEERS="$REPO/tests/peers"

# InfluxDB's JavaScript clients (the official one, its APIs, node-influx): independent peers of `monitoring serve`.
INFLUX_JS="$REPO/tests/peers/influxdb-js"
if [[ ! -d $INFLUX_JS/node_modules/@influxdata/influxdb-client || ! -d $INFLUX_JS/node_modules/@influxdata/influxdb-client-apis \
      || ! -d $INFLUX_JS/node_modules/influx ]]; then
  say "npm install in tests/peers/influxdb-js"
  (cd "$INFLUX_JS" && npm install --no-audit --no-fund --loglevel=error) || die "npm install of the InfluxDB JavaScript client failed"
fi
export MONITORING_TEST_INFLUX_JS="$INFLUX_JS"

# Node-RED with node-red-contrib-influxdb, the integrators' tool, as another peer.
NODE_RED="$REPO/tests/peers/node-red"
if [[ ! -d $NODE_RED/node_modules/node-red || ! -d $NODE_RED/node_modules/node-red-contrib-influxdb ]]; then
  say "npm install in tests/peers/node-red"
  (cd "$NODE_RED" && npm install --no-audit --no-fund --loglevel=error) || die "npm install of Node-RED failed"
fi
export MONITORING_TEST_NODE_RED="$NODE_RED"

# ---------------------------------------------------------------- tests

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
RESULTS="$WORK/results"
TEST_ARGS=(test Monitoring.sln --logger trx --logger "console;verbosity=normal" --results-directory "$RESULTS")
[[ -n $FILTER ]] && TEST_ARGS+=(--filter "$FILTER")
say "dotnet ${TEST_ARGS[*]}"
# In its own process group (setsid execs, so the PID is dotnet's and the group's): on Ctrl+C or TERM the trap
# ends the whole test run (dotnet, vstest, test hosts) by that PID, without waiting for it to finish.
setsid dotnet "${TEST_ARGS[@]}" &
DOTNET_PID=$!
set +e
wait "$DOTNET_PID"
DOTNET_RC=$?
set -e
DOTNET_PID=""

# A service that died during the tests explains failures: show its log.
for i in "${!SVC_NAMES[@]}"; do
  if ! kill -0 "${SVC_PIDS[i]}" 2>/dev/null; then
    say "warning: ${SVC_NAMES[i]} (pid ${SVC_PIDS[i]}) exited during the tests"
    log_tail "${SVC_NAMES[i]}" "${SVC_LOGS[i]}"
  fi
done

if ((KEEP)); then
  PIDS="${SVC_PIDS[*]}"
  SVC_PIDS=() SVC_NAMES=() SVC_LOGS=() SVC_STOPSIG=() # nothing for cleanup to stop
  FAILED=1                                            # nor to delete
  echo "# --keep: the services are still running. To run the tests by hand:"
  echo "export MONITORING_TEST_MQTT='$MONITORING_TEST_MQTT'"
  echo "export MONITORING_TEST_INFLUXDB1='$MONITORING_TEST_INFLUXDB1'"
  echo "export MONITORING_TEST_VICTORIAMETRICS='$MONITORING_TEST_VICTORIAMETRICS'"
  echo "export MONITORING_TEST_POSTGRES='$MONITORING_TEST_POSTGRES'"
  echo "export MONITORING_TEST_MODBUS='$MONITORING_TEST_MODBUS'"
  echo "export MONITORING_TEST_MODBUS_RTU='$MONITORING_TEST_MODBUS_RTU'"
  echo "export MONITORING_TEST_MBPOLL='$MONITORING_TEST_MBPOLL'"
  echo "export MONITORING_TEST_SOCAT='$MONITORING_TEST_SOCAT'"
  echo "export MONITORING_TEST_SYSTEMD_ANALYZE='$MONITORING_TEST_SYSTEMD_ANALYZE'"
  echo "export MONITORING_TEST_INFLUX_JS='$MONITORING_TEST_INFLUX_JS'"
  echo "export MONITORING_TEST_INFLUX_SHELL='$MONITORING_TEST_INFLUX_SHELL'"
  echo "export MONITORING_TEST_NODE_RED='$MONITORING_TEST_NODE_RED'"
  echo "export MONITORING_TEST_PEERS='$MONITORING_TEST_PEERS'"
  echo "# logs: $WORK/logs  -- to stop them: kill $PIDS; ${SUDO[*]:+${SUDO[*]} }rm -rf '$WORK'"
else
  stop_services
fi

# ---------------------------------------------------------------- count

# Expected: one TRX per test project of the solution (projects named *.Tests, as Directory.Build.props says).
mapfile -t TEST_PROJECTS < <(dotnet sln Monitoring.sln list 2>/dev/null | grep -E '\.Tests\.csproj$' | xargs -rn1 basename | sed 's/\.csproj$//' | sort)

SUMMARY="$WORK/summary.txt"
set +e
"$PY" - "$RESULTS" "$SUMMARY" "${TEST_PROJECTS[@]}" <<'EOF'
import glob, os, re, sys
import xml.etree.ElementTree as ET

results, summary, expected = sys.argv[1], sys.argv[2], sys.argv[3:]
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
total = executed = passed = 0
seen = set()
problems = []


def say(text):
    print(f"test.sh: {text}", file=sys.stderr)


def projects_of(root, text):
    """The test project(s) (assembly names) a TRX belongs to, also when it ran no test."""
    names = {os.path.splitext(os.path.basename(u.get("storage", "")))[0]
             for u in root.iterfind("t:TestDefinitions/t:UnitTest", ns)}
    names.discard("")
    if not names:  # no test (matched the filter): the run's messages still name the assembly
        names = set(re.findall(r"Discovering: ([\w.]+)", text))
        names |= {p for p in expected if re.search(r"[/\\]" + re.escape(p) + r"\.dll\b", text, re.IGNORECASE)}
    # TRX storage paths are lower-cased: give back the projects' own spelling.
    spelling = {p.lower(): p for p in expected}
    return {spelling.get(n.lower(), n) for n in names}


trx_files = sorted(glob.glob(os.path.join(results, "**", "*.trx"), recursive=True))
for path in trx_files:
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
        root = ET.fromstring(text)
    except (OSError, ET.ParseError) as e:
        problems.append(f"{os.path.basename(path)} cannot be read: {e}")
        continue
    counters = root.find("t:ResultSummary/t:Counters", ns)
    if counters is None:
        problems.append(f"{os.path.basename(path)} has no <Counters>")
        continue
    c = {k: int(v) for k, v in counters.attrib.items() if v.isdigit()}
    t, x, p = c.get("total", 0), c.get("executed", 0), c.get("passed", 0)
    total, executed, passed = total + t, executed + x, passed + p
    projects = projects_of(root, text)
    seen |= projects
    name = ", ".join(sorted(projects)) or os.path.basename(path)
    say(f"{name}: {p} passed, {c.get('failed', 0)} failed, {t - x} not run, of {t}")
    for r in root.iterfind("t:Results/t:UnitTestResult", ns):
        if r.get("outcome") != "Passed":
            message = r.find("t:Output/t:ErrorInfo/t:Message", ns)
            lines = (message.text or "").strip().splitlines()[:4] if message is not None else []
            say(f"  {r.get('outcome', '?').upper()}: {r.get('testName')}" + "".join("\n        " + l for l in lines))

for project in expected:
    if project not in seen:
        problems.append(f"no TRX file for test project {project} (did it build? see the dotnet test output above)")

for problem in problems:
    say(f"error: {problem}")
if total - executed:
    say(f"{total - executed} test(s) did not run: counted as failed")
if total == 0:
    say("error: no test ran")
with open(summary, "w") as f:
    f.write(f"tests: {passed} passed, {total - passed} failed\n")
sys.exit(1 if total - passed or problems or total == 0 else 0)
EOF
COUNT_RC=$?
set -e

[[ -s $SUMMARY ]] || echo "tests: 0 passed, 0 failed" >"$SUMMARY"
((DOTNET_RC == 0)) || say "error: dotnet test exited with $DOTNET_RC"
if ((DOTNET_RC == 0 && COUNT_RC == 0)); then
  RC=0
  ((KEEP)) || FAILED=0
else
  RC=1
fi
FINAL_LINE=$(<"$SUMMARY")
cleanup # stop the services and delete (or keep) the temp folder now, so that the count is the last line
trap - EXIT
echo "$FINAL_LINE"
exit "$RC"
