#!/usr/bin/python3
"""Offline checks of deploy/kubernetes, run by scripts/check-kubernetes.sh (read it first).

  selftest RENDERED.yaml      the checks below can fail: known mistakes, one at a time, must each
                              be reported by validate
  validate RENDERED.yaml...   every object against the Kubernetes API's types, strictly (unknown
                              fields, wrong types, missing required fields), then how the objects fit
                              together (selectors, ports, names, volumes, $(VAR)s, flags of the jars)
  smoke RENDERED.yaml         the storage pod's containers run as processes with the manifest's own
                              commands, env, mounts and user, as the kubelet would run them, through
                              registration, a cluster pushed by hand, and termination with its hooks

No API server is needed. The types come from Debian's python3-kubernetes (the official client's
models, API 1.22): a field newer than that is reported as unknown.
"""

import functools
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml
import kubernetes.client as k8s

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROXY_JAR = os.environ.get("MOONSHARD_JAR", os.path.join(ROOT, "proxy-server/target/moonshard-proxy.jar"))
CONTROLLER_JAR = os.path.join(ROOT, "controller/target/moonshard-controller.jar")
SECRET_EXAMPLE = os.path.join(ROOT, "deploy/kubernetes/secret-example.yaml")

errors = []


def fail(where, message):
    errors.append(f"{where}: {message}")


def load(paths):
    docs = []
    for p in paths:
        with open(p) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    return docs


def ident(doc):
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


# ---------------------------------------------------------------- strict types

MODELS = {
    ("v1", "Namespace"): k8s.V1Namespace,
    ("v1", "Service"): k8s.V1Service,
    ("v1", "ConfigMap"): k8s.V1ConfigMap,
    ("v1", "Secret"): k8s.V1Secret,
    ("apps/v1", "Deployment"): k8s.V1Deployment,
    ("apps/v1", "StatefulSet"): k8s.V1StatefulSet,
    ("policy/v1", "PodDisruptionBudget"): k8s.V1PodDisruptionBudget,
}
# Fields whose values the API takes as numbers or strings (resource.Quantity, IntOrString).
QUANTITY_FIELDS = {"limits", "requests", "size_limit", "capacity"}


def check_value(value, type_name, path, field):
    """Checks value against a python-client type string; returns what to pass to the model."""
    if value is None:
        return None
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            fail(path, f"expected a list, got {type(value).__name__}")
            return None
        return [check_value(v, m.group(1), f"{path}[{i}]", field) for i, v in enumerate(value)]
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            fail(path, f"expected a map, got {type(value).__name__}")
            return None
        return {k: check_value(v, m.group(1), f"{path}.{k}", field) for k, v in value.items()}
    if type_name == "str":
        ok = isinstance(value, str) or (field in QUANTITY_FIELDS and isinstance(value, (int, float))
                                        and not isinstance(value, bool))
        if not ok:
            fail(path, f"expected a string, got {type(value).__name__} {value!r}")
        return value
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            fail(path, f"expected an integer, got {type(value).__name__} {value!r}")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            fail(path, f"expected true/false, got {type(value).__name__} {value!r}")
        return value
    if type_name in ("object", "float", "datetime", "date"):
        return value
    cls = getattr(k8s, type_name, None)
    if cls is None:
        fail(path, f"unknown type {type_name}")
        return None
    return check_object(value, cls, path)


def check_object(value, cls, path):
    if not isinstance(value, dict):
        fail(path, f"expected an object ({cls.__name__}), got {type(value).__name__}")
        return None
    by_json = {j: py for py, j in cls.attribute_map.items()}
    kwargs = {}
    for key, v in value.items():
        py = by_json.get(key)
        if py is None:
            fail(path, f"unknown field '{key}' for {cls.__name__}")
            continue
        kwargs[py] = check_value(v, cls.openapi_types[py], f"{path}.{key}", py)
    try:
        return cls(**kwargs)  # the client's own checks: required fields, enums
    except (ValueError, TypeError) as e:
        fail(path, str(e).splitlines()[0])
        return None


def check_types(docs):
    for d in docs:
        cls = MODELS.get((d.get("apiVersion"), d.get("kind")))
        if cls is None:
            fail(ident(d), f"no model for {d.get('apiVersion')} {d.get('kind')} (add it to MODELS)")
            continue
        check_object(d, cls, ident(d))


# ---------------------------------------------------------------- how the objects fit together

def workloads(docs):
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def env_names(container):
    return [e["name"] for e in container.get("env", [])]


def kubelet_refs(text):
    """$(VAR) references as the kubelet expands them ($$ escapes a $)."""
    return re.findall(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)", text if isinstance(text, str) else "")


def check_fit(docs, secret_keys):
    namespaces = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
        if d["kind"] != "Namespace":
            ns = d["metadata"].get("namespace")
            if ns is None or (namespaces and ns not in namespaces):
                fail(ident(d), f"namespace {ns!r}, expected one of {sorted(namespaces)}")
    config_maps = by_kind.get("ConfigMap", {})
    services = by_kind.get("Service", {})

    for w in workloads(docs):
        where = ident(w)
        spec = w["spec"]
        tpl = spec["template"]
        labels = tpl["metadata"].get("labels", {})
        if not matches(spec["selector"].get("matchLabels"), labels):
            fail(where, "selector does not match the pod template's labels")
        pod = tpl["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        if w["kind"] == "StatefulSet":
            svc = services.get(spec.get("serviceName"))
            if svc is None or svc["spec"].get("clusterIP") != "None":
                fail(where, f"serviceName {spec.get('serviceName')!r} is not a headless Service here")
            names = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
            volumes.update({n: {"name": n, "pvc": True} for n in names})
        for v in volumes.values():
            if "configMap" in v and v["configMap"]["name"] not in config_maps:
                fail(where, f"volume {v['name']}: no ConfigMap {v['configMap']['name']}")
            if "secret" in v:
                for item in v["secret"].get("items", []):
                    if item["key"] not in secret_keys:
                        fail(where, f"volume {v['name']}: key {item['key']} not in secret-example.yaml")
        for c in pod["containers"]:
            cw = f"{where} container {c['name']}"
            ports = {p.get("name") for p in c.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                p = c.get(probe) or {}
                for action in ("httpGet", "tcpSocket"):
                    port = (p.get(action) or {}).get("port")
                    if isinstance(port, str) and port not in ports:
                        fail(cw, f"{probe} uses port {port!r}, not a port of the container")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    fail(cw, f"mounts undeclared volume {m['name']}")
            defined = []
            for e in c.get("env", []):
                for ref in kubelet_refs(e.get("value", "")):
                    if ref not in defined:
                        fail(cw, f"env {e['name']} uses $({ref}), not defined before it")
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref and ref["key"] not in secret_keys:
                    fail(cw, f"env {e['name']}: key {ref['key']} not in secret-example.yaml")
                defined.append(e["name"])
            words = c.get("command", []) + c.get("args", [])
            hooks = [((c.get("lifecycle") or {}).get(h) or {}).get("exec", {}).get("command", [])
                     for h in ("preStop", "postStart")]
            for word in words + [w for h in hooks for w in h]:
                for ref in kubelet_refs(word):
                    if ref not in defined:
                        fail(cw, f"command uses $({ref}), not in the container's env")
            # Scripts the container runs from a ConfigMap volume must be in that ConfigMap.
            for word in words + [w for h in hooks for w in h]:
                for m in c.get("volumeMounts", []):
                    cm = volumes.get(m["name"], {}).get("configMap")
                    prefix = m["mountPath"].rstrip("/") + "/"
                    if cm and word.startswith(prefix) and cm["name"] in config_maps:
                        if word[len(prefix):] not in config_maps[cm["name"]].get("data", {}):
                            fail(cw, f"runs {word}, not a file of ConfigMap {cm['name']}")

    for name, svc in services.items():
        sel = svc["spec"].get("selector", {})
        pods = [w for w in workloads(docs) if matches(sel, w["spec"]["template"]["metadata"].get("labels", {}))]
        if not pods:
            fail(f"Service/{name}", "selector matches no pod template")
        for p in svc["spec"].get("ports", []):
            target = p.get("targetPort", p["port"])
            found = any(
                (cp.get("name") == target if isinstance(target, str) else cp["containerPort"] == target)
                for w in pods for c in w["spec"]["template"]["spec"]["containers"] for cp in c.get("ports", []))
            if pods and not found:
                fail(f"Service/{name}", f"targetPort {target!r} is no container port of its pods")

    for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
        sel = pdb["spec"]["selector"].get("matchLabels")
        ws = [w for w in workloads(docs) if matches(sel, w["spec"]["template"]["metadata"].get("labels", {}))]
        if len(ws) != 1:
            fail(f"PodDisruptionBudget/{name}", f"selector matches {len(ws)} workloads, expected 1")
        elif isinstance(pdb["spec"].get("minAvailable"), int) and pdb["spec"]["minAvailable"] >= ws[0]["spec"]["replicas"]:
            fail(f"PodDisruptionBudget/{name}", "minAvailable leaves no disruption allowed")

    etcd = by_kind.get("StatefulSet", {}).get("etcd")
    if etcd is not None:
        check_etcd(etcd, by_kind)


def container(workload, name):
    return next(c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def env_value(c, name):
    return next((e.get("value") for e in c.get("env", []) if e["name"] == name), None)


def check_etcd(etcd, by_kind):
    c = container(etcd, "etcd")
    n = etcd["spec"]["replicas"]
    members = env_value(c, "ETCD_INITIAL_CLUSTER").split(",")
    names = [m.split("=", 1)[0] for m in members]
    if names != [f"etcd-{i}" for i in range(n)]:
        fail("StatefulSet/etcd", f"ETCD_INITIAL_CLUSTER names {names}, pods are etcd-0..etcd-{n - 1}")
    for m in members:
        name, url = m.split("=", 1)
        if not url.startswith(f"http://{name}.etcd.$(POD_NAMESPACE).svc:2380"):
            fail("StatefulSet/etcd", f"member {name} peer URL {url} is not its StatefulSet DNS name")
    # etcd reads ETCD_<FLAG> for each of its flags: a misspelt variable is silently ignored.
    flags = set(re.findall(r"^\s+--([a-z0-9-]+)", run(("etcd", "--help")), re.M))
    for e in c["env"]:
        if e["name"].startswith("ETCD_") and e["name"][5:].lower().replace("_", "-") not in flags:
            fail("StatefulSet/etcd", f"{e['name']} is no etcd option (etcd --help)")
    ctrl = by_kind.get("Deployment", {}).get("moonshard-controller")
    if ctrl is not None:
        urls = env_value(container(ctrl, "controller"), "MOONSHARD_ETCD").split(",")
        for u in urls:
            m = re.fullmatch(r"http://etcd-(\d+)\.etcd:2379", u)
            if not m or int(m.group(1)) >= n:
                fail("Deployment/moonshard-controller", f"MOONSHARD_ETCD entry {u} is not an etcd member")


@functools.lru_cache(maxsize=None)
def run(cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    return p.stdout + p.stderr


def help_flags(cmd):
    return set(re.findall(r"--([a-z0-9][a-z0-9-]*)", run(tuple(cmd))))


def check_flags(docs):
    """The flags and MOONSHARD_* variables the manifests give the jars must be options of the jars."""
    skipped = []
    storage = next((w for w in workloads(docs) if w["metadata"]["name"] == "moonshard-storage"), None)
    if storage is not None:
        proxy_flags = help_flags(["java", "-jar", PROXY_JAR, "--help"])
        if "announce-address" not in proxy_flags:
            fail("proxy --help", f"no options read from {PROXY_JAR} (is it built?)")
        c = container(storage, "proxy")
        for word in c.get("args", []):
            if word.startswith("--") and word[2:].split("=")[0] not in proxy_flags:
                fail("StatefulSet/moonshard-storage proxy", f"{word} is no option of moonshard-proxy.jar")
        for name in env_names(c):
            if name.startswith("MOONSHARD_") and name[10:].lower().replace("_", "-") not in proxy_flags:
                fail("StatefulSet/moonshard-storage proxy", f"{name} is no option of moonshard-proxy.jar")
    ctrl = next((w for w in workloads(docs) if w["metadata"]["name"] == "moonshard-controller"), None)
    if not os.path.exists(CONTROLLER_JAR):
        skipped.append(f"the controller's flags (no {os.path.relpath(CONTROLLER_JAR, ROOT)} yet)")
    elif ctrl is not None:
        server = help_flags(["java", "-jar", CONTROLLER_JAR, "server", "--help"])
        c = container(ctrl, "controller")
        for word in c.get("args", []):
            if word.startswith("--") and word[2:] not in server:
                fail("Deployment/moonshard-controller", f"{word} is no option of 'server'")
        for name in env_names(c):
            if name.startswith("MOONSHARD_") and name[10:].lower().replace("_", "-") not in server:
                fail("Deployment/moonshard-controller", f"{name}: 'server' has no --{name[10:].lower().replace('_', '-')}")
        hooks = open(os.path.join(ROOT, "deploy/kubernetes/base/storage-hooks.sh")).read()
        for sub in ("add", "drain"):
            flags = help_flags(["java", "-jar", CONTROLLER_JAR, "proxy", sub, "--help"])
            call = re.search(rf"\$CTL proxy {sub} (.*?)2>&1", hooks, re.S).group(1)
            for flag in re.findall(r"--([a-z-]+)", call) + ["api-token-file"]:
                if flag not in flags:
                    fail(f"storage-hooks.sh proxy {sub}", f"--{flag} is no option of 'proxy {sub}'")
    return skipped


def problems(docs):
    """Every check on docs; returns (errors, skipped)."""
    del errors[:]
    secret_keys = set(load([SECRET_EXAMPLE])[0]["stringData"])
    check_types(docs + load([SECRET_EXAMPLE]))
    try:
        check_fit(docs, secret_keys)
        skipped = check_flags(docs)
    except (KeyError, TypeError, AttributeError, StopIteration, IndexError) as e:
        # Objects malformed enough to break these checks were reported by check_types, or are missing.
        fail("fit checks", f"stopped on {type(e).__name__}: {e}")
        skipped = []
    return list(errors), skipped


def validate(paths):
    docs = load(paths)
    _, skipped = problems(docs)
    for e in errors:
        print(f"  FAIL {e}")
    for s in skipped:
        print(f"  skipped: {s}")
    print(f"  {len(docs)} objects in {', '.join(os.path.basename(p) for p in paths)}: "
          f"{'no problem found' if not errors else str(len(errors)) + ' problem(s)'}")
    return 1 if errors else 0


def find(docs, kind, name):
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def pod_container(docs, kind, name, container_name):
    return container(find(docs, kind, name), container_name)


def set_env(c, name, value):
    next(e for e in c["env"] if e["name"] == name)["value"] = value


# Each: what the mistake is, how to make it on a fresh copy of the rendered objects, and a piece of the
# message validate must then give.
MISTAKES = [
    ("a misspelt field", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")
        .__setitem__("readinesProbe", {}), "unknown field 'readinesProbe'"),
    ("a field one level too high", lambda d: find(d, "StatefulSet", "moonshard-storage")["spec"]
        .__setitem__("terminationGracePeriodSeconds", 90), "unknown field 'terminationGracePeriodSeconds'"),
    ("a port as a string", lambda d: pod_container(d, "StatefulSet", "etcd", "etcd")["ports"][0]
        .__setitem__("containerPort", "2379"), "expected an integer"),
    ("an env value as a number", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")["env"]
        .append({"name": "X", "value": 5}), "expected a string"),
    ("a container without a name", lambda d: pod_container(d, "Deployment", "moonshard-controller",
        "controller").pop("name"), "`name`, must not be `None`"),
    ("a probe on a port the container lacks", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")
        ["readinessProbe"]["httpGet"].__setitem__("port", "metrics"), "uses port 'metrics'"),
    ("$(VAR) of an undefined variable", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")
        ["args"].append("$(POD_ADDRESS)"), "$(POD_ADDRESS)"),
    ("a Secret key the example lacks", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")
        ["env"][1]["valueFrom"]["secretKeyRef"].__setitem__("key", "admin-pass"), "key admin-pass"),
    ("a flag the proxy does not have", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")
        ["args"].extend(["--announce-host", "$(POD_IP)"]), "--announce-host is no option"),
    ("a MOONSHARD_ variable the proxy does not read", lambda d: pod_container(d, "StatefulSet",
        "moonshard-storage", "proxy")["env"].append({"name": "MOONSHARD_ADMIN_PASS", "value": "x"}),
        "MOONSHARD_ADMIN_PASS is no option"),
    ("an etcd variable etcd does not read", lambda d: pod_container(d, "StatefulSet", "etcd", "etcd")["env"]
        .append({"name": "ETCD_INITIAL_CLUSTER_TOKN", "value": "x"}), "ETCD_INITIAL_CLUSTER_TOKN is no etcd option"),
    ("an etcd member missing from the bootstrap", lambda d: set_env(pod_container(d, "StatefulSet", "etcd", "etcd"),
        "ETCD_INITIAL_CLUSTER", "etcd-0=http://etcd-0.etcd.$(POD_NAMESPACE).svc:2380"), "ETCD_INITIAL_CLUSTER names"),
    ("the controller pointed at a member that does not exist", lambda d: set_env(pod_container(d, "Deployment",
        "moonshard-controller", "controller"), "MOONSHARD_ETCD", "http://etcd-3.etcd:2379"), "etcd-3.etcd:2379"),
    ("a Service selecting no pods", lambda d: find(d, "Service", "moonshard")["spec"]["selector"]
        .__setitem__("app.kubernetes.io/name", "moonshard-proxy"), "selector matches no pod template"),
    ("a Service to a port no container names", lambda d: find(d, "Service", "moonshard")["spec"]["ports"][0]
        .__setitem__("targetPort", "redis"), "targetPort 'redis'"),
    ("a selector that misses the pod labels", lambda d: find(d, "Deployment", "moonshard-controller")["spec"]
        ["selector"]["matchLabels"].__setitem__("app", "x"), "selector does not match"),
    ("a StatefulSet without its headless Service", lambda d: find(d, "Service", "moonshard-storage")["spec"]
        .pop("clusterIP"), "is not a headless Service"),
    ("a hook script the ConfigMap lacks", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "proxy")
        ["lifecycle"]["preStop"]["exec"].__setitem__("command", ["/bin/sh", "/hooks/drain.sh"]),
        "runs /hooks/drain.sh"),
    ("a mount of an undeclared volume", lambda d: pod_container(d, "StatefulSet", "moonshard-storage", "registrar")
        ["volumeMounts"].append({"name": "scratch", "mountPath": "/scratch"}), "undeclared volume scratch"),
    ("a PDB that allows no disruption", lambda d: find(d, "PodDisruptionBudget", "etcd")["spec"]
        .__setitem__("minAvailable", 3), "leaves no disruption"),
    ("an object outside the namespace", lambda d: find(d, "Service", "etcd")["metadata"]
        .__setitem__("namespace", "default"), "namespace 'default'"),
]


def selftest(path):
    import copy
    base = load([path])
    found, _ = problems(copy.deepcopy(base))
    if found:
        print(f"  FAIL the unchanged objects already have problems: {found}")
        return 1
    missed = 0
    for what, mutate, wanted in MISTAKES:
        docs = copy.deepcopy(base)
        mutate(docs)
        found, _ = problems(docs)
        if any(wanted in f for f in found):
            print(f"  ok: caught {what}")
        else:
            print(f"  FAIL not caught: {what} (wanted {wanted!r}, got {found})")
            missed += 1
    del errors[:]
    print(f"  {len(MISTAKES) - missed} of {len(MISTAKES)} known mistakes caught")
    return 1 if missed else 0


# ---------------------------------------------------------------- the storage pod, as processes

POD_IP = "127.0.0.2"  # not 127.0.0.1: something bound to loopback only is not reachable on it
FIELDS = {"status.podIP": POD_IP, "spec.nodeName": "node-a", "metadata.name": "moonshard-storage-0",
          "metadata.namespace": "moonshard"}
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UID = 10001

RECORDER = """#!/bin/sh
# Stands in for the controller's CLI: records each call; refuses the first 'proxy add' as an
# unreachable controller would, so that the registrar's retry runs.
echo "$*" >> /recorder/calls
case "$*" in
"proxy add "*)
  if [ ! -e /recorder/refused-once ]; then : > /recorder/refused-once; echo "Connection refused"; exit 1; fi ;;
esac
for a in "$@"; do case "$prev" in --api-token-file) echo "token=$(cat "$a")" >> /recorder/calls ;; esac; prev=$a; done
echo ok
"""


def expand(text, env):
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)


def resolve_env(c, secrets):
    env = {"PATH": IMAGE_PATH}
    for e in c.get("env", []):
        vf = e.get("valueFrom")
        if vf is None:
            env[e["name"]] = expand(e.get("value", ""), env)
        elif "fieldRef" in vf:
            env[e["name"]] = FIELDS[vf["fieldRef"]["fieldPath"]]
        else:
            env[e["name"]] = secrets[vf["secretKeyRef"]["key"]]
    return env


def sh(*cmd):
    subprocess.run(cmd, check=True)


class Pod:
    """One pod's containers: a root per container holding the host's /usr, /etc, ... read-only and
    exactly the volumes the container mounts; shared emptyDirs are shared directories."""

    def __init__(self, workload, docs, secrets, work):
        self.spec = workload["spec"]["template"]["spec"]
        self.work = work
        self.secrets = secrets
        self.config_maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
        self.volume_dirs = {}
        self.procs = {}
        self.logs = {}
        os.makedirs(f"{work}/recorder", mode=0o777)
        os.chmod(f"{work}/recorder", 0o777)
        with open(f"{work}/recorder/ctl", "w") as f:
            f.write(RECORDER)
        os.chmod(f"{work}/recorder/ctl", 0o755)
        for v in self.spec["volumes"]:
            d = f"{work}/volumes/{v['name']}"
            os.makedirs(d)
            if "configMap" in v:
                for name, data in self.config_maps[v["configMap"]["name"]]["data"].items():
                    with open(f"{d}/{name}", "w") as f:
                        f.write(data)
                    os.chmod(f"{d}/{name}", v["configMap"].get("defaultMode", 0o644))
            elif "secret" in v:
                for item in v["secret"]["items"]:
                    with open(f"{d}/{item['path']}", "w") as f:
                        f.write(secrets[item["key"]])
                    os.chown(f"{d}/{item['path']}", 0, UID)  # fsGroup
                    os.chmod(f"{d}/{item['path']}", v["secret"].get("defaultMode", 0o644))
            else:
                os.chmod(d, 0o777)  # emptyDir
            self.volume_dirs[v["name"]] = d
        os.makedirs(f"{work}/image/opt/moonshard")
        subprocess.run(["cp", PROXY_JAR, f"{work}/image/opt/moonshard/moonshard-proxy.jar"], check=True)
        self.roots = {c["name"]: self.make_root(c) for c in self.spec["containers"]}

    def make_root(self, c):
        root = f"{self.work}/roots/{c['name']}"
        os.makedirs(root)
        for d in ("usr", "etc", "bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            host = f"/{d}"
            if os.path.islink(host):
                os.symlink(os.readlink(host), f"{root}/{d}")
            elif os.path.isdir(host):
                os.makedirs(f"{root}/{d}")
                sh("mount", "--rbind", host, f"{root}/{d}")
                sh("mount", "-o", "remount,bind,ro", f"{root}/{d}")
        for d in ("proc", "dev", "tmp", "opt/moonshard", "recorder"):
            os.makedirs(f"{root}/{d}")
        sh("mount", "-t", "proc", "proc", f"{root}/proc")
        sh("mount", "--rbind", "/dev", f"{root}/dev")
        sh("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", f"{root}/tmp")
        sh("mount", "--bind", f"{self.work}/image/opt/moonshard", f"{root}/opt/moonshard")
        sh("mount", "--bind", f"{self.work}/recorder", f"{root}/recorder")
        for m in c.get("volumeMounts", []):
            target = f"{root}{m['mountPath']}"
            os.makedirs(target, exist_ok=True)
            sh("mount", "--bind", self.volume_dirs[m["name"]], target)
            if m.get("readOnly"):
                sh("mount", "-o", "remount,bind,ro", target)
        return root

    def container(self, name):
        return next(c for c in self.spec["containers"] if c["name"] == name)

    def environment(self, name):
        env = resolve_env(self.container(name), self.secrets)
        env["HOOK_CTL"] = "/recorder/ctl"  # the one change: the controller's CLI is recorded
        return env

    def popen(self, name, argv, log):
        root = self.roots[name]

        def enter():
            os.chroot(root)
            os.chdir("/opt/moonshard")
            os.setgroups([UID])
            os.setgid(UID)
            os.setuid(UID)

        return subprocess.Popen(argv, env=self.environment(name), preexec_fn=enter,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, name):
        c = self.container(name)
        env = self.environment(name)
        argv = [expand(w, env) for w in c.get("command", []) + c.get("args", [])]
        self.logs[name] = open(f"{self.work}/{name}.log", "w")
        self.procs[name] = self.popen(name, argv, self.logs[name])

    def hook(self, name, which):
        cmd = self.container(name)["lifecycle"][which]["exec"]["command"]
        log = open(f"{self.work}/{name}.{which}.log", "w")
        return self.popen(name, cmd, log)

    def stop_all(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    def dump_logs(self):
        for f in sorted(os.listdir(self.work)):
            if f.endswith(".log"):
                with open(f"{self.work}/{f}") as fh:
                    tail = fh.read()[-3000:]
                print(f"---- {f}\n{tail}")


def await_true(what, check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        time.sleep(0.1)


def http_status(path):
    try:
        with urllib.request.urlopen(f"http://{POD_IP}:8080{path}", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def resp(port, *commands):
    """Sends commands on one connection; returns the raw replies (one read each)."""
    out = []
    with socket.create_connection((POD_IP, port), timeout=5) as s:
        for args in commands:
            payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
            s.sendall(payload.encode())
            out.append(s.recv(65536).decode())
    return out


def expect(what, actual, wanted):
    if actual != wanted:
        raise AssertionError(f"{what}: got {actual!r}, expected {wanted!r}")
    print(f"  ok: {what}")


def smoke(path):
    docs = load([path])
    storage = next(w for w in workloads(docs) if w["metadata"]["name"] == "moonshard-storage")
    secrets = load([SECRET_EXAMPLE])[0]["stringData"]
    sh("ip", "link", "set", "lo", "up")
    work = tempfile.mkdtemp(prefix="moonshard-pod-")
    os.chmod(work, 0o755)
    pod = Pod(storage, docs, secrets, work)
    try:
        run_pod(pod, secrets)
    except AssertionError as e:
        print(f"  FAIL {e}")
        pod.dump_logs()
        return 1
    finally:
        pod.stop_all()
    print("  the storage pod's containers did what the manifest means")
    return 0


def run_pod(pod, secrets):
    pw = secrets["redis-password"]
    admin = secrets["admin-password"]
    for name in ("redis-6379", "redis-6380", "proxy", "registrar"):
        pod.start(name)
    for port in (6379, 6380):
        await_true(f"redis {port} answers", lambda: resp(port, ["PING"])[0].startswith("-NOAUTH"))
        expect(f"redis {port} refuses a client without the password", resp(port, ["PING"])[0][:7], "-NOAUTH")
        r = resp(port, ["AUTH", pw], ["CONFIG", "GET", "replica-announce-ip"], ["CONFIG", "GET", "save"],
                 ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "maxmemory"])
        expect(f"redis {port} takes the Secret's password", r[0], "+OK\r\n")
        expect(f"redis {port} announces the pod IP", r[1].split("\r\n")[-2], POD_IP)
        expect(f"redis {port} saves no RDB", r[2].split("\r\n")[-2], "")
        expect(f"redis {port} has no AOF", r[3].split("\r\n")[-2], "no")
        expect(f"redis {port} maxmemory", r[4].split("\r\n")[-2], str(1 << 30))
    uids = {n: re.search(r"^Uid:\s+(\d+)", open(f"/proc/{p.pid}/status").read(), re.M).group(1)
            for n, p in pod.procs.items()}
    expect("every container runs as the unprivileged user", set(uids.values()), {str(UID)})
    await_true("the proxy's /health on the pod IP", lambda: http_status("/health") == 200)
    expect("a proxy without a cluster is not ready (/ready)", http_status("/ready"), 503)

    calls = f"{pod.work}/recorder/calls"
    await_true("the registrar registers", lambda: os.path.exists(f"{pod.volume_dirs['run']}/registered"))
    lines = open(calls).read().splitlines()
    add = ("proxy add --controller http://moonshard-controller:7799 --address 127.0.0.2:5299 --host node-a "
           "--nodes 127.0.0.2:6379,127.0.0.2:6380 --api-token-file /secrets/api-token")
    expect("the registrar retried after a refusal, then registered", lines, [add, add, "token=" + secrets["api-token"]])

    # What the controller does next, by hand: the proxy needs the admin password for it.
    setcluster = ["UMCTL", "SETCLUSTER", "v2", "3", "NOFLAGS", "mydb", f"{POD_IP}:6379", "1", "0-16383"]
    expect("SETCLUSTER without the admin password is refused", resp(5299, setcluster)[0][:7], "-NOAUTH")
    r = resp(5299, ["UMCTL", "AUTH", admin], setcluster)
    expect("SETCLUSTER after UMCTL AUTH with the Secret's admin-password", r, ["+OK\r\n", "+OK\r\n"])
    await_true("the proxy turns ready", lambda: http_status("/ready") == 200)
    print("  ok: /ready answers 200 once the proxy has its cluster")
    nodes = resp(5299, ["CLUSTER", "NODES"])[0]
    expect("the proxy announces the pod IP", f" {POD_IP}:5299 myself,master " in nodes, True)
    expect("a write through the proxy (its backend_password opens the Redis)", resp(5299, ["SET", "k", "v"])[0], "+OK\r\n")
    expect("the write is in redis 6379", resp(6379, ["AUTH", pw], ["GET", "k"])[1], "$1\r\nv\r\n")

    # Termination as the kubelet does it: every container's preStop at once, each container's SIGTERM
    # after its own preStop returned (the registrar has none: SIGTERM at once).
    hooks = {n: pod.hook(n, "preStop") for n in ("proxy", "redis-6379", "redis-6380")}
    pod.procs["registrar"].send_signal(signal.SIGTERM)
    expect("the registrar stops at once on SIGTERM", pod.procs["registrar"].wait(timeout=5), 0)
    expect("the proxy's preStop (drain) returns 0", hooks["proxy"].wait(timeout=30), 0)
    drain = "proxy drain --controller http://moonshard-controller:7799 --address 127.0.0.2:5299 --api-token-file /secrets/api-token"
    expect("the drain asked the controller", open(calls).read().splitlines()[-2:], [drain, "token=" + secrets["api-token"]])
    time.sleep(1.5)  # the Redis hooks poll once a second: give them time to (wrongly) return
    expect("the Redis preStops wait while the proxy still runs", [hooks[n].poll() for n in ("redis-6379", "redis-6380")], [None, None])
    pod.procs["proxy"].send_signal(signal.SIGTERM)
    expect("the proxy stops on SIGTERM with 143", pod.procs["proxy"].wait(timeout=20), 143)
    for n in ("redis-6379", "redis-6380"):
        expect(f"{n}'s preStop returns once the proxy is gone", hooks[n].wait(timeout=10), 0)
        pod.procs[n].send_signal(signal.SIGTERM)
        expect(f"{n} stops on SIGTERM", pod.procs[n].wait(timeout=10), 0)


if __name__ == "__main__":
    commands = {"validate": lambda: validate(sys.argv[2:]), "selftest": lambda: selftest(sys.argv[2]),
                "smoke": lambda: smoke(sys.argv[2])}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
