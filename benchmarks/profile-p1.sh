#!/usr/bin/env bash
# Where one Moonshard proxy spends its CPU and its allocations at redis-benchmark's shape of load: one
# redis-server, one proxy (thread_number 1) owning all 16384 slots, 50 clients, -r 100000 -d 64.
#   1  profile  async-profiler (cpu, 200 us interval) over N GETs at -P 1 after a JIT warm-up: a flame graph
#               (flame.html), the collapsed stacks, and a breakdown: client sends, backend writes, reads
#               (with decoding and routing), epoll_wait; the kernel's share of each; the Java leaf frames by
#               kind (Moonshard's code, Netty's pipeline, reference counting, buffer pool, Recycler)
#   2  alloc    exact bytes allocated per request by each proxy thread (JFR jdk.ThreadAllocationStatistics
#               every 500 ms around each run: GET and SET at -P 1 and -P 16, N requests each)
#
#   benchmarks/profile-p1.sh [--jar PATH] [--out DIR] [--requests N]
#
#   --jar PATH      proxy jar (default proxy-server/target/moonshard-proxy.jar, built when missing or stale)
#   --out DIR       output directory (default a new ${TMPDIR:-/tmp}/moonshard-profile.XXXXXX)
#   --requests N    requests per measured run (default 400000)
# Env: PROFILE_REDIS_PORT (7700), PROFILE_PROXY_PORT (7701). async-profiler comes from Maven Central
# (tools.profiler:async-profiler:4.2, its linux-x64 library) through the Maven wrapper. Needs a quiet
# machine for the CPU part (the allocation part is not sensitive to load). About 2 minutes.
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

JAR_ARG="" OUT="" REQUESTS=400000
REDIS_PORT=${PROFILE_REDIS_PORT:-7700}
PROXY_PORT=${PROFILE_PROXY_PORT:-7701}
HOST=127.0.0.1
AP_VERSION=4.2
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR_ARG=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools python3=python3
command -v java >/dev/null 2>&1 || ensure_jdk
ensure_packages jcmd=openjdk-17-jdk-headless jfr=openjdk-17-jdk-headless
if [ -n "$JAR_ARG" ]; then MOONSHARD_JAR=$JAR_ARG; else ensure_jar; fi
[ -f "$MOONSHARD_JAR" ] || die "no proxy jar at $MOONSHARD_JAR"
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/moonshard-profile.XXXXXX")}
mkdir -p "$OUT"
for p in "$REDIS_PORT" "$PROXY_PORT"; do ! port_in_use "$p" || die "port $p is in use"; done

AP_JAR="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar"
if [ ! -f "$AP_JAR" ]; then
  log "fetching async-profiler $AP_VERSION from Maven Central"
  "$MOONSHARD_ROOT/mvnw" -B -q dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION" \
    -f "$MOONSHARD_ROOT/pom.xml" >"$OUT/async-profiler-fetch.log" 2>&1 || die "could not fetch async-profiler (see $OUT/async-profiler-fetch.log)"
fi
(cd "$OUT" && unzip -o -q "$AP_JAR" 'linux-x64/libasyncProfiler.so')
AP_LIB="$OUT/linux-x64/libasyncProfiler.so"

REDIS_PID="" PROXY_PID=""
cleanup() {
  stop_pid "$PROXY_PID" "$(basename "$MOONSHARD_JAR")" 15
  stop_pid "$REDIS_PID" redis-server 15
}
trap cleanup EXIT
redis-server --port "$REDIS_PORT" --bind "$HOST" --save "" --appendonly no --dir "$OUT" \
  --logfile "$OUT/redis.log" </dev/null &
REDIS_PID=$!
java ${MOONSHARD_JAVA_OPTS:-} -jar "$MOONSHARD_JAR" --address "$HOST:$PROXY_PORT" --announce-address "$HOST:$PROXY_PORT" \
  --thread-number 1 >"$OUT/proxy.log" 2>&1 </dev/null &
PROXY_PID=$!
wait_until 60 redis-cli -h "$HOST" -p "$PROXY_PORT" PING || die "the proxy does not answer (see $OUT/proxy.log)"
wait_until 20 redis-cli -h "$HOST" -p "$REDIS_PORT" PING || die "redis-server does not answer"
reply=$(redis-cli -h "$HOST" -p "$PROXY_PORT" UMCTL SETCLUSTER v2 1 NOFLAGS profile "$HOST:$REDIS_PORT" 1 0-16383)
[ "$reply" = OK ] || die "SETCLUSTER answered: $reply"

bench() { # bench TEST PIPELINE N
  redis-benchmark -h "$HOST" -p "$PROXY_PORT" -c 50 -n "$3" -r 100000 -d 64 -t "$1" -P "$2" -q >/dev/null
}
profiler() { # the agent's options travel quoted: jcmd would otherwise split them at '='
  jcmd "$PROXY_PID" JVMTI.agent_load "$AP_LIB" "\"$1\"" >>"$OUT/jcmd.log" 2>&1
}
cpu_ticks() { sed 's/^.*) //' "/proc/$PROXY_PID/stat" | awk '{ print $12 + $13 }'; }

log "warm-up (the JIT at -P 1 and -P 16)"
for p in 1 16 1; do bench set,get "$p" 200000; done

log "part 1: CPU profile of $REQUESTS GETs at -P 1"
profiler "start,event=cpu,interval=200us"
t0=$(cpu_ticks)
bench get 1 "$REQUESTS"
t1=$(cpu_ticks)
profiler "stop,collapsed,file=$OUT/profile.collapsed"
profiler "start,event=cpu,interval=200us"
bench get 1 "$REQUESTS"
profiler "stop,flamegraph,file=$OUT/flame.html"
[ -s "$OUT/profile.collapsed" ] || die "async-profiler wrote no profile (see $OUT/jcmd.log)"
awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$REQUESTS" '
  { c = $NF; total += c; $NF = ""; sub(/ $/, ""); s = $0; m = split(s, f, ";"); leaf = f[m]; kernel = leaf ~ /_\[k\]$/
    if (s ~ /ClientSession\.flushNow/) part = "client sends (replies)"
    else if (s ~ /BackendConnection\.flush/) part = "backend writes (requests)"
    else if (s ~ /epollInReady/) part = "reads, decoding, routing"
    else if (s ~ /epollWait/) part = "epoll_wait"
    else part = "other"
    all[part] += c; if (kernel) k[part] += c; if (kernel) ktotal += c
    if (!kernel && leaf ~ /^(java|io|sun|jdk)\//) {
      if (leaf ~ /^io\/moonshard/) kind = "Moonshard code"
      else if (leaf ~ /RefCnt|ReferenceCounted/) kind = "Netty reference counting"
      else if (leaf ~ /Recycler|jctools/) kind = "Netty Recycler and task queues"
      else if (leaf ~ /ChannelHandlerContext|Pipeline|ChannelOutboundBuffer/) kind = "Netty pipeline, outbound buffer"
      else if (leaf ~ /PoolArena|PoolThreadCache|PooledByteBuf|AbstractByteBuf|Allocator/) kind = "Netty buffer pool"
      else if (leaf ~ /^io\/netty/) kind = "Netty, other"
      else kind = "JDK"
      java[kind] += c; jtotal += c
    } }
  END {
    printf "CPU of the proxy: %.2f us per GET at -P 1 (user + system over %d requests)\n", ticks * 1e6 / hz / n, n
    printf "samples: %d, kernel %.1f%%, Java %.1f%%, the rest (libc, JVM) %.1f%%\n", total, 100 * ktotal / total, 100 * jtotal / total, 100 * (total - ktotal - jtotal) / total
    for (p in all) printf "  %-28s %5.1f%% of samples (kernel %5.1f%%)\n", p, 100 * all[p] / total, 100 * k[p] / total
    print "Java leaf frames by kind:"
    for (j in java) printf "  %-32s %5.1f%%\n", j, 100 * java[j] / total
  }' "$OUT/profile.collapsed" | tee "$OUT/profile-summary.txt"

log "part 2: bytes allocated per request"
cat >"$OUT/alloc.jfc" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="thread allocation">
  <event name="jdk.ThreadAllocationStatistics"><setting name="enabled">true</setting><setting name="period">500 ms</setting></event>
</configuration>
EOF
jcmd "$PROXY_PID" JFR.start name=alloc settings="$OUT/alloc.jfc" filename="$OUT/alloc.jfr" >>"$OUT/jcmd.log" 2>&1
for run in "get 1" "set 1" "get 16" "set 16"; do
  read -r test pipeline <<<"$run"
  # two statistics events on each side of the run, half a second apart: the run's window lies between them
  sleep 1.1
  date +%s%N >"$OUT/alloc.$test$pipeline.start"
  bench "$test" "$pipeline" "$REQUESTS"
  date +%s%N >"$OUT/alloc.$test$pipeline.end"
done
sleep 1.1
jcmd "$PROXY_PID" JFR.stop name=alloc >>"$OUT/jcmd.log" 2>&1
jfr print --json --events jdk.ThreadAllocationStatistics "$OUT/alloc.jfr" >"$OUT/alloc.json"
python3 - "$OUT" "$REQUESTS" <<'EOF' | tee "$OUT/alloc-summary.txt"
import datetime, json, sys
out, n = sys.argv[1], int(sys.argv[2])
points = {}
for e in json.load(open(f"{out}/alloc.json"))["recording"]["events"]:
    v = e["values"]
    if not v.get("thread"):
        continue
    t = datetime.datetime.fromisoformat(v["startTime"].replace("Z", "+00:00")).timestamp()
    points.setdefault(v["thread"]["javaName"], []).append((t, v["allocated"]))
for run in ["get1", "set1", "get16", "set16"]:
    start = int(open(f"{out}/alloc.{run}.start").read()) / 1e9
    end = int(open(f"{out}/alloc.{run}.end").read()) / 1e9
    per = {}
    for name, p in points.items():
        p.sort()
        before = [a for t, a in p if t <= start]
        after = [a for t, a in p if t >= end]
        if before and after and after[0] > before[-1]:
            per[name] = after[0] - before[-1]
    top = ", ".join(f"{name} {b / n:.1f}" for name, b in sorted(per.items(), key=lambda x: -x[1])[:3])
    print(f"{run[:3].upper()} -P {run[3:]}: {sum(per.values()) / n:.1f} B allocated per request (all threads); top threads: {top}")
EOF
log "flame graph: $OUT/flame.html; summaries: $OUT/profile-summary.txt, $OUT/alloc-summary.txt"
