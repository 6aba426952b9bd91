"""The Kubernetes manifests in deploy/kubernetes (deploy/README.md): every file parses as YAML,
every object has the fields its kind needs (a structural check written here: `kubectl apply
--dry-run=client` needs an API server even in client mode, and no offline schema validator is
packaged in Debian 12), and the objects agree with each other and with the hikyaku.toml they
ship: ports, probe paths, the spool volume, the grace period against preStop plus drain, the
Secret's keys against the paths in the configuration. `hikyaku check` accepts that
configuration (with generated keys in place of the Secret's); `kubectl kustomize` builds the
directory where kubectl is installed. Each rule is shown to fail on a manifest broken for it."""
import copy
import glob
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import unittest

import yaml

HIKYAKU = os.environ.get("HIKYAKU_BIN")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
K8S = os.path.join(ROOT, "deploy", "kubernetes")

# The fields every object of a kind must have, as dotted paths ("[]" steps into each item).
REQUIRED = {
    "ConfigMap": ["data"],
    "Secret": ["type"],
    "Service": ["spec.selector", "spec.ports[].port", "spec.ports[].name"],
    "StatefulSet": ["spec.serviceName", "spec.selector.matchLabels", "spec.template.metadata.labels",
                    "spec.template.spec.containers[].name", "spec.template.spec.containers[].image",
                    "spec.volumeClaimTemplates[].metadata.name",
                    "spec.volumeClaimTemplates[].spec.resources.requests.storage"],
    "PodDisruptionBudget": ["spec.selector.matchLabels"],
    "ServiceMonitor": ["spec.selector.matchLabels", "spec.endpoints[].port"],
}
API_VERSIONS = {"ConfigMap": "v1", "Secret": "v1", "Service": "v1", "StatefulSet": "apps/v1",
                "PodDisruptionBudget": "policy/v1", "ServiceMonitor": "monitoring.coreos.com/v1",
                "Kustomization": "kustomize.config.k8s.io/v1beta1"}
PROXY_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*",
    "service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol": "true",
    "load-balancer.hetzner.cloud/uses-proxyprotocol": "true",
    "service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol": "v2",
    "service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2": "*",
}


def load_manifests():
    """{file name: [objects]} for every .yaml file of deploy/kubernetes."""
    out = {}
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        with open(path) as f:
            out[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d is not None]
    return out


def values(obj, path):
    """The values at a dotted path ("a.b[].c"); [] when any step is missing."""
    found = [obj]
    for step in path.split("."):
        many = step.endswith("[]")
        key = step[:-2] if many else step
        nxt = []
        for o in found:
            if not isinstance(o, dict) or key not in o:
                continue
            v = o[key]
            if many:
                nxt.extend(v if isinstance(v, list) else [])
            else:
                nxt.append(v)
        found = nxt
    return found


def port_of(listen):
    return int(listen.rsplit(":", 1)[1])


def duration_seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text)
    assert m, text
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def problems(manifests):
    """Every rule of deploy/README.md the manifests break, as text ([] when none)."""
    out = []
    objects = [o for docs in manifests.values() for o in docs]
    by_kind = {}
    for o in objects:
        kind = o.get("kind") if isinstance(o, dict) else None
        if kind not in API_VERSIONS:
            out.append(f"unknown kind {kind!r}")
            continue
        if o.get("apiVersion") != API_VERSIONS[kind]:
            out.append(f"{kind}: apiVersion {o.get('apiVersion')!r}, expected {API_VERSIONS[kind]}")
        if kind != "Kustomization" and not values(o, "metadata.name"):
            out.append(f"{kind}: no metadata.name")
        for path in REQUIRED.get(kind, []):
            if not values(o, path):
                out.append(f"{kind} {values(o, 'metadata.name')}: no {path}")
        by_kind.setdefault(kind, []).append(o)

    kust = by_kind.get("Kustomization", [])
    listed = set(kust[0].get("resources", [])) if kust else set()
    files = set(manifests) - {"kustomization.yaml"}
    if listed != files:
        out.append(f"kustomization resources {sorted(listed)} are not the files {sorted(files)}")

    for kind in ("ConfigMap", "StatefulSet", "PodDisruptionBudget", "ServiceMonitor", "Secret"):
        if len(by_kind.get(kind, [])) != 1:
            out.append(f"expected one {kind}, found {len(by_kind.get(kind, []))}")
    services = by_kind.get("Service", [])
    if out:
        return out

    cm = by_kind["ConfigMap"][0]
    try:
        conf = tomllib.loads(cm["data"]["hikyaku.toml"])
    except (KeyError, tomllib.TOMLDecodeError) as e:
        return out + [f"ConfigMap hikyaku.toml: {e}"]
    sts = by_kind["StatefulSet"][0]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    container = pod["containers"][0]
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    mounts = {m["name"]: m for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}

    def selects(selector):
        return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())

    if not selects(spec["selector"]["matchLabels"]):
        out.append("StatefulSet selector does not match its pod labels")
    if spec.get("podManagementPolicy") != "Parallel":
        out.append("StatefulSet podManagementPolicy is not Parallel")
    # The spool: a volumeClaimTemplate mounted where [queue] directory points.
    claims = {c["metadata"]["name"] for c in spec["volumeClaimTemplates"]}
    spool_dir = conf.get("queue", {}).get("directory")
    spool_mounts = [m for m in mounts.values() if m.get("mountPath") == spool_dir]
    if not spool_mounts or spool_mounts[0]["name"] not in claims:
        out.append(f"queue.directory {spool_dir} is not on a volumeClaimTemplate")
    # The configuration: the ConfigMap as a directory (a subPath mount never sees an update).
    config_mounts = [m for m in mounts.values()
                     if volumes.get(m["name"], {}).get("configMap", {}).get("name") == cm["metadata"]["name"]]
    if not config_mounts or "subPath" in config_mounts[0]:
        out.append("ConfigMap not mounted as a directory")
    elif container.get("args", [])[-1:] != [config_mounts[0]["mountPath"].rstrip("/") + "/hikyaku.toml"]:
        out.append(f"container args {container.get('args')} do not name the mounted hikyaku.toml")
    # Keys: every path under a Secret mount that the configuration names is a key of the Secret.
    secret = by_kind["Secret"][0]
    secret_keys = set(secret.get("data", {}) or {}) | set(secret.get("stringData", {}) or {})
    secret_mounts = [m for m in mounts.values()
                     if volumes.get(m["name"], {}).get("secret", {}).get("secretName") == secret["metadata"]["name"]]
    if not secret_mounts:
        out.append("Secret not mounted")
    else:
        base = secret_mounts[0]["mountPath"].rstrip("/") + "/"
        named = re.findall(r'"(' + re.escape(base) + r'[^"]+)"', cm["data"]["hikyaku.toml"])
        if not named:
            out.append("hikyaku.toml names no file of the Secret")
        for path in named:
            if path[len(base):] not in secret_keys:
                out.append(f"hikyaku.toml names {path}, not a key of the Secret")
    # Non-root.
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        out.append("pod securityContext.runAsNonRoot is not true")
    if container.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
        out.append("container may escalate privileges")
    # Probes on the metrics endpoint's /livez and /readyz.
    metrics_port = port_of(conf.get("metrics", {}).get("listen", ":0"))
    for probe, path in (("startupProbe", "/livez"), ("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
        get = container.get(probe, {}).get("httpGet", {})
        port = get.get("port")
        port = ports.get(port) if isinstance(port, str) else port
        if get.get("path") != path or port != metrics_port:
            out.append(f"{probe} is not GET {path} on the metrics port {metrics_port}")
    # Listeners: each configured port is a container port.
    for key in ("listen", "proxy_listen"):
        for listen in conf.get("server", {}).get(key, []):
            if port_of(listen) not in ports.values():
                out.append(f"server.{key} {listen} is not a container port")
    # Grace: preStop (sleep + drain timeout) + shutdown_grace + 1 s QUITs + 10 s spool writes.
    pre_stop = " ".join(values(container, "lifecycle.preStop.exec.command[]"))
    drain = re.search(r"hikyaku queue drain --timeout (\S+)", pre_stop)
    if not drain:
        out.append("preStop does not run hikyaku queue drain --timeout")
    else:
        sleep = re.search(r"\bsleep (\d+)", pre_stop)
        need = ((int(sleep.group(1)) if sleep else 0) + duration_seconds(drain.group(1)) +
                duration_seconds(conf.get("server", {}).get("shutdown_grace", "30s")) + 11)
        if pod.get("terminationGracePeriodSeconds", 30) < need:
            out.append(f"terminationGracePeriodSeconds {pod.get('terminationGracePeriodSeconds', 30)} "
                       f"< preStop + drain {need}")
    # Services: one LoadBalancer for port 25, one headless for metrics (the governing service).
    lbs = [s for s in services if s["spec"].get("type") == "LoadBalancer"]
    heads = [s for s in services if s["spec"].get("clusterIP") == "None"]
    if len(lbs) != 1:
        out.append(f"expected one LoadBalancer Service, found {len(lbs)}")
    else:
        lb = lbs[0]
        if lb["spec"].get("externalTrafficPolicy") != "Local":
            out.append("LoadBalancer externalTrafficPolicy is not Local")
        if not selects(lb["spec"]["selector"]):
            out.append("LoadBalancer selector does not match the pods")
        p25 = [p for p in lb["spec"]["ports"] if p["port"] == 25]
        if not p25 or p25[0].get("targetPort") not in ports:
            out.append("LoadBalancer has no port 25 onto a named container port")
        notes = lb["metadata"].get("annotations", {}) or {}
        for key, value in PROXY_ANNOTATIONS.items():
            if notes.get(key) != value:
                out.append(f"LoadBalancer annotation {key} is not {value!r}")
        if p25 and p25[0].get("targetPort") in ports:
            proxy_ports = {port_of(x) for x in conf.get("server", {}).get("proxy_listen", [])}
            if ports[p25[0]["targetPort"]] not in proxy_ports:
                out.append("the PROXY-protocol load balancer does not reach a proxy_listen port")
    if len(heads) != 1:
        out.append(f"expected one headless Service, found {len(heads)}")
    else:
        head = heads[0]
        if spec["serviceName"] != head["metadata"]["name"]:
            out.append("StatefulSet serviceName is not the headless Service")
        if not selects(head["spec"]["selector"]):
            out.append("headless Service selector does not match the pods")
        if not any(p.get("name") == "metrics" and ports.get(p.get("targetPort")) == metrics_port
                   for p in head["spec"]["ports"]):
            out.append("headless Service has no metrics port onto the metrics listener")
        mon = by_kind["ServiceMonitor"][0]["spec"]
        head_labels = head["metadata"].get("labels", {})
        if not all(head_labels.get(k) == v for k, v in mon["selector"]["matchLabels"].items()):
            out.append("ServiceMonitor selector does not match the headless Service")
        if not any(e.get("port") == "metrics" and e.get("path", "/metrics") == "/metrics"
                   for e in mon["endpoints"]):
            out.append("ServiceMonitor does not scrape /metrics on the port named metrics")
    pdb = by_kind["PodDisruptionBudget"][0]["spec"]
    if not selects(pdb["selector"]["matchLabels"]):
        out.append("PodDisruptionBudget selector does not match the pods")
    if "maxUnavailable" not in pdb and "minAvailable" not in pdb:
        out.append("PodDisruptionBudget has neither maxUnavailable nor minAvailable")
    return out


def find(manifests, kind, pred=lambda o: True):
    for docs in manifests.values():
        for o in docs:
            if o.get("kind") == kind and pred(o):
                return o
    raise AssertionError(kind)


class Manifests(unittest.TestCase):
    def setUp(self):
        self.manifests = load_manifests()

    def test_every_manifest_parses_and_has_the_fields_of_its_kind(self):
        self.assertGreaterEqual(len(self.manifests), 8)
        for name, docs in self.manifests.items():
            self.assertEqual(len(docs), 1, name)
        self.assertEqual(problems(self.manifests), [])

    def test_each_rule_fails_on_a_manifest_broken_for_it(self):
        def broken(edit):
            m = copy.deepcopy(self.manifests)
            edit(m)
            return problems(m)

        sts = lambda m: find(m, "StatefulSet")  # noqa: E731
        ctr = lambda m: sts(m)["spec"]["template"]["spec"]["containers"][0]  # noqa: E731
        lb = lambda m: find(m, "Service", lambda o: o["spec"].get("type") == "LoadBalancer")  # noqa: E731
        cases = {
            "podManagementPolicy": lambda m: sts(m)["spec"].pop("podManagementPolicy"),
            "volumeClaimTemplate": lambda m: sts(m)["spec"]["volumeClaimTemplates"][0]["metadata"].update(
                name="other"),
            "terminationGracePeriodSeconds": lambda m: sts(m)["spec"]["template"]["spec"].update(
                terminationGracePeriodSeconds=60),
            "readinessProbe": lambda m: ctr(m)["readinessProbe"]["httpGet"].update(path="/livez"),
            "startupProbe": lambda m: ctr(m).pop("startupProbe"),
            "preStop": lambda m: ctr(m).pop("lifecycle"),
            "as a directory": lambda m: ctr(m)["volumeMounts"][0].update(subPath="hikyaku.toml"),
            "runAsNonRoot": lambda m: sts(m)["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
            "externalTrafficPolicy": lambda m: lb(m)["spec"].update(externalTrafficPolicy="Cluster"),
            "aws-load-balancer-proxy-protocol": lambda m: lb(m)["metadata"]["annotations"].pop(
                "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"),
            "proxy_listen": lambda m: lb(m)["spec"]["ports"][0].update(targetPort="smtp"),
            "not a key of the Secret": lambda m: find(m, "Secret")["stringData"].pop("tls.key"),
            "headless": lambda m: find(m, "Service", lambda o: o["spec"].get("clusterIP") == "None")[
                "spec"].update(clusterIP="10.0.0.1"),
            "ServiceMonitor selector": lambda m: find(m, "ServiceMonitor")["spec"]["selector"][
                "matchLabels"].update(extra="x"),
            "PodDisruptionBudget has neither": lambda m: find(m, "PodDisruptionBudget")["spec"].pop(
                "maxUnavailable"),
            "kustomization resources": lambda m: find(m, "Kustomization")["resources"].pop(),
            "apiVersion": lambda m: find(m, "PodDisruptionBudget").update(apiVersion="policy/v1beta1"),
            "hikyaku.toml:": lambda m: find(m, "ConfigMap")["data"].update({"hikyaku.toml": "[server"}),
        }
        for expected, edit in cases.items():
            with self.subTest(rule=expected):
                found = broken(edit)
                self.assertTrue(any(expected in p for p in found), (expected, found))

    @unittest.skipUnless(shutil.which("kubectl"), "kubectl is not installed")
    def test_kustomize_builds_the_directory(self):
        p = subprocess.run(["kubectl", "kustomize", K8S], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        kinds = sorted(d["kind"] for d in yaml.safe_load_all(p.stdout) if d)
        self.assertEqual(kinds, ["ConfigMap", "PodDisruptionBudget", "Secret", "Service", "Service",
                                 "ServiceMonitor", "StatefulSet"])

    @unittest.skipUnless(HIKYAKU, "HIKYAKU_BIN is not set")
    def test_hikyaku_check_accepts_the_shipped_configuration(self):
        cm = find(self.manifests, "ConfigMap")
        text = cm["data"]["hikyaku.toml"]
        with tempfile.TemporaryDirectory() as tmp:
            keys = os.path.join(tmp, "keys")
            spool = os.path.join(tmp, "spool")
            os.makedirs(keys)
            os.makedirs(spool, mode=0o700)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                            "/CN=mx.example.net", "-days", "2", "-keyout", os.path.join(keys, "tls.key"),
                            "-out", os.path.join(keys, "tls.crt")], check=True, capture_output=True)
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                            "-out", os.path.join(keys, "dkim-k2026.pem")], check=True, capture_output=True)
            text = text.replace("/etc/hikyaku/keys/", keys + "/").replace('"/var/spool/hikyaku"', f'"{spool}"')
            path = os.path.join(tmp, "hikyaku.toml")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([HIKYAKU, "check", "-c", path], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
