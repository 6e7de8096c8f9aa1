#!/usr/bin/env bash
# What write_ack replica does to the other clients of a shared backend connection (a measurement, not a
# test). One Moonshard proxy with thread_number 1 and backend_conn_num 1, so every client shares its one
# connection to a master that has a replica (REPLICAOF) on this machine. While 10 writer connections
# pipeline SETs 16 at a time (a small Python client: redis-benchmark stops at the first error reply),
# redis-benchmark times GETs of 10 other clients (-P 1) through the same proxy, four times:
#   reader alone       no writer
#   async              write_ack async
#   replica            write_ack replica, the replica healthy
#   replica-stopped    write_ack replica, the replica paused with kill -STOP (resumed right after)
# and prints redis-benchmark's GET line (rps, avg, min, p50, p95, p99, max in ms) with the writers' SET/s
# and error replies, then the proxy's write_ack counters and the master's cmdstat_set / cmdstat_wait.
#
#   benchmarks/write-ack-sharing.sh [--timeout MS] [--gets N] [--out DIR]
#
#   --timeout MS   write_ack_timeout_ms (default 100)
#   --gets N       GETs per healthy measurement (default 20000; a hundredth of it, at least 10, with the replica stopped)
#   --out DIR      logs (default: a new ${TMPDIR:-/tmp}/moonshard-write-ack.XXXXXX)
# Ports (checked free first): WRITE_ACK_MASTER_PORT (7414), WRITE_ACK_REPLICA_PORT (7415),
# WRITE_ACK_PROXY_PORT (7416). Needs redis-server, redis-cli, redis-benchmark, python3 and java; builds the
# jar when it is missing or older than the sources. Stops all it started on exit.
set -euo pipefail

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

TIMEOUT=100 GETS=20000 OUT=""
MASTER_PORT=${WRITE_ACK_MASTER_PORT:-7414}
REPLICA_PORT=${WRITE_ACK_REPLICA_PORT:-7415}
PROXY_PORT=${WRITE_ACK_PROXY_PORT:-7416}
HOST=127.0.0.1

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) TIMEOUT=$2; shift 2 ;;
    --gets) GETS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for n in "$TIMEOUT" "$GETS"; do
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then die "not a positive number: '$n'"; fi
done
for p in "$MASTER_PORT" "$REPLICA_PORT" "$PROXY_PORT"; do
  port_in_use "$p" && die "port $p on $HOST is in use"
done
ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools python3=python3
command -v java >/dev/null 2>&1 || ensure_jdk
(ensure_jar) || die "could not build $MOONSHARD_JAR"
if [ -z "$OUT" ]; then
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-write-ack.XXXXXX")
else
  mkdir -p "$OUT"
fi
cp "$MOONSHARD_JAR" "$OUT/moonshard-proxy.jar"

MASTER_PID="" REPLICA_PID="" PROXY_PID="" WRITER_PID=""
cleanup() {
  local code=$?
  if [ -n "$REPLICA_PID" ]; then kill -CONT "$REPLICA_PID" 2>/dev/null || true; fi
  stop_pid "$WRITER_PID" writer.py 5
  stop_pid "$PROXY_PID" moonshard-proxy.jar 20
  stop_pid "$REPLICA_PID" redis-server 10
  stop_pid "$MASTER_PID" redis-server 10
  [ "$code" -eq 0 ] || log "failed or interrupted; logs are in $OUT"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { local port=$1; shift; redis-cli -h "$HOST" -p "$port" "$@"; }
answers_ping() { [ "$(cli "$1" PING 2>/dev/null)" = PONG ]; }
replica_linked() { cli "$1" INFO replication 2>/dev/null | tr -d '\r' | grep -qx 'master_link_status:up'; }

cat >"$OUT/writer.py" <<'EOF'
"""C connections, each pipelining P SETs and reading their one-line replies (+OK, or an error, counted),
until SIGTERM; prints SETs/s and error replies on exit."""
import signal, socket, sys, threading, time
port, conns, pipeline = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
stop = threading.Event()
counts = [[0, 0] for _ in range(conns)]
def run(i):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    n = 0
    while not stop.is_set():
        s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$9\r\nw:%07d\r\n$1\r\nv\r\n" % ((n + j) % 1000000)
                           for j in range(pipeline)))
        n += pipeline
        for _ in range(pipeline):
            line = f.readline()
            counts[i][0] += 1
            counts[i][1] += line.startswith(b"-")
threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(conns)]
start = time.time()
for t in threads:
    t.start()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
while not stop.is_set():
    stop.wait(0.2)
took = time.time() - start
ops = sum(c[0] for c in counts)
print("writers: %d SETs in %.1f s = %.0f/s, %d error replies" % (ops, took, ops / took, sum(c[1] for c in counts)))
EOF

redis-server --port "$MASTER_PORT" --bind "$HOST" --save "" --appendonly no --dir "$OUT" \
  --logfile "$OUT/master.log" </dev/null &
MASTER_PID=$!
mkdir -p "$OUT/replica"
redis-server --port "$REPLICA_PORT" --bind "$HOST" --save "" --appendonly no --dir "$OUT/replica" \
  --logfile "$OUT/replica.log" --replicaof "$HOST" "$MASTER_PORT" </dev/null &
REPLICA_PID=$!
# shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
java ${MOONSHARD_JAVA_OPTS:-} -jar "$OUT/moonshard-proxy.jar" --address "$HOST:$PROXY_PORT" --thread-number 1 \
  --backend-conn-num 1 --write-ack-timeout-ms "$TIMEOUT" >"$OUT/proxy.log" 2>&1 </dev/null &
PROXY_PID=$!
wait_until 30 answers_ping "$MASTER_PORT" || die "the master does not answer (see $OUT/master.log)"
wait_until 60 answers_ping "$PROXY_PORT" || die "the proxy does not answer (see $OUT/proxy.log)"
[ "$(cli "$PROXY_PORT" UMCTL SETCLUSTER v2 1 NOFLAGS sharing "$HOST:$MASTER_PORT" 1 0-16383)" = OK ] ||
  die "UMCTL SETCLUSTER failed"
wait_until 60 replica_linked "$REPLICA_PORT" || die "the replica never linked (see $OUT/replica.log)"
redis-benchmark -h "$HOST" -p "$PROXY_PORT" -c 10 -n 50000 -P 16 -t set -q >/dev/null # warm-up

gets() { # gets N: redis-benchmark's GET line
  redis-benchmark -h "$HOST" -p "$PROXY_PORT" -c 10 -P 1 -n "$1" -r 100000 -t get --csv 2>/dev/null | grep '"GET"'
}
measure() { # measure LABEL GETS: GETs while the writers run
  python3 "$OUT/writer.py" "$PROXY_PORT" 10 16 >"$OUT/writers-$1.log" 2>&1 &
  WRITER_PID=$!
  sleep 1 # the writers reach full speed before the GETs are timed
  local line
  line=$(gets "$2")
  stop_pid "$WRITER_PID" writer.py 10
  WRITER_PID=""
  printf '%-16s %s  %s\n' "$1" "$line" "$(cat "$OUT/writers-$1.log")"
}

echo "GET of 10 clients (-P 1) beside 10 writer connections (-P 16) on one shared backend connection;" \
  "write_ack_timeout_ms $TIMEOUT"
echo "label            \"test\",\"rps\",\"avg_ms\",\"min_ms\",\"p50_ms\",\"p95_ms\",\"p99_ms\",\"max_ms\""
printf '%-16s %s\n' "reader alone" "$(gets "$GETS")"
cli "$PROXY_PORT" CONFIG SET moonshard-write-ack async >/dev/null
measure async "$GETS"
cli "$PROXY_PORT" CONFIG SET moonshard-write-ack replica >/dev/null
measure replica "$GETS"
kill -STOP "$REPLICA_PID"
measure replica-stopped "$(( GETS / 100 > 10 ? GETS / 100 : 10 ))"
kill -CONT "$REPLICA_PID"
cli "$PROXY_PORT" INFO proxy | tr -d '\r' | grep '^proxy_write_ack'
cli "$MASTER_PORT" INFO commandstats | tr -d '\r' | grep -E '^cmdstat_(set|wait):'
echo "logs: $OUT"
