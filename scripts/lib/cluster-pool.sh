# shellcheck shell=bash
# The default mode of scripts/moonshard-cluster.sh: a pool that the controller manages. One etcd, one
# controller, proxies spread round-robin over loopback "hosts" (127.0.0.1, 127.0.0.2: Linux routes all
# of 127/8 to lo), two redis-server beside each proxy on its host; the proxies are registered with the
# controller, which creates the cluster, pushes every proxy's metadata, attaches the replicas and fails
# over on its own. This script only starts processes and talks to the controller's CLI and API.
# Sourced by moonshard-cluster.sh after lib/common.sh, with CLUSTER_DIR and CLUSTER_NAME set; defines
# do_start, do_stop, do_status, do_kill_master, do_scale.

read -r -a HOSTS <<<"${MOONSHARD_CLUSTER_HOSTS:-127.0.0.1 127.0.0.2}"
read -r -a PROXY_PORTS <<<"${MOONSHARD_CLUSTER_PROXY_PORTS:-5299 5300 5301 5302}"
read -r -a REDIS_PORTS <<<"${MOONSHARD_CLUSTER_REDIS_PORTS:-7001 7002 7003 7004 7005 7006 7007 7008}"
# not etcd's own 2379/2380: installing Debian's etcd-server can start a system etcd on those
read -r -a ETCD_PORTS <<<"${MOONSHARD_CLUSTER_ETCD_PORTS:-12379 12380}"
CONTROLLER_PORT=${MOONSHARD_CLUSTER_CONTROLLER_PORT:-7799}
SHARDS=${MOONSHARD_CLUSTER_SHARDS:-2}
REPLICAS=${MOONSHARD_CLUSTER_REPLICAS:-1}
CONTROLLER_URL="http://127.0.0.1:$CONTROLLER_PORT"
PROXY_PATTERN=moonshard-proxy.jar
CONTROLLER_PATTERN=moonshard-controller.jar
# every CLI call is a short JVM of its own: the C1 compiler and the serial GC start it fastest
CLI_JAVA_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

# ---- settings and layout ----

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

check_settings() {
  [ "${#HOSTS[@]}" -ge 1 ] || die "MOONSHARD_CLUSTER_HOSTS is empty"
  [ "${#PROXY_PORTS[@]}" -ge 1 ] || die "MOONSHARD_CLUSTER_PROXY_PORTS is empty"
  [ "${#REDIS_PORTS[@]}" -eq $((2 * ${#PROXY_PORTS[@]})) ] ||
    die "need two Redis ports per proxy: ${#PROXY_PORTS[@]} proxies (${PROXY_PORTS[*]}), Redis ports ${REDIS_PORTS[*]}"
  [ "${#ETCD_PORTS[@]}" -eq 2 ] || die "MOONSHARD_CLUSTER_ETCD_PORTS is 'CLIENT PEER', not '${ETCD_PORTS[*]}'"
  local h p
  for h in "${HOSTS[@]}"; do
    # the processes get no password of their own beyond the admin one: keep them off the network
    [[ "$h" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a loopback address: '$h' (MOONSHARD_CLUSTER_HOSTS)"
  done
  for p in "${REDIS_PORTS[@]}" "${PROXY_PORTS[@]}" "${ETCD_PORTS[@]}" "$CONTROLLER_PORT"; do
    is_port "$p" || die "not a port: '$p'"
  done
  [[ "$SHARDS" =~ ^[1-9][0-9]*$ ]] || die "MOONSHARD_CLUSTER_SHARDS is not a count: '$SHARDS'"
  [[ "$REPLICAS" =~ ^[0-9]+$ ]] || die "MOONSHARD_CLUSTER_REPLICAS is not a count: '$REPLICAS'"
}

# proxy number $1: its host, its address, its two Redis nodes ("host:port" each)
proxy_host() { printf '%s\n' "${HOSTS[$(($1 % ${#HOSTS[@]}))]}"; }
proxy_address() { printf '%s:%s\n' "$(proxy_host "$1")" "${PROXY_PORTS[$1]}"; }
proxy_nodes() {
  local h
  h=$(proxy_host "$1")
  printf '%s:%s\n' "$h" "${REDIS_PORTS[$((2 * $1))]}" "$h" "${REDIS_PORTS[$((2 * $1 + 1))]}"
}
all_nodes() {
  local i
  for i in "${!PROXY_PORTS[@]}"; do proxy_nodes "$i"; done
}

# pid files and logs, named by address so two hosts may use the same port
pidfile_of() { printf '%s/%s.pid\n' "$CLUSTER_DIR" "$1"; }
logfile_of() { printf '%s/%s.log\n' "$CLUSTER_DIR" "$1"; }
redis_name() { printf 'redis-%s\n' "${1/:/-}"; }
proxy_name() { printf 'proxy-%s\n' "${1/:/-}"; }
read_pid() { if [ -f "$1" ]; then tr -dc '0-9' <"$1"; fi; }
# running NAME PATTERN: the pid of NAME's process when it runs (its command line matching PATTERN)
running() {
  local pid
  pid=$(read_pid "$(pidfile_of "$1")")
  pid_matches "$pid" "$2" && printf '%s\n' "$pid"
}

# every process start starts, as "NAME PATTERN LABEL", in the order stop stops them: the controller
# first, so that it does not fail over the Redis and proxies going away after it
processes() {
  local i node address
  printf '%s\n' "controller $CONTROLLER_PATTERN controller 127.0.0.1:$CONTROLLER_PORT"
  for i in "${!PROXY_PORTS[@]}"; do
    address=$(proxy_address "$i")
    printf '%s %s proxy %s\n' "$(proxy_name "$address")" "$PROXY_PATTERN" "$address"
  done
  while read -r node; do printf '%s redis-server redis %s\n' "$(redis_name "$node")" "$node"; done < <(all_nodes)
  printf '%s\n' "etcd etcd etcd 127.0.0.1:${ETCD_PORTS[0]}"
}

anything_running() {
  local name pattern _
  while read -r name pattern _; do
    running "$name" "$pattern" >/dev/null && return 0
  done < <(processes)
  return 1
}

# ---- the controller: its CLI (what a person types) and its API (what the waits poll) ----

# ctl ARGS...: one moonshard-controller CLI command against this pool's controller
ctl() {
  MOONSHARD_CONTROLLER=$CONTROLLER_URL java "${CLI_JAVA_OPTS[@]}" -jar "$MOONSHARD_CONTROLLER_JAR" "$@"
}

# the CLI line a person types, with --controller only when it is not the CLI's default
cli_hint() {
  local jar=${MOONSHARD_CONTROLLER_JAR#"$PWD"/} extra=""
  [ "$CONTROLLER_URL" = http://127.0.0.1:7799 ] || extra=" --controller $CONTROLLER_URL"
  printf 'java -jar %s %s%s\n' "$jar" "$*" "$extra"
}

# api PATH: GET of the controller's API (what `cluster status` etc. print), body on stdout. Polling uses
# this rather than the CLI: a CLI call costs a JVM start (about a second of CPU).
api() { curl -fsS --max-time 3 "$CONTROLLER_URL/api/v1/$1"; }
cluster_status() { api "clusters/$CLUSTER_NAME/status"; }
cluster_healthy() { cluster_status | jq -e '.healthy == true' >/dev/null; }
controller_leads() { api leader | jq -e '.this_instance_leads == true' >/dev/null; }

# print_shards STATUS_JSON: one line per master and replica, with the states the leader observes
print_shards() {
  jq -r '
    (.shards | map({key: (.id | tostring), value: (.slots | join(","))}) | from_entries) as $slots
    | .shard_status[]
    | "  shard \(.id)  slots \($slots[.id | tostring])",
      "    master   \(.master.node)  \(.master.state // "unobserved")  (proxy \(.master.proxy))",
      (.replicas[] | "    replica  \(.node)  \(.state // "unobserved")  offset \(.offset)  (proxy \(.proxy))")
  ' <<<"$1"
}

# ---- start ----

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

check_ports_free() {
  local i node
  port_in_use "${ETCD_PORTS[0]}" || port_in_use "${ETCD_PORTS[1]}" &&
    die "etcd's port ${ETCD_PORTS[*]} on 127.0.0.1 is in use (choose others with MOONSHARD_CLUSTER_ETCD_PORTS)"
  port_in_use "$CONTROLLER_PORT" &&
    die "port $CONTROLLER_PORT on 127.0.0.1 is in use (choose another with MOONSHARD_CLUSTER_CONTROLLER_PORT)"
  for i in "${!PROXY_PORTS[@]}"; do
    port_in_use "${PROXY_PORTS[$i]}" "$(proxy_host "$i")" &&
      die "$(proxy_address "$i") is in use (choose other ports with MOONSHARD_CLUSTER_PROXY_PORTS)"
  done
  while read -r node; do
    port_in_use "${node##*:}" "${node%:*}" && die "$node is in use (choose others with MOONSHARD_CLUSTER_REDIS_PORTS)"
  done < <(all_nodes)
  return 0
}

# A fresh directory: etcd's data would otherwise hold the last run's pool and cluster. The admin
# password and cluster secret are new each time and only in files of mode 600 (not on command lines).
fresh_dir() {
  mkdir -p "$CLUSTER_DIR"
  rm -rf "${CLUSTER_DIR:?}"/etcd "${CLUSTER_DIR:?}"/redis-* "${CLUSTER_DIR:?}"/proxy-* "${CLUSTER_DIR:?}"/*.pid \
    "${CLUSTER_DIR:?}"/*.log "${CLUSTER_DIR:?}"/layout "${CLUSTER_DIR:?}"/epoch
  echo pool >"$(mode_file)" # stop, status, kill-master and scale find this mode without the variable
  (
    umask 077
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$CLUSTER_DIR/admin-password"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$CLUSTER_DIR/cluster-secret"
  )
}

# launch NAME COMMAND...: COMMAND in the background, in its own session (a Ctrl-C of this script or
# a closed terminal does not reach it), output to NAME's log, pid to NAME's pid file
launch() {
  local name=$1
  shift
  nohup setsid "$@" >>"$(logfile_of "$name")" 2>&1 </dev/null &
  echo $! >"$(pidfile_of "$name")"
}

start_etcd() {
  local client="http://127.0.0.1:${ETCD_PORTS[0]}" peer="http://127.0.0.1:${ETCD_PORTS[1]}"
  launch etcd etcd --name moonshard --data-dir "$CLUSTER_DIR/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "moonshard=$peer" --initial-cluster-state new --logger zap --log-outputs stderr
}

# start_redis HOST:PORT: an empty, unpersisted redis-server (the controller never makes a node that
# came back empty a master; its replica has the data)
start_redis() {
  local node=$1 name
  name=$(redis_name "$node")
  mkdir -p "$CLUSTER_DIR/$name"
  # repl-diskless-sync-delay 0: a replica the controller attaches after a failover syncs at once,
  # not after Redis's default 5 s wait for more replicas
  launch "$name" redis-server --bind "${node%:*}" --port "${node##*:}" --daemonize no \
    --dir "$CLUSTER_DIR/$name" --logfile "$(logfile_of "$name")" --save "" --appendonly no \
    --repl-diskless-sync-delay 0
}

start_proxy() {
  local address
  address=$(proxy_address "$1")
  # the secrets reach the proxy through its environment (MOONSHARD_<OPTION>), not its command line
  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
  MOONSHARD_ADMIN_PASSWORD=$(cat "$CLUSTER_DIR/admin-password") \
    MOONSHARD_CLUSTER_SECRET=$(cat "$CLUSTER_DIR/cluster-secret") \
    launch "$(proxy_name "$address")" java ${MOONSHARD_JAVA_OPTS:-} -jar "$MOONSHARD_JAR" \
    --address "$address" --announce-address "$address"
}

start_controller() {
  # shellcheck disable=SC2086 # MOONSHARD_JAVA_OPTS is a list of JVM options
  # no API token (env -u): the API listens on loopback only, and the waits here poll it without one
  launch controller env -u MOONSHARD_API_TOKEN java ${MOONSHARD_JAVA_OPTS:-} -jar "$MOONSHARD_CONTROLLER_JAR" server \
    --etcd "http://127.0.0.1:${ETCD_PORTS[0]}" --listen "127.0.0.1:$CONTROLLER_PORT" --id moonshard-local \
    --proxy-admin-password-file "$CLUSTER_DIR/admin-password" --cluster-secret-file "$CLUSTER_DIR/cluster-secret"
}

# up_or_dead NAME PATTERN COMMAND...: true when COMMAND succeeds, and also when NAME's process has
# died (await_up tells the two apart), so a crash is reported at once rather than after the timeout
up_or_dead() {
  local name=$1 pattern=$2
  shift 2
  "$@" || ! running "$name" "$pattern" >/dev/null
}

# await_up SECONDS NAME PATTERN WHAT COMMAND...: waits until COMMAND succeeds while NAME runs
await_up() {
  local seconds=$1 name=$2 pattern=$3 what=$4
  shift 4
  wait_until "$seconds" up_or_dead "$name" "$pattern" "$@" ||
    start_failed "$what does not answer after $seconds s" "$(logfile_of "$name")"
  running "$name" "$pattern" >/dev/null || start_failed "$what exited" "$(logfile_of "$name")"
}

etcd_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:${ETCD_PORTS[0]}/health" | grep -q '"health":"true"'; }
pings() { [ "$(redis-cli -h "${1%:*}" -p "${1##*:}" PING 2>/dev/null)" = PONG ]; }

start_everything() {
  local i node
  start_etcd
  while read -r node; do start_redis "$node"; done < <(all_nodes)
  for i in "${!PROXY_PORTS[@]}"; do start_proxy "$i"; done
  await_up 30 etcd etcd "etcd on 127.0.0.1:${ETCD_PORTS[0]}" etcd_healthy
  start_controller
  while read -r node; do
    await_up 30 "$(redis_name "$node")" redis-server "redis-server $node" pings "$node"
  done < <(all_nodes)
  for i in "${!PROXY_PORTS[@]}"; do
    node=$(proxy_address "$i")
    await_up 60 "$(proxy_name "$node")" "$PROXY_PATTERN" "the proxy $node" pings "$node"
  done
  await_up 60 controller "$CONTROLLER_PATTERN" "the controller at $CONTROLLER_URL" controller_leads
}

# Registers every proxy and its two Redis with the controller, as an operator would.
register_proxies() {
  local i address nodes out
  for i in "${!PROXY_PORTS[@]}"; do
    address=$(proxy_address "$i")
    nodes=$(proxy_nodes "$i" | paste -sd, -)
    out=$(ctl proxy add --address "$address" --host "$(proxy_host "$i")" --nodes "$nodes" 2>&1) ||
      start_failed "proxy add $address answered: $out" "$(logfile_of controller)"
    echo "registered proxy $address (host $(proxy_host "$i"), redis $nodes)"
  done
}

create_cluster() {
  local out
  out=$(ctl cluster create "$CLUSTER_NAME" --shards "$SHARDS" --replicas "$REPLICAS" 2>&1) ||
    start_failed "cluster create answered: $out" "$(logfile_of controller)"
  echo "created cluster $CLUSTER_NAME: $SHARDS shards, $REPLICAS replica(s) each; waiting until it is healthy"
}

# the proxy a client starts from: one serving the cluster, on 127.0.0.1 when one is
entry_proxy() {
  cluster_status | jq -r '[.proxies[] | select(startswith("127.0.0.1:"))] + .proxies | .[0]'
}

# connect_line ADDRESS: the redis-cli command for it, as short as it can be
connect_line() {
  if [ "${1%:*}" = 127.0.0.1 ]; then
    printf 'redis-cli -c -p %s\n' "${1##*:}"
  else
    printf 'redis-cli -c -h %s -p %s\n' "${1%:*}" "${1##*:}"
  fi
}

# A few writes and reads through redirects, as a user's first commands would do; 16 keys land on
# every shard of a small cluster with near certainty, and the check does not depend on it.
smoke_test() {
  local entry=$1 k reply
  for k in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    reply=$(redis-cli -c -h "${entry%:*}" -p "${entry##*:}" SET "moonshard:smoke:$k" ok 2>&1) || true
    [ "$reply" = OK ] || start_failed "SET through $entry answered: $reply"
    reply=$(redis-cli -c -h "${entry%:*}" -p "${entry##*:}" GETDEL "moonshard:smoke:$k" 2>&1) || true
    [ "$reply" = ok ] || start_failed "GETDEL through $entry answered: $reply"
  done
}

do_start() {
  check_settings
  if anything_running; then
    log "already running (stop it first with: $0 stop)"
    do_status || true
    return 0
  fi
  ensure_packages redis-server=redis-server redis-cli=redis-tools etcd=etcd-server etcdctl=etcd-client \
    jq=jq curl=curl
  command -v java >/dev/null 2>&1 || ensure_jdk
  ensure_jars
  check_ports_free
  fresh_dir
  start_everything
  register_proxies
  create_cluster
  wait_until 60 cluster_healthy ||
    start_failed "cluster $CLUSTER_NAME is not healthy after 60 s: $(cluster_status 2>&1 | jq -c . 2>/dev/null)" \
      "$(logfile_of controller)"
  local entry status
  entry=$(entry_proxy)
  smoke_test "$entry"
  status=$(cluster_status)
  echo
  echo "Moonshard cluster '$CLUSTER_NAME' is up, managed by the controller at $CONTROLLER_URL:"
  print_shards "$status"
  echo "  spare proxies (for failover and scaling): $(free_proxies | paste -sd' ' -)"
  echo
  echo "Connect:  $(connect_line "$entry")"
  echo "Watch:    $0 status"
  echo "          $(cli_hint cluster status "$CLUSTER_NAME")"
  echo "Try:      $0 kill-master 0     # kill -9 shard 0's master Redis; the controller promotes its replica"
  echo "          $0 scale $((SHARDS + 1))           # the controller adds a shard and moves slots to it"
  echo "Stop:     $0 stop"
  echo "Logs:     $CLUSTER_DIR/*.log"
}

free_proxies() { api proxies | jq -r '.proxies[] | select(.cluster == null) | .address'; }

# ---- stop, status ----

do_stop() {
  check_settings
  local name pattern label pid stopped=0
  while read -r name pattern label; do
    if pid=$(running "$name" "$pattern"); then
      stop_pid "$pid" "$pattern" 20
      echo "stopped $label (pid $pid)"
      stopped=$((stopped + 1))
    fi
    rm -f "$(pidfile_of "$name")"
  done < <(processes)
  rm -f "$(mode_file)"
  [ "$stopped" -gt 0 ] || echo "nothing was running"
}

# print_process KIND WHERE NAME PATTERN [NOTE]: one line of status; fails when it does not run
print_process() {
  local pid
  if pid=$(running "$3" "$4"); then
    printf '%-10s %-16s running  pid %-8s %s\n' "$1" "$2" "$pid" "${5:-}" | sed 's/ *$//'
  else
    printf '%-10s %-16s stopped\n' "$1" "$2"
    return 1
  fi
}

do_status() {
  check_settings
  local code=0 i node address proxies leads="" status
  # the pool as the controller keeps it: which proxies serve the cluster, which are spares
  if proxies=$(api proxies 2>/dev/null); then
    controller_leads && leads=leader
  else
    proxies='{"proxies": []}'
  fi
  print_process etcd "127.0.0.1:${ETCD_PORTS[0]}" etcd etcd || code=3
  print_process controller "127.0.0.1:$CONTROLLER_PORT" controller "$CONTROLLER_PATTERN" "$leads" || code=3
  for i in "${!PROXY_PORTS[@]}"; do
    address=$(proxy_address "$i")
    print_process proxy "$address" "$(proxy_name "$address")" "$PROXY_PATTERN" \
      "$(jq -r --arg a "$address" '.proxies[] | select(.address == $a)
           | (if .cluster then "cluster " + .cluster else "spare" end)
             + (if .reachable == false then ", unreachable" else "" end)' <<<"$proxies")" ||
      code=3
    while read -r node; do
      print_process redis "$node" "$(redis_name "$node")" redis-server "(beside proxy $address)" || code=3
    done < <(proxy_nodes "$i")
  done
  echo
  if ! status=$(cluster_status 2>&1); then
    echo "the controller at $CONTROLLER_URL gives no status of cluster $CLUSTER_NAME: $status"
    return 3
  fi
  jq -r '"cluster \(.name)  epoch \(.epoch)  healthy \(.healthy)  in_sync \(.in_sync)  moves \(.moves | length)"' \
    <<<"$status"
  print_shards "$status"
  echo
  echo "(the controller's view in full: $(cli_hint cluster status "$CLUSTER_NAME"))"
  jq -e '.healthy == true' >/dev/null <<<"$status" || code=3
  return "$code"
}

# ---- kill-master, scale ----

now_ms() { date +%s%3N; }

# shard_master STATUS_JSON SHARD: the master node of SHARD ("" when there is no such shard)
shard_master() { jq -r --argjson id "$2" '.shards[] | select(.id == $id) | .master.node' <<<"$1"; }

# master_replaced SHARD OLD: the status shows another master than OLD for SHARD
master_replaced() {
  local m
  m=$(shard_master "$(cluster_status)" "$1") && [ -n "$m" ] && [ "$m" != "$2" ]
}

do_kill_master() {
  check_settings
  local shard=${1:-0} status old pid t0 t_master t_healthy name
  [[ "$shard" =~ ^[0-9]+$ ]] || die "usage: $0 kill-master [SHARD]  (a shard id, e.g. 0)"
  status=$(cluster_status 2>&1) || die "the controller at $CONTROLLER_URL does not answer: $status (is the cluster started?)"
  old=$(shard_master "$status" "$shard")
  [ -n "$old" ] || die "cluster $CLUSTER_NAME has no shard $shard (shards: $(jq -r '[.shards[].id] | join(" ")' <<<"$status"))"
  name=$(redis_name "$old")
  pid=$(running "$name" redis-server) || die "shard $shard's master $old is not a redis-server this script runs"
  echo "shard $shard: master $old (pid $pid); kill -9"
  t0=$(now_ms)
  kill -KILL "$pid"
  wait_until 60 master_replaced "$shard" "$old" ||
    die "no new master for shard $shard after 60 s; see $(logfile_of controller)"
  t_master=$(now_ms)
  wait_until 60 cluster_healthy || die "cluster $CLUSTER_NAME not healthy 60 s after the kill; see $(logfile_of controller)"
  t_healthy=$(now_ms)
  status=$(cluster_status)
  echo "new master of shard $shard: $(shard_master "$status" "$shard") after $((t_master - t0)) ms;" \
    "cluster healthy after $((t_healthy - t0)) ms"
  print_shards "$status"
  # As a supervisor (systemd, Kubernetes) would: the node comes back, empty, and is the controller's
  # to use again as a replica or a spare; it is never made a master with no data.
  start_redis "$old"
  wait_until 30 pings "$old" || die "redis-server $old did not come back; see $(logfile_of "$name")"
  echo "restarted $old empty (pid $(running "$name" redis-server)), as a supervisor would"
}

# scale_done N: the cluster has N shards, no move in flight, and is healthy
scale_done() {
  cluster_status | jq -e --argjson n "$1" '(.shards | length) == $n and (.moves | length) == 0 and .healthy' >/dev/null
}

do_scale() {
  check_settings
  local n=${1:-} out t0 timeout=${MOONSHARD_CLUSTER_SCALE_TIMEOUT:-600}
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "usage: $0 scale SHARDS  (the number of masters wanted)"
  # Scaling is the controller's: it chooses the proxies, moves the slots with their keys, and retires
  # what is left over. This only asks and watches.
  if ! out=$(ctl cluster scale "$CLUSTER_NAME" --shards "$n" 2>&1); then
    if grep -qE 'Unmatched argument|Unknown subcommand|Unknown option|no such endpoint' <<<"$out"; then
      die "this controller has no 'cluster scale' yet (its CLI answered: $(head -n 1 <<<"$out")); it cannot scale"
    fi
    die "cluster scale answered: $out"
  fi
  echo "asked the controller for $n shards; waiting until the moves are done and the cluster is healthy"
  t0=$(now_ms)
  local seen="" now
  until scale_done "$n"; do
    [ $(($(now_ms) - t0)) -lt $((timeout * 1000)) ] ||
      die "not done after $timeout s (MOONSHARD_CLUSTER_SCALE_TIMEOUT); see $(logfile_of controller)"
    # a line each time the picture changes, so a long move shows it is moving
    now=$(cluster_status 2>/dev/null |
      jq -r '"  shards \(.shards | length), moves in flight \(.moves | length), healthy \(.healthy)"' 2>/dev/null) || now=""
    [ -z "$now" ] || [ "$now" = "$seen" ] || { echo "$now"; seen=$now; }
    sleep 1
  done
  echo "scaled to $n shards in $(($(now_ms) - t0)) ms"
  print_shards "$(cluster_status)"
}
