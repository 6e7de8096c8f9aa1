#!/usr/bin/env bash
# The long version of issue 16's chaos trials (ControllerChaosIT): on one pool of real processes
# (3 etcd members, 2 controllers, proxies of the shaded jar on 3 loopback hosts with write_ack=replica,
# one 3-shard cluster) each fault is repeated --trials times: kill -9 of a master Redis; kill -9 of a
# proxy; SIGSTOP of a proxy for 10 s, then a write to it for a slot it lost; kill -9 of an etcd member
# (the leader every other trial) then of a master Redis; kill -9 of the leading controller together with
# a master Redis; loss of etcd quorum, then its return. Then, on a pool of its own with free proxies
# (ControllerLeaderScaleIT): kill -9 of the leading controller during a 2 -> 4 shard scale-out, every
# proxy's CLUSTER SHARDS sampled meanwhile. Every trial checks an acknowledged-write ledger and that
# every live proxy agrees on each slot's single owner. With 20 trials or more the issue's targets are
# asserted on the p99 (docs/controller.md, "Chaos, measured").
#
#   scripts/controller-chaos.sh [--trials N] [--only chaos|leader-scale] [--offline]
#
#   --trials N    trials per scenario (default 20; the default test run does 1)
#   --only WHICH  chaos: only ControllerChaosIT; leader-scale: only ControllerLeaderScaleIT
#   --offline     Maven offline (-o)
#
# Prints controller/target/controller-chaos/summary.txt and controller/target/controller-leader-scale/
# summary.txt: per scenario n, p50, p99, max and every value in ms. Logs of every process stay in those
# directories. Exits non-zero when a test failed.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TRIALS=20
OFFLINE=()
TESTS=ControllerChaosIT,ControllerLeaderScaleIT
SUMMARIES=(controller/target/controller-chaos/summary.txt controller/target/controller-leader-scale/summary.txt)

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --trials) TRIALS=$2; shift 2 ;;
    --only)
      case "${2:-}" in
        chaos) TESTS=ControllerChaosIT; SUMMARIES=("${SUMMARIES[0]}") ;;
        leader-scale) TESTS=ControllerLeaderScaleIT; SUMMARIES=("${SUMMARIES[1]}") ;;
        *) die "--only takes chaos or leader-scale: ${2:-}" ;;
      esac
      shift 2 ;;
    --offline) OFFLINE=(-o); shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
if ! [[ "$TRIALS" =~ ^[0-9]+$ ]] || [ "$TRIALS" -lt 1 ]; then
  die "--trials needs a positive number: $TRIALS"
fi

ensure_packages redis-server=redis-server redis-cli=redis-tools etcd=etcd-server etcdctl=etcd-client
ensure_jdk

cd "$MOONSHARD_ROOT"
status=0
rm -f "${SUMMARIES[@]}" # a summary left by an earlier run is not this run's
./mvnw -B "${OFFLINE[@]}" -pl controller -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test="$TESTS" -Dfailsafe.failIfNoSpecifiedTests=false -Dchaos.trials="$TRIALS" || status=$?
for summary in "${SUMMARIES[@]}"; do
  if [ -f "$summary" ]; then
    cat "$summary"
  fi
done
exit "$status"
