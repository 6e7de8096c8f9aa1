#!/usr/bin/env bash
# A controller-driven scale-out under client load, measured (issue 16: "Scale 3 -> 6 shards under load
# with 1 GB of data: time and client throughput per second recorded"; a measurement, not a test).
#   1. scripts/moonshard-cluster.sh start: 1 etcd, the controller, a pool of proxies (2 redis-server
#      beside each) on 127.0.0.1, .2, .3, just big enough for the target, and a cluster of --from shards
#      with --replicas replicas per master
#   2. the data set through the proxies (ScaleData load: SET key:0 .. key:N-1, V-byte values, by a
#      cluster client, so each key lands in its slot's shard); DBSIZE summed over the masters must be N,
#      and each replica is waited for until it holds what its master holds
#   3. the client load (MigrationLoad: T threads x P commands per batch, SET/GET of load:0..K-1, 64 B,
#      MOVED/ASK followed across the proxies, ops and errors counted per 1 s window) for --load-before s
#   4. POST /api/v1/clusters/<name>/scale {"shards": --to}; the controller's status and /metrics polled
#      every 200 ms until settled: --to shards, no move in flight, not scaling, healthy; then until every
#      replica is in_sync (the new shards' replicas take a full sync); --load-after s more of load
#   5. the keys after: DBSIZE of every master, their sum against N plus the load's keys, a SCAN of every
#      master (ScaleData check: keys of a slot it does not own), every replica's DBSIZE against its master
# Prints and writes summary.txt (data size, keys, time from the request to the first and last slot move
# committed, to settled and to replicas in sync, ops/s per window before / during / after: median before,
# median and min during over it, median after, errors, the key checks, the environment), plus
# environment.txt, timeline.csv (the polls), events.csv, load.csv, checks.txt and the cluster's logs.
#
#   benchmarks/controller-scale.sh [--data-mb M | --keys N] [--value-bytes V] [--from S] [--to S]
#                                  [--replicas R] [--load-threads T] [--load-pipeline P] [--load-keyspace K]
#                                  [--load-before S] [--load-after S] [--loader-threads T] [--timeout S]
#                                  [--out DIR]
#
#   --data-mb M          MB (MiB) of values to load (default 1024: 2,097,152 x 512 B, undermoon's set)
#   --keys N             the number of keys instead (overrides --data-mb)
#   --value-bytes V      bytes per value (default 512)
#   --from S / --to S    shards before and after (default 3 / 6)
#   --replicas R         replicas per master (default 1, the production shape; 0 measures without)
#   --load-threads T     load client threads (default 8), --load-pipeline P commands per batch (16),
#                        --load-keyspace K keys load:0..K-1 (100000), --load-before S seconds of load
#                        before the request (20; the first seconds warm the JITs), --load-after S seconds
#                        after the replicas are in sync (15)
#   --loader-threads T   threads of the data loader (default 4)
#   --timeout S          the longest the scale may take to settle, and the replicas to sync (default 1800)
#   --out DIR            default benchmarks/target/controller-scale-<date>
# Env: the ports, all on loopback: SCALEBENCH_PROXY_PORT (first proxy port, default 5411; one per proxy),
# SCALEBENCH_REDIS_PORT (first Redis port, default 7411; two per proxy), SCALEBENCH_ETCD_PORTS
# ("12479 12480"), SCALEBENCH_CONTROLLER_PORT (7899); MOONSHARD_JAVA_OPTS (JVM options of the proxies and
# the controller). Exit status 0 when the scale settled and every key check passed, 3 when it timed out or
# a check failed, 1 on other failures. Everything started is stopped on exit (by pid: the cluster script's
# pid files, the load client's and loader's pids). The 1 GB run needs about 3.5 GB of memory (the data
# on masters and replicas, and a source's copy-on-write during the seeding syncs).
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

DATA_MB=1024
KEYS=""
VALUE_BYTES=512
FROM=3
TO=6
REPLICAS=1
LOAD_THREADS=8
LOAD_PIPELINE=16
LOAD_KEYSPACE=100000
LOAD_BEFORE=20
LOAD_AFTER=15
LOADER_THREADS=4
TIMEOUT=1800
OUT=""
NAME=scalebench
HOSTS=(127.0.0.1 127.0.0.2 127.0.0.3)
PROXY_PORT=${SCALEBENCH_PROXY_PORT:-5411}
REDIS_PORT=${SCALEBENCH_REDIS_PORT:-7411}
ETCD_PORTS=${SCALEBENCH_ETCD_PORTS:-12479 12480}
CONTROLLER_PORT=${SCALEBENCH_CONTROLLER_PORT:-7899}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --data-mb) DATA_MB=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --value-bytes) VALUE_BYTES=$2; shift 2 ;;
    --from) FROM=$2; shift 2 ;;
    --to) TO=$2; shift 2 ;;
    --replicas) REPLICAS=$2; shift 2 ;;
    --load-threads) LOAD_THREADS=$2; shift 2 ;;
    --load-pipeline) LOAD_PIPELINE=$2; shift 2 ;;
    --load-keyspace) LOAD_KEYSPACE=$2; shift 2 ;;
    --load-before) LOAD_BEFORE=$2; shift 2 ;;
    --load-after) LOAD_AFTER=$2; shift 2 ;;
    --loader-threads) LOADER_THREADS=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

for n in "$DATA_MB" "$VALUE_BYTES" "$FROM" "$TO" "$REPLICAS" "$LOAD_THREADS" "$LOAD_PIPELINE" "$LOAD_KEYSPACE" \
  "$LOAD_BEFORE" "$LOAD_AFTER" "$LOADER_THREADS" "$TIMEOUT" "$PROXY_PORT" "$REDIS_PORT" "$CONTROLLER_PORT" ${KEYS:+"$KEYS"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
[ "$VALUE_BYTES" -ge 1 ] || die "--value-bytes must be at least 1"
[ -n "$KEYS" ] || KEYS=$((DATA_MB * 1024 * 1024 / VALUE_BYTES))
{ [ "$FROM" -ge 1 ] && [ "$TO" -gt "$FROM" ]; } || die "this measures a scale-out: --from S >= 1 and --to above it"

# The pool: every master of the target on node 0 of a proxy of its own (ScalePlan takes a free proxy
# per new master), the replicas on the other nodes, two Redis per proxy; round-robin over the 3 hosts,
# so each replica can sit on another host than its master.
PROXIES=$(((TO * (1 + REPLICAS) + 1) / 2))
[ "$PROXIES" -ge "$TO" ] || PROXIES=$TO
proxy_ports=() redis_ports=()
for ((i = 0; i < PROXIES; i++)); do
  proxy_ports+=($((PROXY_PORT + i)))
  redis_ports+=($((REDIS_PORT + 2 * i)) $((REDIS_PORT + 2 * i + 1)))
done

if [ -z "$OUT" ]; then
  OUT="$MOONSHARD_ROOT/benchmarks/target/controller-scale-$(date +%Y%m%d-%H%M%S)"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# scripts/moonshard-cluster.sh reads its layout from these, for start and for stop alike
export MOONSHARD_CLUSTER_MODE=pool MOONSHARD_CLUSTER_DIR="$OUT/cluster" MOONSHARD_CLUSTER_NAME=$NAME
export MOONSHARD_CLUSTER_HOSTS="${HOSTS[*]}" MOONSHARD_CLUSTER_PROXY_PORTS="${proxy_ports[*]}"
export MOONSHARD_CLUSTER_REDIS_PORTS="${redis_ports[*]}" MOONSHARD_CLUSTER_ETCD_PORTS="$ETCD_PORTS"
export MOONSHARD_CLUSTER_CONTROLLER_PORT=$CONTROLLER_PORT MOONSHARD_CLUSTER_SHARDS=$FROM
export MOONSHARD_CLUSTER_REPLICAS=$REPLICAS
CLUSTER_SH="$MOONSHARD_ROOT/scripts/moonshard-cluster.sh"
CONTROLLER_URL="http://127.0.0.1:$CONTROLLER_PORT"

ensure_packages redis-server=redis-server redis-cli=redis-tools etcd=etcd-server etcdctl=etcd-client \
  jq=jq curl=curl
command -v java >/dev/null 2>&1 || ensure_jdk
ensure_jars

# The benchmarks module's classes (ScaleData, MigrationLoad) and its classpath, built as
# benchmarks/migration.sh builds them when a class is missing or older than its source.
TOOL_CP=$(benchmarks_classpath "$OUT/build.log" ScaleData MigrationLoad)
scale_data() { java -cp "$TOOL_CP" io.moonshard.benchmarks.ScaleData "$@"; }

# ---------------------------------------------------------------- processes, and their clean-up
LOAD_PID="" LOADER_PID="" CLUSTER_STARTED=""
cleanup() {
  local code=$?
  trap - INT TERM
  stop_pid "$LOAD_PID" MigrationLoad 5
  stop_pid "$LOADER_PID" ScaleData 5
  # the cluster script stops what its start started, by the pid files in $OUT/cluster
  if [ -n "$CLUSTER_STARTED" ]; then "$CLUSTER_SH" stop >>"$OUT/cluster-stop.log" 2>&1 || true; fi
  [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || log "failed or interrupted; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() { date +%s%3N; }
api() { curl -fsS --max-time 5 "$CONTROLLER_URL/api/v1/$1"; }
status_json() { api "clusters/$NAME/status"; }
# metric NAME: a counter of the controller's /metrics (0 when absent)
metric() {
  curl -fsS --max-time 5 "$CONTROLLER_URL/metrics" |
    awk -v m="$1" '$1 == m { v = $2 } END { printf "%d\n", v + 0 }'
}
moves_done() { metric moonshard_controller_moves_done_total; }
rcli() { redis-cli -h "${1%:*}" -p "${1##*:}" "${@:2}"; }
dbsize() { rcli "$1" DBSIZE | tr -d '\r'; }
EVENTS="$OUT/events.csv"
echo "t_ms,event" >"$EVENTS"
event() { echo "${2:-$(now_ms)},$1" >>"$EVENTS"; } # event NAME [T_MS]
event_ms() { awk -F, -v e="$1" 'NR > 1 && $2 == e { print $1; exit }' "$EVENTS"; }
secs() { if [ -z "$1" ] || [ -z "$2" ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; fi; }
# masters STATUS / replicas STATUS: "node slots" and "replica-node master-node" lines of the record
masters() { jq -r '.shards[] | "\(.master.node) \(.slots | join(","))"' <<<"$1"; }
replicas() { jq -r '.shards[] | .master.node as $m | .replicas[] | "\(.node) \($m)"' <<<"$1"; }
replicas_synced() { # every replica holds as many keys as its master (nothing writes meanwhile)
  local r m
  while read -r r m; do
    [ "$(dbsize "$r")" = "$(dbsize "$m")" ] || return 1
  done < <(replicas "$(status_json)")
}

# ---------------------------------------------------------------- the environment
{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:     $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
  echo "load:        $(cut -d ' ' -f 1-3 /proc/loadavg) (1, 5, 15 min load average at start)"
  echo "jvm:         $(java -version 2>&1 | head -n 1)"
  echo "redis:       $(redis-server --version | head -n 1)"
  echo "etcd:        $(etcd --version 2>/dev/null | head -n 1)"
  echo "moonshard:   $(git -C "$MOONSHARD_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(git -C "$MOONSHARD_ROOT" status --porcelain 2>/dev/null | grep -q . && echo '(with local changes)')" \
    "MOONSHARD_JAVA_OPTS='${MOONSHARD_JAVA_OPTS:-}'"
  echo "pool:        $PROXIES proxies (${proxy_ports[*]}) round-robin on ${HOSTS[*]}, 2 redis-server each" \
    "(${redis_ports[0]}..${redis_ports[-1]}); etcd 127.0.0.1:${ETCD_PORTS%% *}, controller $CONTROLLER_URL"
  echo "cluster:     $NAME, $FROM -> $TO shards, $REPLICAS replica(s) per master"
  echo "data:        $KEYS keys key:0..key:$((KEYS - 1)) x $VALUE_BYTES B = $(awk -v n="$KEYS" -v v="$VALUE_BYTES" 'BEGIN { printf "%.1f MiB", n * v / 1048576 }') of values, SET through the proxies"
  echo "load:        MigrationLoad, $LOAD_THREADS threads x $LOAD_PIPELINE commands per batch, SET/GET 50/50 of" \
    "load:0..$((LOAD_KEYSPACE - 1)), 64 B; $LOAD_BEFORE s before the request, $LOAD_AFTER s after the replicas are in sync"
  echo "output:      $OUT"
} | tee "$OUT/environment.txt"
echo

# ---------------------------------------------------------------- 1. the cluster
log "starting the pool and a $FROM-shard cluster (log: $OUT/cluster-start.log)"
CLUSTER_STARTED=1
"$CLUSTER_SH" start >"$OUT/cluster-start.log" 2>&1 || die "the cluster did not start (see $OUT/cluster-start.log)"
STATUS=$(status_json)
read -r -a SERVING <<<"$(jq -r '.proxies | join(" ")' <<<"$STATUS")"
[ "${#SERVING[@]}" -ge 1 ] || die "the cluster has no proxies: $STATUS"
SEEDS=$(IFS=,; echo "${SERVING[*]}")

# ---------------------------------------------------------------- 2. the data
log "loading $KEYS keys of $VALUE_BYTES B through ${SERVING[*]}"
event load-start
scale_data load --nodes "$SEEDS" --keys "$KEYS" --value-bytes "$VALUE_BYTES" --threads "$LOADER_THREADS" \
  >"$OUT/data-load.txt" 2>"$OUT/data-load.log" </dev/null &
LOADER_PID=$!
rc=0
wait "$LOADER_PID" || rc=$?
LOADER_PID=""
[ "$rc" -eq 0 ] || die "loading failed (status $rc; see $OUT/data-load.log and $OUT/data-load.txt)"
event load-done
LOADED=0
while read -r m _; do LOADED=$((LOADED + $(dbsize "$m"))); done < <(masters "$STATUS")
[ "$LOADED" -eq "$KEYS" ] || die "the masters hold $LOADED keys after loading $KEYS"
log "loaded: $(cat "$OUT/data-load.txt"); waiting for the replicas to hold the same"
wait_until "$TIMEOUT" replicas_synced || die "the replicas do not hold their masters' keys after $TIMEOUT s"
MEM_BEFORE=$(while read -r m _; do rcli "$m" INFO memory | tr -d '\r' | sed -n 's/^used_memory:/'"$m"' /p'; done < <(masters "$STATUS"))

# ---------------------------------------------------------------- 3. the load
log "client load for $LOAD_BEFORE s before the scale"
rm -f "$OUT/load.stop"
java -cp "$TOOL_CP" io.moonshard.benchmarks.MigrationLoad --nodes "$SEEDS" --out "$OUT/load.csv" \
  --stop-file "$OUT/load.stop" --threads "$LOAD_THREADS" --pipeline "$LOAD_PIPELINE" \
  --keyspace "$LOAD_KEYSPACE" --value-bytes 64 --max-seconds $((2 * TIMEOUT + LOAD_BEFORE + LOAD_AFTER + 60)) \
  >"$OUT/load.log" 2>&1 </dev/null &
LOAD_PID=$!
load_windows() { awk 'END { print NR - 1 }' "$OUT/load.csv" 2>/dev/null || echo 0; }
load_has() { [ "$(load_windows)" -ge "$1" ] || ! kill -0 "$LOAD_PID" 2>/dev/null; }
wait_until 60 load_has 1 || die "the load client wrote nothing in 60 s (see $OUT/load.log)"
wait_until $((LOAD_BEFORE + 30)) load_has "$LOAD_BEFORE" || die "the load client fell behind (see $OUT/load.log)"
kill -0 "$LOAD_PID" 2>/dev/null || die "the load client exited (see $OUT/load.log)"

# ---------------------------------------------------------------- 4. the scale
TIMELINE="$OUT/timeline.csv"
echo "t_ms,shards,moves,scaling,healthy,in_sync,replicas_in_sync,moves_done" >"$TIMELINE"
DONE0=$(moves_done)
FAILOVERS0=$(metric moonshard_controller_failovers_total)
SWITCHOVERS0=$(metric moonshard_controller_rebalance_switchovers_total)
log "asking the controller for $TO shards"
event scale-request
reply=$(curl -sS --max-time 30 -o "$OUT/scale-reply.json" -w '%{http_code}' -XPOST \
  "$CONTROLLER_URL/api/v1/clusters/$NAME/scale" -d "{\"shards\": $TO}") || reply="curl failed"
event scale-accepted
[ "$reply" = 202 ] || die "the scale request answered $reply: $(cat "$OUT/scale-reply.json" 2>/dev/null)"

RESULT=ok
t_request=$(event_ms scale-request)
settled="" first_move="" first_commit="" last_commit="" last_done=$DONE0
while :; do
  t=$(now_ms)
  if [ $((t - t_request)) -gt $((TIMEOUT * 1000)) ]; then
    RESULT=timeout
    event timeout
    break
  fi
  if s=$(status_json 2>/dev/null) && d=$(moves_done 2>/dev/null); then
    line=$(jq -r '[(.shards | length), (.moves | length), .scaling, .healthy, .in_sync,
        ([.shard_status[].replicas[] | .state == "in_sync"] | all)] | map(tostring) | join(",")' <<<"$s")
    echo "$t,$line,$((d - DONE0))" >>"$TIMELINE"
    IFS=, read -r n_shards n_moves scaling healthy _ all_synced <<<"$line"
    if [ -z "$first_move" ] && [ "$n_moves" -gt 0 ]; then first_move=1; event first-move-started "$t"; fi
    if [ "$d" -gt "$last_done" ]; then
      [ -n "$first_commit" ] || { first_commit=1; event first-move-committed "$t"; }
      event "move-committed-$((d - DONE0))" "$t"
      last_done=$d
    fi
    if [ -z "$settled" ] && [ "$n_shards" = "$TO" ] && [ "$n_moves" = 0 ] && [ "$scaling" = false ] &&
      [ "$healthy" = true ]; then
      settled=1
      event settled "$t"
      log "settled after $(secs "$t_request" "$t") s; waiting for every replica to be in sync"
    fi
    if [ -n "$settled" ] && [ "$all_synced" = true ]; then
      event replicas-in-sync "$t"
      break
    fi
  fi
  sleep 0.2
done
MOVES=$((last_done - DONE0))
# the commits seen in the last poll that saw any (two may land between polls)
last_commit=$(awk -F, '$2 ~ /^move-committed-/ { v = $1 } END { print v }' "$EVENTS")
# a scale should need no failover: one here (e.g. a seeded destination's master seen down while it
# loads the source's RDB) moves a shard's master, and the rebalancer hands it back afterwards
FAILOVERS=$(($(metric moonshard_controller_failovers_total) - FAILOVERS0))
SWITCHOVERS=$(($(metric moonshard_controller_rebalance_switchovers_total) - SWITCHOVERS0))

if [ "$RESULT" = ok ]; then
  log "client load for $LOAD_AFTER s more"
  n=$(load_windows)
  wait_until $((LOAD_AFTER + 30)) load_has $((n + LOAD_AFTER)) || true
fi
touch "$OUT/load.stop"
wait_until 30 eval '! kill -0 "$LOAD_PID" 2>/dev/null' || stop_pid "$LOAD_PID" MigrationLoad 5
LOAD_PID=""
event load-stopped

# ---------------------------------------------------------------- 5. the keys after
STATUS=$(status_json)
jq . <<<"$STATUS" >"$OUT/status-after.json"
CHECKS="$OUT/checks.txt"
: >"$CHECKS"
CHECK=pass
wait_until 120 replicas_synced || { CHECK=fail; echo "replicas: not holding their masters' keys 120 s after the load stopped" >>"$CHECKS"; }
sum_keys=0 sum_data=0 sum_other=0 sum_foreign=0 n_masters=0
while read -r m slots; do
  n_masters=$((n_masters + 1))
  line=$(scale_data check --node "$m" --slots "$slots" 2>>"$OUT/checks.log") || line="node=$m check-failed"
  echo "master $line dbsize=$(dbsize "$m")" >>"$CHECKS"
  eval "$(tr ' ' '\n' <<<"$line" | grep -E '^(keys|data|other|foreign)=[0-9]+$' | sed 's/^/c_/')"
  sum_keys=$((sum_keys + ${c_keys:-0})) sum_data=$((sum_data + ${c_data:-0}))
  sum_other=$((sum_other + ${c_other:-0})) sum_foreign=$((sum_foreign + ${c_foreign:-0}))
  unset c_keys c_data c_other c_foreign
done < <(masters "$STATUS")
sum_dbsize=0
while read -r m _; do sum_dbsize=$((sum_dbsize + $(dbsize "$m"))); done < <(masters "$STATUS")
while read -r r m; do
  rk=$(dbsize "$r") mk=$(dbsize "$m")
  echo "replica $r of $m: dbsize $rk (master $mk)" >>"$CHECKS"
  [ "$rk" = "$mk" ] || CHECK=fail
done < <(replicas "$STATUS")
LOAD_KEYS=$(while read -r m _; do rcli "$m" --scan --pattern 'load:*' | wc -l; done < <(masters "$STATUS") | awk '{ s += $1 } END { print s + 0 }')
[ "$n_masters" -eq "$TO" ] || { CHECK=fail; echo "masters: $n_masters, not $TO" >>"$CHECKS"; }
[ "$sum_data" -eq "$KEYS" ] || { CHECK=fail; echo "data keys over the masters: $sum_data, not $KEYS" >>"$CHECKS"; }
[ "$sum_foreign" -eq 0 ] || { CHECK=fail; echo "keys on a master that does not own their slot: $sum_foreign" >>"$CHECKS"; }
[ "$sum_dbsize" -eq $((KEYS + LOAD_KEYS)) ] ||
  { CHECK=fail; echo "DBSIZE over the masters: $sum_dbsize, not $KEYS data + $LOAD_KEYS load keys" >>"$CHECKS"; }
[ "$sum_other" -eq "$LOAD_KEYS" ] ||
  { CHECK=fail; echo "keys other than the data: $sum_other, of which load:* $LOAD_KEYS" >>"$CHECKS"; }
MEM_AFTER=$(while read -r m _; do rcli "$m" INFO memory | tr -d '\r' | sed -n 's/^used_memory:/'"$m"' /p'; done < <(masters "$STATUS"))

# ---------------------------------------------------------------- the figures
# ops/s of each 1 s window (t_ms is its end, window_ms its length): before = ending before the request
# (the last 10, the first ones warm the JITs), during = overlapping [request, settled], after = starting
# after the replicas were in sync (or settled)
t_settled=$(event_ms settled)
t_synced=$(event_ms replicas-in-sync)
t_end=${t_settled:-$(now_ms)}
t_after=${t_synced:-$t_end}
read -r base_med base_n dur_med dur_min dur_n dur_min_ratio dur_med_ratio after_med after_n err_total err_during redirects < <(
  awk -F, -v t0="$t_request" -v t1="$t_end" -v t2="$t_after" '
    function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
    function med(a, n) { sort(a, n); return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) }
    NR > 1 && $2 > 0 {
      end = $1; start = $1 - $2; rate = $3 * 1000 / $2; errors += $4; redir += $5
      if (end <= t0) { nb++; before[nb] = rate }
      else if (start < t1) { nd++; during[nd] = rate; if (nd == 1 || rate < dmin) dmin = rate; derr += $4 }
      else if (start >= t2) { na++; after[na] = rate }
    }
    END {
      k = 0; for (i = (nb > 10 ? nb - 9 : 1); i <= nb; i++) last[++k] = before[i]
      b = med(last, k); d = med(during, nd); a = med(after, na)
      printf "%.0f %d %.0f %.0f %d %s %s %.0f %d %d %d %d\n", b, k, d, dmin, nd,
        (b > 0 && nd ? sprintf("%.2f", dmin / b) : "-"), (b > 0 && nd ? sprintf("%.2f", d / b) : "-"), a, na,
        errors, derr, redir }' "$OUT/load.csv")

[ "$RESULT" = ok ] && [ "$CHECK" = pass ] || STATUS_CODE=3
{
  echo "Moonshard controller scale-out $FROM -> $TO shards under load ($REPLICAS replica(s) per master)"
  echo
  cat "$OUT/environment.txt"
  echo
  echo "data:                 $KEYS keys x $VALUE_BYTES B ($(awk -v n="$KEYS" -v v="$VALUE_BYTES" 'BEGIN { printf "%.1f MiB", n * v / 1048576 }') of values); loaded in $(sed -n 's/.*seconds=\([0-9.]*\).*keys_per_s=\([0-9]*\).*/\1 s (\2 keys\/s)/p' "$OUT/data-load.txt"); DBSIZE over the $FROM masters after loading: $LOADED"
  echo "result:               $RESULT"
  echo "slot moves committed: $MOVES; failovers during the scale: $FAILOVERS, rebalancing handovers: $SWITCHOVERS" \
    "(from the controller's /metrics; a scale should need none)"
  echo "request -> accepted (202):        $(secs "$t_request" "$(event_ms scale-accepted)") s"
  echo "request -> first move started:    $(secs "$t_request" "$(event_ms first-move-started)") s"
  echo "request -> first move committed:  $(secs "$t_request" "$(event_ms first-move-committed)") s"
  echo "request -> last move committed:   $(secs "$t_request" "$last_commit") s"
  echo "request -> settled:               $(secs "$t_request" "$t_settled") s   ($TO shards, no move in flight, not scaling, healthy)"
  echo "request -> replicas in sync:      $(secs "$t_request" "$t_synced") s   (every replica in_sync: the new shards' replicas take a full sync)"
  echo
  echo "client load (ops/s per 1 s window, MigrationLoad):"
  echo "  before:  median $base_med (last $base_n windows before the request)"
  echo "  during:  median $dur_med, min $dur_min over $dur_n windows from the request to settled;" \
    "relative to before: min $dur_min_ratio, median $dur_med_ratio"
  echo "  after:   median $after_med over $after_n windows after the replicas were in sync"
  echo "  errors:  $err_total in all, $err_during during the scale; MOVED/ASK followed: $redirects"
  echo
  echo "keys after (load stopped): $sum_dbsize over the $n_masters masters (DBSIZE) = $sum_data data + $LOAD_KEYS load:* keys" \
    "(expected $KEYS + $LOAD_KEYS); keys on a master not owning their slot (SCAN of every master): $sum_foreign"
  echo "check:                $CHECK"
  sed 's/^/  /' "$CHECKS"
  echo "used_memory before (masters): $(awk '{ printf "%s %.1f MiB  ", $1, $2 / 1048576 }' <<<"$MEM_BEFORE")"
  echo "used_memory after (masters):  $(awk '{ printf "%s %.1f MiB  ", $1, $2 / 1048576 }' <<<"$MEM_AFTER")"
  echo
  echo "files: $OUT (timeline.csv: the polls; events.csv; load.csv; status-after.json; cluster/*.log)"
} | tee "$OUT/summary.txt"
exit "${STATUS_CODE:-0}"
