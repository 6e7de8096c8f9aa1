#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing (a JDK, redis-server,
# redis-tools, tcl; apt-get, non-interactive, needs root or sudo), then runs every module's unit
# tests (surefire, *Test) and integration tests against real processes (failsafe, *IT).
# Extra arguments go to Maven, e.g. `scripts/test.sh -pl proxy-server -am`.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# redis-server: backends of the integration tests; redis-tools: redis-cli and redis-benchmark as
# real clients; tcl: Redis's own Tcl test suite run against a proxy (architecture.md, Tests); etcd:
# the controller's store; jq, curl: scripts/moonshard-cluster.sh, which ClusterScriptIT runs
ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools tclsh=tcl \
  etcd=etcd-server etcdctl=etcd-client jq=jq curl=curl
ensure_jdk

# redis-py: the Python cluster client of ReplicasIT (reads from replicas). Debian's python3-redis for
# Debian's python3; pip's for another python3 first on the PATH (a pyenv, a venv), which does not see it
ensure_packages python3=python3
if ! python3 -c 'import redis.cluster' >/dev/null 2>&1; then
  if [ "$(command -v python3)" = /usr/bin/python3 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing: python3-redis"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-redis \
      </dev/null >&2
  else
    log "installing: redis (pip)"
    python3 -m pip install --quiet redis
  fi
fi

cd "$MOONSHARD_ROOT"
exec ./mvnw -B verify "$@"
