# shellcheck shell=bash
# MOONSHARD_CLUSTER_MODE=static of scripts/moonshard-cluster.sh: N redis-server + N proxies on
# 127.0.0.1, each proxy owning one slot range on its own Redis and naming the others as peers (UMCTL
# SETCLUSTER pushed by this script; no controller, no replicas). Sourced by moonshard-cluster.sh after
# lib/common.sh, with CLUSTER_DIR and CLUSTER_NAME set; defines do_start, do_stop, do_status, do_reshard.

read -r -a REDIS_PORTS <<<"${MOONSHARD_CLUSTER_REDIS_PORTS:-7001 7002 7003}"
read -r -a PROXY_PORTS <<<"${MOONSHARD_CLUSTER_PROXY_PORTS:-5299 5300 5301}"
HOST=127.0.0.1
PROXY_PATTERN=moonshard-proxy.jar

check_settings() {
  [ "${#REDIS_PORTS[@]}" -ge 1 ] || die "MOONSHARD_CLUSTER_REDIS_PORTS is empty"
  [ "${#REDIS_PORTS[@]}" -eq "${#PROXY_PORTS[@]}" ] ||
    die "need as many proxy ports (${PROXY_PORTS[*]}) as Redis ports (${REDIS_PORTS[*]})"
  local p
  for p in "${REDIS_PORTS[@]}" "${PROXY_PORTS[@]}"; do
    if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "not a port: '$p'"; fi
  done
}

redis_pidfile() { printf '%s/redis-%s.pid\n' "$CLUSTER_DIR" "$1"; }
proxy_pidfile() { printf '%s/proxy-%s.pid\n' "$CLUSTER_DIR" "$1"; }
read_pid() { if [ -f "$1" ]; then tr -dc '0-9' <"$1"; fi; }

cli() { # cli PORT ARGS...: one command, raw reply on stdout
  local port=$1
  shift
  redis-cli -h "$HOST" -p "$port" "$@"
}

anything_running() {
  local p
  for p in "${REDIS_PORTS[@]}"; do
    pid_matches "$(read_pid "$(redis_pidfile "$p")")" redis-server && return 0
  done
  for p in "${PROXY_PORTS[@]}"; do
    pid_matches "$(read_pid "$(proxy_pidfile "$p")")" "$PROXY_PATTERN" && return 0
  done
  return 1
}

# The SETCLUSTER line for proxy number $1: its own Redis and range, then every other proxy as a PEER.
setcluster_args() {
  local me=$1 i
  local -a ranges
  mapfile -t ranges < <(slot_ranges "${#PROXY_PORTS[@]}")
  printf '%s\n' UMCTL SETCLUSTER v2 1 NOFLAGS "$CLUSTER_NAME" "$HOST:${REDIS_PORTS[$me]}" 1 "${ranges[$me]}" PEER
  # one PEER section listing every other proxy (a second PEER keyword would replace the first)
  for i in "${!PROXY_PORTS[@]}"; do
    [ "$i" -eq "$me" ] && continue
    printf '%s\n' "$HOST:${PROXY_PORTS[$i]}" 1 "${ranges[$i]}"
  done
}

layout_file() { printf '%s/layout\n' "$CLUSTER_DIR"; }
epoch_file() { printf '%s/epoch\n' "$CLUSTER_DIR"; }

# OWNER[slot] = index of the proxy owning it, from the layout file (lines "<index> <s-e>...")
load_owners() {
  OWNER=()
  local index range s e x
  local -a line
  while read -r -a line; do
    index=${line[0]}
    for range in "${line[@]:1}"; do
      s=${range%-*} e=${range#*-}
      for ((x = s; x <= e; x++)); do OWNER[x]=$index; done
    done
  done <"$(layout_file)"
}

# ranges_of INDEX [SKIP_FILE]: the ranges proxy INDEX owns, as "s-e" words; slots marked in SKIP[] left out
ranges_of() {
  local want=$1 x start=-1 out=()
  for ((x = 0; x <= 16384; x++)); do
    if [ "$x" -lt 16384 ] && [ "${OWNER[x]}" = "$want" ] && [ -z "${SKIP[x]:-}" ]; then
      [ "$start" -lt 0 ] && start=$x
    elif [ "$start" -ge 0 ]; then
      out+=("$start-$((x - 1))")
      start=-1
    fi
  done
  printf '%s\n' "${out[@]}"
}

# entry ADDRESS INDEX: "<address> <n> <ranges>" for the stable ranges of proxy INDEX
entry() {
  local -a r
  mapfile -t r < <(ranges_of "$2")
  [ -z "${r[0]:-}" ] && r=()
  printf '%s\n' "$1" "${#r[@]}" "${r[@]}"
}

# move_args ME EPOCH FROM TO MOVING...: the SETCLUSTER of proxy ME while MOVING goes FROM -> TO
# (FROM empty: no move, the plain layout)
move_args() {
  local me=$1 epoch=$2 from=$3 to=$4 i tag
  shift 4
  local -a moving=("$@")
  local meta=""
  [ -n "$from" ] && meta="$epoch $HOST:${PROXY_PORTS[$from]} $HOST:${REDIS_PORTS[$from]} $HOST:${PROXY_PORTS[$to]} $HOST:${REDIS_PORTS[$to]}"
  printf '%s\n' UMCTL SETCLUSTER v2 "$epoch" NOFLAGS "$CLUSTER_NAME"
  entry "$HOST:${REDIS_PORTS[$me]}" "$me"
  for i in "$from" "$to"; do
    if [ -z "$i" ] || [ "$i" != "$me" ]; then continue; fi
    tag=MIGRATING && [ "$i" = "$to" ] && tag=IMPORTING
    # shellcheck disable=SC2086 # meta is a list of words
    printf '%s\n' "$HOST:${REDIS_PORTS[$me]}" "$tag" "${#moving[@]}" "${moving[@]}" $meta
  done
  printf '%s\n' PEER
  for i in "${!PROXY_PORTS[@]}"; do
    [ "$i" -eq "$me" ] && continue
    entry "$HOST:${PROXY_PORTS[$i]}" "$i"
    if [ -n "$from" ] && { [ "$i" = "$from" ] || [ "$i" = "$to" ]; }; then
      tag=MIGRATING && [ "$i" = "$to" ] && tag=IMPORTING
      # shellcheck disable=SC2086
      printf '%s\n' "$HOST:${PROXY_PORTS[$i]}" "$tag" "${#moving[@]}" "${moving[@]}" $meta
    fi
  done
}

index_of_port() {
  local i
  for i in "${!PROXY_PORTS[@]}"; do
    [ "${PROXY_PORTS[$i]}" = "$1" ] && { echo "$i"; return 0; }
  done
  die "no proxy of this cluster listens on port $1 (proxies: ${PROXY_PORTS[*]})"
}

# push_all EPOCH FROM TO MOVING...: SETCLUSTER to TO first, then the others, then FROM
push_all() {
  local epoch=$1 from=$2 to=$3 i reply
  shift 3
  local -a args order=("$to")
  for i in "${!PROXY_PORTS[@]}"; do
    [ "$i" != "$from" ] && [ "$i" != "$to" ] && order+=("$i")
  done
  order+=("$from")
  for i in "${order[@]}"; do
    if [ "$#" -gt 0 ]; then
      mapfile -t args < <(move_args "$i" "$epoch" "$from" "$to" "$@")
    else
      mapfile -t args < <(move_args "$i" "$epoch" "" "")
    fi
    reply=$(cli "${PROXY_PORTS[$i]}" "${args[@]}" 2>&1) || true
    [ "$reply" = OK ] || die "UMCTL SETCLUSTER to port ${PROXY_PORTS[$i]} answered: $reply"
  done
}

do_reshard() {
  [ "$#" -ge 3 ] || die "usage: $0 reshard FROM_PORT TO_PORT RANGE..."
  [ -f "$(layout_file)" ] || die "no cluster layout in $CLUSTER_DIR: start the cluster first"
  local from to range s e x epoch
  from=$(index_of_port "$1")
  to=$(index_of_port "$2")
  [ "$from" != "$to" ] || die "FROM and TO are the same proxy"
  shift 2
  local -a moving=("$@")
  load_owners
  SKIP=()
  for range in "${moving[@]}"; do
    [[ "$range" =~ ^[0-9]+-[0-9]+$ ]] || die "not a slot range (s-e): $range"
    s=${range%-*} e=${range#*-}
    if [ "$s" -gt "$e" ] || [ "$e" -gt 16383 ]; then die "bad slot range: $range"; fi
    for ((x = s; x <= e; x++)); do
      [ "${OWNER[x]}" = "$from" ] || die "slot $x is not on the proxy at port ${PROXY_PORTS[$from]}"
      SKIP[x]=1
    done
  done
  epoch=$(($(cat "$(epoch_file)") + 1))
  local started=$SECONDS
  echo "epoch $epoch: tagging ${moving[*]} MIGRATING at :${PROXY_PORTS[$from]}, IMPORTING at :${PROXY_PORTS[$to]}"
  push_all "$epoch" "$from" "$to" "${moving[@]}"
  echo "$epoch" >"$(epoch_file)"
  local task="$CLUSTER_NAME MIGRATING ${#moving[@]} ${moving[*]} $epoch $HOST:${PROXY_PORTS[$from]} $HOST:${REDIS_PORTS[$from]} $HOST:${PROXY_PORTS[$to]} $HOST:${REDIS_PORTS[$to]}"
  local imported=${task/ MIGRATING / IMPORTING }
  committed() {
    cli "${PROXY_PORTS[$from]}" UMCTL INFOMGR | grep -qxF "$task" &&
      cli "${PROXY_PORTS[$to]}" UMCTL INFOMGR | grep -qxF "$imported"
  }
  until committed; do
    [ $((SECONDS - started)) -lt 3600 ] || die "not committed after an hour; UMCTL INFOMGR PROGRESS shows why"
    cli "${PROXY_PORTS[$from]}" UMCTL INFOMGR PROGRESS | sed 's/^/  /'
    sleep 1
  done
  echo "both proxies committed after $((SECONDS - started)) s; making it permanent"
  for ((x = 0; x < 16384; x++)); do
    [ -n "${SKIP[x]:-}" ] && OWNER[x]=$to
  done
  SKIP=()
  epoch=$((epoch + 1))
  push_all "$epoch" "$from" "$to"
  echo "$epoch" >"$(epoch_file)"
  : >"$(layout_file)"
  local i
  local -a r
  for i in "${!PROXY_PORTS[@]}"; do
    mapfile -t r < <(ranges_of "$i")
    printf '%s %s\n' "$i" "${r[*]}" >>"$(layout_file)"
    printf '  proxy %s:%s  slots %s\n' "$HOST" "${PROXY_PORTS[$i]}" "${r[*]:-none}"
  done
  echo "done in $((SECONDS - started)) s (the source deletes the moved keys in the background)"
}

# start_failed MESSAGE [LOG...]: show the logs' last lines, stop what was started, exit 1.
start_failed() {
  local message=$1 f
  shift
  for f in "$@"; do
    [ -f "$f" ] || continue
    log "--- last lines of $f"
    tail -n 15 "$f" >&2 || true
  done
  log "error: $message"
  do_stop >/dev/null 2>&1 || true
  exit 1
}

do_start() {
  check_settings
  if anything_running; then
    log "already running (stop it first with: $0 stop)"
    do_status || true
    return 0
  fi
  ensure_packages redis-server=redis-server redis-cli=redis-tools
  command -v java >/dev/null 2>&1 || ensure_jdk
  ensure_jar

  local p
  for p in "${REDIS_PORTS[@]}" "${PROXY_PORTS[@]}"; do
    port_in_use "$p" && die "port $p on $HOST is in use (choose others with MOONSHARD_CLUSTER_*_PORTS)"
  done

  mkdir -p "$CLUSTER_DIR"
  rm -rf "${CLUSTER_DIR:?}"/redis-* "${CLUSTER_DIR:?}"/proxy-*
  echo static >"$(mode_file)" # stop, status and reshard find this mode without the variable

  for p in "${REDIS_PORTS[@]}"; do
    mkdir -p "$CLUSTER_DIR/redis-$p"
    redis-server --port "$p" --bind "$HOST" --daemonize yes --pidfile "$(redis_pidfile "$p")" \
      --dir "$CLUSTER_DIR/redis-$p" --logfile "$CLUSTER_DIR/redis-$p.log" \
      --save "" --appendonly no >/dev/null ||
      start_failed "redis-server on port $p did not start" "$CLUSTER_DIR/redis-$p.log"
  done

  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
  for p in "${PROXY_PORTS[@]}"; do
    nohup setsid java ${MOONSHARD_JAVA_OPTS:-} -jar "$MOONSHARD_JAR" \
      --address "$HOST:$p" --announce-address "$HOST:$p" \
      >"$CLUSTER_DIR/proxy-$p.log" 2>&1 </dev/null &
    echo $! >"$(proxy_pidfile "$p")"
  done

  for p in "${REDIS_PORTS[@]}"; do
    wait_until 30 redis_answers "$p" ||
      start_failed "redis-server on port $p does not answer PING" "$CLUSTER_DIR/redis-$p.log"
  done
  for p in "${PROXY_PORTS[@]}"; do
    wait_until 60 proxy_answers_or_died "$p" ||
      start_failed "the proxy on port $p does not answer PING" "$CLUSTER_DIR/proxy-$p.log"
    pid_matches "$(read_pid "$(proxy_pidfile "$p")")" "$PROXY_PATTERN" ||
      start_failed "the proxy on port $p exited" "$CLUSTER_DIR/proxy-$p.log"
  done

  local i reply
  local -a args
  for i in "${!PROXY_PORTS[@]}"; do
    mapfile -t args < <(setcluster_args "$i")
    reply=$(cli "${PROXY_PORTS[$i]}" "${args[@]}" 2>&1) || true
    [ "$reply" = OK ] || start_failed "UMCTL SETCLUSTER to port ${PROXY_PORTS[$i]} answered: $reply" \
      "$CLUSTER_DIR/proxy-${PROXY_PORTS[$i]}.log"
  done
  # the layout and epoch that reshard starts from
  : >"$(layout_file)"
  for i in "${!PROXY_PORTS[@]}"; do
    mapfile -t args < <(slot_ranges "${#PROXY_PORTS[@]}")
    printf '%s %s\n' "$i" "${args[$i]}" >>"$(layout_file)"
  done
  echo 1 >"$(epoch_file)"
  for p in "${PROXY_PORTS[@]}"; do
    wait_until 30 proxy_ready "$p" ||
      start_failed "the proxy on port $p is not ready (UMCTL READY)" "$CLUSTER_DIR/proxy-$p.log"
  done

  # one write and read through redirects, as a user's first command would do
  reply=$(redis-cli -c -h "$HOST" -p "${PROXY_PORTS[0]}" set moonshard:smoke ok 2>&1) || true
  [ "$reply" = OK ] || start_failed "SET through the cluster answered: $reply"
  reply=$(redis-cli -c -h "$HOST" -p "${PROXY_PORTS[0]}" getdel moonshard:smoke 2>&1) || true
  [ "$reply" = ok ] || start_failed "GETDEL through the cluster answered: $reply"

  local -a ranges
  mapfile -t ranges < <(slot_ranges "${#PROXY_PORTS[@]}")
  echo "Moonshard cluster '$CLUSTER_NAME' is up:"
  for i in "${!PROXY_PORTS[@]}"; do
    printf '  proxy %s:%s -> redis %s:%s  slots %s\n' "$HOST" "${PROXY_PORTS[$i]}" "$HOST" "${REDIS_PORTS[$i]}" \
      "${ranges[$i]}"
  done
  echo
  echo "Connect:  redis-cli -c -p ${PROXY_PORTS[0]}"
  echo "Stop:     $0 stop"
  echo "Logs:     $CLUSTER_DIR/*.log"
}

redis_answers() { [ "$(cli "$1" PING 2>/dev/null)" = PONG ]; }
# succeeds when the proxy answers, and also when it has died (the caller tells the two apart)
proxy_answers_or_died() {
  redis_answers "$1" || ! pid_matches "$(read_pid "$(proxy_pidfile "$1")")" "$PROXY_PATTERN"
}
proxy_ready() { [ "$(cli "$1" UMCTL READY 2>/dev/null)" = 1 ]; }

do_stop() {
  check_settings
  local p pid stopped=0
  for p in "${PROXY_PORTS[@]}"; do
    pid=$(read_pid "$(proxy_pidfile "$p")")
    if pid_matches "$pid" "$PROXY_PATTERN"; then
      stop_pid "$pid" "$PROXY_PATTERN" 20
      echo "stopped proxy $HOST:$p (pid $pid)"
      stopped=$((stopped + 1))
    fi
    rm -f "$(proxy_pidfile "$p")"
  done
  for p in "${REDIS_PORTS[@]}"; do
    pid=$(read_pid "$(redis_pidfile "$p")")
    if pid_matches "$pid" redis-server; then
      stop_pid "$pid" redis-server 20
      echo "stopped redis $HOST:$p (pid $pid)"
      stopped=$((stopped + 1))
    fi
    rm -f "$(redis_pidfile "$p")"
  done
  rm -f "$(mode_file)"
  [ "$stopped" -gt 0 ] || echo "nothing was running"
}

do_status() {
  check_settings
  local p pid all=0
  for p in "${REDIS_PORTS[@]}"; do
    pid=$(read_pid "$(redis_pidfile "$p")")
    if pid_matches "$pid" redis-server; then
      printf 'redis  %s:%-5s running  pid %s\n' "$HOST" "$p" "$pid"
    else
      printf 'redis  %s:%-5s stopped\n' "$HOST" "$p"
      all=3
    fi
  done
  for p in "${PROXY_PORTS[@]}"; do
    pid=$(read_pid "$(proxy_pidfile "$p")")
    if pid_matches "$pid" "$PROXY_PATTERN"; then
      printf 'proxy  %s:%-5s running  pid %s  ready=%s\n' "$HOST" "$p" "$pid" \
        "$(cli "$p" UMCTL READY 2>/dev/null || echo '?')"
    else
      printf 'proxy  %s:%-5s stopped\n' "$HOST" "$p"
      all=3
    fi
  done
  return "$all"
}
