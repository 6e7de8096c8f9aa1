#!/usr/bin/env bash
# Checks deploy/kubernetes and deploy/docker as far as a machine without a Kubernetes cluster (and
# without Docker) can:
#   1. kustomize renders the default deployment and every overlay (kubectl kustomize);
#   2. every rendered object, and secret-example.yaml, is checked strictly against the Kubernetes API's
#      types (Debian's python3-kubernetes models: unknown or misplaced fields, wrong types, missing
#      required fields), then for fit: selectors, named ports, volumes, ConfigMap files, Secret keys,
#      $(VAR)s, the etcd members, and the proxy's flags and MOONSHARD_* variables against the jar's
#      --help (the controller's too once controller/target/moonshard-controller.jar exists);
#   3. shellcheck of the storage pod's hooks, as the ConfigMap carries them;
#   4. the Dockerfile copies the jars the build makes, and its .dockerignore lets them through;
#   5. unless --no-smoke: the storage pod's four containers run as processes, in a network, mount and
#      PID namespace of their own, each chrooted into exactly its volume mounts, as uid 10001, with the
#      manifest's command, args and env (pod IP 127.0.0.2): Redis takes its password, the proxy is not
#      ready, the registrar registers (against a recorder standing in for the controller's CLI, which
#      refuses once), a SETCLUSTER with the admin password makes the proxy ready and serve a write, and
#      termination runs the preStop hooks in the kubelet's order. Needs root (unshare, mount, chroot).
# What it cannot check (a real API server's admission, scheduling, DNS, the images): docs/kubernetes.md.
#
# Usage: scripts/check-kubernetes.sh [--no-smoke]
# Environment: MOONSHARD_CHECK_JAR=path of a built moonshard-proxy.jar to use instead of building one.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$MOONSHARD_ROOT"

smoke=1
for arg in "$@"; do
  case "$arg" in
  --no-smoke) smoke="" ;;
  *) die "usage: scripts/check-kubernetes.sh [--no-smoke]" ;;
  esac
done

# Debian's python3 (not a pyenv one): python3-kubernetes installs for it.
PY=/usr/bin/python3
ensure_packages kubectl=kubectl shellcheck=shellcheck curl=curl redis-server=redis-server \
  redis-cli=redis-tools etcd=etcd-server unshare=util-linux ip=iproute2
if ! "$PY" -c 'import kubernetes, yaml' 2>/dev/null; then
  log "installing: python3-kubernetes"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-kubernetes python3-yaml </dev/null >&2
fi
if [ -n "${MOONSHARD_CHECK_JAR:-}" ]; then
  MOONSHARD_JAR=$MOONSHARD_CHECK_JAR
else
  ensure_jar
fi
ensure_jdk
export MOONSHARD_JAR

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
passed=0
step() {
  local name=$1
  shift
  log "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    log "FAILED: $name"
    failed=$((failed + 1))
  fi
}

render() {
  kubectl kustomize deploy/kubernetes >"$out/default.yaml" &&
    kubectl kustomize deploy/kubernetes/overlays/external-etcd >"$out/external-etcd.yaml" &&
    log "  rendered: default ($(grep -c '^kind:' "$out/default.yaml") objects)," \
      "overlays/external-etcd ($(grep -c '^kind:' "$out/external-etcd.yaml") objects)"
}

external_etcd_differs() {
  # The overlay drops the bundled etcd and points the controller elsewhere, and changes nothing else.
  ! grep -q 'name: etcd$' "$out/external-etcd.yaml" &&
    ! grep -q 'etcd-0.etcd:2379' "$out/external-etcd.yaml" &&
    grep -q 'name: MOONSHARD_ETCD' "$out/external-etcd.yaml"
}

hooks_shellcheck() {
  # The script as deployed: the ConfigMap's copy, not the file next to the manifests.
  "$PY" - "$out/default.yaml" "$out/storage-hooks.sh" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ConfigMap"]
open(sys.argv[2], "w").write(next(d for d in docs if d["metadata"]["name"].startswith("moonshard-storage-hooks"))["data"]["storage-hooks.sh"])
EOF
  shellcheck -s sh "$out/storage-hooks.sh" && shellcheck -x scripts/check-kubernetes.sh
}

dockerfile() {
  local f=deploy/docker/Dockerfile ignore=deploy/docker/Dockerfile.dockerignore src ok=0
  while read -r src; do
    case "$src" in
    proxy-server/target/moonshard-proxy.jar) ;; # what ensure_jar builds
    controller/target/moonshard-controller.jar) ;; # the controller module's jar (docs/kubernetes.md)
    *) log "  $f copies $src, which no build makes"; ok=1 ;;
    esac
    grep -qx "!$src" "$ignore" || { log "  $ignore does not let $src into the build context"; ok=1; }
  done < <(awk '$1 == "COPY" { print $2 }' "$f")
  for target in etcd controller storage; do
    grep -q "^FROM .* AS $target\$" "$f" || { log "  $f has no stage $target"; ok=1; }
  done
  return "$ok"
}

smoke_pod() {
  [ "$(id -u)" -eq 0 ] || { log "  needs root (unshare, mount, chroot): run as root, or pass --no-smoke"; return 1; }
  # A PID namespace of its own: when the checker (its PID 1) exits, every process it started goes too.
  # Its work directory holds bind mounts only inside the namespace: removed after it, here.
  (cd "$out" && TMPDIR=$out timeout 180 unshare --fork --kill-child --pid --mount-proc --mount --net \
    "$PY" "$MOONSHARD_ROOT/scripts/lib/check_kubernetes.py" smoke "$out/default.yaml")
}

step "kustomize renders deploy/kubernetes and its overlays" render
step "overlays/external-etcd leaves the bundled etcd out" external_etcd_differs
step "strict API types and fit: default deployment" "$PY" scripts/lib/check_kubernetes.py validate "$out/default.yaml"
step "strict API types and fit: overlays/external-etcd" "$PY" scripts/lib/check_kubernetes.py validate "$out/external-etcd.yaml"
step "the checks above catch known mistakes" "$PY" scripts/lib/check_kubernetes.py selftest "$out/default.yaml"
step "shellcheck of the storage pod's hooks" hooks_shellcheck
step "deploy/docker/Dockerfile copies what the build makes" dockerfile
if [ -n "$smoke" ]; then
  step "the storage pod's containers, run as processes" smoke_pod
fi
echo "check-kubernetes: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
