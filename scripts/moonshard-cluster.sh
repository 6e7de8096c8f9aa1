#!/usr/bin/env bash
# A local Moonshard cluster on loopback that manages itself: one etcd, the controller, 4 proxies on
# 127.0.0.1 and 127.0.0.2 (2 each) with 2 redis-server beside each; the controller creates the cluster
# (2 shards, a master and a replica each, never on the same host) and fails over on its own.
#
#   scripts/moonshard-cluster.sh start    install what is missing, build the jars if needed, start,
#                                         register the proxies, create the cluster, print how to connect
#   scripts/moonshard-cluster.sh status   what runs, and the controller's view of the cluster
#                                         (exit 0 when everything runs and the cluster is healthy, 3 otherwise)
#   scripts/moonshard-cluster.sh kill-master [SHARD]
#                                         kill -9 the master Redis of SHARD (default 0), print how long until
#                                         the controller shows a new master and a healthy cluster, then
#                                         restart the killed Redis empty, as a supervisor would
#   scripts/moonshard-cluster.sh scale N  ask the controller for N shards (cluster scale) and wait until done
#   scripts/moonshard-cluster.sh stop     stop exactly what start started (by pid file), etcd and controller too
#
# MOONSHARD_CLUSTER_MODE=static: the earlier layout instead, with no controller and no replicas: N
# redis-server + N proxies on 127.0.0.1, each proxy owning one slot range (UMCTL SETCLUSTER pushed by
# this script), with `start`, `status`, `stop` and
#   scripts/moonshard-cluster.sh reshard FROM TO RANGE...
#                                         move slot ranges (e.g. 0-999) and their keys online from the proxy
#                                         on port FROM to the one on port TO, as undermoon's coordinator would
# `status`, `stop` and `reshard` find the mode of a running cluster by themselves.
#
# Settings (environment):
#   MOONSHARD_CLUSTER_MODE             "pool" (default) or "static" (for `start`; the others follow the
#                                      running cluster)
#   MOONSHARD_CLUSTER_DIR              default ${TMPDIR:-/tmp}/moonshard-cluster (pid files, logs, data)
#   MOONSHARD_CLUSTER_NAME             default mycluster
#   MOONSHARD_CLUSTER_PROXY_PORTS      pool: "5299 5300 5301 5302"; static: "5299 5300 5301"
#   MOONSHARD_CLUSTER_REDIS_PORTS      pool: "7001 ... 7008", two per proxy in proxy order;
#                                      static: "7001 7002 7003", one per proxy
#   MOONSHARD_CLUSTER_HOSTS            pool: "127.0.0.1 127.0.0.2", the proxies' hosts in turn
#   MOONSHARD_CLUSTER_ETCD_PORTS       pool: "12379 12380" (client, peer)
#   MOONSHARD_CLUSTER_CONTROLLER_PORT  pool: 7799
#   MOONSHARD_CLUSTER_SHARDS           pool: 2
#   MOONSHARD_CLUSTER_REPLICAS         pool: 1 (per master)
#   MOONSHARD_CLUSTER_SCALE_TIMEOUT    pool: 600 (seconds `scale` waits)
#   MOONSHARD_JAVA_OPTS                extra JVM options for the proxies and the controller, e.g. "-Xmx512m"
# The proxies also read their own MOONSHARD_* options (e.g. MOONSHARD_THREAD_NUMBER); see --help.
set -euo pipefail

LIB="$(dirname "${BASH_SOURCE[0]}")/lib"
# shellcheck source=lib/common.sh
source "$LIB/common.sh"

CLUSTER_DIR=${MOONSHARD_CLUSTER_DIR:-${TMPDIR:-/tmp}/moonshard-cluster}
CLUSTER_NAME=${MOONSHARD_CLUSTER_NAME:-mycluster}

usage() {
  sed -n '2,40p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# the mode a start wrote, so that stop and status act on what runs whatever the environment says
mode_file() { printf '%s/mode\n' "$CLUSTER_DIR"; }

# pick_mode COMMAND: the mode for COMMAND; a start in a directory whose cluster runs in the other mode
# is refused (the two layouts share ports and file names)
pick_mode() {
  local recorded="" wanted=${MOONSHARD_CLUSTER_MODE:-}
  [ -f "$(mode_file)" ] && recorded=$(cat "$(mode_file)")
  if [ "$1" = start ]; then
    wanted=${wanted:-pool}
    [ -z "$recorded" ] || [ "$recorded" = "$wanted" ] ||
      die "$CLUSTER_DIR holds a cluster started with MOONSHARD_CLUSTER_MODE=$recorded: stop it first ($0 stop)"
  else
    wanted=${wanted:-${recorded:-pool}}
  fi
  case "$wanted" in
    pool | static) printf '%s\n' "$wanted" ;;
    *) die "MOONSHARD_CLUSTER_MODE is 'pool' or 'static', not '$wanted'" ;;
  esac
}

# only_in MODE COMMAND: refuses COMMAND in the other mode, saying what to use there
only_in() {
  [ "$MODE" = "$1" ] && return 0
  case "$2" in
    reshard) die "reshard is for MOONSHARD_CLUSTER_MODE=static; here the controller moves slots: $0 scale N" ;;
    *) die "$2 needs the controller: start the cluster without MOONSHARD_CLUSTER_MODE=static" ;;
  esac
}

COMMAND=${1:-}
case "$COMMAND" in
  -h | --help | help | "")
    [ -n "$COMMAND" ] || { usage >&2; exit 2; }
    usage
    exit 0
    ;;
  start | stop | status | reshard | kill-master | scale) ;;
  *)
    usage >&2
    exit 2
    ;;
esac
shift
MODE=$(pick_mode "$COMMAND")
if [ "$MODE" = static ]; then
  # shellcheck source=lib/cluster-static.sh
  source "$LIB/cluster-static.sh"
else
  # shellcheck source=lib/cluster-pool.sh
  source "$LIB/cluster-pool.sh"
fi

case "$COMMAND" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  reshard)
    only_in static reshard
    check_settings
    do_reshard "$@"
    ;;
  kill-master)
    only_in pool kill-master
    do_kill_master "$@"
    ;;
  scale)
    only_in pool scale
    do_scale "$@"
    ;;
esac
