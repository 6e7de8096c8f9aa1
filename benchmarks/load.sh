#!/usr/bin/env bash
# Side-by-side load test (a measurement, not a test): redis-benchmark against
#   direct             one redis-server
#   twemproxy          nutcracker in front of that same server (one backend, redis: true)
#   moonshard          one Moonshard proxy owning all 16384 slots, in front of that same server
#   moonshard-baseline a second proxy like moonshard (all 16384 slots, that same server), run from the
#                      jar of --baseline-jar / LOAD_BASELINE_JAR: an old build to compare a new one with
#   moonshard-io-uring a proxy like moonshard with transport io_uring (moonshard: auto, i.e. epoll)
#   moonshard-per-core a proxy like moonshard with one event loop per core (moonshard: --threads, else the
#                      default, one per two cores)
#   redis-cluster      a real 3-node Redis Cluster (cluster-enabled, replicas 0), redis-benchmark --cluster
#   moonshard-cluster  3 Moonshard proxies over 3 plain redis-servers (UMCTL SETCLUSTER, one PEER
#                      section each), redis-benchmark --cluster
#   moonshard-ack-async    a proxy (write_ack async, the default) owning all slots of a second redis-server
#                      that has a replica of its own (REPLICAOF), both on this machine
#   moonshard-ack-replica  a proxy like moonshard-ack-async in front of that same master, with
#                      write_ack replica: every pipelined batch holding a write waits for WAIT 1 <timeout>
# interleaved in one run (round 1: every workload against every target, round 2: ..., the targets in
# reverse order in even rounds), so drift of the machine hits all targets alike. SET and GET are separate
# redis-benchmark runs (GET on the keys SET wrote), so each has its own CPU figure: cpu_us, the CPU time
# (user + system, /proc/<pid>/stat) the target's own processes spent per request over the run: the proxy
# process(es) for the proxy targets, the redis-server(s) for direct and redis-cluster. It is less
# sensitive to a noisy machine than rps. Prints, per workload, the median rps, p50, p99 and cpu_us over the
# rounds, the ratios (of rps) moonshard/direct, moonshard/twemproxy and moonshard-cluster/redis-cluster,
# moonshard/moonshard-baseline and moonshard-ack-replica/moonshard-ack-async of rps, p50 and p99, and
# writes raw.csv, summary.csv,
# environment.txt and chart.png to a scratch directory.
#
#   benchmarks/load.sh [--requests N] [--rounds R] [--warmup N] [--threads T] [--workloads "W ..."]
#                      [--targets "T ..."] [--baseline-jar PATH] [--out DIR]
#
#   --requests N   requests per redis-benchmark run (default 300000; env LOAD_REQUESTS)
#   --rounds R     interleaved rounds; medians are over these (default 3; env LOAD_ROUNDS)
#   --warmup N     requests per target before measuring, at -P 16 and again at -P 1, to warm the JIT alike
#                  (default 100000; env LOAD_WARMUP)
#   --threads T    Moonshard thread_number of every proxy (default: the proxy's, one per two cores; env LOAD_MOONSHARD_THREADS)
#   --workloads W  subset of "p1 p16 16k c1000" (default all; env LOAD_WORKLOADS), each -t set,get -r 100000:
#                    p1     -c 50 -P 1  -d 64      (also against the two cluster targets)
#                    p16    -c 50 -P 16 -d 64      (also against the two cluster targets)
#                    16k    -c 50 -P 1  -d 16384
#                    c1000  -c 1000 -P 1 -d 64
#   --targets T    subset of "direct twemproxy moonshard moonshard-baseline redis-cluster moonshard-cluster
#                  moonshard-ack-async moonshard-ack-replica moonshard-io-uring moonshard-per-core" (default the
#                  first six, moonshard-baseline only
#                  when a baseline jar is given; env LOAD_TARGETS). The cost of write_ack replica:
#                  --targets "moonshard-ack-async moonshard-ack-replica" --workloads "p1 p16"
#   --write-ack-timeout MS  write_ack_timeout_ms of moonshard-ack-replica (default 100; env LOAD_WRITE_ACK_TIMEOUT)
#   --baseline-jar PATH  the jar moonshard-baseline runs (env LOAD_BASELINE_JAR; required for that target).
#                  Old against new in one run: LOAD_MOONSHARD_JAR=new.jar benchmarks/load.sh
#                  --baseline-jar old.jar --targets "moonshard moonshard-baseline"
#   --out DIR      where CSVs, chart and logs go (default: a new ${TMPDIR:-/tmp}/moonshard-load.XXXXXX)
# Env LOAD_CLIENTS (50) and LOAD_KEYSPACE (100000) change -c (not of c1000) and -r for exploration.
# Ports (checked free first): LOAD_REDIS_PORT (7390), LOAD_TWEMPROXY_PORT (7391),
# LOAD_TWEMPROXY_STATS_PORT (7392), LOAD_MOONSHARD_PORT (7393), LOAD_REDIS_CLUSTER_PORTS
# ("7394 7395 7396", plus their bus ports +10000), LOAD_MOONSHARD_CLUSTER_REDIS_PORTS ("7397 7398 7399"),
# LOAD_MOONSHARD_CLUSTER_PROXY_PORTS ("7400 7401 7402"), LOAD_MOONSHARD_BASELINE_PORT (7403),
# LOAD_ACK_MASTER_PORT (7404), LOAD_ACK_REPLICA_PORT (7405), LOAD_ACK_ASYNC_PORT (7406),
# LOAD_ACK_REPLICA_PROXY_PORT (7407), LOAD_IO_URING_PORT (7408), LOAD_PER_CORE_PORT (7409).
# JVM options of the proxies (the baseline's too): MOONSHARD_JAVA_OPTS; LOAD_BASELINE_JAVA_OPTS adds options
# to the baseline's only: one jar with a JVM switch on and off in one run, e.g. --baseline-jar of the same jar
# and LOAD_BASELINE_JAVA_OPTS=-Dmoonshard.benchmark.flushEveryWrite=true (no write coalescing).
# LOAD_MOONSHARD_JAR=<path> measures that jar instead of building proxy-server/target/moonshard-proxy.jar
# (the proxies always run from a copy in the output directory, the baseline from a copy of its own).
# Installs redis-server, redis-tools and nutcracker when missing (apt-get; needs root or sudo); builds
# the proxy jar and the benchmarks module (for the chart) when missing. Stops all it started on exit.
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

REQUESTS=${LOAD_REQUESTS:-300000}
ROUNDS=${LOAD_ROUNDS:-3}
WARMUP=${LOAD_WARMUP:-100000}
THREADS=${LOAD_MOONSHARD_THREADS:-}
CLIENTS=${LOAD_CLIENTS:-50}
KEYSPACE=${LOAD_KEYSPACE:-100000}
WORKLOAD_LIST=${LOAD_WORKLOADS:-p1 p16 16k c1000}
TARGET_LIST=${LOAD_TARGETS:-}
BASELINE_JAR=${LOAD_BASELINE_JAR:-}
BASELINE_JAVA_OPTS=${LOAD_BASELINE_JAVA_OPTS:-}
TESTS=(set get) # one redis-benchmark run each
REDIS_PORT=${LOAD_REDIS_PORT:-7390}
TWEMPROXY_PORT=${LOAD_TWEMPROXY_PORT:-7391}
TWEMPROXY_STATS_PORT=${LOAD_TWEMPROXY_STATS_PORT:-7392}
MOONSHARD_PORT=${LOAD_MOONSHARD_PORT:-7393}
REDIS_CLUSTER_PORT_LIST=${LOAD_REDIS_CLUSTER_PORTS:-7394 7395 7396}
MSC_REDIS_PORT_LIST=${LOAD_MOONSHARD_CLUSTER_REDIS_PORTS:-7397 7398 7399}
MSC_PROXY_PORT_LIST=${LOAD_MOONSHARD_CLUSTER_PROXY_PORTS:-7400 7401 7402}
BASELINE_PORT=${LOAD_MOONSHARD_BASELINE_PORT:-7403}
ACK_MASTER_PORT=${LOAD_ACK_MASTER_PORT:-7404}
ACK_REPLICA_PORT=${LOAD_ACK_REPLICA_PORT:-7405}
ACK_ASYNC_PORT=${LOAD_ACK_ASYNC_PORT:-7406}
ACK_REPLICA_PROXY_PORT=${LOAD_ACK_REPLICA_PROXY_PORT:-7407}
WRITE_ACK_TIMEOUT=${LOAD_WRITE_ACK_TIMEOUT:-100}
IO_URING_PORT=${LOAD_IO_URING_PORT:-7408}
PER_CORE_PORT=${LOAD_PER_CORE_PORT:-7409}
MSC_NAME=loadcluster
OUT=""
HOST=127.0.0.1
PROXY_PATTERN=moonshard-proxy.jar # in the name of both jar copies: cleanup stops only pids whose command has it

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --requests) REQUESTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --workloads) WORKLOAD_LIST=$2; shift 2 ;;
    --targets) TARGET_LIST=$2; shift 2 ;;
    --baseline-jar) BASELINE_JAR=$2; shift 2 ;;
    --write-ack-timeout) WRITE_ACK_TIMEOUT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

if [ -z "$TARGET_LIST" ]; then
  TARGET_LIST="direct twemproxy moonshard${BASELINE_JAR:+ moonshard-baseline} redis-cluster moonshard-cluster"
fi
read -r -a TARGETS <<<"$TARGET_LIST"
read -r -a WORKLOADS <<<"$WORKLOAD_LIST"
read -r -a REDIS_CLUSTER_PORTS <<<"$REDIS_CLUSTER_PORT_LIST"
read -r -a MSC_REDIS_PORTS <<<"$MSC_REDIS_PORT_LIST"
read -r -a MSC_PROXY_PORTS <<<"$MSC_PROXY_PORT_LIST"

[ "${#TARGETS[@]}" -ge 1 ] || die "no targets"
[ "${#WORKLOADS[@]}" -ge 1 ] || die "no workloads"
for t in "${TARGETS[@]}"; do
  case "$t" in
    direct | twemproxy | moonshard | moonshard-baseline | redis-cluster | moonshard-cluster) ;;
    moonshard-ack-async | moonshard-ack-replica | moonshard-io-uring | moonshard-per-core) ;;
    *) die "unknown target '$t' (LOAD_TARGETS / --targets)" ;;
  esac
done
for w in "${WORKLOADS[@]}"; do
  case "$w" in p1 | p16 | 16k | c1000) ;; *) die "unknown workload '$w' (LOAD_WORKLOADS / --workloads)" ;; esac
done
for n in "$REQUESTS" "$ROUNDS" "$WARMUP" "$CLIENTS" "$KEYSPACE" "$WRITE_ACK_TIMEOUT" ${THREADS:+"$THREADS"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
if [ "$ROUNDS" -lt 1 ] || [ "$REQUESTS" -lt 1 ] || [ "$CLIENTS" -lt 1 ]; then
  die "--rounds, --requests and LOAD_CLIENTS must be at least 1"
fi
[ "${#REDIS_CLUSTER_PORTS[@]}" -ge 3 ] || die "a Redis Cluster needs at least 3 primaries (LOAD_REDIS_CLUSTER_PORTS)"
if [ "${#MSC_REDIS_PORTS[@]}" -lt 1 ] || [ "${#MSC_REDIS_PORTS[@]}" -ne "${#MSC_PROXY_PORTS[@]}" ]; then
  die "need as many LOAD_MOONSHARD_CLUSTER_PROXY_PORTS as LOAD_MOONSHARD_CLUSTER_REDIS_PORTS"
fi

has_target() { [[ " ${TARGETS[*]} " == *" $1 "* ]]; }
if has_target moonshard-baseline; then
  [ -n "$BASELINE_JAR" ] ||
    die "target moonshard-baseline needs the jar to compare with: LOAD_BASELINE_JAR=<path> or --baseline-jar PATH"
  [ -f "$BASELINE_JAR" ] || die "the baseline jar $BASELINE_JAR (LOAD_BASELINE_JAR / --baseline-jar) is not a file"
elif [ -n "$BASELINE_JAR" ]; then
  log "note: the baseline jar $BASELINE_JAR is not used: moonshard-baseline is not among the targets"
fi
is_cluster_target() { [ "$1" = redis-cluster ] || [ "$1" = moonshard-cluster ]; }
is_single_proxy_target() { # a Moonshard proxy owning all slots of the shared redis-server
  case "$1" in moonshard | moonshard-baseline | moonshard-io-uring | moonshard-per-core) return 0 ;; esac
  return 1
}
is_ack_target() { [ "$1" = moonshard-ack-async ] || [ "$1" = moonshard-ack-replica ]; }
has_ack_target() { has_target moonshard-ack-async || has_target moonshard-ack-replica; }

# workload ID -> "CLIENTS PIPELINE VALUE_BYTES CLUSTER_TOO LABEL..." (LABEL names it in tables and the chart,
# after the test name, e.g. "GET P=1 16KB")
workload_spec() {
  case "$1" in
    p1) echo "$CLIENTS 1 64 yes P=1" ;;
    p16) echo "$CLIENTS 16 64 yes P=16" ;;
    16k) echo "$CLIENTS 1 16384 no P=1 16KB" ;;
    c1000) echo "1000 1 64 no P=1 c=1000" ;;
  esac
}
# the targets that run workload $1, in TARGETS order
workload_targets() {
  local clients pipeline bytes cluster_too label t
  read -r clients pipeline bytes cluster_too label <<<"$(workload_spec "$1")"
  for t in "${TARGETS[@]}"; do
    if is_cluster_target "$t" && [ "$cluster_too" != yes ]; then
      continue
    fi
    printf '%s\n' "$t"
  done
}

port_of() {
  case "$1" in
    direct) echo "$REDIS_PORT" ;;
    twemproxy) echo "$TWEMPROXY_PORT" ;;
    moonshard) echo "$MOONSHARD_PORT" ;;
    moonshard-baseline) echo "$BASELINE_PORT" ;;
    moonshard-io-uring) echo "$IO_URING_PORT" ;;
    moonshard-per-core) echo "$PER_CORE_PORT" ;;
    redis-cluster) echo "${REDIS_CLUSTER_PORTS[0]}" ;;
    moonshard-cluster) echo "${MSC_PROXY_PORTS[0]}" ;;
    moonshard-ack-async) echo "$ACK_ASYNC_PORT" ;;
    moonshard-ack-replica) echo "$ACK_REPLICA_PROXY_PORT" ;;
  esac
}
# the redis-servers that hold target $1's data (flushed before every run)
backends_of() {
  case "$1" in
    direct | twemproxy | moonshard | moonshard-baseline | moonshard-io-uring | moonshard-per-core) echo "$REDIS_PORT" ;;
    redis-cluster) echo "${REDIS_CLUSTER_PORTS[*]}" ;;
    moonshard-cluster) echo "${MSC_REDIS_PORTS[*]}" ;;
    moonshard-ack-async | moonshard-ack-replica) echo "$ACK_MASTER_PORT" ;; # FLUSHALL reaches the replica too
  esac
}

# ---------------------------------------------------------------- set-up and clean-up
NEED_REDIS="" NEED_TWEMPROXY=""
for t in "${TARGETS[@]}"; do
  if [ "$t" = direct ] || [ "$t" = twemproxy ] || is_single_proxy_target "$t"; then NEED_REDIS=1; fi
done
if has_target twemproxy; then NEED_TWEMPROXY=1; fi
if [ -n "$NEED_TWEMPROXY" ]; then
  ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools \
    nutcracker=nutcracker
  NUTCRACKER=$(find_program nutcracker)
else
  ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools
  NUTCRACKER=$(find_program nutcracker || true)
fi
command -v java >/dev/null 2>&1 || ensure_jdk
NEED_JAR=""
if has_target moonshard || has_target moonshard-io-uring || has_target moonshard-per-core || has_target moonshard-cluster ||
  has_ack_target; then NEED_JAR=1; fi
if [ -n "$NEED_JAR" ]; then
  if [ -n "${LOAD_MOONSHARD_JAR:-}" ]; then
    [ -f "$LOAD_MOONSHARD_JAR" ] || die "LOAD_MOONSHARD_JAR=$LOAD_MOONSHARD_JAR is not a file"
    SOURCE_JAR=$LOAD_MOONSHARD_JAR
  else
    (ensure_jar) || die "could not build $MOONSHARD_JAR; to measure a jar you have, set LOAD_MOONSHARD_JAR=<path>"
    SOURCE_JAR=$MOONSHARD_JAR
  fi
fi

# c1000 opens 1000 client connections (and the proxies as many again): raise the soft fd limit
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
  ulimit -n "$(ulimit -H -n)" 2>/dev/null || true
fi
if [[ " ${WORKLOADS[*]} " == *" c1000 "* ]] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 2500 ]; then
  die "c1000 needs more open files than ulimit -n = $(ulimit -n) (hard limit $(ulimit -H -n))"
fi

ports=()
[ -n "$NEED_REDIS" ] && ports+=("$REDIS_PORT")
if has_target twemproxy; then ports+=("$TWEMPROXY_PORT" "$TWEMPROXY_STATS_PORT"); fi
if has_target moonshard; then ports+=("$MOONSHARD_PORT"); fi
if has_target moonshard-baseline; then ports+=("$BASELINE_PORT"); fi
if has_target moonshard-io-uring; then ports+=("$IO_URING_PORT"); fi
if has_target moonshard-per-core; then ports+=("$PER_CORE_PORT"); fi
if has_target redis-cluster; then
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do ports+=("$p" "$((p + 10000))"); done
fi
if has_target moonshard-cluster; then ports+=("${MSC_REDIS_PORTS[@]}" "${MSC_PROXY_PORTS[@]}"); fi
if has_ack_target; then ports+=("$ACK_MASTER_PORT" "$ACK_REPLICA_PORT"); fi
if has_target moonshard-ack-async; then ports+=("$ACK_ASYNC_PORT"); fi
if has_target moonshard-ack-replica; then ports+=("$ACK_REPLICA_PROXY_PORT"); fi
for p in "${ports[@]}"; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "not a port: '$p'"; fi
  port_in_use "$p" && die "port $p on $HOST is in use (see the LOAD_*_PORT(S) settings in --help)"
done
dup=$(printf '%s\n' "${ports[@]}" | sort | uniq -d | head -n 1)
[ -z "$dup" ] || die "port $dup is configured twice"

if [ -z "$OUT" ]; then
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-load.XXXXXX")
else
  mkdir -p "$OUT"
fi
OUT=$(cd "$OUT" && pwd)
# the proxies run from a copy, so a rebuild of proxy-server/target during the run cannot disturb them
if [ -n "$NEED_JAR" ]; then
  cp "$SOURCE_JAR" "$OUT/moonshard-proxy.jar"
  MOONSHARD_JAR="$OUT/moonshard-proxy.jar"
fi
if has_target moonshard-baseline; then
  SOURCE_BASELINE_JAR=$BASELINE_JAR
  BASELINE_JAR="$OUT/baseline-moonshard-proxy.jar"
  cp "$SOURCE_BASELINE_JAR" "$BASELINE_JAR"
fi
RAW="$OUT/raw.csv"
SUMMARY="$OUT/summary.csv"
CHART="$OUT/chart.png"

# The chart's class: benchmarks/target/classes, built when missing or older than its source; if the
# Maven build fails (e.g. someone's half-edited module), LoadChart.java alone is compiled into $OUT.
CHART_SRC="$MOONSHARD_ROOT/benchmarks/src/main/java/io/moonshard/benchmarks/LoadChart.java"
CHART_CP="$MOONSHARD_ROOT/benchmarks/target/classes"
chart_classpath() {
  local cls="$CHART_CP/io/moonshard/benchmarks/LoadChart.class"
  if [ -f "$cls" ] && ! [ "$CHART_SRC" -nt "$cls" ]; then
    echo "$CHART_CP"
    return 0
  fi
  log "building the benchmarks module (for the chart)"
  if (cd "$MOONSHARD_ROOT" && ./mvnw -q -B -pl benchmarks -am install -DskipTests) >"$OUT/chart-build.log" 2>&1 &&
    [ -f "$cls" ]; then
    echo "$CHART_CP"
    return 0
  fi
  log "the Maven build failed (see $OUT/chart-build.log); compiling LoadChart.java alone"
  mkdir -p "$OUT/chart-classes"
  command -v javac >/dev/null 2>&1 && javac -d "$OUT/chart-classes" "$CHART_SRC" >>"$OUT/chart-build.log" 2>&1 &&
    echo "$OUT/chart-classes"
}
CHART_CLASSPATH=$(chart_classpath) || {
  CHART_CLASSPATH=""
  log "warning: cannot build LoadChart; there will be no chart.png"
}

REDIS_PIDS=() PROXY_PIDS=() TWEMPROXY_PID="" BENCH_PID=""
cleanup() {
  local code=$? pid
  trap - INT TERM
  stop_pid "$BENCH_PID" redis-benchmark 5
  # SIGTERM to every proxy first, so they shut down in parallel
  for pid in "${PROXY_PIDS[@]}"; do
    if pid_matches "$pid" "$PROXY_PATTERN"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PROXY_PIDS[@]}"; do stop_pid "$pid" "$PROXY_PATTERN" 20; done
  stop_pid "$TWEMPROXY_PID" nutcracker 10
  for pid in "${REDIS_PIDS[@]}"; do stop_pid "$pid" redis-server 10; done
  [ "$code" -eq 0 ] || log "failed or interrupted; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { local port=$1; shift; redis-cli -h "$HOST" -p "$port" "$@"; }
answers_set() { [ "$(cli "$1" set load:probe 1 2>/dev/null)" = OK ]; }
answers_ping() { [ "$(cli "$1" PING 2>/dev/null)" = PONG ]; }
cluster_ok() { cli "$1" CLUSTER INFO 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'; }
replica_linked() { cli "$1" INFO replication 2>/dev/null | tr -d '\r' | grep -qx 'master_link_status:up'; }
proxy_ready() { [ "$(cli "$1" UMCTL READY 2>/dev/null)" = 1 ]; }
# succeeds when it answers, and also when pid $2 has died (the caller tells the two apart)
answers_or_died() { answers_ping "$1" || ! kill -0 "$2" 2>/dev/null; }

start_redis() { # start_redis PORT NAME [redis-server options...]: in the background, pid in REDIS_PIDS
  local port=$1 name=$2
  shift 2
  mkdir -p "$OUT/$name"
  redis-server --port "$port" --bind "$HOST" --save "" --appendonly no --dir "$OUT/$name" \
    --logfile "$OUT/$name.log" "$@" </dev/null &
  REDIS_PIDS+=($!)
  LAST_REDIS_PID=$!
}

# start_proxy PORT LOG [JAR [OPTION...]]: one Moonshard proxy in the background, pid in PROXY_PIDS; an
# empty JAR is the one measured, OPTIONs are more proxy options (--write-ack replica)
start_proxy() {
  local port=$1 log=$2 jar=${3:-$MOONSHARD_JAR}
  shift $(($# < 3 ? $# : 3))
  local args=(--address "$HOST:$port" --announce-address "$HOST:$port" "$@")
  if [ -n "$THREADS" ] && [[ " $* " != *" --thread-number "* ]]; then
    args+=(--thread-number "$THREADS")
  fi
  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
  java ${MOONSHARD_JAVA_OPTS:-} -jar "$jar" "${args[@]}" >"$log" 2>&1 </dev/null &
  PROXY_PIDS+=($!)
  LAST_PID=$!
}

wait_proxy() { # wait_proxy PORT PID LOG
  wait_until 60 answers_or_died "$1" "$2" || die "the Moonshard proxy on port $1 does not answer PING (see $3)"
  kill -0 "$2" 2>/dev/null || die "the Moonshard proxy on port $1 exited (see $3)"
}

# setup_single_proxy PORT PID LOG NAME [REDIS_PORT]: waits for the proxy, gives it all 16384 slots on the
# one redis-server (REDIS_PORT, by default the shared one), and waits until it serves SET
setup_single_proxy() {
  local reply
  wait_proxy "$1" "$2" "$3"
  reply=$(cli "$1" UMCTL SETCLUSTER v2 1 NOFLAGS load "$HOST:${5:-$REDIS_PORT}" 1 0-16383 2>&1) || true
  [ "$reply" = OK ] || die "UMCTL SETCLUSTER to $4 (port $1) answered: $reply"
  wait_until 30 answers_set "$1" || die "$4 (port $1) does not serve SET (see $3)"
}

# The SETCLUSTER arguments for moonshard-cluster proxy number $1, as scripts/moonshard-cluster.sh
# builds them in MOONSHARD_CLUSTER_MODE=static: its own Redis and slot range, then ONE PEER section with every other proxy.
msc_setcluster_args() {
  local me=$1 i
  local -a ranges
  mapfile -t ranges < <(slot_ranges "${#MSC_PROXY_PORTS[@]}")
  printf '%s\n' UMCTL SETCLUSTER v2 1 NOFLAGS "$MSC_NAME" "$HOST:${MSC_REDIS_PORTS[$me]}" 1 "${ranges[$me]}"
  [ "${#MSC_PROXY_PORTS[@]}" -gt 1 ] && echo PEER
  for i in "${!MSC_PROXY_PORTS[@]}"; do
    [ "$i" -eq "$me" ] && continue
    printf '%s\n' "$HOST:${MSC_PROXY_PORTS[$i]}" 1 "${ranges[$i]}"
  done
}

# -- start everything, then wait for all of it (the JVMs start in parallel)
REDIS_MAIN_PID=""
if [ -n "$NEED_REDIS" ]; then
  start_redis "$REDIS_PORT" redis
  REDIS_MAIN_PID=$LAST_REDIS_PID
fi
if has_target twemproxy; then
  cat >"$OUT/twemproxy.yml" <<EOF
moonshard_load:
  listen: $HOST:$TWEMPROXY_PORT
  redis: true
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: false
  server_connections: 1
  servers:
    - $HOST:$REDIS_PORT:1
EOF
  "$NUTCRACKER" -t -c "$OUT/twemproxy.yml" >/dev/null 2>&1 || die "nutcracker rejects $OUT/twemproxy.yml"
  "$NUTCRACKER" -c "$OUT/twemproxy.yml" -a "$HOST" -s "$TWEMPROXY_STATS_PORT" -o "$OUT/twemproxy.log" \
    </dev/null &
  TWEMPROXY_PID=$!
fi
MOONSHARD_PID=""
if has_target moonshard; then
  start_proxy "$MOONSHARD_PORT" "$OUT/moonshard.log"
  MOONSHARD_PID=$LAST_PID
fi
BASELINE_PID=""
if has_target moonshard-baseline; then
  MOONSHARD_JAVA_OPTS="${MOONSHARD_JAVA_OPTS:-} $BASELINE_JAVA_OPTS" \
    start_proxy "$BASELINE_PORT" "$OUT/moonshard-baseline.log" "$BASELINE_JAR"
  BASELINE_PID=$LAST_PID
fi
if has_ack_target; then
  start_redis "$ACK_MASTER_PORT" ack-master
  start_redis "$ACK_REPLICA_PORT" ack-replica --replicaof "$HOST" "$ACK_MASTER_PORT"
fi
IO_URING_PID="" PER_CORE_PID=""
if has_target moonshard-io-uring; then
  start_proxy "$IO_URING_PORT" "$OUT/moonshard-io-uring.log" "" --transport io_uring
  IO_URING_PID=$LAST_PID
fi
if has_target moonshard-per-core; then
  start_proxy "$PER_CORE_PORT" "$OUT/moonshard-per-core.log" "" --thread-number "$(nproc)"
  PER_CORE_PID=$LAST_PID
fi
ACK_ASYNC_PID="" ACK_REPLICA_PROXY_PID=""
if has_target moonshard-ack-async; then
  start_proxy "$ACK_ASYNC_PORT" "$OUT/moonshard-ack-async.log" "" --write-ack async
  ACK_ASYNC_PID=$LAST_PID
fi
if has_target moonshard-ack-replica; then
  start_proxy "$ACK_REPLICA_PROXY_PORT" "$OUT/moonshard-ack-replica.log" "" --write-ack replica \
    --write-ack-timeout-ms "$WRITE_ACK_TIMEOUT"
  ACK_REPLICA_PROXY_PID=$LAST_PID
fi
RC_PIDS=()
if has_target redis-cluster; then
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    start_redis "$p" "redis-cluster-$p" --cluster-enabled yes \
      --cluster-config-file "$OUT/redis-cluster-$p/nodes.conf"
    RC_PIDS+=("$LAST_REDIS_PID")
  done
fi
MSC_PIDS=()
if has_target moonshard-cluster; then
  for p in "${MSC_REDIS_PORTS[@]}"; do
    start_redis "$p" "moonshard-cluster-redis-$p"
  done
  for p in "${MSC_PROXY_PORTS[@]}"; do
    start_proxy "$p" "$OUT/moonshard-cluster-proxy-$p.log"
    MSC_PIDS+=("$LAST_PID")
  done
fi

if [ -n "$NEED_REDIS" ]; then
  wait_until 30 answers_set "$REDIS_PORT" || die "redis-server does not answer (see $OUT/redis.log)"
fi
if has_target twemproxy; then
  wait_until 30 answers_set "$TWEMPROXY_PORT" || die "twemproxy does not answer (see $OUT/twemproxy.log)"
fi
if has_target moonshard; then
  setup_single_proxy "$MOONSHARD_PORT" "$MOONSHARD_PID" "$OUT/moonshard.log" Moonshard
fi
if has_target moonshard-baseline; then
  setup_single_proxy "$BASELINE_PORT" "$BASELINE_PID" "$OUT/moonshard-baseline.log" "the baseline Moonshard"
fi
if has_target moonshard-io-uring; then
  setup_single_proxy "$IO_URING_PORT" "$IO_URING_PID" "$OUT/moonshard-io-uring.log" "Moonshard (io_uring)"
  grep -q 'transport=io_uring' "$OUT/moonshard-io-uring.log" ||
    die "the io_uring proxy does not report transport=io_uring (see $OUT/moonshard-io-uring.log)"
fi
if has_target moonshard-per-core; then
  setup_single_proxy "$PER_CORE_PORT" "$PER_CORE_PID" "$OUT/moonshard-per-core.log" "Moonshard (one thread per core)"
fi
if has_ack_target; then
  wait_until 30 answers_set "$ACK_MASTER_PORT" || die "redis-server (master) does not answer (see $OUT/ack-master.log)"
  wait_until 60 replica_linked "$ACK_REPLICA_PORT" ||
    die "the replica on port $ACK_REPLICA_PORT never reported master_link_status:up (see $OUT/ack-replica.log)"
fi
if has_target moonshard-ack-async; then
  setup_single_proxy "$ACK_ASYNC_PORT" "$ACK_ASYNC_PID" "$OUT/moonshard-ack-async.log" \
    "Moonshard (write_ack async)" "$ACK_MASTER_PORT"
fi
if has_target moonshard-ack-replica; then
  setup_single_proxy "$ACK_REPLICA_PROXY_PORT" "$ACK_REPLICA_PROXY_PID" "$OUT/moonshard-ack-replica.log" \
    "Moonshard (write_ack replica)" "$ACK_MASTER_PORT"
fi
if has_target redis-cluster; then
  nodes=()
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    wait_until 30 answers_ping "$p" || die "redis-server (cluster) on port $p does not answer (see $OUT/redis-cluster-$p.log)"
    nodes+=("$HOST:$p")
  done
  log "creating the Redis Cluster on ${REDIS_CLUSTER_PORTS[*]}"
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$OUT/redis-cluster-create.log" 2>&1 \
    </dev/null || die "redis-cli --cluster create failed (see $OUT/redis-cluster-create.log)"
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    wait_until 60 cluster_ok "$p" || die "the Redis Cluster node on port $p never reported cluster_state:ok"
  done
  reply=$(redis-cli -c -h "$HOST" -p "${REDIS_CLUSTER_PORTS[0]}" set load:probe 1 2>&1) || true
  [ "$reply" = OK ] || die "SET through the Redis Cluster answered: $reply"
fi
if has_target moonshard-cluster; then
  for p in "${MSC_REDIS_PORTS[@]}"; do
    wait_until 30 answers_ping "$p" || die "redis-server on port $p does not answer (see $OUT/moonshard-cluster-redis-$p.log)"
  done
  for i in "${!MSC_PROXY_PORTS[@]}"; do
    p=${MSC_PROXY_PORTS[$i]}
    wait_proxy "$p" "${MSC_PIDS[$i]}" "$OUT/moonshard-cluster-proxy-$p.log"
  done
  for i in "${!MSC_PROXY_PORTS[@]}"; do
    mapfile -t args < <(msc_setcluster_args "$i")
    reply=$(cli "${MSC_PROXY_PORTS[$i]}" "${args[@]}" 2>&1) || true
    [ "$reply" = OK ] || die "UMCTL SETCLUSTER to port ${MSC_PROXY_PORTS[$i]} answered: $reply"
  done
  for p in "${MSC_PROXY_PORTS[@]}"; do
    wait_until 30 proxy_ready "$p" || die "the proxy on port $p is not ready (UMCTL READY; see $OUT/moonshard-cluster-proxy-$p.log)"
  done
  reply=$(redis-cli -c -h "$HOST" -p "${MSC_PROXY_PORTS[0]}" set load:probe 1 2>&1) || true
  [ "$reply" = OK ] || die "SET through the Moonshard cluster answered: $reply"
fi

# ---------------------------------------------------------------- what was measured, and where
bench_command() { # bench_command WORKLOAD: the redis-benchmark arguments after -h/-p, for environment.txt
  local clients pipeline bytes cluster_too label
  read -r clients pipeline bytes cluster_too label <<<"$(workload_spec "$1")"
  echo "-c $clients -n $REQUESTS -r $KEYSPACE -P $pipeline -d $bytes -t set --csv, then the same with -t get"
}
{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:     $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
  echo "load:        $(cut -d ' ' -f 1-3 /proc/loadavg) (1, 5, 15 min load average at start); ulimit -n $(ulimit -n)"
  echo "jvm:         $(java -version 2>&1 | head -n 1); $(java -version 2>&1 | sed -n 3p)"
  echo "jvm options: MOONSHARD_JAVA_OPTS='${MOONSHARD_JAVA_OPTS:-}'"
  if [ -n "$NEED_JAR" ]; then
    echo "moonshard:   $(java -jar "$MOONSHARD_JAR" --version 2>/dev/null | head -n 1) ($SOURCE_JAR," \
      "$(date -u -r "$SOURCE_JAR" +%Y-%m-%dT%H:%M:%SZ)), thread_number=${THREADS:-default (one per two cores)} on every proxy"
  fi
  if has_target moonshard-baseline; then
    # timeout: a jar that does not know --version might start a proxy instead
    echo "baseline:    $(timeout 20 java -jar "$BASELINE_JAR" --version 2>/dev/null </dev/null | head -n 1)" \
      "($SOURCE_BASELINE_JAR, $(date -u -r "$SOURCE_BASELINE_JAR" +%Y-%m-%dT%H:%M:%SZ))," \
      "thread_number=${THREADS:-default (one per two cores)}, JVM options added: '$BASELINE_JAVA_OPTS'"
  fi
  echo "redis:       $(redis-server --version | head -n 1)"
  echo "benchmark:   $(redis-benchmark --version 2>/dev/null | head -n 1)"
  if [ -n "$NUTCRACKER" ]; then
    echo "twemproxy:   $("$NUTCRACKER" --version 2>&1 | head -n 1)"
  fi
  echo "targets:     ${TARGETS[*]}"
  has_target direct && echo "  direct             redis-server $HOST:$REDIS_PORT (--save '' --appendonly no)"
  has_target twemproxy && echo "  twemproxy          nutcracker $HOST:$TWEMPROXY_PORT -> $HOST:$REDIS_PORT (one pool, server_connections 1)"
  has_target moonshard && echo "  moonshard          proxy $HOST:$MOONSHARD_PORT, all 16384 slots -> $HOST:$REDIS_PORT"
  has_target moonshard-baseline &&
    echo "  moonshard-baseline proxy $HOST:$BASELINE_PORT (baseline jar), all 16384 slots -> $HOST:$REDIS_PORT"
  has_target moonshard-io-uring &&
    echo "  moonshard-io-uring proxy $HOST:$IO_URING_PORT, transport io_uring, all 16384 slots -> $HOST:$REDIS_PORT"
  has_target moonshard-per-core &&
    echo "  moonshard-per-core proxy $HOST:$PER_CORE_PORT, thread_number $(nproc), all 16384 slots -> $HOST:$REDIS_PORT"
  if has_target redis-cluster; then
    echo "  redis-cluster      redis-server --cluster-enabled yes on ${REDIS_CLUSTER_PORTS[*]}, redis-cli --cluster create" \
      "--cluster-replicas 0; redis-benchmark --cluster via $HOST:${REDIS_CLUSTER_PORTS[0]}"
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do
      echo "                     $HOST:$p slots $(cli "$p" CLUSTER NODES 2>/dev/null | awk '/myself/ { for (i = 9; i <= NF; i++) printf "%s ", $i }')"
    done
  fi
  has_ack_target && echo "  ack master/replica redis-server $HOST:$ACK_MASTER_PORT and its replica $HOST:$ACK_REPLICA_PORT" \
    "(REPLICAOF, same options)"
  has_target moonshard-ack-async &&
    echo "  moonshard-ack-async    proxy $HOST:$ACK_ASYNC_PORT, write_ack async, all 16384 slots -> $HOST:$ACK_MASTER_PORT"
  has_target moonshard-ack-replica &&
    echo "  moonshard-ack-replica  proxy $HOST:$ACK_REPLICA_PROXY_PORT, write_ack replica" \
      "(write_ack_timeout_ms $WRITE_ACK_TIMEOUT), all 16384 slots -> $HOST:$ACK_MASTER_PORT"
  if has_target moonshard-cluster; then
    mapfile -t msc_ranges < <(slot_ranges "${#MSC_PROXY_PORTS[@]}")
    echo "  moonshard-cluster  ${#MSC_PROXY_PORTS[@]} proxies, UMCTL SETCLUSTER v2 with one PEER section each;" \
      "redis-benchmark --cluster via $HOST:${MSC_PROXY_PORTS[0]}"
    for i in "${!MSC_PROXY_PORTS[@]}"; do
      echo "                     proxy $HOST:${MSC_PROXY_PORTS[$i]} -> redis $HOST:${MSC_REDIS_PORTS[$i]} slots ${msc_ranges[$i]}"
    done
  fi
  echo "workloads:   redis-benchmark -h $HOST -p <target> ... (with --cluster for the cluster targets," \
    "which use one benchmark thread per primary)"
  for w in "${WORKLOADS[@]}"; do
    printf '  %-6s %s  [targets: %s]\n' "$w" "$(bench_command "$w")" "$(workload_targets "$w" | paste -sd ' ' -)"
  done
  echo "rounds:      $ROUNDS interleaved rounds (every workload against every target per round), medians over them;" \
    "$WARMUP warm-up requests per target at -P 16, then as many at -P 1; FLUSHALL on the target's Redis before every run"
  echo "output:      $OUT"
} | tee "$OUT/environment.txt"
echo

bench() { # bench TARGET WORKLOAD REQUESTS TESTS [PIPELINE]: redis-benchmark's CSV on stdout
  local target=$1 clients pipeline bytes cluster_too label
  read -r clients pipeline bytes cluster_too label <<<"$(workload_spec "$2")"
  pipeline=${5:-$pipeline}
  local args=(-h "$HOST" -p "$(port_of "$target")" -c "$clients" -n "$3" -r "$KEYSPACE" -P "$pipeline"
    -d "$bytes" -t "$4" --csv)
  if is_cluster_target "$target"; then
    args=(--cluster "${args[@]}")
  fi
  echo "== $target $2: redis-benchmark ${args[*]}" >>"$OUT/redis-benchmark.stderr"
  exec redis-benchmark "${args[@]}" </dev/null 2>>"$OUT/redis-benchmark.stderr"
}
# run_bench TARGET WORKLOAD REQUESTS TESTS [PIPELINE]: bench in the background (so a signal stops the script
# at once and cleanup stops redis-benchmark too), its CSV in $OUT/last-run.csv
run_bench() {
  bench "$@" >"$OUT/last-run.csv" &
  BENCH_PID=$!
  local rc=0
  wait "$BENCH_PID" || rc=$?
  if [ "$rc" -gt 128 ]; then exit "$rc"; fi # interrupted: a signal, to us or to redis-benchmark
  [ "$rc" -eq 0 ] || die "redis-benchmark failed against $1 (see $OUT/redis-benchmark.stderr)"
  BENCH_PID=""
}

# the processes whose CPU counts as target $1's (see cpu_us in the header)
pids_of() {
  case "$1" in
    direct) echo "$REDIS_MAIN_PID" ;;
    twemproxy) echo "$TWEMPROXY_PID" ;;
    moonshard) echo "$MOONSHARD_PID" ;;
    moonshard-baseline) echo "$BASELINE_PID" ;;
    moonshard-io-uring) echo "$IO_URING_PID" ;;
    moonshard-per-core) echo "$PER_CORE_PID" ;;
    redis-cluster) echo "${RC_PIDS[*]}" ;;
    moonshard-cluster) echo "${MSC_PIDS[*]}" ;;
    moonshard-ack-async) echo "$ACK_ASYNC_PID" ;;
    moonshard-ack-replica) echo "$ACK_REPLICA_PROXY_PID" ;;
  esac
}
CLOCK_TICKS=$(getconf CLK_TCK)
cpu_ticks() { # cpu_ticks PID...: their user + system time so far, in clock ticks (fields 14 and 15 of stat)
  local pid total=0 fields
  for pid in "$@"; do
    # the command name (field 2) may hold spaces: read after its closing parenthesis
    fields=$(sed 's/^.*) //' "/proc/$pid/stat") || die "process $pid is gone"
    total=$((total + $(awk '{ print $12 + $13 }' <<<"$fields")))
  done
  echo "$total"
}

flush_backends() {
  local p
  for p in $(backends_of "$1"); do
    cli "$p" FLUSHALL >/dev/null 2>&1 || die "FLUSHALL on $HOST:$p failed"
  done
}

for target in "${TARGETS[@]}"; do
  if [ "$WARMUP" -gt 0 ]; then
    log "warm-up: $target"
    # both pipelines: after a P=16 warm-up alone the JIT still compiled during the first P=1 run
    # (its CPU per request 30-60% above the later rounds')
    run_bench "$target" p1 "$WARMUP" set,get 16
    run_bench "$target" p1 "$WARMUP" set,get 1
  fi
done

echo "round,workload,label,target,clients,pipeline,value_bytes,test,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms,cpu_us" >"$RAW"
for round in $(seq 1 "$ROUNDS"); do
  for w in "${WORKLOADS[@]}"; do
    read -r clients pipeline bytes cluster_too label <<<"$(workload_spec "$w")"
    mapfile -t wtargets < <(workload_targets "$w")
    if [ $((round % 2)) -eq 0 ]; then
      # even rounds run the targets in reverse, so no target is always first (or last) after another
      mapfile -t wtargets < <(printf '%s\n' "${wtargets[@]}" | tac)
    fi
    for target in "${wtargets[@]}"; do
      log "round $round/$ROUNDS: $w ($label) against $target"
      flush_backends "$target"
      read -r -a cpu_pids <<<"$(pids_of "$target")"
      for test_name in "${TESTS[@]}"; do
        before=$(cpu_ticks "${cpu_pids[@]}")
        run_bench "$target" "$w" "$REQUESTS" "$test_name"
        after=$(cpu_ticks "${cpu_pids[@]}")
        cpu_us=$(awk -v t="$((after - before))" -v hz="$CLOCK_TICKS" -v n="$REQUESTS" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
        csv=$(cat "$OUT/last-run.csv")
        # "SET","95057.03","0.473","0.104","0.455","0.655","0.887","2.407"
        rows=$(printf '%s\n' "$csv" | tr -d '"\r' | awk -F, -v r="$round" -v w="$w" -v l="$label" -v t="$target" \
          -v c="$clients" -v p="$pipeline" -v d="$bytes" -v cpu="$cpu_us" '($1 == "SET" || $1 == "GET") && NF >= 8 {
            printf "%s,%s,%s %s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", r, w, $1, l, t, c, p, d, $1, $2, $3, $4, $5, $6, $7, $8, cpu }')
        [ "$(printf '%s\n' "$rows" | grep -c .)" -eq 1 ] ||
          die "redis-benchmark -t $test_name against $target gave no result (see $OUT/redis-benchmark.stderr): $csv"
        printf '%s\n' "$rows" >>"$RAW"
      done
    done
  done
done
flush_backends_all() { local t; for t in "${TARGETS[@]}"; do flush_backends "$t"; done; }
flush_backends_all

# ---------------------------------------------------------------- medians and ratios
median() { # numbers on stdin -> their median
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
    else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
column_median() { # column_median WORKLOAD TARGET TEST FIELD
  awk -F, -v w="$1" -v t="$2" -v s="$3" -v f="$4" 'NR > 1 && $2 == w && $4 == t && $8 == s { print $f }' "$RAW" |
    median
}
ratio() { # ratio A B: A/B with two decimals; nan when B is missing or 0
  awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == "nan" || b + 0 == 0 || a == "nan") print "nan"; else printf "%.2f", a / b }'
}

echo "workload,label,test,clients,pipeline,value_bytes,target,rounds,rps_median,p50_ms_median,p99_ms_median,rps_vs_direct,rps_vs_twemproxy,rps_vs_redis_cluster,rps_vs_moonshard_baseline,p50_vs_moonshard_baseline,p99_vs_moonshard_baseline,cpu_us_median,cpu_vs_twemproxy" >"$SUMMARY"
row_format='%-16s %-18s %12s %8s %8s %10s %13s %17s %8s %9s\n'
# shellcheck disable=SC2059 # the format is a variable on purpose
printf "$row_format" workload target rps_median p50_ms p99_ms vs_direct vs_twemproxy vs_redis_cluster cpu_us cpu_vs_tw
declare -A rps p50 p99 cpu
for w in "${WORKLOADS[@]}"; do
  read -r clients pipeline bytes cluster_too label <<<"$(workload_spec "$w")"
  mapfile -t wtargets < <(workload_targets "$w")
  for test_name in SET GET; do
    rps=() p50=() p99=() cpu=()
    for target in "${wtargets[@]}"; do
      rps[$target]=$(column_median "$w" "$target" "$test_name" 9)
      p50[$target]=$(column_median "$w" "$target" "$test_name" 12)
      p99[$target]=$(column_median "$w" "$target" "$test_name" 14)
      cpu[$target]=$(column_median "$w" "$target" "$test_name" 16)
    done
    for target in "${wtargets[@]}"; do
      vs_direct="" vs_twemproxy="" vs_cluster="" vs_base_rps="" vs_base_p50="" vs_base_p99="" cpu_vs_tw=""
      if is_cluster_target "$target"; then
        vs_cluster=$(ratio "${rps[$target]}" "${rps[redis-cluster]:-}")
      else
        vs_direct=$(ratio "${rps[$target]}" "${rps[direct]:-}")
        vs_twemproxy=$(ratio "${rps[$target]}" "${rps[twemproxy]:-}")
        vs_base_rps=$(ratio "${rps[$target]}" "${rps[moonshard-baseline]:-}")
        vs_base_p50=$(ratio "${p50[$target]}" "${p50[moonshard-baseline]:-}")
        vs_base_p99=$(ratio "${p99[$target]}" "${p99[moonshard-baseline]:-}")
        if [ "$target" != direct ]; then cpu_vs_tw=$(ratio "${cpu[$target]}" "${cpu[twemproxy]:-}"); fi
      fi
      # shellcheck disable=SC2059
      printf "$row_format" "$test_name $label" "$target" "${rps[$target]}" "${p50[$target]}" "${p99[$target]}" \
        "$vs_direct" "$vs_twemproxy" "$vs_cluster" "${cpu[$target]}" "$cpu_vs_tw"
      printf '%s,%s %s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$w" "$test_name" "$label" "$test_name" \
        "$clients" "$pipeline" "$bytes" "$target" "$ROUNDS" "${rps[$target]}" "${p50[$target]}" "${p99[$target]}" \
        "$vs_direct" "$vs_twemproxy" "$vs_cluster" "$vs_base_rps" "$vs_base_p50" "$vs_base_p99" "${cpu[$target]}" \
        "$cpu_vs_tw" >>"$SUMMARY"
    done
    ratios=()
    if [ -n "${rps[moonshard]:-}" ]; then
      [ -n "${rps[direct]:-}" ] && ratios+=("moonshard/direct = $(ratio "${rps[moonshard]}" "${rps[direct]}")")
      [ -n "${rps[twemproxy]:-}" ] && ratios+=("moonshard/twemproxy = $(ratio "${rps[moonshard]}" "${rps[twemproxy]}")")
      # old against new: rps above 1 is faster than the baseline, p50 and p99 above 1 slower
      [ -n "${rps[moonshard-baseline]:-}" ] && ratios+=("moonshard/moonshard-baseline = $(
        ratio "${rps[moonshard]}" "${rps[moonshard-baseline]}") (p50 $(
        ratio "${p50[moonshard]}" "${p50[moonshard-baseline]}"), p99 $(
        ratio "${p99[moonshard]}" "${p99[moonshard-baseline]}"))")
    fi
    for variant in moonshard-io-uring moonshard-per-core; do
      # a setting against the default proxy: rps above 1 is faster, p50, p99 and cpu above 1 costlier
      if [ -n "${rps[$variant]:-}" ] && [ -n "${rps[moonshard]:-}" ]; then
        ratios+=("$variant/moonshard = $(ratio "${rps[$variant]}" "${rps[moonshard]}") (p50 $(
          ratio "${p50[$variant]}" "${p50[moonshard]}"), p99 $(ratio "${p99[$variant]}" "${p99[moonshard]}"), cpu $(
          ratio "${cpu[$variant]}" "${cpu[moonshard]}"))")
      fi
    done
    if [ -n "${rps[moonshard-ack-replica]:-}" ] && [ -n "${rps[moonshard-ack-async]:-}" ]; then
      # what waiting for a replica costs: rps below 1 is slower, p50 and p99 above 1 slower
      ratios+=("moonshard-ack-replica/moonshard-ack-async = $(
        ratio "${rps[moonshard-ack-replica]}" "${rps[moonshard-ack-async]}") (p50 $(
        ratio "${p50[moonshard-ack-replica]}" "${p50[moonshard-ack-async]}"), p99 $(
        ratio "${p99[moonshard-ack-replica]}" "${p99[moonshard-ack-async]}"))")
    fi
    if [ -n "${rps[moonshard-cluster]:-}" ] && [ -n "${rps[redis-cluster]:-}" ]; then
      ratios+=("moonshard-cluster/redis-cluster = $(ratio "${rps[moonshard-cluster]}" "${rps[redis-cluster]}")")
    fi
    if [ "${#ratios[@]}" -gt 0 ]; then
      printf '%-16s %s' "$test_name $label" "${ratios[0]}"
      [ "${#ratios[@]}" -gt 1 ] && printf '   %s' "${ratios[@]:1}"
      echo
    fi
    echo
  done
done

if [ -n "$CHART_CLASSPATH" ]; then
  if java -Djava.awt.headless=true -cp "$CHART_CLASSPATH" io.moonshard.benchmarks.LoadChart "$SUMMARY" "$CHART" \
    2>"$OUT/chart.log"; then
    echo "chart:     $CHART"
  else
    log "warning: LoadChart failed (see $OUT/chart.log); no chart.png"
  fi
fi
echo "raw runs:  $RAW"
echo "summary:   $SUMMARY"
echo "settings:  $OUT/environment.txt"
