# shellcheck shell=bash
# Helpers shared by scripts/moonshard-cluster.sh, scripts/test.sh and benchmarks/load.sh.
# Source it; it defines functions only (and MOONSHARD_ROOT, MOONSHARD_JAR).

MOONSHARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MOONSHARD_JAR="$MOONSHARD_ROOT/proxy-server/target/moonshard-proxy.jar"
_MOONSHARD_APT_UPDATED=""

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# Finds a program on PATH or in the sbin directories (Debian puts nutcracker in /usr/sbin).
find_program() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return 0
  fi
  for dir in /usr/sbin /sbin /usr/local/sbin; do
    if [ -x "$dir/$name" ]; then
      printf '%s\n' "$dir/$name"
      return 0
    fi
  done
  return 1
}

# ensure_packages PROGRAM=PACKAGE ...: installs PACKAGE (apt-get, non-interactive) for each
# PROGRAM that is missing; runs `apt-get update` at most once per script run.
ensure_packages() {
  local pair program package missing=()
  for pair in "$@"; do
    program=${pair%%=*}
    package=${pair#*=}
    if ! find_program "$program" >/dev/null; then
      missing+=("$package")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and apt-get is not available: install them yourself"
  log "installing: ${missing[*]}"
  if [ -z "$_MOONSHARD_APT_UPDATED" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    _MOONSHARD_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" </dev/null >&2
}

# Makes sure a JDK 17 or newer is there (Maven needs javac; the wrapper downloads Maven itself).
ensure_jdk() {
  local version
  if ! command -v javac >/dev/null 2>&1; then
    ensure_packages javac=openjdk-17-jdk-headless
  fi
  version=$(javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')
  [ -n "$version" ] && [ "$version" -ge 17 ] ||
    die "Moonshard needs JDK 17 or newer; found: $(javac -version 2>&1)"
}

# Builds proxy-server/target/moonshard-proxy.jar when it is missing or older than any source or pom.
ensure_jar() {
  local newer=""
  if [ -f "$MOONSHARD_JAR" ]; then
    # the modules inside the jar, and the poms that shape it
    newer=$(cd "$MOONSHARD_ROOT" && find pom.xml resp-codec cluster-protocol proxy-core proxy-server \
      -path '*/target' -prune -o -type f \( -name pom.xml -o -path '*/src/main/*' \) \
      -newer "$MOONSHARD_JAR" -print -quit 2>/dev/null || true)
    [ -z "$newer" ] && return 0
    log "rebuilding the jar: $newer is newer"
  else
    log "building the jar (first run downloads Maven and dependencies)"
  fi
  ensure_jdk
  (cd "$MOONSHARD_ROOT" && ./mvnw -q -B -DskipTests -pl proxy-server -am package) >&2 ||
    die "build failed; run ./mvnw -B -DskipTests package to see why"
  [ -f "$MOONSHARD_JAR" ] || die "build did not produce $MOONSHARD_JAR"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds or time is up.
wait_until() {
  local timeout=$1 deadline
  shift
  deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Prints the slot ranges for N primaries, one "first-last" per line, split like
# `redis-cli --cluster create` does (3 -> 0-5460, 5461-10922, 10923-16383).
slot_ranges() {
  awk -v n="$1" 'BEGIN {
    per = 16384 / n; first = 0; cursor = 0
    for (i = 0; i < n; i++) {
      last = int(cursor + per - 1 + 0.5)
      if (last > 16384 || i == n - 1) last = 16383
      if (last < first) last = first
      printf "%d-%d\n", first, last
      first = last + 1; cursor += per
    }
  }'
}

# True when pid $1 is alive and its command line contains $2 (guards against reused pids).
pid_matches() {
  local pid=$1 pattern=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "$pattern"
}

# stop_pid PID PATTERN [SECONDS]: SIGTERM, wait, then SIGKILL; only if the pid still is ours.
stop_pid() {
  local pid=$1 pattern=$2 timeout=${3:-15} waited=0
  pid_matches "$pid" "$pattern" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while pid_matches "$pid" "$pattern"; do
    if [ "$waited" -ge $((timeout * 10)) ]; then
      log "pid $pid did not stop in ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}
