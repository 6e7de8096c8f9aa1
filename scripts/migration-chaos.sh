#!/usr/bin/env bash
# The long version of issue 14's migration fault tests (MigrationFaultsJarIT, on the shaded jar: every
# proxy a separate process, so kill -9 is real): kill -9 of the source / destination proxy mid-copy and
# during the fence, the source's Redis killed mid-copy, the cancel SETCLUSTER under load, and R moved
# back and forth under load. Every fault test runs --repeat times on fresh processes; the back-and-forth
# test does --rounds round trips. Prints, per run, the acknowledged-write ledger's counts.
#
#   scripts/migration-chaos.sh [--repeat N] [--rounds N] [--test METHOD] [--out DIR] [--offline]
#
#   --repeat N    runs of each fault test (default 3)
#   --rounds N    back-and-forth round trips A->B->A (default 10; the default test run does 3)
#   --test M      only this test method of MigrationFaultsJarIT (a failsafe pattern, e.g. 'source*')
#   --out DIR     where the summary goes (default: a new ${TMPDIR:-/tmp}/moonshard-chaos.XXXXXX)
#   --offline     Maven offline (-o)
#
# Builds the jar (and what it is made of) through Maven's verify, as the default test run does. The
# proxies' logs stay in proxy-server/target/migration-faults/<test>-<run>/ (engine lines: event=migration_*,
# event=import_*). Exits non-zero when a test failed; the summary says which.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

REPEAT=3
ROUNDS=10
TEST=MigrationFaultsJarIT
OUT=""
OFFLINE=()

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) REPEAT=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --test) TEST="MigrationFaultsJarIT#$2"; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --offline) OFFLINE=(-o); shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$REPEAT" =~ ^[0-9]+$ ]] && [ "$REPEAT" -ge 1 ] || die "--repeat must be a positive number"
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "--rounds must be a positive number"

ensure_jdk
ensure_packages redis-server=redis-server
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/moonshard-chaos.XXXXXX")
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

log "running $TEST (fault tests x$REPEAT, $ROUNDS back-and-forth rounds); Maven log: $OUT/maven.log"
status=0
(cd "$MOONSHARD_ROOT" && ./mvnw -B "${OFFLINE[@]}" -pl proxy-server -am verify \
  -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test="$TEST" -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dmigration.chaos.repeat="$REPEAT" -Dmigration.chaos.rounds="$ROUNDS" \
  -Dmigration.chaos.summary="$SUMMARY") >"$OUT/maven.log" 2>&1 || status=$?

[ -s "$SUMMARY" ] || { tail -n 40 "$OUT/maven.log" >&2; die "no test ran (see $OUT/maven.log)"; }

# one line per run: test, run, result, then the ledger's counts
printf '%-58s %4s %-6s %12s %9s %10s %9s\n' test run result acknowledged in_doubt violations test_ms
awk '{
  split("", f)
  for (i = 1; i <= NF && $i != "|"; i++) { n = index($i, "="); if (n) f[substr($i, 1, n - 1)] = substr($i, n + 1) }
  printf "%-58s %4s %-6s %12s %9s %10s %9s\n", f["test"], f["run"], f["result"], f["acknowledged"], f["in_doubt"], f["violations"], f["test_ms"]
  runs++; if (f["result"] != "PASS") failed++
  if (f["acknowledged"] ~ /^[0-9]+$/) { acked += f["acknowledged"]; doubt += f["in_doubt"]; viol += f["violations"] }
} END {
  printf "\n%d run(s), %d failed; acknowledged %d, in doubt %d, violations %d\n", runs, failed, acked, doubt, viol
}' "$SUMMARY"
log "summary with the notes of each run (what was hit, registers, timings): $SUMMARY"
if [ "$status" -ne 0 ]; then
  log "Maven failed ($status); the failing runs' engine events are in $OUT/maven.log"
fi
exit "$status"
