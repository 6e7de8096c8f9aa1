#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing (a JDK, redis-server,
# redis-tools, tcl; apt-get, non-interactive, needs root or sudo), then runs every module's unit
# tests (surefire, *Test) and integration tests against real processes (failsafe, *IT).
# Extra arguments go to Maven, e.g. `scripts/test.sh -pl proxy-server -am`.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# redis-server: backends of the integration tests; redis-tools: redis-cli and redis-benchmark as
# real clients; tcl: Redis's own Tcl test suite run against a proxy (architecture.md, Tests)
ensure_packages redis-server=redis-server redis-cli=redis-tools redis-benchmark=redis-tools tclsh=tcl
ensure_jdk

cd "$MOONSHARD_ROOT"
exec ./mvnw -B verify "$@"
