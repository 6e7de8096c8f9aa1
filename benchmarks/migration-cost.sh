#!/usr/bin/env bash
# What moving slots' keys between two plain redis-server 7.0 processes costs the backends, measured
# before the migration engine is built (a measurement, not a test). One source Redis on 127.0.0.1 is
# filled with N strings (DEBUG POPULATE: key:0 .. key:N-1, V bytes each); the keys of slots
# FIRST..LAST are copied to an empty destination Redis on 127.0.0.2 by each way in turn
# (MigrationCostProbe):
#   scan          a full SCAN of the source, the slot of each key computed by the client; nothing copied
#   migrate:B     SCAN, then MIGRATE ... COPY REPLACE KEYS of B keys at a time (Redis to Redis)
#   dump:B        SCAN, then B pipelined DUMP+PTTL at the source, B pipelined RESTORE REPLACE at the destination
#   mgetset:B     SCAN, then MGET of B keys at the source, one MSET at the destination (strings only)
#   slotkeys:B    no SCAN: the source is restarted as a cluster-enabled Redis owning every slot (the opt-in
#                 that gives CLUSTER GETKEYSINSLOT), refilled, and each slot's keys are copied as mgetset:B;
#                 runs after the other ways
#   rdb           redis-cli --rdb: the source forks and streams a snapshot of every key over the replication
#                 protocol, written to a file; the cost of the snapshot a proxy-side PSYNC reader would get
#   replicaof     the destination becomes a replica of the source (diskless full sync) and the time to
#                 master_link_status:up is taken (diskless, loaded from the socket as the destination is
#                 empty): every key, not only the slots', for an empty destination
# Prints, per way: wall time, keys/s, the longest batch (the longest the source is held by one command
# for migrate), and from INFO commandstats the server time per moved key at the source and at the
# destination, which bounds what any client of these commands can reach on this machine.
#
#   benchmarks/migration-cost.sh [--keys N] [--value-bytes V] [--slots FIRST-LAST] [--ways "W ..."] [--out DIR]
#
#   --keys N          keys in the source (default 2097152: undermoon's 1 GB data set with V = 512)
#   --value-bytes V   bytes per value (default 512)
#   --slots A-B       the slots to move (default 8192-16383, half of them)
#   --ways "W ..."    subset of the ways above (default "scan migrate:200 migrate:1000 dump:1000 mgetset:1000 rdb replicaof
#                     slotkeys:1000")
#   --out DIR         where summary.txt and the logs go (default: a new ${TMPDIR:-/tmp}/moonshard-migration-cost.XXXXXX)
# Env MIGCOST_SRC_PORT (7611), MIGCOST_DST_PORT (7612). Installs redis-server and redis-tools when
# missing; builds the benchmarks module when its classes are missing. Stops both servers on exit.
# Takes about 2 minutes with the defaults on 2 cores.
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

KEYS=2097152
VALUE_BYTES=512
SLOTS=8192-16383
WAYS="scan migrate:200 migrate:1000 dump:1000 mgetset:1000 rdb replicaof slotkeys:1000"
OUT=""
SRC_HOST=127.0.0.1
DST_HOST=127.0.0.2
SRC_PORT=${MIGCOST_SRC_PORT:-7611}
DST_PORT=${MIGCOST_DST_PORT:-7612}

while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --value-bytes) VALUE_BYTES=$2; shift 2 ;;
    --slots) SLOTS=$2; shift 2 ;;
    --ways) WAYS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ "$SLOTS" =~ ^[0-9]+-[0-9]+$ ]] || die "--slots takes FIRST-LAST, e.g. 8192-16383"
FIRST_SLOT=${SLOTS%-*} LAST_SLOT=${SLOTS#*-}

ensure_packages redis-server=redis-server redis-cli=redis-tools
command -v java >/dev/null 2>&1 || ensure_jdk
for port in "$SRC_PORT" "$DST_PORT"; do
  ! port_in_use "$port" || die "port $port is in use (set MIGCOST_SRC_PORT / MIGCOST_DST_PORT)"
done
if [ -z "$OUT" ]; then
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-migration-cost.XXXXXX")
fi
mkdir -p "$OUT/src" "$OUT/dst"

PROBE_CP="$MOONSHARD_ROOT/benchmarks/target/classes"
if [ ! -f "$PROBE_CP/io/moonshard/benchmarks/MigrationCostProbe.class" ]; then
  log "building the benchmarks module"
  (cd "$MOONSHARD_ROOT" && ./mvnw -q -B -DskipTests -pl benchmarks -am install) >&2 || die "build failed"
fi
PROBE_CP="$PROBE_CP:$(cd "$MOONSHARD_ROOT" && ./mvnw -q -B -pl benchmarks dependency:build-classpath \
  -Dmdep.outputFile=/dev/stdout 2>/dev/null)" || die "could not resolve the benchmarks classpath"

SRC_PID="" DST_PID=""
cleanup() {
  local code=$?
  stop_pid "$SRC_PID" redis-server 10
  stop_pid "$DST_PID" redis-server 10
  [ "$code" -eq 0 ] || log "failed or interrupted; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT

src() { redis-cli -h "$SRC_HOST" -p "$SRC_PORT" "$@"; }
dst() { redis-cli -h "$DST_HOST" -p "$DST_PORT" "$@"; }
answers() { [ "$(redis-cli -h "$1" -p "$2" PING 2>/dev/null)" = PONG ]; }
# usec HOST PORT COMMAND...: the summed usec of those commands in INFO commandstats
usec() {
  local host=$1 port=$2
  shift 2
  redis-cli -h "$host" -p "$port" INFO commandstats | tr -d '\r' | awk -F'[:,=]' -v names=" $* " '
    $1 ~ /^cmdstat_/ { name = substr($1, 9); sub(/\|.*/, "", name) # cluster|getkeysinslot counts as cluster
      if (index(names, " " name " ")) { for (i = 2; i <= NF; i++) if ($i == "usec") total += $(i + 1) } }
    END { print total + 0 }'
}

# start_source [cluster]: the source redis-server, plain or cluster-enabled owning every slot, filled
start_source() {
  local extra=()
  if [ "${1:-}" = cluster ]; then
    extra=(--cluster-enabled yes --cluster-config-file "$OUT/src/nodes.conf")
  fi
  # shellcheck disable=SC2086 # MIGCOST_SRC_OPTS is a list of redis-server options
  redis-server --port "$SRC_PORT" --bind "$SRC_HOST" --save "" --appendonly no --enable-debug-command yes \
    --repl-diskless-sync yes --repl-diskless-sync-delay 0 --dir "$OUT/src" --logfile "$OUT/src.log" \
    "${extra[@]}" ${MIGCOST_SRC_OPTS:-} </dev/null &
  SRC_PID=$!
  wait_until 30 answers "$SRC_HOST" "$SRC_PORT" || die "the source redis-server does not answer (see $OUT/src.log)"
  if [ "${1:-}" = cluster ]; then
    src CLUSTER ADDSLOTSRANGE 0 16383 >/dev/null
    cluster_ok() { src CLUSTER INFO | tr -d '\r' | grep -q '^cluster_state:ok'; }
    wait_until 30 cluster_ok || die "the cluster-enabled source does not reach cluster_state:ok"
  fi
  log "filling the source: DEBUG POPULATE $KEYS key $VALUE_BYTES"
  src DEBUG POPULATE "$KEYS" key "$VALUE_BYTES" >/dev/null
  [ "$(src DBSIZE)" -eq "$KEYS" ] || die "the source holds $(src DBSIZE) keys, not $KEYS"
}

redis-server --port "$DST_PORT" --bind "$DST_HOST" --save "" --appendonly no --repl-diskless-load on-empty-db \
  --dir "$OUT/dst" --logfile "$OUT/dst.log" </dev/null &
DST_PID=$!
wait_until 30 answers "$DST_HOST" "$DST_PORT" || die "the destination redis-server does not answer (see $OUT/dst.log)"
# the plain ways first, then (one restart) the cluster-enabled one
ordered=()
for way in $WAYS; do [ "${way%%:*}" = slotkeys ] || ordered+=("$way"); done
for way in $WAYS; do [ "${way%%:*}" != slotkeys ] || ordered+=("$way"); done
source_kind=""

SUMMARY="$OUT/summary.txt"
format='%-13s %9s %10s %12s %10s %15s %15s\n'
# shellcheck disable=SC2059 # the format is a variable on purpose
printf "$format" way moved wall_s keys_per_s batch_ms src_us_per_key dst_us_per_key | tee "$SUMMARY"
for way in "${ordered[@]}"; do
  mode=${way%%:*} batch=${way#*:}
  kind=plain
  [ "$mode" != slotkeys ] || kind=cluster
  if [ "$kind" != "$source_kind" ]; then
    stop_pid "$SRC_PID" redis-server 10
    rm -f "$OUT/src/nodes.conf"
    start_source "$kind"
    source_kind=$kind
  fi
  [ "$batch" != "$way" ] || batch=1000
  dst FLUSHALL >/dev/null
  src CONFIG RESETSTAT >/dev/null
  dst CONFIG RESETSTAT >/dev/null
  if [ "$mode" = rdb ]; then
    started=$(date +%s%N)
    src --rdb "$OUT/snapshot.rdb" >>"$OUT/rdb.log" 2>&1 || die "redis-cli --rdb failed (see $OUT/rdb.log)"
    wall_ns=$(( $(date +%s%N) - started ))
    bytes=$(stat -c %s "$OUT/snapshot.rdb")
    rm -f "$OUT/snapshot.rdb"
    log "rdb: $bytes bytes"
    # shellcheck disable=SC2059
    printf "$format" "$way" "$KEYS" "$(awk -v n="$wall_ns" 'BEGIN { printf "%.2f", n / 1e9 }')" \
      "$(awk -v n="$wall_ns" -v k="$KEYS" 'BEGIN { printf "%.0f", k / (n / 1e9) }')" - - - | tee -a "$SUMMARY"
    continue
  fi
  if [ "$mode" = replicaof ]; then
    started=$(date +%s%N)
    dst REPLICAOF "$SRC_HOST" "$SRC_PORT" >/dev/null
    synced() { dst INFO replication | tr -d '\r' | grep -q '^master_link_status:up'; }
    wait_until 600 synced || die "the destination did not finish its full sync (see $OUT/dst.log)"
    wall_ns=$(( $(date +%s%N) - started ))
    dst REPLICAOF NO ONE >/dev/null
    moved=$(dst DBSIZE)
    # shellcheck disable=SC2059
    printf "$format" "$way" "$moved" "$(awk -v n="$wall_ns" 'BEGIN { printf "%.2f", n / 1e9 }')" \
      "$(awk -v n="$wall_ns" -v k="$moved" 'BEGIN { printf "%.0f", k / (n / 1e9) }')" - - - | tee -a "$SUMMARY"
    continue
  fi
  line=$(java -cp "$PROBE_CP" io.moonshard.benchmarks.MigrationCostProbe "$mode" "$SRC_HOST" "$SRC_PORT" \
    "$DST_HOST" "$DST_PORT" "$batch" 1000 "$FIRST_SLOT" "$LAST_SLOT" 2>>"$OUT/probe.log")
  printf '%s %s\n' "$way" "$line" >>"$OUT/probe.log"
  field() { printf '%s\n' "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
  moved=$(field moved)
  src_usec=$(usec "$SRC_HOST" "$SRC_PORT" scan migrate dump pttl mget cluster)
  dst_usec=$(usec "$DST_HOST" "$DST_PORT" restore mset restore-asking)
  per_key() { awk -v u="$1" -v k="$moved" 'BEGIN { if (k == 0) print "-"; else printf "%.2f", u / k }'; }
  if [ "$mode" = scan ]; then
    src_per=$(awk -v u="$src_usec" -v k="$(field scanned)" 'BEGIN { printf "%.2f/scanned", u / k }')
  else
    src_per=$(per_key "$src_usec")
  fi
  # shellcheck disable=SC2059
  printf "$format" "$way" "$moved" "$(field wall_s)" "$(field keys_per_s)" "$(field longest_batch_ms)" \
    "$src_per" "$(per_key "$dst_usec")" | tee -a "$SUMMARY"
done
log "summary: $SUMMARY"
