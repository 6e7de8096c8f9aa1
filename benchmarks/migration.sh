#!/usr/bin/env bash
# Online slot migration between two Moonshard proxies, measured (issue 14, "Speed, measured"; a
# measurement, not a test), beside redis-cli --cluster reshard of a real 2-node Redis Cluster.
# Every run starts its own processes on 127.0.0.1 and stops them after it:
#   m1        proxy A (Redis a holds N keys, DEBUG POPULATE N key V) moves slots 8192-16383 to proxy B
#             (Redis b, empty), no client load
#   m2        the same with all 16384 slots (A ends with no local slots)
#   m2load    m2 while a cluster client (MigrationLoad: T threads, P commands per batch, SET/GET of
#             load:0..K-1, MOVED followed) runs through both proxies and counts ops per 1 s window
#   cluster   two cluster-enabled redis-servers, node 1 owning every slot and holding the same N keys,
#             redis-cli --cluster reshard of 8192 slots to node 2, once per --cluster-pipeline value
#             (reshard picks the source's lowest slots, 0-8191: the other half, of the same size)
# A move is the coordinator's sequence (MigrationDriver times it, epoch milliseconds):
#   1. epoch 2, B first, then A: the ranges tagged (B: <b> IMPORTING ..., PEER A's stable ranges and
#      <A> MIGRATING ...; A: <a> MIGRATING ..., PEER <B> IMPORTING ...)
#   2. UMCTL INFOMGR polled on A and B until A lists "bench MIGRATING ..." and B "bench IMPORTING ...";
#      meanwhile UMCTL INFOMGR PROGRESS of both is logged every 100 ms (key=value fields parsed
#      generically: state=X marks a phase, fence_ms is kept per task) and DBSIZE of a and b is sampled
#   3. epoch 3, B first, then A: the final layout without tags; then DBSIZE of a is polled until the
#      source is trimmed (the keys of the slots it kept, 0 for m2), and, without load, DBSIZE of b until
#      the destination holds only the moved keys (a destination seeded by replication deletes the
#      other slots' keys after the commit: the "purged" time)
# Prints a table (wall time to committed / commit pushed / trimmed, MB/s and keys/s of the values moved
# up to the commit, the load's per-window throughput during the move over the median of the 5 windows
# before it (min and median, target >= 0.70), the longest fence_ms, the longest backend command from
# SLOWLOG with slowlog-log-slower-than 1000 reset before the move, the mode the source chose (keys or
# replication, from INFOMGR PROGRESS), Redis a's latest_fork_usec (INFO stats) and any PSYNC/SYNC in its
# SLOWLOG (kept up to 100,000 entries, so a move's many slow SCANs do not push it out), and
# the time until the destination held only the moved keys) and the ratios of M1 to the reshard;
# writes results.csv, summary.txt, environment.txt, per run its timeline.csv, samples.csv,
# progress.log, keys.png (DBSIZE of both sides, phases marked) and for m2load throughput.png; and per run
# cpu.txt: the CPU seconds each process (both Redis, both proxies, the load) used from step 1 to the commit,
# read from /proc every 0.25 s, with microseconds per moved key (the budget the two cores set).
#
#   benchmarks/migration.sh [--keys N] [--value-bytes V] [--only "RUN ..."] [--out DIR] [--timeout S]
#                           [--cluster-pipelines "P ..."] [--load-threads T] [--load-pipeline P]
#                           [--load-keyspace K] [--load-before S] [--load-after S] [--slot-index] [--copy-keys]
#
#   --keys N               keys in the source (default 2097152 x 512 B = undermoon's 1 GB set)
#   --value-bytes V        bytes per value (default 512)
#   --only "RUN ..."       a subset of "cluster m1 m2 m2load" (commas or spaces; default all)
#   --out DIR              default benchmarks/target/migration-<date>
#   --timeout S            the longest a step may wait (INFOMGR, trim, reshard; default 300)
#   --cluster-pipelines L  redis-cli --cluster-pipeline values, one reshard each (default "10 1000")
#   --load-threads T       m2load client threads (default 8), --load-pipeline P commands per batch
#                          (default 16, as redis-benchmark -P 16), --load-keyspace K (default 100000),
#                          --load-before S / --load-after S seconds of load around the move (15 / 5; the first seconds warm the JITs)
#   --copy-keys            the key copy even into the empty B (CONFIG SET moonshard-migration-seed-by-replication
#                          no at proxy A): without it these moves seed B by replication
#   --slot-index           Redis a and b cluster-enabled, each owning all 16384 slots (the opt-in
#                          backend_slot_index mode of docs/migration-design.md; pass the proxy its
#                          switch with MIGBENCH_PROXY_ARGS or MIGBENCH_SETCLUSTER_CONFIG)
# Env: MIGBENCH_MOONSHARD_JAR (measure that jar instead of building proxy-server/target/moonshard-proxy.jar),
# MIGBENCH_PROXY_ARGS (extra proxy options), MIGBENCH_SETCLUSTER_CONFIG ("field value ...", sent as the
# CONFIG section of every SETCLUSTER, e.g. "migration_scan_interval 0"), MOONSHARD_JAVA_OPTS (proxy JVM
# options), ports MIGBENCH_REDIS_A_PORT (7631), MIGBENCH_REDIS_B_PORT (7632), MIGBENCH_PROXY_A_PORT (7633),
# MIGBENCH_PROXY_B_PORT (7634), MIGBENCH_CLUSTER_PORTS ("7635 7636", and their bus ports +10000).
# Exit status 0 when every run finished, 3 when a step timed out (e.g. INFOMGR never listed the task),
# 1 on other failures. The full default run needs about 3 GB of memory; use --keys 100000 to try it.
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

KEYS=2097152
VALUE_BYTES=512
RUN_LIST="cluster m1 m2 m2load"
OUT=""
TIMEOUT=300
CLUSTER_PIPELINES="10 1000"
LOAD_THREADS=8
LOAD_PIPELINE=16
LOAD_KEYSPACE=100000
LOAD_BEFORE=15
LOAD_AFTER=5
SLOT_INDEX=""
COPY_KEYS=""
HOST=127.0.0.1
RA=${MIGBENCH_REDIS_A_PORT:-7631}
RB=${MIGBENCH_REDIS_B_PORT:-7632}
PA=${MIGBENCH_PROXY_A_PORT:-7633}
PB=${MIGBENCH_PROXY_B_PORT:-7634}
read -r -a CLUSTER_PORTS <<<"${MIGBENCH_CLUSTER_PORTS:-7635 7636}"
CLUSTER_NAME=bench
PROXY_PATTERN=moonshard-proxy.jar

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --value-bytes) VALUE_BYTES=$2; shift 2 ;;
    --only) RUN_LIST=${2//,/ }; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --cluster-pipelines) CLUSTER_PIPELINES=${2//,/ }; shift 2 ;;
    --load-threads) LOAD_THREADS=$2; shift 2 ;;
    --load-pipeline) LOAD_PIPELINE=$2; shift 2 ;;
    --load-keyspace) LOAD_KEYSPACE=$2; shift 2 ;;
    --load-before) LOAD_BEFORE=$2; shift 2 ;;
    --load-after) LOAD_AFTER=$2; shift 2 ;;
    --slot-index) SLOT_INDEX=1; shift ;;
    --copy-keys) COPY_KEYS=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

read -r -a RUNS <<<"$RUN_LIST"
read -r -a PIPELINES <<<"$CLUSTER_PIPELINES"
[ "${#RUNS[@]}" -ge 1 ] || die "no runs (--only)"
for r in "${RUNS[@]}"; do
  case "$r" in cluster | m1 | m2 | m2load) ;; *) die "unknown run '$r' (--only takes cluster, m1, m2, m2load)" ;; esac
done
for n in "$KEYS" "$VALUE_BYTES" "$TIMEOUT" "$LOAD_THREADS" "$LOAD_PIPELINE" "$LOAD_KEYSPACE" "$LOAD_BEFORE" \
  "$LOAD_AFTER" "${PIPELINES[@]}"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
[ "${#CLUSTER_PORTS[@]}" -eq 2 ] || die "MIGBENCH_CLUSTER_PORTS needs two ports"
has_run() { [[ " ${RUNS[*]} " == *" $1 "* ]]; }
NEED_PROXY=""
if has_run m1 || has_run m2 || has_run m2load; then NEED_PROXY=1; fi

ensure_packages redis-server=redis-server redis-cli=redis-tools
command -v java >/dev/null 2>&1 || ensure_jdk
ports=()
if [ -n "$NEED_PROXY" ]; then ports+=("$RA" "$RB" "$PA" "$PB"); fi
if has_run cluster; then
  for p in "${CLUSTER_PORTS[@]}"; do ports+=("$p" "$((p + 10000))"); done
fi
for p in "${ports[@]}"; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "not a port: '$p'"; fi
  ! port_in_use "$p" || die "port $p on $HOST is in use (see MIGBENCH_*_PORT in --help)"
done
dup=$(printf '%s\n' "${ports[@]}" | sort | uniq -d | head -n 1)
[ -z "$dup" ] || die "port $dup is configured twice"

if [ -z "$OUT" ]; then
  OUT="$MOONSHARD_ROOT/benchmarks/target/migration-$(date +%Y%m%d-%H%M%S)"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ -n "$NEED_PROXY" ]; then
  if [ -n "${MIGBENCH_MOONSHARD_JAR:-}" ]; then
    [ -f "$MIGBENCH_MOONSHARD_JAR" ] || die "MIGBENCH_MOONSHARD_JAR=$MIGBENCH_MOONSHARD_JAR is not a file"
    SOURCE_JAR=$MIGBENCH_MOONSHARD_JAR
  else
    (ensure_jar) || die "could not build $MOONSHARD_JAR; to measure a jar you have, set MIGBENCH_MOONSHARD_JAR=<path>"
    SOURCE_JAR=$MOONSHARD_JAR
  fi
  # the proxies run from a copy, so a rebuild during the run cannot disturb them
  cp "$SOURCE_JAR" "$OUT/moonshard-proxy.jar"
  MOONSHARD_JAR="$OUT/moonshard-proxy.jar"
fi

# The benchmarks module's classes (MigrationDriver, MigrationLoad, MigrationChart) and its classpath:
# built (the module and what it needs, in one reactor, nothing installed) when a class is missing or
# older than its source; the classpath is kept in benchmarks/target/migration.classpath.
TOOL_CP=$(benchmarks_classpath "$OUT/build.log" MigrationDriver MigrationLoad MigrationChart LoadChart)
driver() { java -Djava.awt.headless=true -cp "$TOOL_CP" io.moonshard.benchmarks.MigrationDriver "$@"; }

# ---------------------------------------------------------------- processes, and their clean-up
REDIS_PIDS=() PROXY_PIDS=() LOAD_PID="" DRIVER_PID="" SAMPLER_PID=""
stop_all() {
  local pid
  if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  SAMPLER_PID=""
  stop_pid "$DRIVER_PID" MigrationDriver 5
  stop_pid "$LOAD_PID" MigrationLoad 5
  DRIVER_PID="" LOAD_PID=""
  for pid in "${PROXY_PIDS[@]}"; do
    if pid_matches "$pid" "$PROXY_PATTERN"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PROXY_PIDS[@]}"; do stop_pid "$pid" "$PROXY_PATTERN" 20; done
  for pid in "${REDIS_PIDS[@]}"; do stop_pid "$pid" redis-server 10; done
  PROXY_PIDS=() REDIS_PIDS=()
}
cleanup() {
  local code=$?
  trap - INT TERM
  stop_all
  [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || log "failed or interrupted; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { local port=$1; shift; redis-cli -h "$HOST" -p "$port" "$@"; }
answers_ping() { [ "$(cli "$1" PING 2>/dev/null)" = PONG ]; }
answers_or_died() { answers_ping "$1" || ! kill -0 "$2" 2>/dev/null; }
cluster_info_ok() {
  cli "$1" CLUSTER INFO 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok' &&
    cli "$1" CLUSTER INFO 2>/dev/null | tr -d '\r' | grep -qx "cluster_known_nodes:$2"
}

# start_redis PORT DIR [cluster]: a redis-server in the background (pid in REDIS_PIDS), waited for;
# with "cluster" cluster-enabled
start_redis() {
  local port=$1 dir=$2 extra=()
  mkdir -p "$dir"
  if [ "${3:-}" = cluster ]; then
    extra=(--cluster-enabled yes --cluster-config-file "$dir/nodes.conf")
  fi
  redis-server --port "$port" --bind "$HOST" --save "" --appendonly no --enable-debug-command yes \
    --slowlog-log-slower-than 1000 --slowlog-max-len 100000 --dir "$dir" --logfile "$dir/redis.log" \
    "${extra[@]}" </dev/null >/dev/null &
  REDIS_PIDS+=($!)
  wait_until 30 answers_ping "$port" || die "redis-server on port $port does not answer (see $dir/redis.log)"
}

# start_proxy PORT LOG: a Moonshard proxy in the background (pid in PROXY_PIDS)
start_proxy() {
  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS and MIGBENCH_PROXY_ARGS are lists
  java ${MOONSHARD_JAVA_OPTS:-} -jar "$MOONSHARD_JAR" --address "$HOST:$1" --announce-address "$HOST:$1" \
    ${MIGBENCH_PROXY_ARGS:-} >"$2" 2>&1 </dev/null &
  PROXY_PIDS+=($!)
  LAST_PID=$!
}

# populate PORT: DEBUG POPULATE KEYS key VALUE_BYTES (key:0 .. key:N-1), checked
populate() {
  log "filling 127.0.0.1:$1: DEBUG POPULATE $KEYS key $VALUE_BYTES"
  cli "$1" DEBUG POPULATE "$KEYS" key "$VALUE_BYTES" >/dev/null
  [ "$(cli "$1" DBSIZE)" -eq "$KEYS" ] || die "127.0.0.1:$1 holds $(cli "$1" DBSIZE) keys, not $KEYS"
}
slowlog_reset() {
  local p
  for p in "$@"; do
    cli "$p" CONFIG SET slowlog-log-slower-than 1000 >/dev/null
    cli "$p" SLOWLOG RESET >/dev/null
  done
}

# cpu_sampler FILE NAME=PID...: every 0.25 s, "epoch_ms,NAME,ticks" per process (utime + stime of the process
# and of its reaped children, so a Redis fork's child counts once it has exited), until killed
cpu_sampler() {
  local file=$1 np name pid
  shift
  while true; do
    for np in "$@"; do
      name=${np%%=*}; pid=${np#*=}
      [ -r "/proc/$pid/stat" ] || continue
      # the fields after the ")" that ends the command name: utime is the 12th, stime, cutime, cstime follow
      awk -v t="$(date +%s%3N)" -v n="$name" '{ sub(/^.*\) /, ""); print t "," n "," $12 + $13 + $14 + $15 }' \
        "/proc/$pid/stat" 2>/dev/null || true
    done
    sleep 0.25
  done >>"$file"
}

# cpu_report DIR FROM_EVENT TO_EVENT MOVED: CPU seconds each sampled process used between two timeline events,
# its share of one core over that time, and microseconds per moved key; writes DIR/cpu.txt, prints it
cpu_report() {
  local dir=$1 from to hz
  from=$(event_ms "$dir" "$2")
  to=$(event_ms "$dir" "$3")
  hz=$(getconf CLK_TCK)
  [ -n "$from" ] && [ -n "$to" ] && [ -s "$dir/cpu.csv" ] || return 0
  awk -F, -v from="$from" -v to="$to" -v hz="$hz" -v moved="$4" -v span="$2 -> $3" '
    $1 <= from { before[$2] = $3; tb[$2] = $1 }
    $1 >= to && !($2 in after) { after[$2] = $3; ta[$2] = $1 }
    END {
      wall = (to - from) / 1000
      printf "CPU from %s (%.2f s), per process: seconds, share of one core, microseconds per moved key (%d keys)\n", span, wall, moved
      for (n in after) if (n in before) {
        s = (after[n] - before[n]) / hz; total += s
        printf "  %-10s %7.2f s  %5.1f%%  %6.2f us/key\n", n, s, 100 * s / ((ta[n] - tb[n]) / 1000), moved ? s * 1e6 / moved : 0
      }
      printf "  %-10s %7.2f s  of %.2f core-seconds the 2 cores had (%.0f%%)\n", "total", total, 2 * wall, 100 * total / (2 * wall)
    }' "$dir/cpu.csv" | tee "$dir/cpu.txt"
}

# run_driver DIR ARGS...: MigrationDriver run in the background (a signal stops it with us); returns its status
run_driver() {
  local dir=$1 rc=0
  shift
  driver run --plan "$dir/plan.txt" --timeline "$dir/timeline.csv" --samples "$dir/samples.csv" \
    --progress-log "$dir/progress.log" --summary "$dir/driver-summary.txt" --timeout-s "$TIMEOUT" "$@" \
    2>>"$dir/driver.log" &
  DRIVER_PID=$!
  wait "$DRIVER_PID" || rc=$?
  DRIVER_PID=""
  if [ "$rc" -gt 128 ]; then exit "$rc"; fi
  return "$rc"
}

# ---------------------------------------------------------------- the layouts (spec 2.1)
# stable_ranges FIRST LAST: "<n> <ranges>" of 0-16383 without FIRST-LAST, or nothing when that is all
stable_ranges() {
  local first=$1 last=$2 r=()
  [ "$first" -gt 0 ] && r+=("0-$((first - 1))")
  [ "$last" -lt 16383 ] && r+=("$((last + 1))-16383")
  [ "${#r[@]}" -eq 0 ] || echo "${#r[@]} ${r[*]}"
}
setcluster() { # setcluster EPOCH WORDS...: the command, with the CONFIG section when one is set
  local epoch=$1
  shift
  echo "UMCTL SETCLUSTER v2 $epoch NOFLAGS $CLUSTER_NAME $*${MIGBENCH_SETCLUSTER_CONFIG:+ CONFIG $MIGBENCH_SETCLUSTER_CONFIG}"
}
# push_ok PORT COMMAND-LINE: sends it with redis-cli, needs OK
push_ok() {
  local reply
  # shellcheck disable=SC2086 # the command line is words
  reply=$(cli "$1" $2 2>&1) || true
  [ "$reply" = OK ] || die "'$2' to port $1 answered: $reply"
}

# ---------------------------------------------------------------- results
RESULTS="$OUT/results.csv"
echo "run,keys_moved,mb_moved,tags_s,first_copy_s,committed_s,commit_pushed_s,trimmed_s,mb_per_s,keys_per_s,win_ratio_min,win_ratio_median,windows,baseline_ops_s,fence_ms_max,longest_us,longest_server,longest_command,status,mode,fork_us,sync_slowlog,purged_s" >"$RESULTS"
STATUS=0

# event_ms DIR NAME: the t_ms of the first event NAME in DIR/timeline.csv, or nothing
event_ms() { awk -F, -v e="$2" 'NR > 1 && $2 == e { print $1; exit }' "$1/timeline.csv"; }
secs() { # secs FROM_MS TO_MS: seconds with 2 decimals, or "-" when one is missing
  if [ -z "$1" ] || [ -z "$2" ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1000 }'; fi
}
rate() { # rate AMOUNT SECONDS
  if [ "$2" = - ] || [ -z "$1" ]; then echo -; else awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) print "-"; else printf "%.1f", n / s }'; fi
}
# sample_before DIR SERIES T_MS: the last value of SERIES sampled at or before T_MS (else the first)
sample_before() {
  awk -F, -v s="$2" -v t="$3" 'NR > 1 && $2 == s { if ($1 <= t || v == "") v = $3; if ($1 > t) exit } END { print v }' \
    "$1/samples.csv"
}

# chart DIR FILE TITLE YLABEL SERIES_CSV SERIES: MigrationChart with the phases that happened
chart() {
  local dir=$1 file=$2 title=$3 ylabel=$4 series_csv=$5 series=$6 events
  events="start=start,tags.A=tags pushed,first-copy=first copy,committed=INFOMGR committed"
  events+=",commit.A=commit pushed,reshard-done=reshard done,trimmed=trim done"
  # the source's progress states, as the engine names them (state=X), e.g. A:state=FENCED
  events+=$(awk -F, 'NR > 1 && $2 ~ /^A:state=/ { printf ",%s=A %s", $2, substr($2, 9) }' "$dir/timeline.csv")
  if java -Djava.awt.headless=true -cp "$TOOL_CP" io.moonshard.benchmarks.MigrationChart "$dir/$file" "$title" \
    "$ylabel" "$series_csv" "$series" "$dir/timeline.csv" "$events" 2>>"$dir/chart.log"; then
    log "chart: $dir/$file"
  else
    log "warning: MigrationChart failed (see $dir/chart.log)"
  fi
}

# record RUN DIR MOVED_KEYS COMMITTED_EVENT COMMIT_PUSHED_EVENT RUN_STATUS MODE FORK_US SYNC_SLOWLOG SLOWLOG_PORTS...
record() {
  local run=$1 dir=$2 moved=$3 committed_event=$4 pushed_event=$5 run_status=$6 mode=$7 fork_us=$8 sync_slow=$9
  shift 9
  local t0 tags first committed pushed trimmed mb ratio_min="-" ratio_median="-" windows="-" baseline="-"
  local fence="-" slow usec server command
  t0=$(event_ms "$dir" start)
  tags=$(secs "$t0" "$(event_ms "$dir" tags.A)")
  first=$(secs "$t0" "$(event_ms "$dir" first-copy)")
  committed=$(secs "$t0" "$(event_ms "$dir" "$committed_event")")
  pushed=$(secs "$t0" "$(event_ms "$dir" "$pushed_event")")
  trimmed=$(secs "$t0" "$(event_ms "$dir" trimmed)")
  mb=$(awk -v n="$moved" -v v="$VALUE_BYTES" 'BEGIN { printf "%.1f", n * v / 1e6 }')
  if [ -f "$dir/load.csv" ] && [ -n "$t0" ]; then
    local end
    end=$(event_ms "$dir" "$pushed_event")
    [ -n "$end" ] || end=$(awk -F, 'END { print $1 }' "$dir/load.csv")
    # baseline: the median ops/s of the last 5 whole windows before step 1; then every window that
    # overlaps [step 1, commit pushed] over it
    read -r ratio_min ratio_median windows baseline < <(awk -F, -v t0="$t0" -v t1="$end" '
      NR == 1 { next }
      { rate = $3 * 1000 / $2; start = $1 - $2 }
      $1 <= t0 { pre[++np] = rate; next }
      start < t1 { during[++nd] = rate }
      function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      END {
        if (np == 0 || nd == 0) { print "- - 0 -"; exit }
        k = 0; for (i = (np > 5 ? np - 4 : 1); i <= np; i++) last[++k] = pre[i]
        b = median(last, k)
        if (b <= 0) { print "- - " nd " 0"; exit }
        min = during[1]; for (i = 1; i <= nd; i++) { r[i] = during[i] / b; if (during[i] < min) min = during[i] }
        printf "%.2f %.2f %d %.0f\n", min / b, median(r, nd), nd, b }' "$dir/load.csv")
  fi
  if [ -s "$dir/driver-summary.txt" ]; then
    fence=$(awk -F'\t' '$1 == "fence_ms" && ($4 + 0 > m || m == "") { m = $4 + 0 } END { print (m == "" ? "-" : m) }' \
      "$dir/driver-summary.txt")
  fi
  local servers=()
  for p in "$@"; do servers+=("$HOST:$p"); done
  slow=$(driver slowlog "${servers[@]}" 2>>"$dir/driver.log") || slow="usec=- server=- command=-"
  usec=$(printf '%s\n' "$slow" | sed -n 's/^usec=\([^ ]*\) .*/\1/p')
  server=$(printf '%s\n' "$slow" | sed -n 's/.* server=\([^ ]*\) .*/\1/p')
  command=$(printf '%s\n' "$slow" | sed -n 's/.* command=//p' | tr ',' ' ')
  printf '%s\n' "$slow" >"$dir/slowlog-longest.txt"
  local purged
  purged=$(secs "$t0" "$(event_ms "$dir" purged)")
  echo "$run,$moved,$mb,$tags,$first,$committed,$pushed,$trimmed,$(rate "$mb" "$committed"),$(rate "$moved" "$committed"),$ratio_min,$ratio_median,$windows,$baseline,$fence,$usec,$server,$command,$run_status,$mode,$fork_us,$sync_slow,$purged" >>"$RESULTS"
}

# ---------------------------------------------------------------- one Moonshard move
# moonshard_run RUN FIRST LAST LOAD(yes|no)
moonshard_run() {
  local run=$1 first=$2 last=$3 with_load=$4 dir="$OUT/$1"
  local A="$HOST:$PA" B="$HOST:$PB" a="$HOST:$RA" b="$HOST:$RB" kind=""
  mkdir -p "$dir"
  log "== $run: slots $first-$last from proxy $A (redis $a) to proxy $B (redis $b), client load: $with_load"
  [ -z "$SLOT_INDEX" ] || kind=cluster
  start_redis "$RA" "$dir/redis-a" "$kind"
  start_redis "$RB" "$dir/redis-b" "$kind"
  if [ -n "$SLOT_INDEX" ]; then
    cli "$RA" CLUSTER ADDSLOTSRANGE 0 16383 >/dev/null
    cli "$RB" CLUSTER ADDSLOTSRANGE 0 16383 >/dev/null
    wait_until 30 cluster_info_ok "$RA" 1 || die "redis a does not reach cluster_state:ok"
    wait_until 30 cluster_info_ok "$RB" 1 || die "redis b does not reach cluster_state:ok"
  fi
  start_proxy "$PA" "$dir/proxy-a.log"
  local pid_a=$LAST_PID
  start_proxy "$PB" "$dir/proxy-b.log"
  local pid_b=$LAST_PID
  if ! wait_until 60 answers_or_died "$PA" "$pid_a" || ! kill -0 "$pid_a" 2>/dev/null; then
    die "proxy A (port $PA) does not answer PING (see $dir/proxy-a.log)"
  fi
  if ! wait_until 60 answers_or_died "$PB" "$pid_b" || ! kill -0 "$pid_b" 2>/dev/null; then
    die "proxy B (port $PB) does not answer PING (see $dir/proxy-b.log)"
  fi

  if [ -n "$COPY_KEYS" ]; then
    [ "$(cli "$PA" CONFIG SET moonshard-migration-seed-by-replication no)" = OK ] || die "proxy A refused the key copy setting"
  fi
  # epoch 1: A owns every slot on a; B owns none and knows A
  push_ok "$PA" "$(setcluster 1 "$a" 1 0-16383)"
  push_ok "$PB" "$(setcluster 1 PEER "$A" 1 0-16383)"
  populate "$RA"

  local range="$first-$last" stable meta moved_in_range expected_a
  stable=$(stable_ranges "$first" "$last")
  meta="2 $A $a $B $b"
  moved_in_range=$(driver count-keys "$KEYS" key "$first" "$last")
  expected_a=$((KEYS - moved_in_range))
  [ "$with_load" = no ] || expected_a=0 # under load only m2 is run: a ends empty
  {
    [ "$with_load" = no ] || echo "sleep $((LOAD_BEFORE * 1000))"
    echo "mark start"
    echo "# step 1: the tags, epoch 2, B first"
    echo "push tags.B $B $(setcluster 2 "$b" IMPORTING 1 "$range" "$meta" PEER ${stable:+$A $stable} "$A" MIGRATING 1 "$range" "$meta")"
    echo "push tags.A $A $(setcluster 2 ${stable:+$a $stable} "$a" MIGRATING 1 "$range" "$meta" PEER "$B" IMPORTING 1 "$range" "$meta")"
    echo "# step 2: both list the task as committed"
    echo "await-infomgr committed.A $A $CLUSTER_NAME MIGRATING 1 $range $meta"
    echo "await-infomgr committed.B $B $CLUSTER_NAME IMPORTING 1 $range $meta"
    echo "mark committed"
    echo "# step 3: the final layout, epoch 3, B first"
    echo "push commit.B $B $(setcluster 3 "$b" 1 "$range" ${stable:+PEER $A $stable})"
    echo "push commit.A $A $(setcluster 3 ${stable:+$a $stable} PEER "$B" 1 "$range")"
    echo "await-dbsize trimmed $a $expected_a"
    [ "$with_load" = yes ] || echo "await-dbsize purged $b $moved_in_range"
    [ "$with_load" = no ] || echo "sleep $((LOAD_AFTER * 1000))"
  } >"$dir/plan.txt"

  if [ "$with_load" = yes ]; then
    rm -f "$dir/load.stop"
    java -cp "$TOOL_CP" io.moonshard.benchmarks.MigrationLoad --nodes "$A,$B" --out "$dir/load.csv" \
      --stop-file "$dir/load.stop" --threads "$LOAD_THREADS" --pipeline "$LOAD_PIPELINE" \
      --keyspace "$LOAD_KEYSPACE" --value-bytes 64 --max-seconds $((TIMEOUT * 4 + LOAD_BEFORE + LOAD_AFTER + 60)) \
      >"$dir/load.log" 2>&1 </dev/null &
    LOAD_PID=$!
    load_started() { [ "$(wc -l <"$dir/load.csv" 2>/dev/null || echo 0)" -ge 2 ] || ! kill -0 "$LOAD_PID"; }
    wait_until 60 load_started || die "the load client wrote nothing in 60 s (see $dir/load.log)"
    kill -0 "$LOAD_PID" 2>/dev/null || die "the load client exited (see $dir/load.log)"
  fi
  slowlog_reset "$RA" "$RB"

  local rc=0 procs=("redis-a=${REDIS_PIDS[-2]}" "redis-b=${REDIS_PIDS[-1]}" "proxy-A=$pid_a" "proxy-B=$pid_b")
  [ -z "$LOAD_PID" ] || procs+=("load=$LOAD_PID")
  cpu_sampler "$dir/cpu.csv" "${procs[@]}" &
  SAMPLER_PID=$!
  run_driver "$dir" --sample "a=$a" --sample "b=$b" --progress "A=$A" --progress "B=$B" --first-copy b || rc=$?
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  if [ -n "$LOAD_PID" ]; then
    touch "$dir/load.stop"
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=""
  fi
  local run_status=ok
  case "$rc" in
    0) ;;
    3) run_status=timeout; STATUS=3; log "$run: a step timed out: $(grep '\.timeout,' "$dir/timeline.csv" | cut -d, -f2- | head -n 1)" ;;
    *) run_status=failed; [ "$STATUS" -ne 0 ] || STATUS=1; log "$run: the driver failed (see $dir/driver.log)" ;;
  esac
  local moved
  if [ "$with_load" = yes ]; then
    moved=$(sample_before "$dir" a "$(event_ms "$dir" start)")
    [ -n "$moved" ] || moved=$KEYS
  else
    moved=$moved_in_range
  fi
  if [ "$run_status" = ok ] && [ "$with_load" = no ]; then
    local at_b
    at_b=$(cli "$RB" DBSIZE)
    if [ "$at_b" -ne "$moved_in_range" ]; then
      # reported, not a failure of the run: e.g. a bookkeeping key the engine left at the destination
      log "$run: redis b holds $at_b keys, not the $moved_in_range of slots $range (see $dir/b-unexpected-keys.txt)"
      { echo "keys at b not of key:0..key:$((KEYS - 1)):"; cli "$RB" --scan | grep -av '^key:[0-9]*$' | head -n 100
        echo "keys at b outside slots $range:"; driver outside "$b" "$first" "$last"; } >"$dir/b-unexpected-keys.txt" 2>&1 || true
      run_status="b-holds-$((at_b - moved_in_range))"
    fi
  fi
  # how the source moved the keys, and what a full sync cost Redis a (its fork; a PSYNC/SYNC in SLOWLOG)
  local mode fork_us sync_slow
  mode=$(grep ' MIGRATING ' "$dir/progress.log" 2>/dev/null | grep -o ' mode=[a-z][a-z]*' | tail -n 1 | cut -d= -f2)
  [ -n "$mode" ] || mode=-
  fork_us=$(cli "$RA" INFO stats | tr -d '\r' | sed -n 's/^latest_fork_usec://p') # Redis 7.0 shows it in stats
  sync_slow=$(cli "$RA" SLOWLOG GET -1 | tr -d '\r' | awk 'prev ~ /^[0-9]+$/ && tolower($0) ~ /^(psync|sync)$/ { n++; if (us == "" || prev + 0 > us + 0) us = prev } { prev = $0 } END { print (n ? n "x/" us "us" : "none") }')
  record "$run" "$dir" "$moved" committed commit.A "$run_status" "$mode" "${fork_us:--}" "$sync_slow" "$RA" "$RB"
  cpu_report "$dir" start committed "$moved" || true
  chart "$dir" keys.png "Moonshard $run: keys at the source (a) and the destination (b)" keys "$dir/samples.csv" a,b
  if [ -f "$dir/load.csv" ]; then
    awk -F, 'NR > 1 && $2 > 0 { printf "%.0f,ops/s,%.1f\n", $1 - $2 / 2, $3 * 1000 / $2 }' "$dir/load.csv" \
      >"$dir/throughput-series.csv"
    chart "$dir" throughput.png "Moonshard $run: client ops/s per 1 s window ($LOAD_THREADS threads, $LOAD_PIPELINE per batch)" \
      "ops/s" "$dir/throughput-series.csv" ops/s
  fi
  stop_all
}

# ---------------------------------------------------------------- one Redis Cluster reshard
# cluster_run PIPELINE
cluster_run() {
  local pipeline=$1 run="cluster-p$1" dir="$OUT/cluster-p$1" p1=${CLUSTER_PORTS[0]} p2=${CLUSTER_PORTS[1]}
  mkdir -p "$dir"
  log "== $run: redis-cli --cluster reshard of 8192 slots from 127.0.0.1:$p1 to 127.0.0.1:$p2, --cluster-pipeline $pipeline"
  start_redis "$p1" "$dir/node-$p1" cluster
  start_redis "$p2" "$dir/node-$p2" cluster
  cli "$p1" CLUSTER ADDSLOTSRANGE 0 16383 >/dev/null
  cli "$p2" CLUSTER MEET "$HOST" "$p1" >/dev/null
  wait_until 60 cluster_info_ok "$p1" 2 || die "node $p1 does not reach cluster_state:ok with 2 nodes"
  wait_until 60 cluster_info_ok "$p2" 2 || die "node $p2 does not reach cluster_state:ok with 2 nodes"
  agree() { redis-cli --cluster check "$HOST:$p1" 2>&1 | grep -q 'All nodes agree about slots configuration'; }
  wait_until 60 agree || die "redis-cli --cluster check does not pass (nodes $p1 $p2)"
  populate "$p1"
  local id1 id2
  id1=$(cli "$p1" CLUSTER MYID | tr -d '\r')
  id2=$(cli "$p2" CLUSTER MYID | tr -d '\r')
  # reshard takes the source's lowest slots: 0-8191 go to node 2, node 1 keeps 8192-16383
  local moved_in_range expected_1
  moved_in_range=$(driver count-keys "$KEYS" key 0 8191)
  expected_1=$((KEYS - moved_in_range))
  {
    echo "mark start"
    echo "exec reshard-done $dir/reshard.log redis-cli --cluster reshard $HOST:$p1 --cluster-from $id1 --cluster-to $id2 --cluster-slots 8192 --cluster-yes --cluster-pipeline $pipeline"
    echo "await-dbsize trimmed $HOST:$p1 $expected_1"
  } >"$dir/plan.txt"
  slowlog_reset "$p1" "$p2"
  local rc=0 run_status=ok
  run_driver "$dir" --sample "node1=$HOST:$p1" --sample "node2=$HOST:$p2" --first-copy node2 || rc=$?
  case "$rc" in
    0) ;;
    3) run_status=timeout; STATUS=3 ;;
    *) run_status=failed; [ "$STATUS" -ne 0 ] || STATUS=1; log "$run: failed (see $dir/driver.log, $dir/reshard.log)" ;;
  esac
  local slots2
  slots2=$(cli "$p2" CLUSTER NODES | awk '/myself/ { for (i = 9; i <= NF; i++) printf "%s ", $i }')
  echo "node 2 ($HOST:$p2) owns after the reshard: $slots2" >"$dir/slots-after.txt"
  if [ "$run_status" = ok ] && { [ "$slots2" != "0-8191 " ] || [ "$(cli "$p2" DBSIZE)" -ne "$moved_in_range" ]; }; then
    log "$run: node 2 owns '$slots2' and holds $(cli "$p2" DBSIZE) keys, expected 0-8191 and $moved_in_range"
    run_status=unexpected-end-state
    [ "$STATUS" -ne 0 ] || STATUS=1
  fi
  record "$run" "$dir" "$moved_in_range" reshard-done reshard-done "$run_status" - - - "$p1" "$p2"
  chart "$dir" keys.png "Redis Cluster reshard, --cluster-pipeline $pipeline: keys at node 1 and node 2" keys \
    "$dir/samples.csv" node1,node2
  stop_all
}

# ---------------------------------------------------------------- what runs, and where
{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:     $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
  echo "load:        $(cut -d ' ' -f 1-3 /proc/loadavg) (1, 5, 15 min load average at start)"
  echo "jvm:         $(java -version 2>&1 | head -n 1)"
  echo "redis:       $(redis-server --version | head -n 1)"
  if [ -n "$NEED_PROXY" ]; then
    echo "moonshard:   $(timeout 20 java -jar "$MOONSHARD_JAR" --version 2>/dev/null </dev/null | head -n 1) ($SOURCE_JAR," \
      "$(date -u -r "$SOURCE_JAR" +%Y-%m-%dT%H:%M:%SZ)); MOONSHARD_JAVA_OPTS='${MOONSHARD_JAVA_OPTS:-}'" \
      "MIGBENCH_PROXY_ARGS='${MIGBENCH_PROXY_ARGS:-}' MIGBENCH_SETCLUSTER_CONFIG='${MIGBENCH_SETCLUSTER_CONFIG:-}'"
    echo "proxies:     A $HOST:$PA -> redis a $HOST:$RA, B $HOST:$PB -> redis b $HOST:$RB" \
      "(${SLOT_INDEX:+cluster-enabled backends owning all slots, }cluster $CLUSTER_NAME)"
  fi
  echo "data:        DEBUG POPULATE $KEYS key $VALUE_BYTES at the source ($(awk -v n="$KEYS" -v v="$VALUE_BYTES" 'BEGIN { printf "%.1f", n * v / 1e6 }') MB of values)"
  echo "runs:        ${RUNS[*]}${NEED_PROXY:+; step timeout $TIMEOUT s}"
  has_run cluster && echo "cluster:     redis-cli --cluster reshard, 8192 slots, --cluster-pipeline ${PIPELINES[*]}; nodes $HOST:${CLUSTER_PORTS[0]} $HOST:${CLUSTER_PORTS[1]}"
  has_run m2load && echo "load:        MigrationLoad, $LOAD_THREADS threads x $LOAD_PIPELINE commands per batch, SET/GET 50/50 of load:0..$((LOAD_KEYSPACE - 1)), 64 B;" \
    "$LOAD_BEFORE s before step 1, $LOAD_AFTER s after the trim"
  echo "output:      $OUT"
} | tee "$OUT/environment.txt"
echo

for r in "${RUNS[@]}"; do
  case "$r" in
    cluster) for p in "${PIPELINES[@]}"; do cluster_run "$p"; done ;;
    m1) moonshard_run m1 8192 16383 no ;;
    m2) moonshard_run m2 0 16383 no ;;
    m2load) moonshard_run m2load 0 16383 yes ;;
  esac
done

# ---------------------------------------------------------------- the table
{
  echo "Wall times in s from step 1 (first SETCLUSTER of the move); MB and rates count the values moved up"
  echo "to 'committed' (both INFOMGR listed the task; for the reshard: redis-cli returned). win = client"
  echo "ops/s per 1 s window during the move over the median of the 5 windows before it (target >= 0.70)."
  echo
  fmt='%-12s %-11s %9s %7s %7s %9s %8s %9s %8s %7s %9s %7s %7s %8s %8s %-9s %9s %-13s %10s  %s\n'
  # shellcheck disable=SC2059 # the format is a variable on purpose
  printf "$fmt" run mode keys MB first_s committed pushed_s trimmed_s purged_s MB/s keys/s win_min win_med base_ops \
    fence_ms status fork_us "sync_slowlog" longest_us "longest backend command"
  awk -F, 'NR > 1' "$RESULTS" | while IFS=, read -r run keys mb _tags first committed pushed trimmed mbs kps wmin wmed _windows base fence usec server command status mode fork slowsync purged; do
    # shellcheck disable=SC2059
    printf "$fmt" "$run" "$mode" "$keys" "$mb" "$first" "$committed" "$pushed" "$trimmed" "$purged" "$mbs" "$kps" "$wmin" \
      "$wmed" "$base" "$fence" "$status" "$fork" "$slowsync" "$usec" "$server $command"
  done
  echo
  m1_committed=$(awk -F, '$1 == "m1" { print $6 }' "$RESULTS")
  m1_trimmed=$(awk -F, '$1 == "m1" { print $8 }' "$RESULTS")
  m1_kps=$(awk -F, '$1 == "m1" { print $10 }' "$RESULTS")
  if [ -n "$m1_committed" ]; then
    awk -F, 'NR > 1 && $1 ~ /^cluster-p/ { print $1, $6, $8, $10 }' "$RESULTS" | while read -r run c t k; do
      echo "M1 moonshard / redis-cluster $run: wall to committed $(awk -v a="$m1_committed" -v b="$c" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "n/a"; else printf "%.2f", a / b }')," \
        "to trimmed $(awk -v a="$m1_trimmed" -v b="$t" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "n/a"; else printf "%.2f", a / b }')," \
        "keys/s $(awk -v a="$m1_kps" -v b="$k" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "n/a"; else printf "%.2f", a / b }')"
    done
  fi
  for f in "$OUT"/*/driver-summary.txt; do
    [ -s "$f" ] || continue
    echo "fence_ms per task ($(basename "$(dirname "$f")")):"
    awk -F'\t' '$1 == "fence_ms" { printf "  %s %s: %s\n", $2, $3, $4 }' "$f"
  done
  for f in "$OUT"/*/cpu.txt; do
    [ -s "$f" ] || continue
    echo "$(basename "$(dirname "$f")"): $(cat "$f")"
  done
} | tee "$OUT/summary.txt"
echo "results:   $RESULTS"
echo "summary:   $OUT/summary.txt"
exit "$STATUS"
