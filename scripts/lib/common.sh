# shellcheck shell=bash
# Helpers shared by scripts/moonshard-cluster.sh, scripts/test.sh and benchmarks/load.sh.
# Source it; it defines functions only (and MOONSHARD_ROOT, MOONSHARD_JAR, MOONSHARD_CONTROLLER_JAR).

MOONSHARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MOONSHARD_JAR="$MOONSHARD_ROOT/proxy-server/target/moonshard-proxy.jar"
MOONSHARD_CONTROLLER_JAR="$MOONSHARD_ROOT/controller/target/moonshard-controller.jar"
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
  if [ -z "$version" ] || [ "$version" -lt 17 ]; then
    die "Moonshard needs JDK 17 or newer; found: $(javac -version 2>&1)"
  fi
}

# The sources each runnable jar is made of (the poms that shape it, the modules inside it), for the
# staleness check; the controller jar holds no proxy code (ControllerLayersTest).
_MOONSHARD_PROXY_SOURCES=(pom.xml resp-codec cluster-protocol proxy-core proxy-server)
_MOONSHARD_CONTROLLER_SOURCES=(pom.xml resp-codec cluster-protocol controller)

# jar_stale JAR SOURCE...: prints why JAR needs building (missing, or the first source file newer
# than it) and succeeds; fails, printing nothing, when JAR is up to date.
jar_stale() {
  local jar=$1 newer
  shift
  if [ ! -f "$jar" ]; then
    printf '%s is missing\n' "${jar#"$MOONSHARD_ROOT"/}"
    return 0
  fi
  newer=$(cd "$MOONSHARD_ROOT" || exit 0
    find "$@" -path '*/target' -prune -o -type f \( -name pom.xml -o -path '*/src/main/*' \) \
      -newer "$jar" -print -quit 2>/dev/null || true)
  [ -n "$newer" ] || return 1
  printf '%s is newer than %s\n' "$newer" "${jar#"$MOONSHARD_ROOT"/}"
}

# build_modules MODULE...: one Maven run packaging MODULEs and what they need, tests skipped.
build_modules() {
  ensure_jdk
  (cd "$MOONSHARD_ROOT" && ./mvnw -q -B -DskipTests -pl "$(IFS=,; echo "$*")" -am package) >&2 ||
    die "build failed; run ./mvnw -B -DskipTests package to see why"
}

# Builds proxy-server/target/moonshard-proxy.jar ($MOONSHARD_JAR) when it is missing or older than any
# source or pom.
ensure_jar() {
  local why
  why=$(jar_stale "$MOONSHARD_JAR" "${_MOONSHARD_PROXY_SOURCES[@]}") || return 0
  log "building the proxy jar: $why (a first build downloads Maven and dependencies)"
  build_modules proxy-server
  [ -f "$MOONSHARD_JAR" ] || die "build did not produce $MOONSHARD_JAR"
}

# ensure_jars: both runnable jars, the proxy's and the controller's, in one Maven run when either is
# missing or stale (the controller module's build needs the proxy jar's reactor anyway).
ensure_jars() {
  local why="" modules=() jar
  if why=$(jar_stale "$MOONSHARD_JAR" "${_MOONSHARD_PROXY_SOURCES[@]}"); then
    log "building the proxy jar: $why"
    modules+=(proxy-server)
  fi
  if why=$(jar_stale "$MOONSHARD_CONTROLLER_JAR" "${_MOONSHARD_CONTROLLER_SOURCES[@]}"); then
    log "building the controller jar: $why"
    modules+=(controller)
  fi
  [ "${#modules[@]}" -eq 0 ] && return 0
  log "(a first build downloads Maven and dependencies)"
  build_modules "${modules[@]}"
  for jar in "$MOONSHARD_JAR" "$MOONSHARD_CONTROLLER_JAR"; do
    [ -f "$jar" ] || die "build did not produce $jar"
  done
}

# port_in_use PORT [HOST]: true when something accepts TCP connections on HOST (127.0.0.1):PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
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

# benchmarks_classpath BUILD_LOG CLASS...: the classpath of the benchmarks module's tools (its classes, then
# its dependencies), building the module first when one of the named classes is missing or older than its
# source, or the dependency list older than the module's pom; the build's output goes to BUILD_LOG
benchmarks_classpath() {
  local build_log=$1 c stale=""
  local classes="$MOONSHARD_ROOT/benchmarks/target/classes" cp_file="$MOONSHARD_ROOT/benchmarks/target/migration.classpath"
  shift
  for c in "$@"; do
    if [ ! -f "$classes/io/moonshard/benchmarks/$c.class" ] ||
      [ "$MOONSHARD_ROOT/benchmarks/src/main/java/io/moonshard/benchmarks/$c.java" -nt "$classes/io/moonshard/benchmarks/$c.class" ]; then
      stale=1
    fi
  done
  if [ -n "$stale" ] || [ ! -s "$cp_file" ] || [ "$MOONSHARD_ROOT/benchmarks/pom.xml" -nt "$cp_file" ]; then
    log "building the benchmarks module (for $*)"
    ensure_jdk >&2 # this function's output is the classpath
    (cd "$MOONSHARD_ROOT" && ./mvnw -q -B -DskipTests -pl benchmarks -am package dependency:build-classpath \
      -Dmdep.outputFile="$cp_file.tmp") >"$build_log" 2>&1 || die "build failed (see $build_log)"
    mv "$cp_file.tmp" "$cp_file"
  fi
  printf '%s:%s\n' "$classes" "$(cat "$cp_file")"
}
