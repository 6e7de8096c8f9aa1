#!/usr/bin/env bash
# Regenerates cluster-protocol's command table resource from a real redis-server:
# COMMAND INFO + COMMAND DOCS, written by CommandTableGenerator (cluster-protocol test code).
# By default it starts its own redis-server ($REDIS_SERVER or redis-server on the PATH) on a free
# 127.0.0.1 port and stops it afterwards; `--connect HOST:PORT` reads a running server instead.
# Usage: scripts/generate-command-table.sh [--connect HOST:PORT] [--out FILE]
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

out="$MOONSHARD_ROOT/cluster-protocol/src/main/resources/io/moonshard/cluster/command/commands.txt"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --connect) args+=(--connect "$2"); shift 2 ;;
    *) die "usage: $0 [--connect HOST:PORT] [--out FILE]" ;;
  esac
done
args+=(--out "$out")

ensure_jdk
if [ "${#args[@]}" -eq 2 ]; then
  # no --connect: we start the server ourselves
  find_program "${REDIS_SERVER:-redis-server}" >/dev/null || die "redis-server not found (set REDIS_SERVER)"
fi

cd "$MOONSHARD_ROOT"
# the generator lives in cluster-protocol's tests and needs resp-codec and testkit installed
./mvnw -q -B -pl cluster-protocol -am install -DskipTests -DskipITs
./mvnw -q -B -pl cluster-protocol test-compile exec:java \
  -Dexec.mainClass=io.moonshard.cluster.command.CommandTableGenerator \
  -Dexec.classpathScope=test \
  -Dexec.args="$(printf "'%s' " "${args[@]}")"
