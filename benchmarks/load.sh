#!/usr/bin/env bash
# Side-by-side load test (a measurement, not a test): redis-benchmark against
#   direct     one redis-server
#   twemproxy  nutcracker in front of that same server (one backend, redis: true)
#   moonshard  one Moonshard proxy owning all 16384 slots, in front of that same server
# interleaved in one run (round 1: direct, twemproxy, moonshard; round 2: ...), so drift of the
# machine hits all three alike. Prints, per workload, the median rps, p50 and p99 over the rounds
# and the ratios moonshard/direct and moonshard/twemproxy, and writes CSVs to a scratch directory.
#
#   benchmarks/load.sh [--requests N] [--rounds R] [--warmup N] [--threads T] [--out DIR]
#
#   --requests N  requests per redis-benchmark run (default 200000; env LOAD_REQUESTS)
#   --rounds R    interleaved rounds; medians are over these (default 3; env LOAD_ROUNDS)
#   --warmup N    requests per target before measuring, to warm the JIT alike (default 100000; env LOAD_WARMUP)
#   --threads T   Moonshard thread_number (default: the proxy's default, one per core; env LOAD_MOONSHARD_THREADS)
#   --out DIR     where CSVs and logs go (default: a new ${TMPDIR:-/tmp}/moonshard-load.XXXXXX)
# Fixed by the issue: -c 50, -P 1 and -P 16, -t get,set, -r 100000 (env LOAD_CLIENTS, LOAD_PIPELINES,
# LOAD_KEYSPACE change them for exploration; LOAD_TARGETS picks a subset of the three). Ports: LOAD_REDIS_PORT (7390), LOAD_TWEMPROXY_PORT
# (7391), LOAD_TWEMPROXY_STATS_PORT (7392), LOAD_MOONSHARD_PORT (7393). JVM options: MOONSHARD_JAVA_OPTS.
# Installs redis-server, redis-tools and nutcracker when missing (apt-get; needs root or sudo).
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

REQUESTS=${LOAD_REQUESTS:-200000}
ROUNDS=${LOAD_ROUNDS:-3}
WARMUP=${LOAD_WARMUP:-100000}
THREADS=${LOAD_MOONSHARD_THREADS:-}
CLIENTS=${LOAD_CLIENTS:-50}
PIPELINES=${LOAD_PIPELINES:-1 16}
KEYSPACE=${LOAD_KEYSPACE:-100000}
TESTS=set,get
REDIS_PORT=${LOAD_REDIS_PORT:-7390}
TWEMPROXY_PORT=${LOAD_TWEMPROXY_PORT:-7391}
TWEMPROXY_STATS_PORT=${LOAD_TWEMPROXY_STATS_PORT:-7392}
MOONSHARD_PORT=${LOAD_MOONSHARD_PORT:-7393}
OUT=""
HOST=127.0.0.1
read -r -a TARGETS <<<"${LOAD_TARGETS:-direct twemproxy moonshard}"

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --requests) REQUESTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for t in "${TARGETS[@]}"; do
  case "$t" in direct | twemproxy | moonshard) ;; *) die "unknown target '$t' in LOAD_TARGETS" ;; esac
done
for n in "$REQUESTS" "$ROUNDS" "$WARMUP" "$CLIENTS" "$KEYSPACE"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
[ "$ROUNDS" -ge 1 ] && [ "$REQUESTS" -ge 1 ] || die "--rounds and --requests must be at least 1"

port_of() {
  case "$1" in
    direct) echo "$REDIS_PORT" ;;
    twemproxy) echo "$TWEMPROXY_PORT" ;;
    moonshard) echo "$MOONSHARD_PORT" ;;
  esac
}

# ---------------------------------------------------------------- set-up and clean-up
ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools \
  nutcracker=nutcracker
command -v java >/dev/null 2>&1 || ensure_jdk
ensure_jar
NUTCRACKER=$(find_program nutcracker)

for p in "$REDIS_PORT" "$TWEMPROXY_PORT" "$TWEMPROXY_STATS_PORT" "$MOONSHARD_PORT"; do
  port_in_use "$p" && die "port $p on $HOST is in use (see LOAD_*_PORT in --help)"
done

if [ -z "$OUT" ]; then
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-load.XXXXXX")
else
  mkdir -p "$OUT"
fi
RAW="$OUT/raw.csv"
SUMMARY="$OUT/summary.csv"

REDIS_PID="" TWEMPROXY_PID="" MOONSHARD_PID=""
cleanup() {
  local code=$?
  stop_pid "$MOONSHARD_PID" moonshard-proxy.jar 20
  stop_pid "$TWEMPROXY_PID" nutcracker 10
  stop_pid "$REDIS_PID" redis-server 10
  [ "$code" -eq 0 ] || log "failed; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { local port=$1; shift; redis-cli -h "$HOST" -p "$port" "$@"; }
answers_set() { [ "$(cli "$1" set load:probe 1 2>/dev/null)" = OK ]; }

answers_ping() { [ "$(cli "$1" PING 2>/dev/null)" = PONG ]; }
has_target() { [[ " ${TARGETS[*]} " == *" $1 "* ]]; }

redis-server --port "$REDIS_PORT" --bind "$HOST" --save "" --appendonly no --dir "$OUT" \
  --logfile "$OUT/redis.log" </dev/null &
REDIS_PID=$!

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

if has_target moonshard; then
  moonshard_args=(--address "$HOST:$MOONSHARD_PORT" --announce-address "$HOST:$MOONSHARD_PORT")
  if [ -n "$THREADS" ]; then
    moonshard_args+=(--thread-number "$THREADS")
  fi
  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
  java ${MOONSHARD_JAVA_OPTS:-} -jar "$MOONSHARD_JAR" "${moonshard_args[@]}" >"$OUT/moonshard.log" 2>&1 \
    </dev/null &
  MOONSHARD_PID=$!
fi

wait_until 30 answers_set "$REDIS_PORT" || die "redis-server does not answer (see $OUT/redis.log)"
if has_target twemproxy; then
  wait_until 30 answers_set "$TWEMPROXY_PORT" || die "twemproxy does not answer (see $OUT/twemproxy.log)"
fi
if has_target moonshard; then
  wait_until 60 answers_ping "$MOONSHARD_PORT" || die "Moonshard does not answer PING (see $OUT/moonshard.log)"
  reply=$(cli "$MOONSHARD_PORT" UMCTL SETCLUSTER v2 1 NOFLAGS load "$HOST:$REDIS_PORT" 1 0-16383 2>&1) || true
  [ "$reply" = OK ] || die "UMCTL SETCLUSTER answered: $reply"
  wait_until 30 answers_set "$MOONSHARD_PORT" || die "Moonshard does not serve SET (see $OUT/moonshard.log)"
fi

# ---------------------------------------------------------------- what was measured, and where
{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:     $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
  echo "jvm:         $(java -version 2>&1 | head -n 1); MOONSHARD_JAVA_OPTS='${MOONSHARD_JAVA_OPTS:-}'"
  echo "moonshard:   $(java -jar "$MOONSHARD_JAR" --version), thread_number=${THREADS:-default (one per core)}"
  echo "redis:       $(redis-server --version | head -n 1)"
  echo "twemproxy:   $("$NUTCRACKER" --version 2>&1 | head -n 1)"
  echo "benchmark:   redis-benchmark -c $CLIENTS -n $REQUESTS -r $KEYSPACE -t $TESTS -P {$PIPELINES} --csv;" \
    "$ROUNDS interleaved rounds, $WARMUP warm-up requests per target"
  echo "output:      $OUT"
} | tee "$OUT/environment.txt"
echo

bench() { # bench PORT PIPELINE REQUESTS: redis-benchmark's CSV on stdout
  redis-benchmark -h "$HOST" -p "$1" -c "$CLIENTS" -n "$3" -r "$KEYSPACE" -P "$2" -t "$TESTS" --csv \
    2>>"$OUT/redis-benchmark.stderr"
}

for target in "${TARGETS[@]}"; do
  if [ "$WARMUP" -gt 0 ]; then
    log "warm-up: $target"
    bench "$(port_of "$target")" 16 "$WARMUP" >/dev/null || die "redis-benchmark failed against $target"
  fi
done

echo "round,target,pipeline,test,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms" >"$RAW"
for round in $(seq 1 "$ROUNDS"); do
  for pipeline in $PIPELINES; do
    for target in "${TARGETS[@]}"; do
      log "round $round/$ROUNDS: $target -P $pipeline"
      csv=$(bench "$(port_of "$target")" "$pipeline" "$REQUESTS") ||
        die "redis-benchmark failed against $target (see $OUT/redis-benchmark.stderr)"
      # "SET","95057.03","0.473","0.104","0.455","0.655","0.887","2.407"
      printf '%s\n' "$csv" | tr -d '"' | awk -F, -v r="$round" -v t="$target" -v p="$pipeline" \
        '$1 != "test" && NF >= 8 { printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", r, t, p, $1, $2, $3, $4, $5, $6, $7, $8 }' \
        >>"$RAW"
    done
  done
done

# ---------------------------------------------------------------- medians and ratios
median() { # numbers on stdin -> their median
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
    else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
column_median() { # column_median TARGET PIPELINE TEST FIELD
  awk -F, -v t="$1" -v p="$2" -v s="$3" -v f="$4" 'NR > 1 && $2 == t && $3 == p && $4 == s { print $f }' "$RAW" |
    median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.2f", a / b }'; }

echo "test,pipeline,target,rounds,rps_median,p50_ms_median,p99_ms_median,rps_vs_direct,rps_vs_twemproxy" >"$SUMMARY"
printf '%-10s %-10s %12s %9s %9s\n' workload target rps_median p50_ms p99_ms
tests=$(awk -F, 'NR > 1 { print $4 }' "$RAW" | awk '!seen[$0]++')
declare -A rps p50 p99
while IFS= read -r test_name; do
  for pipeline in $PIPELINES; do
    rps=() p50=() p99=()
    for target in "${TARGETS[@]}"; do
      rps[$target]=$(column_median "$target" "$pipeline" "$test_name" 5)
      p50[$target]=$(column_median "$target" "$pipeline" "$test_name" 8)
      p99[$target]=$(column_median "$target" "$pipeline" "$test_name" 10)
    done
    for target in "${TARGETS[@]}"; do
      printf '%-10s %-10s %12s %9s %9s\n' "$test_name P=$pipeline" "$target" "${rps[$target]}" \
        "${p50[$target]}" "${p99[$target]}"
      echo "$test_name,$pipeline,$target,$ROUNDS,${rps[$target]},${p50[$target]},${p99[$target]}," \
        "$(ratio "${rps[$target]}" "${rps[direct]:-0}"),$(ratio "${rps[$target]}" "${rps[twemproxy]:-0}")" |
        tr -d ' ' >>"$SUMMARY"
    done
    if has_target moonshard; then
      printf '%-10s moonshard/direct = %s   moonshard/twemproxy = %s\n' "$test_name P=$pipeline" \
        "$(ratio "${rps[moonshard]}" "${rps[direct]:-0}")" "$(ratio "${rps[moonshard]}" "${rps[twemproxy]:-0}")"
    fi
    echo
  done
done <<<"$tests"

echo "raw runs:  $RAW"
echo "summary:   $SUMMARY"
echo "settings:  $OUT/environment.txt"
