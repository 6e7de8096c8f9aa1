#!/bin/sh
# The storage pod's glue between Kubernetes and Moonshard. One file (mounted from a ConfigMap at
# /hooks) so that there is one place to change when the controller's CLI changes. Subcommands:
#
#   redis PORT      redis containers: run redis-server on PORT (no persistence; its password, from
#                   $REDIS_PASSWORD, fed through standard input so that it never shows in ps)
#   register        registrar container: once the proxy and both Redis answer, add this pod's proxy to
#                   the controller's pool (retried until the controller takes it), then idle
#   drain           proxy container, preStop: ask the controller to move every role off this proxy
#                   before the proxy gets its SIGTERM
#   wait-drained    redis containers, preStop: keep Redis up until the drain is over and the proxy
#                   has stopped, so the proxy never loses its Redis while it still serves
#
# The controller calls it expects (docs/kubernetes.md, "The hooks' controller calls"):
#   proxy add   --controller URL --address IP:5299 --host NODE --nodes IP:6379,IP:6380 [--api-token-file F]
#   proxy drain --controller URL --address IP:5299 [--api-token-file F]
# "already registered" (an error whose text says "already" or "exists") counts as registered.
set -eu

cmd=${1:-}
RUN_DIR=${HOOK_RUN_DIR:-/run/moonshard}        # an emptyDir shared by the pod's containers
CONTROLLER=${HOOK_CONTROLLER:-http://moonshard-controller:7799}
API_TOKEN_FILE=${HOOK_API_TOKEN_FILE:-/secrets/api-token}
PROXY_PORT=${HOOK_PROXY_PORT:-5299}
ADMIN_PORT=${HOOK_ADMIN_PORT:-8080}
REDIS_PORTS=${HOOK_REDIS_PORTS:-6379 6380}
DRAIN_TIMEOUT=${HOOK_DRAIN_TIMEOUT:-60}         # seconds; below the pod's terminationGracePeriodSeconds
WAIT_TIMEOUT=${HOOK_WAIT_TIMEOUT:-80}           # seconds a Redis waits for the drain and the proxy
# The controller's CLI, in a small JVM: it runs beside the proxy, inside the proxy container's memory
# limit. A variable so that scripts/check-kubernetes.sh can put a recorder in its place.
CTL=${HOOK_CTL:-java -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar /opt/moonshard/moonshard-controller.jar}

log() {
  printf '%s storage-hooks %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$cmd" "$*" >&2
}

# A preStop hook's output is shown nowhere unless it fails; send it to the container's log instead
# (PID 1 of the container is its main process, run by the same user).
log_to_container() {
  if [ -w /proc/1/fd/2 ]; then
    exec 2>>/proc/1/fd/2
  fi
}

proxy_address() {
  printf '%s:%s' "${POD_IP:?POD_IP must be set (status.podIP)}" "$PROXY_PORT"
}

redis_nodes() {
  nodes=""
  for port in $REDIS_PORTS; do
    nodes="$nodes${nodes:+,}$POD_IP:$port"
  done
  printf '%s' "$nodes"
}

token_args() {
  # -e, not -r: a token file this user cannot read should fail loudly in the CLI, not go unsent.
  if [ -e "$API_TOKEN_FILE" ]; then
    printf '%s %s' --api-token-file "$API_TOKEN_FILE"
  fi
}

proxy_alive() {
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$ADMIN_PORT/health" 2>/dev/null
}

redis_answers() {
  # REDISCLI_AUTH: redis-cli's way to take a password without it showing in ps.
  [ "$(REDISCLI_AUTH=${REDIS_PASSWORD:-} redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = PONG ]
}

locally_up() {
  proxy_alive || return 1
  for port in $REDIS_PORTS; do
    redis_answers "$port" || return 1
  done
}

# Redis's config syntax: a double-quoted string, with \ and " escaped.
quoted() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

case "$cmd" in
redis)
  port=${2:?usage: storage-hooks.sh redis PORT}
  dir=${HOOK_REDIS_DATA:-/data}/$port
  mkdir -p "$dir"
  auth=""
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    auth="requirepass $(quoted "$REDIS_PASSWORD")
masterauth $(quoted "$REDIS_PASSWORD")"
  fi
  # No persistence: a Redis that restarts comes back empty, and the proxy in front of it refuses its
  # slots until the controller fails over to the replica (docs/operations.md, "Replication and
  # failover"). replica-announce-ip: the address the proxies know this node by, which FAILOVER TO needs.
  # "-" reads this configuration from standard input; exec so that redis-server gets the SIGTERM.
  exec redis-server - <<EOF
port $port
bind * -::*
protected-mode no
dir $dir
save ""
appendonly no
replica-announce-ip ${POD_IP:?POD_IP must be set (status.podIP)}
maxmemory ${REDIS_MAXMEMORY:-1gb}
maxmemory-policy ${REDIS_MAXMEMORY_POLICY:-noeviction}
$auth
EOF
  ;;

register)
  address=$(proxy_address)
  nodes=$(redis_nodes)
  mkdir -p "$RUN_DIR"
  trap 'exit 0' TERM INT
  until locally_up; do
    sleep 1
  done
  delay=2
  # shellcheck disable=SC2046,SC2086 # CTL and token_args are word lists on purpose
  until out=$($CTL proxy add --controller "$CONTROLLER" --address "$address" \
      --host "${NODE_NAME:?NODE_NAME must be set (spec.nodeName)}" --nodes "$nodes" $(token_args) 2>&1); do
    case "$out" in
    *already* | *exists*) break ;;
    esac
    log "not registered yet, retrying in ${delay}s: $out"
    sleep "$delay"
    delay=$((delay * 2))
    if [ "$delay" -gt 30 ]; then delay=30; fi
  done
  : >"$RUN_DIR/registered"
  log "registered $address (host $NODE_NAME, nodes $nodes) with $CONTROLLER"
  # Idle until the pod stops; sleep in the background so that TERM ends it at once.
  while :; do
    sleep 3600 &
    wait $! || true
  done
  ;;

drain)
  log_to_container
  mkdir -p "$RUN_DIR"
  # Whatever happens, let the Redis containers go on stopping afterwards.
  trap ': >"$RUN_DIR/drained"' EXIT
  address=$(proxy_address)
  if [ ! -e "$RUN_DIR/registered" ]; then
    log "$address was never registered: nothing to drain"
    exit 0
  fi
  log "draining $address through $CONTROLLER (at most ${DRAIN_TIMEOUT}s)"
  # shellcheck disable=SC2046,SC2086 # CTL and token_args are word lists on purpose
  if out=$(timeout "$DRAIN_TIMEOUT" $CTL proxy drain --controller "$CONTROLLER" --address "$address" \
      $(token_args) 2>&1); then
    log "drained: $out"
  else
    log "not drained (the controller fails this proxy's masters over once it stops answering): $out"
  fi
  ;;

wait-drained)
  log_to_container
  deadline=$(($(date +%s) + WAIT_TIMEOUT))
  until [ -e "$RUN_DIR/drained" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "no drain after ${WAIT_TIMEOUT}s; stopping anyway"
      exit 0
    fi
    sleep 1
  done
  # The proxy gets its SIGTERM once its own preStop (the drain) is over; wait for it to stop.
  while proxy_alive; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "the proxy still answers after ${WAIT_TIMEOUT}s; stopping anyway"
      exit 0
    fi
    sleep 1
  done
  ;;

*)
  echo "usage: storage-hooks.sh redis PORT | register | drain | wait-drained" >&2
  exit 2
  ;;
esac
