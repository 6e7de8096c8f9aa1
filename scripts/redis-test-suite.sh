#!/usr/bin/env bash
# Runs Redis's own Tcl test suite (7.0.15, the version of our backends) against ONE Moonshard proxy
# that owns all 16384 slots, spread over N plain redis-server backends, in Redis CI's external
# cluster mode. The suite's client does not follow MOVED, so the proxy must own every slot.
#
#   scripts/redis-test-suite.sh [--backends N] [--profile proxy|full] [--min-ok K] [--out DIR] [-- RUNTEST-ARGS...]
#
#   --backends N   redis-server processes behind the proxy (default 1)
#   --profile P    "proxy" (default): leaves out tags a proxy cannot pass through (DEBUG, SYNC, SAVE,
#                  RESET, maxmemory, resetstat, slow); "full": Redis CI's external profile (-slow only)
#   --min-ok K     exit 1 when fewer than K tests pass (default: report only)
#   --out DIR      logs and results (default: a new ${TMPDIR:-/tmp}/moonshard-suite.XXXXXX)
#   -- ARGS        passed on to ./runtest, e.g. -- --single unit/type/list
#
# The suite is fetched once through Debian's source package (apt-get source redis, with a private apt
# configuration under the cache directory; /etc/apt is not touched) into
# ${MOONSHARD_SUITE_CACHE:-${TMPDIR:-/tmp}/moonshard-redis-suite}. Nothing of Redis enters this repository.
# Ports: MOONSHARD_SUITE_PROXY_PORT (default 7480), backends from MOONSHARD_SUITE_REDIS_PORT (default 7481).
# Prints ok / err / exception / ignored counts and the names of the failing tests.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

BACKENDS=1
PROFILE=proxy
MIN_OK=""
OUT=""
CACHE=${MOONSHARD_SUITE_CACHE:-${TMPDIR:-/tmp}/moonshard-redis-suite}
PROXY_PORT=${MOONSHARD_SUITE_PROXY_PORT:-7480}
REDIS_PORT0=${MOONSHARD_SUITE_REDIS_PORT:-7481}
SUITE_VERSION=7.0.15
HOST=127.0.0.1
RUNTEST_ARGS=()

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --backends) BACKENDS=$2; shift 2 ;;
    --profile) PROFILE=$2; shift 2 ;;
    --min-ok) MIN_OK=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --) shift; RUNTEST_ARGS=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$BACKENDS" =~ ^[0-9]+$ ]] && [ "$BACKENDS" -ge 1 ] || die "--backends must be a positive number"
[ -z "$MIN_OK" ] || [[ "$MIN_OK" =~ ^[0-9]+$ ]] || die "--min-ok must be a number"
case "$PROFILE" in
  proxy) PROFILE_ARGS=(--ignore-encoding --ignore-digest --tags
    "-slow -needs:debug -needs:pfdebug -needs:repl -needs:save -needs:reset -needs:config-maxmemory -needs:config-resetstat") ;;
  full) PROFILE_ARGS=(--tags -slow) ;;
  *) die "--profile is proxy or full" ;;
esac

# ---------------------------------------------------------------- the suite
# fetch_suite: leaves the 7.0.15 tree in $CACHE/redis-$SUITE_VERSION (fetched once).
fetch_suite() {
  local tree="$CACHE/redis-$SUITE_VERSION" apt tarball b
  if [ ! -x "$tree/runtest" ]; then
    ensure_packages apt-get=apt
    apt="$CACHE/apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
    cat >"$apt/sources.list" <<'EOF'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
EOF
    local -a o=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
    log "fetching Redis $SUITE_VERSION's test suite (Debian source package) into $CACHE"
    apt-get "${o[@]}" update -qq >&2 || die "apt-get update of the deb-src lists failed"
    (cd "$apt/dl" && apt-get "${o[@]}" source --download-only redis >&2) || die "apt-get source redis failed"
    tarball=$(find "$apt/dl" -maxdepth 1 -name "redis_$SUITE_VERSION.orig.tar.gz" | head -n 1)
    [ -n "$tarball" ] || die "no redis_$SUITE_VERSION.orig.tar.gz in $apt/dl (Debian moved on?)"
    tar -xzf "$tarball" -C "$CACHE"
    [ -x "$tree/runtest" ] || die "the tarball has no redis-$SUITE_VERSION/runtest"
  fi
  # some units run the tools by relative path
  for b in redis-cli redis-benchmark redis-server redis-check-aof redis-check-rdb; do
    [ -e "$tree/src/$b" ] || ln -sf "$(command -v "$b" || echo /usr/bin/$b)" "$tree/src/$b"
  done
  SUITE="$tree"
}

# ---------------------------------------------------------------- processes
PIDS=()
PATTERNS=()
# Stops what this run started: SIGTERM, then SIGKILL after a grace period (a backend busy in a
# script the suite left running ignores SIGTERM until the script ends).
cleanup() {
  local i
  for i in "${!PIDS[@]}"; do
    stop_pid "${PIDS[$i]}" "${PATTERNS[$i]}" 10 || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_packages redis-server=redis-server redis-cli=redis-tools tclsh8.6=tcl
command -v java >/dev/null 2>&1 || ensure_jdk
ensure_jar
fetch_suite

[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-suite.XXXXXX")
mkdir -p "$OUT"
REDIS_PORTS=()
for ((i = 0; i < BACKENDS; i++)); do REDIS_PORTS+=($((REDIS_PORT0 + i))); done
for p in "$PROXY_PORT" "${REDIS_PORTS[@]}"; do
  port_in_use "$p" && die "port $p on $HOST is in use (see MOONSHARD_SUITE_*_PORT)"
done

for p in "${REDIS_PORTS[@]}"; do
  mkdir -p "$OUT/redis-$p"
  # enable-debug-command: units outside the proxy profile use DEBUG; the proxy refuses the dangerous ones
  redis-server --port "$p" --bind "$HOST" --dir "$OUT/redis-$p" --logfile "$OUT/redis-$p.log" \
    --save "" --appendonly no --enable-debug-command yes >/dev/null &
  PIDS+=($!)
  PATTERNS+=(redis-server)
done
# the proxy runs from a copy, so a rebuild during the run cannot disturb it
cp "$MOONSHARD_JAR" "$OUT/moonshard-proxy.jar"
# shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
# backend_timeout: Redis has no per-command timeout, and the suite runs scripts for seconds on purpose.
# thread_number 1: many tests send a blocking command on one connection and, without waiting, the
# command meant to wake it on another (XREAD BLOCK, then XADD); a single-threaded server sees them in
# arrival order, a proxy with several event loops may forward the second first, and the test hangs.
# allow_cross_slot_local: the suite's multi-key tests expect one server; this proxy serves every slot.
MOONSHARD_BACKEND_TIMEOUT=${MOONSHARD_BACKEND_TIMEOUT:-60000} MOONSHARD_THREAD_NUMBER=${MOONSHARD_THREAD_NUMBER:-1} \
  java ${MOONSHARD_JAVA_OPTS:-} -jar "$OUT/moonshard-proxy.jar" --address "$HOST:$PROXY_PORT" \
  --announce-address "$HOST:$PROXY_PORT" --allow-cross-slot-local true >"$OUT/proxy.log" 2>&1 </dev/null &
PIDS+=($!)
PATTERNS+=(moonshard-proxy.jar)

for p in "${REDIS_PORTS[@]}" "$PROXY_PORT"; do
  wait_until 60 sh -c "[ \"\$(redis-cli -h $HOST -p $p PING)\" = PONG ]" ||
    { tail -n 20 "$OUT/proxy.log" >&2; die "nothing answers PING on port $p"; }
done

SETCLUSTER=(UMCTL SETCLUSTER v2 1 NOFLAGS suite)
i=0
while read -r range; do
  SETCLUSTER+=("$HOST:${REDIS_PORTS[$i]}" 1 "$range")
  i=$((i + 1))
done < <(slot_ranges "$BACKENDS")
reply=$(redis-cli -h "$HOST" -p "$PROXY_PORT" "${SETCLUSTER[@]}")
[ "$reply" = OK ] || die "SETCLUSTER answered: $reply"

log "running Redis $SUITE_VERSION's suite against the proxy on $HOST:$PROXY_PORT ($BACKENDS backend(s), $PROFILE profile); log: $OUT/runtest.log"
started=$(date +%s)
set +e
# --timeout: a test that hangs fails the run after 10 minutes instead of stalling it forever
(cd "$SUITE" && ./runtest --host "$HOST" --port "$PROXY_PORT" --cluster-mode --durable --timeout 600 \
  "${PROFILE_ARGS[@]}" "${RUNTEST_ARGS[@]}") >"$OUT/runtest.log" 2>&1 </dev/null
runtest_rc=$?
set -e
elapsed=$(($(date +%s) - started))

sed 's/\x1b\[[0-9;]*m//g' "$OUT/runtest.log" >"$OUT/runtest.clean.log"
count() { grep -c "^\[$1\]" "$OUT/runtest.clean.log" || true; }
ok=$(count ok)
err=$(count err)
exception=$(count exception)
ignored=$(count ignore)
grep -E '^\[(err|exception)\]' "$OUT/runtest.clean.log" | sort -u >"$OUT/failed.txt" || true

echo "Redis $SUITE_VERSION test suite, $PROFILE profile, $BACKENDS backend(s), ${elapsed}s, runtest exit $runtest_rc"
echo "ok=$ok err=$err exception=$exception ignored=$ignored"
if [ -s "$OUT/failed.txt" ]; then
  echo "failing tests ($OUT/failed.txt):"
  sed 's/^/  /' "$OUT/failed.txt"
fi
echo "per unit ($OUT/units.txt):"
awk '/^\[ok\]/{ok++} /^\[err\]/{e++} /^\[exception\]/{x++}
     /^\[[0-9]+\/[0-9]+ done\]/{print "  " $3, "ok=" ok+0, "err=" e+0 (x ? " exception=" x : ""); ok=0; e=0; x=0}' \
  "$OUT/runtest.clean.log" | tee "$OUT/units.txt" >/dev/null
if [ -n "$MIN_OK" ] && [ "$ok" -lt "$MIN_OK" ]; then
  echo "FAILED: $ok tests passed, fewer than --min-ok $MIN_OK"
  exit 1
fi
