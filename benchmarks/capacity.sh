#!/usr/bin/env bash
# Capacity targets of the performance issue, measured against one Moonshard proxy owning all 16384
# slots in front of one redis-server, each part with a fresh proxy; prints one PASS/FAIL row per target:
#   1  idle     N idle client connections (redis-benchmark -I): proxy VmRSS with them <= 300 MB
#   2  c1000    1000 active clients, -P 1 (redis-benchmark -c 1000 -n 200000 -P 1 -t set,get -d 64):
#               completes, the proxy stays alive, its error counters do not move, the backend saw every
#               SET and GET exactly once; reports rps
#   3  bigvalue a 100 MB value: SET and GET through the proxy give back the same bytes (sha256), and
#               the proxy's peak heap during it < 3 x the value; also reports the peak RSS (VmHWM) delta,
#               which includes Netty's off-heap (direct) buffers
#   4  alloc    allocation profile (JFR jdk.ObjectAllocationSample) of a steady SET/GET load, 50 clients,
#               at -P 1 and -P 16: top classes and allocation sites, and whether byte[] is allocated per
#               forwarded argument (PASS when the proxy's code allocates < 16 B of byte[] per request)
#   5  declared 12 connections each send a header declaring a 512 MB argument (*1 $536870912) and nothing
#               more: the proxy's VmRSS grows < 50 MB and another client's GET p99 stays < 10 ms while they
#               sit there; the same probe against the redis-server is reported beside it
# Every MB here is a MiB (1048576 bytes).
#
#   benchmarks/capacity.sh [--jar PATH] [--out DIR] [--only 1,2,3,4,5] [--idle-clients N] [--value-mb M]
#                          [--threads T]
#
#   --jar PATH          proxy jar to measure (default proxy-server/target/moonshard-proxy.jar, built with
#                       ./mvnw -q -pl proxy-server -am package -DskipTests when missing or stale); the
#                       proxies run from a copy of it in the output directory
#   --out DIR           where summary.txt and the raw logs go (default: a new ${TMPDIR:-/tmp}/moonshard-capacity.XXXXXX)
#   --only LIST         parts to run, comma-separated subset of 1,2,3,4,5 (default all)
#   --idle-clients N    idle connections of part 1 (default 10000; at most 10200: redis-benchmark's event
#                       loop holds 10240 descriptors)
#   --value-mb M        value size of part 3 in MB (default 100)
#   --threads T         the proxy's thread_number (default: its own, one per two cores)
# Env: CAPACITY_REDIS_PORT (7600), CAPACITY_PROXY_PORT (7601), CAPACITY_ACTIVE_REQUESTS (200000, -n of
# part 2), CAPACITY_ALLOC_REQUESTS (150000, -n of each part-4 run, so 300000 SET+GET requests per run),
# MOONSHARD_JAVA_OPTS (JVM options of every proxy), CAPACITY_PROXY_ARGS (more proxy options, e.g.
# "--backend-timeout 60000").
# Exit status: 0 when every selected target passed, 3 when one failed, 1 when the harness failed.
# Installs redis-server, redis-tools, python3 and a JDK (jcmd, jfr) when missing (apt-get; root or sudo).
# Raises ulimit -n to the hard limit. Stops everything it started on exit. Takes 1-2 minutes on 2 cores.
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

JAR_ARG=""
OUT=""
ONLY="1,2,3,4,5"
IDLE_CLIENTS=10000
VALUE_MB=100
THREADS=""
REDIS_PORT=${CAPACITY_REDIS_PORT:-7600}
PROXY_PORT=${CAPACITY_PROXY_PORT:-7601}
ACTIVE_CLIENTS=1000
ACTIVE_REQUESTS=${CAPACITY_ACTIVE_REQUESTS:-200000}
ALLOC_CLIENTS=50
ALLOC_REQUESTS=${CAPACITY_ALLOC_REQUESTS:-150000}
ALLOC_KEYSPACE=100000
BENCH_TESTS=set,get
IDLE_RSS_TARGET_MB=300
DECLARED_CLIENTS=12
DECLARED_BYTES=536870912
DECLARED_RSS_TARGET_MB=50
DECLARED_P99_TARGET_US=10000
HEAP_FACTOR=3
# a forwarded GET has 2 arguments: copying each into a byte[] costs at least 2 x 16 B of array headers
PER_ARG_BYTES_THRESHOLD=16
HOST=127.0.0.1
PROXY_PATTERN=moonshard-proxy.jar

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR_ARG=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --idle-clients) IDLE_CLIENTS=$2; shift 2 ;;
    --value-mb) VALUE_MB=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

IFS=, read -r -a PARTS <<<"$ONLY"
[ "${#PARTS[@]}" -ge 1 ] || die "--only names no part"
for p in "${PARTS[@]}"; do
  case "$p" in 1 | 2 | 3 | 4 | 5) ;; *) die "unknown part '$p' in --only (1, 2, 3, 4, 5)" ;; esac
done
for n in "$IDLE_CLIENTS" "$VALUE_MB" "$REDIS_PORT" "$PROXY_PORT" "$ACTIVE_REQUESTS" "$ALLOC_REQUESTS" \
  ${THREADS:+"$THREADS"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
if [ "$IDLE_CLIENTS" -lt 1 ] || [ "$IDLE_CLIENTS" -gt 10200 ]; then
  die "--idle-clients must be 1..10200 (redis-benchmark's event loop holds 10240 descriptors)"
fi
if [ "$VALUE_MB" -lt 1 ] || [ "$VALUE_MB" -gt 1000 ]; then die "--value-mb must be 1..1000"; fi
[ "$REDIS_PORT" != "$PROXY_PORT" ] || die "CAPACITY_REDIS_PORT and CAPACITY_PROXY_PORT are the same"
has_part() { [[ ",$ONLY," == *",$1,"* ]]; }

VALUE_BYTES=$((VALUE_MB * 1048576))
# the proxy must accept the value (Redis's default proto-max-bulk-len is 512 MB)
BULK_LEN=$((VALUE_BYTES > 536870912 ? VALUE_BYTES : 536870912))
# room for the idle clients plus the script's own redis-cli polls
MAX_CLIENTS=$((IDLE_CLIENTS + 100))

# ---------------------------------------------------------------- tools, jar, limits, ports
ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools python3=python3
command -v java >/dev/null 2>&1 || ensure_jdk
# jcmd and jfr of the JDK that runs the proxies
JAVA_BIN=$(dirname "$(readlink -f "$(command -v java)")")
find_jdk_tool() {
  if [ -x "$JAVA_BIN/$1" ]; then echo "$JAVA_BIN/$1"; else command -v "$1"; fi
}
if ! find_jdk_tool jcmd >/dev/null || ! find_jdk_tool jfr >/dev/null; then
  ensure_packages jcmd=openjdk-17-jdk-headless jfr=openjdk-17-jdk-headless
fi
JCMD=$(find_jdk_tool jcmd) || die "no jcmd (install a JDK)"
JFR=$(find_jdk_tool jfr) || die "no jfr (install a JDK)"

if [ -n "$JAR_ARG" ]; then
  [ -f "$JAR_ARG" ] || die "--jar $JAR_ARG is not a file"
  SOURCE_JAR=$JAR_ARG
else
  (ensure_jar) || die "could not build $MOONSHARD_JAR; to measure a jar you have, pass --jar PATH"
  SOURCE_JAR=$MOONSHARD_JAR
fi

# part 1 holds IDLE_CLIENTS sockets in redis-benchmark and as many in the proxy (separate processes)
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CLIENTS + 1000)) ]; then
  ulimit -n "$(ulimit -H -n)" 2>/dev/null || true
fi
NOFILE=$(ulimit -n)

for p in "$REDIS_PORT" "$PROXY_PORT"; do
  if [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "not a port: '$p'"; fi
  port_in_use "$p" && die "port $p on $HOST is in use (CAPACITY_REDIS_PORT / CAPACITY_PROXY_PORT)"
done

if [ -z "$OUT" ]; then
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-capacity.XXXXXX")
else
  mkdir -p "$OUT"
fi
OUT=$(cd "$OUT" && pwd)
cp "$SOURCE_JAR" "$OUT/moonshard-proxy.jar"
JAR="$OUT/moonshard-proxy.jar"
SUMMARY="$OUT/summary.txt"
DETAILS="$OUT/details.txt"
: >"$DETAILS"

# ---------------------------------------------------------------- clean-up
REDIS_PID="" PROXY_PID="" BG_PID="" BG_PATTERN=""
cleanup() {
  local code=$?
  trap - INT TERM
  stop_pid "$BG_PID" "$BG_PATTERN" 5
  stop_pid "$PROXY_PID" "$PROXY_PATTERN" 20
  stop_pid "$REDIS_PID" redis-server 10
  [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || log "failed or interrupted; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_bg PATTERN LOG COMMAND...: COMMAND in the background (so a signal stops the script at once and
# cleanup stops COMMAND too), stdout and stderr to LOG; returns its exit status
run_bg() {
  local pattern=$1 logfile=$2 rc=0
  shift 2
  "$@" >"$logfile" 2>&1 </dev/null &
  BG_PID=$! BG_PATTERN=$pattern
  wait "$BG_PID" || rc=$?
  BG_PID=""
  if [ "$rc" -gt 128 ] && [ "$rc" -ne 137 ]; then exit "$rc"; fi # a signal, not the command's failure
  return "$rc"
}

# ---------------------------------------------------------------- helpers
cli() { local port=$1; shift; redis-cli -h "$HOST" -p "$port" "$@"; }
answers_set() { [ "$(cli "$1" set capacity:probe 1 2>/dev/null)" = OK ]; }
# info_field PORT SECTION FIELD: one INFO field, empty when missing
info_field() { cli "$1" INFO "$2" 2>/dev/null | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2; exit }'; }
# proc_kb PID FIELD: VmRSS, VmHWM, ... of /proc/PID/status in kB
proc_kb() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; } # kB -> MB, one decimal
proxy_alive() { pid_matches "$PROXY_PID" "$PROXY_PATTERN" && [ "$(cli "$PROXY_PORT" PING 2>/dev/null)" = PONG ]; }

RESULT_IDS=() RESULT_NAMES=() RESULT_MEASURED=() RESULT_GOALS=() RESULT_VERDICTS=()
# result ID NAME MEASURED GOAL PASS|FAIL
result() {
  RESULT_IDS+=("$1") RESULT_NAMES+=("$2") RESULT_MEASURED+=("$3") RESULT_GOALS+=("$4") RESULT_VERDICTS+=("$5")
  log "part $1: $5: $2: $3 (target: $4)"
}
detail() { printf '%s\n' "$*" >>"$DETAILS"; }

start_redis() {
  mkdir -p "$OUT/redis"
  redis-server --port "$REDIS_PORT" --bind "$HOST" --save "" --appendonly no --dir "$OUT/redis" \
    --logfile "$OUT/redis.log" </dev/null &
  REDIS_PID=$!
  wait_until 30 answers_set "$REDIS_PORT" || die "redis-server does not answer (see $OUT/redis.log)"
}

# start_proxy NAME [JVM options...]: a fresh proxy on PROXY_PORT over the one redis-server, all slots;
# returns when it serves SET
start_proxy() {
  local name=$1
  shift
  local args=(--address "$HOST:$PROXY_PORT" --announce-address "$HOST:$PROXY_PORT" --max-clients "$MAX_CLIENTS"
    --proto-max-bulk-len "$BULK_LEN" --log-level warn
    --initial-setcluster "UMCTL SETCLUSTER v2 1 NOFLAGS capacity $HOST:$REDIS_PORT 1 0-16383")
  if [ -n "$THREADS" ]; then
    args+=(--thread-number "$THREADS")
  fi
  # shellcheck disable=SC2206 # CAPACITY_PROXY_ARGS is a list of proxy options
  args+=(${CAPACITY_PROXY_ARGS:-})
  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
  java ${MOONSHARD_JAVA_OPTS:-} "$@" -jar "$JAR" "${args[@]}" >"$OUT/$name-proxy.log" 2>&1 </dev/null &
  PROXY_PID=$!
  wait_until 60 proxy_serves || die "the proxy does not serve SET (see $OUT/$name-proxy.log)"
  pid_matches "$PROXY_PID" "$PROXY_PATTERN" || die "the proxy exited (see $OUT/$name-proxy.log)"
}
# true when the proxy serves SET, and also when it has died (start_proxy tells the two apart)
proxy_serves() { answers_set "$PROXY_PORT" || ! pid_matches "$PROXY_PID" "$PROXY_PATTERN"; }
stop_proxy() {
  stop_pid "$PROXY_PID" "$PROXY_PATTERN" 20
  PROXY_PID=""
}

# ---------------------------------------------------------------- helper programs, kept in OUT
# The 100 MB client: exact bytes over raw RESP (redis-cli would re-encode or print them), sha256 of
# what was sent and of what came back through the proxy and straight from Redis; samples the proxy's
# VmRSS every 20 ms per phase.
cat >"$OUT/bigvalue.py" <<'PYEOF'
import argparse, hashlib, os, socket, threading, time

p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--proxy-port", type=int, required=True)
p.add_argument("--redis-port", type=int, required=True)
p.add_argument("--bytes", type=int, required=True)
p.add_argument("--key", default="capacity:big")
p.add_argument("--watch-pid", type=int, required=True)
p.add_argument("--timeline", required=True)
a = p.parse_args()

phase = "before"
peaks = {}
phase_ms = {}
stop = False
start = time.monotonic()


def rss_kb():
    with open("/proc/%d/status" % a.watch_pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sampler():
    with open(a.timeline, "w") as out:
        out.write("seconds,phase,proxy_rss_kb\n")
        while not stop:
            try:
                kb = rss_kb()
            except OSError:
                return
            ph = phase
            peaks[ph] = max(peaks.get(ph, 0), kb)
            out.write("%.3f,%s,%d\n" % (time.monotonic() - start, ph, kb))
            time.sleep(0.02)


def connect(port):
    s = socket.create_connection((a.host, port), timeout=300)
    return s, s.makefile("rb", buffering=1 << 20)


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def get(port):
    """GET the key; (sha256 hex of the value, its length) or (error text, -1)."""
    s, f = connect(port)
    try:
        s.sendall(b"*2\r\n" + bulk(b"GET") + bulk(a.key.encode()))
        header = f.readline()
        if not header.startswith(b"$"):
            return header.decode(errors="replace").strip(), -1
        n = int(header[1:-2])
        h = hashlib.sha256()
        left = n
        while left > 0:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                return "connection closed after %d of %d bytes" % (n - left, n), -1
            h.update(chunk)
            left -= len(chunk)
        if f.read(2) != b"\r\n":
            return "value not followed by CRLF", -1
        return h.hexdigest(), n
    finally:
        s.close()


value = os.urandom(a.bytes)
sent = hashlib.sha256(value).hexdigest()
t = threading.Thread(target=sampler, daemon=True)
t.start()
time.sleep(0.1)  # a few samples of the idle proxy first

phase = "set"
phase_ms["set"] = int(time.time() * 1000)
t0 = time.monotonic()
s, f = connect(a.proxy_port)
s.sendall(b"*3\r\n" + bulk(b"SET") + bulk(a.key.encode()) + b"$%d\r\n" % len(value))
s.sendall(memoryview(value))
s.sendall(b"\r\n")
set_reply = f.readline().decode(errors="replace").strip()
s.close()
set_s = time.monotonic() - t0
del value

phase = "get"
phase_ms["get"] = int(time.time() * 1000)
t0 = time.monotonic()
proxy_sha, proxy_len = get(a.proxy_port)
get_s = time.monotonic() - t0

phase = "direct-get"  # the proxy idles while Redis is read directly
phase_ms["direct-get"] = int(time.time() * 1000)
direct_sha, direct_len = get(a.redis_port)

phase = "after"
phase_ms["after"] = int(time.time() * 1000)
time.sleep(0.1)
stop = True
t.join()
print("bytes=%d" % a.bytes)
print("sent_sha256=%s" % sent)
print("set_reply=%s" % set_reply)
print("set_seconds=%.2f" % set_s)
print("proxy_get_sha256=%s" % proxy_sha)
print("proxy_get_length=%d" % proxy_len)
print("get_seconds=%.2f" % get_s)
print("direct_get_sha256=%s" % direct_sha)
print("direct_get_length=%d" % direct_len)
for ph in ("before", "set", "get", "direct-get", "after"):
    print("rss_peak_kb_%s=%d" % (ph.replace("-", "_"), peaks.get(ph, 0)))
for ph, ms in phase_ms.items():
    print("phase_start_ms_%s=%d" % (ph.replace("-", "_"), ms))
PYEOF

# The JFR summariser, over the JFR consumer API (exact weights and timestamps; `jfr print` rounds both):
#   alloc:   jdk.ObjectAllocationSample per time window (part 4)
#   realloc: Netty's io.netty.ReallocateBuffer events per time window: a pooled buffer grown in place,
#            its content copied to the new memory (part 3)
# The declared-length probe: CLIENTS connections each send a header declaring a huge argument and
# nothing more; meanwhile another connection times GETs. Samples VmRSS of --watch-pid.
cat >"$OUT/declared.py" <<'PYEOF'
import argparse, socket, time

p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, required=True)
p.add_argument("--watch-pid", type=int, required=True)
p.add_argument("--clients", type=int, default=12)
p.add_argument("--declared", type=int, default=536870912)
a = p.parse_args()

def rss_kb():
    with open("/proc/%d/status" % a.watch_pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1

other = socket.create_connection((a.host, a.port), timeout=30)
other.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
def reply():
    global buf
    while b"\r\n" not in buf or (buf.startswith(b"$") and buf.count(b"\r\n") < 2):
        chunk = other.recv(65536)
        if not chunk:
            raise SystemExit("the proxy closed the measuring connection")
        buf += chunk
    end = buf.index(b"\r\n") + 2
    if buf.startswith(b"$"):
        end = buf.index(b"\r\n", end) + 2
    r, buf = buf[:end], buf[end:]
    return r

def command(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in args)

GET = command(b"GET", b"capacity:declared")
errors = []
def timed_gets(n, out):
    for _ in range(n):
        t0 = time.perf_counter()
        other.sendall(GET)
        r = reply()
        if r != b"$1\r\nv\r\n":
            errors.append(r)              # e.g. a backend timeout while the event loop stalled
        out.append((time.perf_counter() - t0) * 1e6)

def pct(xs, q):
    s = sorted(xs)
    return int(s[max(0, int(len(s) * q + 0.999999) - 1)])

other.sendall(command(b"SET", b"capacity:declared", b"v"))
r = reply()
if r != b"+OK\r\n":
    raise SystemExit("SET replied %r" % r)
timed_gets(3000, [])                      # warm-up
quiet = []
timed_gets(1000, quiet)
rss0 = rss_kb()
peak = rss0
header = b"*1\r\n$%d\r\n" % a.declared
held, lat = [], []
for i in range(a.clients):
    s = socket.create_connection((a.host, a.port), timeout=30)
    s.sendall(header)
    held.append(s)
    timed_gets(20, lat)                   # right after each declaration: a stall of its event loop shows here
    peak = max(peak, rss_kb())
for _ in range(3):                        # while they sit there
    timed_gets(100, lat)
    peak = max(peak, rss_kb())
open_count = 0
for s in held:
    s.setblocking(False)
    try:
        open_count += 1 if s.recv(1) else 0  # a reply: not expected
    except BlockingIOError:
        open_count += 1                   # nothing to read, still connected
    except OSError:
        pass
    s.close()
print("rss_before_kb=%d" % rss0)
print("rss_peak_kb=%d" % peak)
print("quiet_p99_us=%d" % pct(quiet, 0.99))
print("p50_us=%d" % pct(lat, 0.50))
print("p99_us=%d" % pct(lat, 0.99))
print("max_us=%d" % int(max(lat)))
print("gets=%d" % len(lat))
print("still_open=%d" % open_count)
print("get_errors=%d" % len(errors))
if errors:
    print("first_error=%r" % errors[0])
PYEOF

cat >"$OUT/JfrSummary.java" <<'JAVAEOF'
import java.nio.file.Path;
import java.util.*;
import jdk.jfr.consumer.*;

/**
 * java JfrSummary.java alloc FILE LABEL:FROM_MS:TO_MS:REQUESTS ...
 * java JfrSummary.java realloc FILE LABEL:FROM_MS:TO_MS ...
 */
public class JfrSummary {
    record Sample(long time, String cls, long weight, long oldSize, String thread, List<String> frames) {}

    public static void main(String[] args) throws Exception {
        boolean alloc = args[0].equals("alloc");
        String type = alloc ? "jdk.ObjectAllocationSample" : "io.netty.ReallocateBuffer";
        List<Sample> all = new ArrayList<>();
        try (RecordingFile f = new RecordingFile(Path.of(args[1]))) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (!e.getEventType().getName().equals(type)) continue;
                RecordedThread t = e.getThread("eventThread");
                List<String> frames = new ArrayList<>();
                if (e.getStackTrace() != null) {
                    for (RecordedFrame fr : e.getStackTrace().getFrames()) {
                        frames.add(fr.getMethod().getType().getName() + "." + fr.getMethod().getName()
                                + (fr.getLineNumber() > 0 ? ":" + fr.getLineNumber() : ""));
                    }
                }
                String thread = t == null ? "?" : String.valueOf(t.getJavaName());
                long time = e.getStartTime().toEpochMilli();
                if (alloc) {
                    RecordedClass c = e.getClass("objectClass");
                    all.add(new Sample(time, c == null ? "?" : typeName(c.getName()), e.getLong("weight"), 0, thread, frames));
                } else {
                    all.add(new Sample(time, "", ((Number) e.getValue("newCapacity")).longValue(),
                            ((Number) e.getValue("size")).longValue(), thread, frames));
                }
            }
        }
        for (int w = 2; w < args.length; w++) {
            String[] spec = args[w].split(":");
            long from = Long.parseLong(spec[1]), to = Long.parseLong(spec[2]);
            List<Sample> in = new ArrayList<>();
            for (Sample s : all) {
                if (s.time() >= from && s.time() <= to) in.add(s);
            }
            if (alloc) {
                allocReport(spec[0], in, Long.parseLong(spec[3]), (to - from) / 1000.0);
            } else {
                reallocReport(spec[0], in);
            }
        }
    }

    /** "[B" -> "byte[]", "[Ljava.lang.Object;" -> "java.lang.Object[]"; other names unchanged. */
    static String typeName(String n) {
        int dims = 0;
        while (dims < n.length() && n.charAt(dims) == '[') dims++;
        if (dims == 0) return n;
        String base = switch (n.charAt(dims)) {
            case 'B' -> "byte"; case 'C' -> "char"; case 'I' -> "int"; case 'J' -> "long"; case 'S' -> "short";
            case 'Z' -> "boolean"; case 'F' -> "float"; case 'D' -> "double";
            default -> n.substring(dims + 1, n.length() - 1);
        };
        return base + "[]".repeat(dims);
    }

    static boolean project(String frame) { return frame.startsWith("io.moonshard."); }

    static String firstProjectFrame(List<String> frames) {
        for (String f : frames) if (project(f)) return f;
        return "-";
    }

    /** The first frame outside Netty's buffer classes and the allocator's JFR hook: who grew the buffer. */
    static String grower(List<String> frames) {
        for (String f : frames) if (!f.startsWith("io.netty.buffer.")) return f;
        return "?";
    }

    static String pct(long part, long whole) { return String.format("%5.1f%%", whole == 0 ? 0.0 : 100.0 * part / whole); }
    static String mb(long bytes) { return String.format("%9.2f MB", bytes / 1048576.0); }

    static void top(String title, Map<String, Long> by, long total, int n) {
        System.out.println(title);
        if (by.isEmpty()) System.out.println("  (none)");
        by.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> System.out.println("  " + pct(e.getValue(), total) + " " + mb(e.getValue()) + "  " + e.getKey()));
    }

    static void allocReport(String label, List<Sample> in, long requests, double seconds) {
        long total = 0, bytes = 0, bytesProject = 0;
        Map<String, Long> byClass = new HashMap<>(), bySite = new HashMap<>(), byThread = new HashMap<>(),
                byteStacks = new HashMap<>(), byteProjectFrames = new HashMap<>();
        for (Sample s : in) {
            total += s.weight();
            byClass.merge(s.cls(), s.weight(), Long::sum);
            byThread.merge(s.thread(), s.weight(), Long::sum);
            String top = s.frames().isEmpty() ? "?" : s.frames().get(0);
            bySite.merge(String.format("%-28s %s  [first io.moonshard frame: %s]", s.cls(), top,
                    firstProjectFrame(s.frames())), s.weight(), Long::sum);
            if (s.cls().equals("byte[]")) {
                bytes += s.weight();
                if (s.frames().stream().anyMatch(JfrSummary::project)) {
                    bytesProject += s.weight();
                    byteProjectFrames.merge(firstProjectFrame(s.frames()), s.weight(), Long::sum);
                }
                byteStacks.merge(String.join("\n           < ", s.frames().subList(0, Math.min(10, s.frames().size()))),
                        s.weight(), Long::sum);
            }
        }
        System.out.printf("== %s: %d requests in %.1f s; %d samples, sampled weight %.2f MB = %.0f B/request%n",
                label, requests, seconds, in.size(), total / 1048576.0, requests == 0 ? 0.0 : (double) total / requests);
        top("top 10 classes (share of sampled weight, weight):", byClass, total, 10);
        top("top 10 allocation sites (class, top frame):", bySite, total, 10);
        top("threads:", byThread, total, 5);
        System.out.printf("byte[]: %s of sampled weight (%.1f B/request); through io.moonshard code: %s (%.1f B/request)%n",
                pct(bytes, total).trim(), requests == 0 ? 0.0 : (double) bytes / requests, pct(bytesProject, total).trim(),
                requests == 0 ? 0.0 : (double) bytesProject / requests);
        top("byte[] by first io.moonshard frame:", byteProjectFrames, total, 5);
        top("top 5 byte[] stacks (share of all sampled weight; first 10 frames):", byteStacks, total, 5);
        System.out.printf("RESULT %s %d %d %d %d %d%n", label, in.size(), total, bytes, bytesProject, requests);
        System.out.println();
    }

    static void reallocReport(String label, List<Sample> in) {
        long copied = 0, largest = 0, first = Long.MAX_VALUE, last = 0;
        Map<String, Long> bySite = new HashMap<>(), countBySite = new HashMap<>();
        for (Sample s : in) {
            copied += s.oldSize();
            largest = Math.max(largest, s.weight());
            first = Math.min(first, s.time());
            last = Math.max(last, s.time());
            String site = grower(s.frames()) + " [" + s.thread() + "]";
            bySite.merge(site, s.oldSize(), Long::sum);
            countBySite.merge(site, 1L, Long::sum);
        }
        System.out.printf("== %s: %d buffer reallocations, old capacities summed (bytes copied at most) %.1f MB,"
                + " largest new capacity %.1f MB, first to last %.2f s%n", label, in.size(), copied / 1048576.0,
                largest / 1048576.0, in.isEmpty() ? 0.0 : (last - first) / 1000.0);
        for (Map.Entry<String, Long> e : countBySite.entrySet()) {
            System.out.printf("  %4d reallocations, %9.1f MB old capacity: %s%n", e.getValue(),
                    bySite.get(e.getKey()) / 1048576.0, e.getKey());
        }
        for (Sample s : in) {
            System.out.printf("    +%6d ms  %9.1f kB -> %9.1f kB  %s%n", s.time() - first, s.oldSize() / 1024.0,
                    s.weight() / 1024.0, grower(s.frames()));
        }
        System.out.printf("REALLOC %s %d %d %d %d%n", label, in.size(), copied, largest,
                in.isEmpty() ? 0 : last - first);
        System.out.println();
    }
}
JAVAEOF

# ---------------------------------------------------------------- environment
{
  echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:     $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
  echo "load:        $(cut -d ' ' -f 1-3 /proc/loadavg) (1, 5, 15 min load average at start); ulimit -n $NOFILE"
  echo "jvm:         $(java -version 2>&1 | head -n 1); $(java -version 2>&1 | sed -n 3p)"
  echo "jvm options: MOONSHARD_JAVA_OPTS='${MOONSHARD_JAVA_OPTS:-}'; more proxy options: CAPACITY_PROXY_ARGS='${CAPACITY_PROXY_ARGS:-}'"
  echo "moonshard:   $(java -jar "$JAR" --version 2>/dev/null | head -n 1) ($SOURCE_JAR," \
    "$(date -u -r "$SOURCE_JAR" +%Y-%m-%dT%H:%M:%SZ)), thread_number=${THREADS:-default (one per two cores)}," \
    "max_clients=$MAX_CLIENTS, proto_max_bulk_len=$BULK_LEN"
  echo "redis:       $(redis-server --version | head -n 1)"
  echo "set-up:      redis-server $HOST:$REDIS_PORT (--save '' --appendonly no); one proxy $HOST:$PROXY_PORT," \
    "all 16384 slots -> it, started afresh for every part"
  echo "parts:       ${PARTS[*]}"
  echo "output:      $OUT"
} | tee "$OUT/environment.txt"
echo

start_redis

# ---------------------------------------------------------------- part 1: idle connections
# true when the proxy counts every idle client plus the redis-cli asking, or redis-benchmark has died
idle_connected() {
  pid_matches "$BG_PID" redis-benchmark || return 0
  local n
  n=$(info_field "$PROXY_PORT" clients connected_clients)
  [ -n "$n" ] && [ "$n" -ge $((IDLE_CLIENTS + 1)) ]
}
# true when only the redis-cli asking is left
clients_gone() {
  local n
  n=$(info_field "$PROXY_PORT" clients connected_clients)
  [ -n "$n" ] && [ "$n" -le 1 ]
}
part1() {
  local name="idle: $IDLE_CLIENTS idle clients, proxy VmRSS" goal="<= $IDLE_RSS_TARGET_MB MB"
  log "part 1: $IDLE_CLIENTS idle connections"
  if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((IDLE_CLIENTS + 200)) ]; then
    result 1 "$name" "not run: ulimit -n is $NOFILE (hard $(ulimit -H -n)), need $((IDLE_CLIENTS + 200))" "$goal" FAIL
    return 0
  fi
  start_proxy part1
  local rss0 heap0
  rss0=$(proc_kb "$PROXY_PID" VmRSS)
  redis-benchmark -h "$HOST" -p "$PROXY_PORT" -c "$IDLE_CLIENTS" -I >"$OUT/part1-redis-benchmark.log" 2>&1 </dev/null &
  BG_PID=$! BG_PATTERN=redis-benchmark
  local t0=$SECONDS
  wait_until 120 idle_connected || true
  local connected rss1 hwm1 rejected waited=$((SECONDS - t0))
  connected=$(info_field "$PROXY_PORT" clients connected_clients)
  connected=$((${connected:-1} - 1))
  rss1=$(proc_kb "$PROXY_PID" VmRSS)
  hwm1=$(proc_kb "$PROXY_PID" VmHWM)
  rejected=$(info_field "$PROXY_PORT" stats rejected_connections)
  "$JCMD" "$PROXY_PID" GC.heap_info >"$OUT/part1-heap.txt" 2>&1 || true
  heap0=$(awk '/garbage-first heap|total .*used/ { for (i = 1; i <= NF; i++) if ($i == "used") { print $(i + 1); exit } }' \
    "$OUT/part1-heap.txt")
  local bench_alive=yes
  pid_matches "$BG_PID" redis-benchmark || bench_alive="no (see part1-redis-benchmark.log)"
  stop_pid "$BG_PID" redis-benchmark 10
  wait "$BG_PID" 2>/dev/null || true
  BG_PID=""
  # the proxy lets go of closed clients (bounded; informational)
  local released=yes rss2
  wait_until 60 clients_gone || released=no
  rss2=$(proc_kb "$PROXY_PID" VmRSS)
  stop_proxy
  local per_conn verdict=FAIL
  per_conn=$(awk -v a="$rss0" -v b="$rss1" -v n="$connected" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "nan" }')
  if [ "$connected" -ge "$IDLE_CLIENTS" ] && [ "$rss1" -le $((IDLE_RSS_TARGET_MB * 1024)) ]; then verdict=PASS; fi
  result 1 "$name" "$(mb "$rss1") MB with $connected connected (idle proxy $(mb "$rss0") MB, +$per_conn kB/conn)" \
    "$goal" "$verdict"
  detail "part 1: redis-benchmark -h $HOST -p $PROXY_PORT -c $IDLE_CLIENTS -I (idle mode); proxy --max-clients $MAX_CLIENTS"
  detail "  connected_clients (less the asking redis-cli): $connected of $IDLE_CLIENTS, after ${waited}s; rejected_connections $rejected; redis-benchmark still running: $bench_alive"
  detail "  proxy VmRSS: $(mb "$rss0") MB idle -> $(mb "$rss1") MB with them (VmHWM $(mb "$hwm1") MB) -> $(mb "$rss2") MB after they closed (all released: $released)"
  detail "  JVM heap used with them (jcmd GC.heap_info): ${heap0:-?}; full output part1-heap.txt"
  detail ""
}

# ---------------------------------------------------------------- part 2: 1000 active clients
# error counters of the proxy: INFO proxy, rejected_connections of INFO stats, the backend's errorstats
ERROR_FIELDS=(proxy_error_replies proxy_backend_errors proxy_commands_error proxy_commands_timeout
  proxy_commands_clusterdown proxy_commands_moved proxy_commands_ask proxy_commands_crossslot
  proxy_backend_connections_broken proxy_backend_reconnects rejected_connections total_error_replies)
error_counters() { # "field=value" per line
  cli "$PROXY_PORT" INFO all 2>/dev/null | tr -d '\r' | awk -F: -v list="${ERROR_FIELDS[*]}" '
    BEGIN { n = split(list, names, " "); for (i = 1; i <= n; i++) want[names[i]] = 1 }
    $1 in want { print $1 "=" $2 }
    /^errorstat_/ { print $0 }' | sort
}
backend_calls() { # backend_calls CMD: calls of CMD in the redis-server's commandstats
  local v
  v=$(cli "$REDIS_PORT" INFO commandstats 2>/dev/null | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p")
  echo "${v:-0}"
}
part2() {
  local name="c1000: $ACTIVE_CLIENTS clients P=1, completes, no error" goal="completes, 0 errors"
  log "part 2: $ACTIVE_CLIENTS active clients"
  start_proxy part2
  cli "$REDIS_PORT" FLUSHALL >/dev/null
  local before after set0 get0 set1 get1 rc=0
  before=$(error_counters)
  set0=$(backend_calls set) get0=$(backend_calls get)
  local args=(-h "$HOST" -p "$PROXY_PORT" -c "$ACTIVE_CLIENTS" -n "$ACTIVE_REQUESTS" -P 1 -t "$BENCH_TESTS" -d 64 --csv)
  detail "part 2: redis-benchmark ${args[*]}"
  run_bg redis-benchmark "$OUT/part2-redis-benchmark.log" redis-benchmark "${args[@]}" || rc=$?
  local alive=yes
  proxy_alive || alive=no
  after=$(error_counters)
  set1=$(backend_calls set) get1=$(backend_calls get)
  local dbsize strlen set_rps get_rps bench_errors
  dbsize=$(cli "$REDIS_PORT" DBSIZE 2>/dev/null || echo '?')
  strlen=$(cli "$REDIS_PORT" STRLEN key:__rand_int__ 2>/dev/null || echo '?')
  set_rps=$(tr -d '"\r' <"$OUT/part2-redis-benchmark.log" | awk -F, '$1 == "SET" { print $2 }')
  get_rps=$(tr -d '"\r' <"$OUT/part2-redis-benchmark.log" | awk -F, '$1 == "GET" { print $2 }')
  bench_errors=$(grep -ci 'error' "$OUT/part2-redis-benchmark.log" || true)
  local moved
  moved=$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep '^[<>]' || true)
  stop_proxy
  local problems=()
  [ "$rc" -eq 0 ] || problems+=("redis-benchmark exit $rc")
  if [ -z "$set_rps" ] || [ -z "$get_rps" ]; then problems+=("no SET/GET result"); fi
  [ "$alive" = yes ] || problems+=("proxy not alive")
  [ -z "$moved" ] || problems+=("error counters moved")
  [ "$bench_errors" -eq 0 ] || problems+=("$bench_errors error lines from redis-benchmark")
  [ $((set1 - set0)) -eq "$ACTIVE_REQUESTS" ] || problems+=("backend SET calls $((set1 - set0))")
  [ $((get1 - get0)) -eq "$ACTIVE_REQUESTS" ] || problems+=("backend GET calls $((get1 - get0))")
  if [ "$dbsize" != 1 ] || [ "$strlen" != 64 ]; then problems+=("dbsize $dbsize, strlen $strlen"); fi
  local verdict=PASS measured
  measured="SET ${set_rps:-?} rps, GET ${get_rps:-?} rps"
  if [ "${#problems[@]}" -gt 0 ]; then
    verdict=FAIL
    measured="$measured; $(IFS=';'; echo "${problems[*]}")"
  else
    measured="$measured; 0 errors, proxy alive"
  fi
  result 2 "$name" "$measured" "$goal" "$verdict"
  detail "  redis-benchmark exit status $rc; SET ${set_rps:-?} rps, GET ${get_rps:-?} rps (CSV in part2-redis-benchmark.log)"
  detail "  proxy alive afterwards (pid and PING): $alive"
  detail "  backend redis-server commandstats: SET calls +$((set1 - set0)), GET calls +$((get1 - get0)) (expected +$ACTIVE_REQUESTS each)"
  detail "  backend after the run: DBSIZE $dbsize (without -r every request uses the one key key:__rand_int__), STRLEN $strlen (expected 64)"
  detail "  error counters (INFO all through the proxy: ${ERROR_FIELDS[*]}, errorstat_*):"
  detail "    before: $(printf '%s\n' "$before" | paste -sd ' ' -)"
  detail "    after:  $(printf '%s\n' "$after" | paste -sd ' ' -)"
  detail "    moved:  ${moved:-none}"
  detail ""
}

# ---------------------------------------------------------------- part 3: one 100 MB value
# gc_pauses LOG FROM_LINE: "before_kb after_kb what" for every collection logged after line FROM_LINE
gc_pauses() {
  tail -n +"$(($2 + 1))" "$1" | grep -E '\]\[gc *\] GC\([0-9]+\) Pause' | sed -E \
    's/.*GC\([0-9]+\) (Pause [^0-9]*) ([0-9]+)([KMG])->([0-9]+)([KMG])\(([0-9]+)([KMG])\).*/\2 \3 \4 \5 \1/' |
    awk '{ f["K"] = 1; f["M"] = 1024; f["G"] = 1048576
           what = $5; for (i = 6; i <= NF; i++) what = what " " $i
           print $1 * f[$2], $3 * f[$4], what }'
}
# jcmd GC.run is a full collection, logged as "Pause Full (Diagnostic Command)" (System.gc() on older JDKs)
full_gc_logged() { gc_pauses "$1" "$2" | grep -q 'Pause Full'; }
part3() {
  local name="bigvalue: ${VALUE_MB} MB SET+GET via the proxy" goal="same bytes back (sha256)"
  local gclog="$OUT/part3-gc.log"
  log "part 3: one ${VALUE_MB} MB value"
  # every collection logs heap used before -> after; between two collections used only grows, so the
  # peak of a window is the largest "before" of the collections in it, counting a full collection (jcmd GC.run) at its end
  # JFR with Netty's io.netty.ReallocateBuffer event: every time a pooled buffer is grown (and its
  # content copied), with the new capacity and the stack; off by default, cheap
  local jfrfile="$OUT/part3.jfr"
  start_proxy part3 "-Xlog:gc*:file=$gclog:uptime,level,tags" \
    "-XX:StartFlightRecording=name=bigvalue,+io.netty.ReallocateBuffer#enabled=true"
  "$JCMD" "$PROXY_PID" GC.run >/dev/null 2>&1 || die "jcmd $PROXY_PID GC.run failed"
  wait_until 10 full_gc_logged "$gclog" 0 || die "jcmd GC.run left no full collection in $gclog"
  local from baseline_kb
  from=$(wc -l <"$gclog")
  baseline_kb=$(gc_pauses "$gclog" 0 | awk '/Pause Full/ { v = $2 } END { print v + 0 }')
  # VmHWM is the peak RSS since start: writing 5 to clear_refs resets it to the current RSS (Linux >= 4.0)
  local hwm_reset=yes
  echo 5 2>/dev/null >"/proc/$PROXY_PID/clear_refs" || hwm_reset=no
  local rss0 hwm0 rc=0
  rss0=$(proc_kb "$PROXY_PID" VmRSS)
  hwm0=$(proc_kb "$PROXY_PID" VmHWM)
  run_bg bigvalue.py "$OUT/part3-bigvalue.log" python3 "$OUT/bigvalue.py" --host "$HOST" --proxy-port "$PROXY_PORT" \
    --redis-port "$REDIS_PORT" --bytes "$VALUE_BYTES" --watch-pid "$PROXY_PID" --timeline "$OUT/part3-rss.csv" || rc=$?
  local alive=yes
  proxy_alive || alive=no
  local rss1="" hwm1="" peak_kb="" peak_what="" gc_count=0
  if [ "$alive" = yes ]; then
    hwm1=$(proc_kb "$PROXY_PID" VmHWM)
    rss1=$(proc_kb "$PROXY_PID" VmRSS)
    "$JCMD" "$PROXY_PID" GC.run >/dev/null 2>&1 || true
    "$JCMD" "$PROXY_PID" JFR.dump name=bigvalue filename="$jfrfile" >"$OUT/part3-jfr-dump.log" 2>&1 || true
    wait_until 10 full_gc_logged "$gclog" "$from" || true
    gc_pauses "$gclog" "$from" >"$OUT/part3-gc-pauses.txt"
    gc_count=$(wc -l <"$OUT/part3-gc-pauses.txt")
    read -r peak_kb peak_what < <(sort -k1,1n "$OUT/part3-gc-pauses.txt" | tail -n 1 | awk '{ w = $3; for (i = 4; i <= NF; i++) w = w " " $i; print $1, w }') || true
  fi
  cli "$PROXY_PORT" DEL capacity:big >/dev/null 2>&1 || true
  stop_proxy
  local set_ms get_ms direct_ms realloc=""
  set_ms=$(sed -n 's/^phase_start_ms_set=//p' "$OUT/part3-bigvalue.log")
  get_ms=$(sed -n 's/^phase_start_ms_get=//p' "$OUT/part3-bigvalue.log")
  direct_ms=$(sed -n 's/^phase_start_ms_direct_get=//p' "$OUT/part3-bigvalue.log")
  if [ -s "$jfrfile" ] && [ -n "$set_ms" ] && [ -n "$get_ms" ] && [ -n "$direct_ms" ] &&
    java "$OUT/JfrSummary.java" realloc "$jfrfile" "SET:$set_ms:$get_ms" "GET:$get_ms:$direct_ms" \
      >"$OUT/part3-realloc.txt" 2>&1; then
    realloc=$(awk '/^REALLOC / { printf "%s%s: %d reallocations, %.0f MB copied at most, largest %.0f MB, over %.2f s", sep, $2, $3, $4 / 1048576, $5 / 1048576, $6 / 1000; sep = "; " }' \
      "$OUT/part3-realloc.txt")
  fi
  v() { sed -n "s/^$1=//p" "$OUT/part3-bigvalue.log"; }
  local sent proxy_sha direct_sha set_reply
  sent=$(v sent_sha256) proxy_sha=$(v proxy_get_sha256) direct_sha=$(v direct_get_sha256) set_reply=$(v set_reply)
  local same=no
  if [ "$rc" -eq 0 ] && [ -n "$sent" ] && [ "$sent" = "$proxy_sha" ] && [ "$sent" = "$direct_sha" ] && [ "$set_reply" = +OK ]; then
    same=yes
  fi
  local limit_kb=$((HEAP_FACTOR * VALUE_MB * 1024)) rss_delta="" incomplete=""
  if [ -n "$hwm1" ]; then rss_delta=$((hwm1 - rss0)); fi
  # the peaks of a failed round trip are those of an incomplete transfer: said so in the row
  [ "$same" = yes ] || incomplete=" (round trip incomplete)"
  if [ "$same" = yes ]; then
    result 3 "$name" "sha256 equal; SET $(v set_seconds) s, GET $(v get_seconds) s" "$goal" PASS
  else
    local why
    why="SET ${set_reply:-?}, GET via proxy: $(printf '%.60s' "$proxy_sha")"
    [ "$sent" = "$proxy_sha" ] && why="see part3-bigvalue.log"
    result 3 "$name" "FAILED: $why" "$goal" FAIL
  fi
  if [ -n "$peak_kb" ]; then
    local heap_verdict=FAIL
    [ "$peak_kb" -lt "$limit_kb" ] && heap_verdict=PASS
    result 3 "bigvalue: proxy heap peak during it" "$(mb "$peak_kb") MB (after full GC before: $(mb "$baseline_kb") MB)$incomplete" \
      "< $((HEAP_FACTOR * VALUE_MB)) MB (3x value)" "$heap_verdict"
  else
    result 3 "bigvalue: proxy heap peak during it" "proxy died: no heap peak" "< $((HEAP_FACTOR * VALUE_MB)) MB (3x value)" FAIL
  fi
  if [ -n "$rss_delta" ]; then
    local rss_verdict=FAIL
    [ "$rss_delta" -lt "$limit_kb" ] && rss_verdict=PASS
    result 3 "bigvalue: proxy RSS peak delta (heap+direct)" \
      "+$(mb "$rss_delta") MB: VmHWM $(mb "$hwm1") - VmRSS before $(mb "$rss0")$incomplete" "< $((HEAP_FACTOR * VALUE_MB)) MB (3x value)" "$rss_verdict"
  fi
  detail "part 3: one value of $VALUE_BYTES bytes (os.urandom) SET then GET through the proxy, then GET straight from redis (bigvalue.py, raw RESP)"
  detail "  SET reply: ${set_reply:-?} in $(v set_seconds)s; GET through the proxy: $(v proxy_get_length) bytes in $(v get_seconds)s; client exit status $rc; proxy alive after: $alive"
  detail "  sha256 sent:           $sent"
  detail "  sha256 GET via proxy:  $proxy_sha"
  detail "  sha256 GET from redis: $direct_sha"
  detail "  heap (G1 log part3-gc.log; peak = largest heap-before of the $gc_count collections in the window,"
  detail "    last one a full collection by jcmd GC.run at its end; used heap only grows between collections): peak ${peak_kb:+$(mb "$peak_kb") MB} at '${peak_what:-?}'," \
    "baseline after the first GC.run $(mb "$baseline_kb") MB; collections in part3-gc-pauses.txt"
  detail "  RSS: before $(mb "$rss0") MB (VmHWM reset: $hwm_reset, VmHWM then $(mb "$hwm0") MB), VmHWM after ${hwm1:+$(mb "$hwm1") MB}, VmRSS after ${rss1:+$(mb "$rss1") MB}"
  detail "  buffer growth (Netty JFR io.netty.ReallocateBuffer, part3-realloc.txt): ${realloc:-not available}"
  detail "  proxy log warnings: $(grep -E 'level=(WARN|ERROR)' "$OUT/part3-proxy.log" | head -n 5 | sed -E 's/.*msg="([^"]*)".*/\1/' | paste -sd '|' -)"
  detail "  peak VmRSS sampled every 20 ms by phase (MB): set $(mb "$(v rss_peak_kb_set)"), get $(mb "$(v rss_peak_kb_get)")," \
    "direct-get (proxy idle) $(mb "$(v rss_peak_kb_direct_get)"), after $(mb "$(v rss_peak_kb_after)"); timeline part3-rss.csv"
  detail ""
}

# ---------------------------------------------------------------- part 4: allocation profile
part4() {
  local name="alloc: byte[] per forwarded argument" goal="< $PER_ARG_BYTES_THRESHOLD B byte[]/req in proxy code"
  local jfrfile="$OUT/part4.jfr"
  log "part 4: allocation profile"
  # the recording runs from the start, kept in the JVM until jcmd JFR.dump writes it out (a recording
  # with its own filename= would be written to that same file again at exit); only the samples inside
  # each measured run are summarised
  start_proxy part4 "-XX:StartFlightRecording=name=capacity,settings=profile"
  local warm=(-h "$HOST" -p "$PROXY_PORT" -c "$ALLOC_CLIENTS" -n 50000 -r "$ALLOC_KEYSPACE" -P 16 -t "$BENCH_TESTS" -d 64 --csv)
  run_bg redis-benchmark "$OUT/part4-warmup.log" redis-benchmark "${warm[@]}" || die "warm-up failed (see $OUT/part4-warmup.log)"
  local windows=() p from to rc args
  detail "part 4: JFR settings=profile over the whole proxy run (part4.jfr); summarised: jdk.ObjectAllocationSample inside each run"
  detail "  warm-up first: redis-benchmark ${warm[*]}"
  for p in 1 16; do
    args=(-h "$HOST" -p "$PROXY_PORT" -c "$ALLOC_CLIENTS" -n "$ALLOC_REQUESTS" -r "$ALLOC_KEYSPACE" -P "$p" -t "$BENCH_TESTS" -d 64 --csv)
    from=$(date +%s%3N)
    rc=0
    run_bg redis-benchmark "$OUT/part4-p$p-redis-benchmark.log" redis-benchmark "${args[@]}" || rc=$?
    to=$(date +%s%3N)
    [ "$rc" -eq 0 ] || die "redis-benchmark failed (see $OUT/part4-p$p-redis-benchmark.log)"
    windows+=("P=$p:$from:$to:$((2 * ALLOC_REQUESTS))")
    detail "  P=$p: redis-benchmark ${args[*]}: $(tr -d '"\r' <"$OUT/part4-p$p-redis-benchmark.log" |
      awk -F, '$1 == "SET" || $1 == "GET" { printf "%s %s rps  ", $1, $2 }')"
  done
  "$JCMD" "$PROXY_PID" JFR.dump name=capacity filename="$jfrfile" >"$OUT/part4-jfr-dump.log" 2>&1 ||
    die "jcmd JFR.dump failed (see $OUT/part4-jfr-dump.log)"
  stop_proxy
  "$JFR" print --stack-depth 16 --events jdk.ObjectAllocationSample "$jfrfile" >"$OUT/part4-alloc-samples.txt" 2>&1 || true
  java "$OUT/JfrSummary.java" alloc "$jfrfile" "${windows[@]}" >"$OUT/part4-alloc-summary.txt" 2>&1 ||
    die "JfrSummary failed (see $OUT/part4-alloc-summary.txt)"
  local verdict=PASS measured="" label samples total bytes bytes_project requests
  while read -r _ label samples total bytes bytes_project requests; do
    local per_req share
    per_req=$(awk -v b="$bytes_project" -v r="$requests" 'BEGIN { printf "%.1f", r ? b / r : 0 }')
    share=$(awk -v b="$bytes" -v t="$total" 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
    if awk -v x="$per_req" -v t="$PER_ARG_BYTES_THRESHOLD" 'BEGIN { exit !(x >= t) }'; then verdict=FAIL; fi
    [ "$samples" -gt 0 ] || verdict=FAIL
    measured="$measured${measured:+; }$label byte[] $share% of weight, $per_req B/req in proxy code"
  done < <(grep '^RESULT ' "$OUT/part4-alloc-summary.txt")
  if [ -z "$measured" ]; then verdict=FAIL measured="no allocation samples summarised"; fi
  result 4 "$name" "$measured" "$goal" "$verdict"
  detail "  allocation summary (JfrSummary.java alloc, over the JFR consumer API): part4-alloc-summary.txt; raw samples: part4-alloc-samples.txt"
  detail ""
  sed 's/^/  /' "$OUT/part4-alloc-summary.txt" >>"$DETAILS"
}

# ---------------------------------------------------------------- part 5: declared lengths
part5() {
  local name="declared: $DECLARED_CLIENTS x 512 MB declared, proxy VmRSS growth" goal="< $DECLARED_RSS_TARGET_MB MB"
  local pname="declared: another client's GET p99 meanwhile" pgoal="< $((DECLARED_P99_TARGET_US / 1000)) ms"
  log "part 5: $DECLARED_CLIENTS connections declaring $DECLARED_BYTES bytes each"
  start_proxy part5
  local rc=0
  run_bg declared.py "$OUT/part5-proxy.log" python3 "$OUT/declared.py" --host "$HOST" --port "$PROXY_PORT" \
    --watch-pid "$PROXY_PID" --clients "$DECLARED_CLIENTS" --declared "$DECLARED_BYTES" || rc=$?
  local alive=yes
  proxy_alive || alive=no
  stop_proxy
  # the same probe against redis-server, for reference
  local rrc=0
  run_bg declared.py "$OUT/part5-redis.log" python3 "$OUT/declared.py" --host "$HOST" --port "$REDIS_PORT" \
    --watch-pid "$REDIS_PID" --clients "$DECLARED_CLIENTS" --declared "$DECLARED_BYTES" || rrc=$?
  v() { sed -n "s/^$2=//p" "$OUT/part5-$1.log"; }
  local before peak p99 growth=""
  before=$(v proxy rss_before_kb) peak=$(v proxy rss_peak_kb) p99=$(v proxy p99_us)
  [ -n "$before" ] && [ -n "$peak" ] && growth=$((peak - before))
  local verdict=FAIL pverdict=FAIL
  if [ "$rc" -eq 0 ] && [ -n "$growth" ] && [ "$growth" -lt $((DECLARED_RSS_TARGET_MB * 1024)) ] && [ "$alive" = yes ]; then
    verdict=PASS
  fi
  local errors
  errors=$(v proxy get_errors)
  if [ "$rc" -eq 0 ] && [ -n "$p99" ] && [ "$p99" -lt "$DECLARED_P99_TARGET_US" ] && [ "${errors:-1}" -eq 0 ]; then
    pverdict=PASS
  fi
  local measured="FAILED, see part5-proxy.log" pmeasured="FAILED, see part5-proxy.log"
  [ -n "$growth" ] && measured="+$(mb "$growth") MB: VmRSS $(mb "$before") -> $(mb "$peak") MB"
  [ -n "$p99" ] && pmeasured="p99 $(awk -v u="$p99" 'BEGIN { printf "%.2f", u / 1000 }') ms (before them $(v proxy quiet_p99_us) us), $errors GET errors"
  result 5 "$name" "$measured" "$goal" "$verdict"
  result 5 "$pname" "$pmeasured" "$pgoal" "$pverdict"
  detail "part 5: $DECLARED_CLIENTS connections each send '*1\\r\\n\$$DECLARED_BYTES\\r\\n' and nothing more; another connection"
  detail "  times GETs (20 after each declaration, then 300 while they sit), VmRSS sampled between (declared.py)"
  detail "  proxy: VmRSS $(mb "${before:-0}") -> peak $(mb "${peak:-0}") MB; GET p50 $(v proxy p50_us) us, p99 ${p99:-?} us, max $(v proxy max_us) us over $(v proxy gets) GETs; still connected $(v proxy still_open) of $DECLARED_CLIENTS; GET errors ${errors:-?} $(v proxy first_error); proxy alive after: $alive"
  if [ "$rrc" -eq 0 ]; then
    local rb rp
    rb=$(v redis rss_before_kb) rp=$(v redis rss_peak_kb)
    detail "  redis-server, same probe: VmRSS $(mb "$rb") -> peak $(mb "$rp") MB; GET p50 $(v redis p50_us) us, p99 $(v redis p99_us) us, max $(v redis max_us) us; still connected $(v redis still_open)"
  else
    detail "  redis-server, same probe: failed (see part5-redis.log)"
  fi
  detail ""
}

for part in "${PARTS[@]}"; do
  "part$part"
done

# ---------------------------------------------------------------- the table
{
  cat "$OUT/environment.txt"
  echo
  row='%-2s %-44s %-6s %-32s %s\n'
  # shellcheck disable=SC2059 # the format is a variable on purpose
  printf "$row" "#" target result goal measured
  for i in "${!RESULT_IDS[@]}"; do
    # shellcheck disable=SC2059
    printf "$row" "${RESULT_IDS[$i]}" "${RESULT_NAMES[$i]}" "${RESULT_VERDICTS[$i]}" "${RESULT_GOALS[$i]}" \
      "${RESULT_MEASURED[$i]}"
  done
  echo
  cat "$DETAILS"
} >"$SUMMARY"
sed -n '/^# /,/^$/p' "$SUMMARY"
echo "details and raw logs: $SUMMARY, $OUT"
for v in "${RESULT_VERDICTS[@]}"; do
  [ "$v" = PASS ] || exit 3
done
