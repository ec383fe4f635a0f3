"""A real single-node Kubernetes on this machine, from binaries built from upstream sources.

    python tools/cluster/cluster.py up   --bin-dir DIR   # start, wait until the node is Ready, CoreDNS, storage
    python tools/cluster/cluster.py down                 # stop everything, undo every change to the machine
    python tools/cluster/cluster.py status

What Minikube runs inside its VM runs here as host processes: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, containerd (Debian) with runc and the CNI bridge plugin,
kubelet and kube-proxy; in the cluster, CoreDNS and a default StorageClass whose provisioner
(`learnflow-provisioner`) runs on the host. Images are imported into containerd, never pulled.

Every change to the machine is written to a journal before it is made (sysctls with their old
value, the iptables rule, the node address, the kubeconfig context), and `down` undoes the journal
in reverse, then removes what the run created. The cluster's traffic stays on this machine: the
API server, kubelet and NodePorts listen on the node address (10.250.0.1 on `lo`), and a FORWARD
rule drops anything the pods send towards the uplink (no masquerade).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from images import docker_archive  # next to this file (run as a script)

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("LEARNFLOW_CLUSTER_DIR", "/var/lib/learnflow-cluster"))
RUN = Path("/run/learnflow-cluster")
CERTS = STATE / "pki"
LOGS = STATE / "logs"
PIDS = STATE / "pids"
JOURNAL = STATE / "journal.json"
CONTAINERD_SOCKET = RUN / "containerd" / "containerd.sock"
CNI_CONF_DIR = STATE / "cni" / "net.d"
KUBELET_DIR = Path("/var/lib/kubelet")  # the kubelet's plugins expect this path
VOLUMES = STATE / "volumes"

NODE = "learnflow"
NODE_IP = "10.250.0.1"
POD_SUBNET = "10.244.0.0/24"
CLUSTER_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"
API_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
BRIDGE = "lfcni0"
API_PORT = 6443
CONTEXT = "learnflow"
KUBECONFIG = Path(os.environ.get("KUBECONFIG", Path.home() / ".kube" / "config")).expanduser()
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
COREDNS_IMAGE = "learnflow.local/coredns:1.15.0"
METRICS_SERVER_IMAGE = "learnflow.local/metrics-server:v0.8.0"
#: Processes in start order; `down` stops them in reverse.
DAEMONS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "containerd",
    "kubelet",
    "kube-proxy",
    "learnflow-provisioner",
)
#: What the kubelet changes on start; recorded and put back at `down`.
KUBELET_SYSCTLS = ("vm.overcommit_memory", "kernel.panic", "kernel.panic_on_oops")


class ClusterError(RuntimeError):
    """A step failed; the message says which, with the end of its log."""


def say(text: str) -> None:
    print(f"cluster: {text}", flush=True)


def run(argv: Sequence[str | Path], check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=check, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


# ---------------------------------------------------------------------------------------- journal
def _journal() -> list[dict[str, object]]:
    return json.loads(JOURNAL.read_text()) if JOURNAL.exists() else []


def record(change: dict[str, object]) -> None:
    """Writes the undo of a change before the change is made."""
    entries = _journal()
    entries.append(change)
    JOURNAL.write_text(json.dumps(entries, indent=1))


def set_sysctl(name: str, value: str) -> None:
    path = Path("/proc/sys") / name.replace(".", "/")
    old = path.read_text().strip()
    if old != value:
        record({"kind": "sysctl", "name": name, "value": old})
        path.write_text(value)


def undo(change: dict[str, object]) -> None:
    kind = change["kind"]
    if kind == "sysctl":
        (Path("/proc/sys") / str(change["name"]).replace(".", "/")).write_text(str(change["value"]))
    elif kind == "iptables":
        run(["iptables", "-D", *change["rule"]], check=False)  # type: ignore[misc]
    elif kind == "address":
        run(["ip", "addr", "del", change["address"], "dev", change["device"]], check=False)
    elif kind == "symlink":
        link = Path(str(change["path"]))
        if link.is_symlink():
            link.unlink()
    elif kind == "kubeconfig" and change.get("created"):
        KUBECONFIG.unlink(missing_ok=True)
    elif kind == "kubeconfig":
        _remove_context(change.get("previous"))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- pki
def _openssl(*args: str | Path) -> None:
    run(["openssl", *args])


def make_pki() -> None:
    """A CA, the serving certificates and one client certificate per component (as kubeadm makes
    them), a front-proxy CA for the aggregation layer, and the service-account key pair."""
    if (CERTS / "ca.crt").exists():
        return
    CERTS.mkdir(parents=True, exist_ok=True)
    os.chmod(CERTS, 0o700)
    for ca, cn in (("ca", "learnflow-cluster-ca"), ("front-proxy-ca", "learnflow-front-proxy-ca")):
        _openssl("genrsa", "-out", CERTS / f"{ca}.key", "2048")
        _openssl(
            "req", "-x509", "-new", "-nodes", "-key", CERTS / f"{ca}.key", "-subj", f"/CN={cn}",
            "-days", "3650", "-out", CERTS / f"{ca}.crt",
        )  # fmt: skip
    api_sans = [
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:localhost",
        f"IP:{API_SERVICE_IP}",
        f"IP:{NODE_IP}",
        "IP:127.0.0.1",
    ]
    certificates: list[tuple[str, str, str | None, list[str], str]] = [
        ("apiserver", "kube-apiserver", None, api_sans, "ca"),
        ("apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters", [], "ca"),
        ("admin", "kubernetes-admin", "system:masters", [], "ca"),
        ("controller-manager", "system:kube-controller-manager", None, [], "ca"),
        ("scheduler", "system:kube-scheduler", None, [], "ca"),
        ("kube-proxy", "system:kube-proxy", None, [], "ca"),
        ("kubelet-client", f"system:node:{NODE}", "system:nodes", [], "ca"),
        ("kubelet", NODE, None, [f"IP:{NODE_IP}", f"DNS:{NODE}"], "ca"),
        ("provisioner", "learnflow-provisioner", "system:masters", [], "ca"),
        ("front-proxy-client", "front-proxy-client", None, [], "front-proxy-ca"),
    ]
    for name, cn, org, sans, ca in certificates:
        subject = f"/CN={cn}" + (f"/O={org}" if org else "")
        _openssl("genrsa", "-out", CERTS / f"{name}.key", "2048")
        _openssl("req", "-new", "-key", CERTS / f"{name}.key", "-subj", subject, "-out", CERTS / f"{name}.csr")
        extensions = CERTS / f"{name}.ext"
        usage = "serverAuth,clientAuth" if sans else "clientAuth"
        extensions.write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            f"extendedKeyUsage={usage}\n" + (f"subjectAltName={','.join(sans)}\n" if sans else "")
        )
        _openssl(
            "x509", "-req", "-in", CERTS / f"{name}.csr", "-CA", CERTS / f"{ca}.crt", "-CAkey", CERTS / f"{ca}.key",
            "-CAcreateserial", "-days", "3650", "-extfile", extensions, "-out", CERTS / f"{name}.crt",
        )  # fmt: skip
    _openssl("genrsa", "-out", CERTS / "sa.key", "2048")
    _openssl("rsa", "-in", CERTS / "sa.key", "-pubout", "-out", CERTS / "sa.pub")


def kubeconfig(user: str, server: str = f"https://{NODE_IP}:{API_PORT}", context: str = CONTEXT) -> dict[str, object]:
    def data(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": context, "cluster": {"server": server, "certificate-authority-data": data(CERTS / "ca.crt")}}
        ],
        "users": [
            {
                "name": context,
                "user": {
                    "client-certificate-data": data(CERTS / f"{user}.crt"),
                    "client-key-data": data(CERTS / f"{user}.key"),
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }


def write_kubeconfigs() -> None:
    for user in ("admin", "controller-manager", "scheduler", "kube-proxy", "kubelet-client", "provisioner"):
        path = STATE / f"{user}.kubeconfig"
        path.write_text(json.dumps(kubeconfig(user), indent=1))
        path.chmod(0o600)


# ---------------------------------------------------------------------------------------- user kubeconfig
def install_user_context(kubectl: Path) -> None:
    """As `minikube start` does: a `learnflow` context in the default kubeconfig, made current."""
    previous = None
    if KUBECONFIG.exists():
        found = run([kubectl, "--kubeconfig", KUBECONFIG, "config", "current-context"], check=False)
        previous = found.stdout.strip() or None
    record({"kind": "kubeconfig", "previous": previous, "created": not KUBECONFIG.exists()})
    KUBECONFIG.parent.mkdir(parents=True, exist_ok=True)
    admin = kubeconfig("admin")
    admin_file = STATE / "admin.kubeconfig"
    if not KUBECONFIG.exists():
        KUBECONFIG.write_text(json.dumps(admin, indent=1))
        KUBECONFIG.chmod(0o600)
        return
    merged = run(
        [kubectl, "config", "view", "--flatten", "--raw"],
        env={**os.environ, "KUBECONFIG": f"{admin_file}:{KUBECONFIG}"},
    )
    KUBECONFIG.write_text(merged.stdout)
    run([kubectl, "--kubeconfig", KUBECONFIG, "config", "use-context", CONTEXT])


def install_kubectl(kubectl: Path) -> None:
    """`kubectl` on PATH, as Minikube users have it (left alone if one is there already)."""
    if shutil.which("kubectl"):
        return
    link = Path("/usr/local/bin/kubectl")
    record({"kind": "symlink", "path": str(link)})
    link.symlink_to(kubectl)


def _remove_context(previous: str | None) -> None:
    kubectl = shutil.which("kubectl") or str(_bin_dir_of_run() / "kubectl")
    if not KUBECONFIG.exists() or not Path(kubectl).exists():
        return
    for item in ("delete-context", "delete-cluster", "delete-user"):
        run([kubectl, "--kubeconfig", KUBECONFIG, "config", item, CONTEXT], check=False)
    if previous:
        run([kubectl, "--kubeconfig", KUBECONFIG, "config", "use-context", previous], check=False)
    else:
        run([kubectl, "--kubeconfig", KUBECONFIG, "config", "unset", "current-context"], check=False)


def _bin_dir_of_run() -> Path:
    marker = STATE / "bin-dir"
    return Path(marker.read_text().strip()) if marker.exists() else Path("/nonexistent")


# ---------------------------------------------------------------------------------------- processes
def start(name: str, argv: Sequence[str | Path], env: dict[str, str] | None = None) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")
    process = subprocess.Popen(
        [str(a) for a in argv],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
        cwd="/",
    )
    (PIDS / f"{name}.pid").write_text(str(process.pid))


def alive(name: str) -> bool:
    pid_file = PIDS / f"{name}.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (ProcessLookupError, ValueError):
        return False
    return True


def stop(name: str, timeout: float = 20) -> None:
    pid_file = PIDS / f"{name}.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            continue
        break
    pid_file.unlink(missing_ok=True)


def tail(name: str, lines: int = 25) -> str:
    log = LOGS / f"{name}.log"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def wait_for(what: str, check: Callable[[], bool], owner: str, timeout: float = 180) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if owner and not alive(owner):
            raise ClusterError(f"{owner} exited while waiting for {what}:\n{tail(owner)}")
        try:
            if check():
                return time.monotonic() - started
        except (OSError, subprocess.SubprocessError):
            pass
        time.sleep(0.5)
    raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}; end of {owner}'s log:\n{tail(owner)}")


# ---------------------------------------------------------------------------------------- network
def uplink() -> str:
    route = run(["ip", "-j", "route", "show", "default"]).stdout
    routes = json.loads(route or "[]")
    if not routes:
        raise ClusterError("no default route: cannot tell which interface to keep the cluster's traffic off")
    return str(routes[0]["dev"])


def prepare_network() -> None:
    addresses = json.loads(run(["ip", "-j", "addr", "show", "dev", "lo"]).stdout)
    if not any(a.get("local") == NODE_IP for entry in addresses for a in entry.get("addr_info", [])):
        record({"kind": "address", "address": f"{NODE_IP}/32", "device": "lo"})
        run(["ip", "addr", "add", f"{NODE_IP}/32", "dev", "lo"])
    # Pods never reach the uplink: the rule goes in before forwarding is switched on.
    drop = ["FORWARD", "-o", uplink(), "-j", "DROP"]
    if run(["iptables", "-C", *drop], check=False).returncode != 0:
        record({"kind": "iptables", "rule": drop})
        run(["iptables", "-I", drop[0], "1", *drop[1:]])
    set_sysctl("net.ipv4.ip_forward", "1")
    # pod -> Service -> pod on the same bridge: the reply must pass iptables to be un-NATed
    set_sysctl("net.bridge.bridge-nf-call-iptables", "1")
    CNI_CONF_DIR.mkdir(parents=True, exist_ok=True)
    (CNI_CONF_DIR / "10-learnflow.conflist").write_text(
        json.dumps(
            {
                "cniVersion": "1.0.0",
                "name": "learnflow",
                "plugins": [
                    {
                        "type": "bridge",
                        "bridge": BRIDGE,
                        "isGateway": True,
                        "ipMasq": False,
                        "hairpinMode": True,
                        "ipam": {
                            "type": "host-local",
                            "ranges": [[{"subnet": POD_SUBNET}]],
                            "routes": [{"dst": "0.0.0.0/0"}],
                            "dataDir": str(STATE / "cni" / "ipam"),
                        },
                    },
                    {"type": "portmap", "capabilities": {"portMappings": True}},
                ],
            },
            indent=1,
        )
    )


def keep_drop_rule_first() -> None:
    """kube-proxy prepends its own FORWARD jumps; ours must still come first."""
    rules = run(["iptables", "-S", "FORWARD"]).stdout.splitlines()
    first = next((rule for rule in rules if rule.startswith("-A FORWARD")), "")
    if first != f"-A FORWARD -o {uplink()} -j DROP":
        run(["iptables", "-D", "FORWARD", "-o", uplink(), "-j", "DROP"], check=False)
        run(["iptables", "-I", "FORWARD", "1", "-o", uplink(), "-j", "DROP"])


# ---------------------------------------------------------------------------------------- components
def start_etcd(bins: Path) -> None:
    start(
        "etcd",
        [
            bins / "etcd",
            "--name", NODE,
            "--data-dir", STATE / "etcd",
            "--listen-client-urls", "http://127.0.0.1:2379",
            "--advertise-client-urls", "http://127.0.0.1:2379",
            "--listen-peer-urls", "http://127.0.0.1:2380",
            "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
            "--initial-cluster", f"{NODE}=http://127.0.0.1:2380",
            "--listen-metrics-urls", "http://127.0.0.1:2381",
        ],
    )  # fmt: skip
    wait_for("etcd", lambda: run(["curl", "-sf", "http://127.0.0.1:2381/health"], check=False).returncode == 0, "etcd")


def start_control_plane(bins: Path) -> None:
    pki = CERTS
    start(
        "kube-apiserver",
        [
            bins / "kube-apiserver",
            "--advertise-address", NODE_IP,
            "--bind-address", NODE_IP,
            "--secure-port", str(API_PORT),
            "--etcd-servers", "http://127.0.0.1:2379",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--service-node-port-range", "30000-32767",
            "--client-ca-file", pki / "ca.crt",
            "--tls-cert-file", pki / "apiserver.crt",
            "--tls-private-key-file", pki / "apiserver.key",
            "--kubelet-client-certificate", pki / "apiserver-kubelet-client.crt",
            "--kubelet-client-key", pki / "apiserver-kubelet-client.key",
            "--kubelet-certificate-authority", pki / "ca.crt",
            "--kubelet-preferred-address-types", "InternalIP",
            "--service-account-key-file", pki / "sa.pub",
            "--service-account-signing-key-file", pki / "sa.key",
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--authorization-mode", "Node,RBAC",
            "--enable-admission-plugins", "NodeRestriction",
            "--allow-privileged=true",
            "--requestheader-client-ca-file", pki / "front-proxy-ca.crt",
            "--requestheader-allowed-names", "front-proxy-client",
            "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
            "--requestheader-group-headers", "X-Remote-Group",
            "--requestheader-username-headers", "X-Remote-User",
            "--proxy-client-cert-file", pki / "front-proxy-client.crt",
            "--proxy-client-key-file", pki / "front-proxy-client.key",
            "--enable-aggregator-routing=true",
        ],
    )  # fmt: skip
    kubectl = admin_kubectl(bins)
    wait_for(
        "the API server",
        lambda: run([*kubectl, "get", "--raw", "/readyz"], check=False).returncode == 0,
        "kube-apiserver",
    )
    start(
        "kube-controller-manager",
        [
            bins / "kube-controller-manager",
            "--kubeconfig", STATE / "controller-manager.kubeconfig",
            "--authentication-kubeconfig", STATE / "controller-manager.kubeconfig",
            "--authorization-kubeconfig", STATE / "controller-manager.kubeconfig",
            "--bind-address", "127.0.0.1",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            "--service-account-private-key-file", pki / "sa.key",
            "--root-ca-file", pki / "ca.crt",
            "--cluster-signing-cert-file", pki / "ca.crt",
            "--cluster-signing-key-file", pki / "ca.key",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--cluster-cidr", CLUSTER_CIDR,
            "--allocate-node-cidrs=false",
        ],
    )  # fmt: skip
    start(
        "kube-scheduler",
        [
            bins / "kube-scheduler",
            "--kubeconfig", STATE / "scheduler.kubeconfig",
            "--authentication-kubeconfig", STATE / "scheduler.kubeconfig",
            "--authorization-kubeconfig", STATE / "scheduler.kubeconfig",
            "--bind-address", "127.0.0.1",
            "--leader-elect=false",
        ],
    )  # fmt: skip


def start_containerd() -> None:
    config = STATE / "containerd.toml"
    config.write_text(
        textwrap.dedent(
            f"""\
            version = 2
            root = "{STATE / "containerd"}"
            state = "{RUN / "containerd"}"
            disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
              "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
            [grpc]
              address = "{CONTAINERD_SOCKET}"
            [ttrpc]
              address = "{RUN / "containerd" / "containerd.sock.ttrpc"}"
            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = "{PAUSE_IMAGE}"
              # without it every pod fails here: runc cannot write oom_score_adj in this VM
              restrict_oom_score_adj = true
              [plugins."io.containerd.grpc.v1.cri".containerd]
                default_runtime_name = "runc"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                    SystemdCgroup = false
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "/usr/lib/cni"
                conf_dir = "{CNI_CONF_DIR}"
            """
        )
    )
    start("containerd", ["containerd", "--config", config])
    wait_for("containerd", lambda: run(ctr("version"), check=False).returncode == 0, "containerd")


def admin_kubectl(bins: Path) -> list[str | Path]:
    """kubectl as the cluster's admin (the user's kubeconfig is only touched at the end of `up`)."""
    return [bins / "kubectl", "--kubeconfig", STATE / "admin.kubeconfig"]


def ctr(*args: str | Path) -> list[str | Path]:
    return ["ctr", "--address", CONTAINERD_SOCKET, "--namespace", "k8s.io", *args]


def start_node(bins: Path) -> None:
    for name in KUBELET_SYSCTLS:
        path = Path("/proc/sys") / name.replace(".", "/")
        record({"kind": "sysctl", "name": name, "value": path.read_text().strip()})
    KUBELET_DIR.mkdir(parents=True, exist_ok=True)
    config = STATE / "kubelet.yaml"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "address": NODE_IP,
                "readOnlyPort": 0,
                "authentication": {
                    "anonymous": {"enabled": False},
                    "webhook": {"enabled": True},
                    "x509": {"clientCAFile": str(CERTS / "ca.crt")},
                },
                "authorization": {"mode": "Webhook"},
                "tlsCertFile": str(CERTS / "kubelet.crt"),
                "tlsPrivateKeyFile": str(CERTS / "kubelet.key"),
                "cgroupDriver": "cgroupfs",
                "failSwapOn": False,
                "failCgroupV1": False,
                "clusterDomain": "cluster.local",
                "clusterDNS": [DNS_SERVICE_IP],
                "containerRuntimeEndpoint": f"unix://{CONTAINERD_SOCKET}",
                "podCIDR": POD_SUBNET,
                # images exist only locally: never collect them
                "imageGCHighThresholdPercent": 100,
                "imageGCLowThresholdPercent": 99,
                "evictionHard": {"memory.available": "100Mi", "nodefs.available": "2%", "imagefs.available": "2%"},
                "resolvConf": "/etc/resolv.conf",
                "healthzBindAddress": "127.0.0.1",
                "serializeImagePulls": False,
                "maxPods": 60,
            },
            indent=1,
        )
    )
    start(
        "kubelet",
        [
            bins / "kubelet",
            "--config", config,
            "--kubeconfig", STATE / "kubelet-client.kubeconfig",
            "--hostname-override", NODE,
            "--node-ip", NODE_IP,
            "--root-dir", KUBELET_DIR,
        ],
    )  # fmt: skip
    proxy_config = STATE / "kube-proxy.yaml"
    proxy_config.write_text(
        json.dumps(
            {
                "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                "kind": "KubeProxyConfiguration",
                "clientConnection": {"kubeconfig": str(STATE / "kube-proxy.kubeconfig")},
                "mode": "iptables",
                "clusterCIDR": CLUSTER_CIDR,
                "hostnameOverride": NODE,
                "bindAddress": "127.0.0.1",
                "healthzBindAddress": "127.0.0.1:10256",
                "metricsBindAddress": "127.0.0.1:10249",
                "nodePortAddresses": [f"{NODE_IP}/32"],
                # no conntrack sysctls: the kernel's defaults stay
                "conntrack": {"maxPerCore": 0, "min": 0},
            },
            indent=1,
        )
    )
    start("kube-proxy", [bins / "kube-proxy", "--config", proxy_config])


def import_images(bins: Path) -> None:
    """The pause and CoreDNS images, made here from their binaries (no registry is reachable)."""
    images = STATE / "images"
    images.mkdir(exist_ok=True)
    for tag, binary, user in ((PAUSE_IMAGE, "pause", 65535), (COREDNS_IMAGE, "coredns", 65532)):
        archive = images / f"{binary}.tar"
        docker_archive(archive, [tag], {f"/{binary}": bins / binary}, entrypoint=[f"/{binary}"], user=user)
        run(ctr("images", "import", "--no-unpack=false", archive))


def start_metrics_server(bins: Path) -> None:
    """metrics-server from its own manifests (in its Go module), as Minikube's addon runs it: the
    image made here from the binary, and the kubelet's serving certificate checked against this
    cluster's CA (a ConfigMap) instead of Minikube's --kubelet-insecure-tls."""
    manifests = run(["go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/metrics-server"], cwd=HERE / "metrics-server")
    overlay = STATE / "metrics-server"
    overlay.mkdir(exist_ok=True)
    shutil.copy(CERTS / "ca.crt", overlay / "ca.crt")
    # kustomize takes no absolute resource paths: a copy of the module's base, read-only there
    shutil.rmtree(overlay / "base", ignore_errors=True)
    shutil.copytree(
        Path(manifests.stdout.strip()) / "manifests" / "base", overlay / "base", copy_function=shutil.copyfile
    )
    patch = [
        {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": arg}
        for arg in (
            "--kubelet-certificate-authority=/kubelet-ca/ca.crt",
            "--kubelet-preferred-address-types=InternalIP",
        )
    ]
    patch += [
        {
            "op": "add",
            "path": "/spec/template/spec/volumes/-",
            "value": {"name": "kubelet-ca", "configMap": {"name": "kubelet-ca"}},
        },
        {
            "op": "add",
            "path": "/spec/template/spec/containers/0/volumeMounts/-",
            "value": {"name": "kubelet-ca", "mountPath": "/kubelet-ca", "readOnly": True},
        },
    ]
    (overlay / "kustomization.yaml").write_text(
        json.dumps(
            {
                "resources": ["base"],
                "images": [
                    {
                        "name": "gcr.io/k8s-staging-metrics-server/metrics-server",
                        "newName": METRICS_SERVER_IMAGE.split(":")[0],
                        "newTag": METRICS_SERVER_IMAGE.split(":")[1],
                    }
                ],
                "configMapGenerator": [{"name": "kubelet-ca", "namespace": "kube-system", "files": ["ca.crt"]}],
                "patches": [{"target": {"kind": "Deployment", "name": "metrics-server"}, "patch": json.dumps(patch)}],
            },
            indent=1,
        )
    )
    archive = STATE / "images" / "metrics-server.tar"
    docker_archive(
        archive, [METRICS_SERVER_IMAGE], {"/metrics-server": bins / "metrics-server"}, ["/metrics-server"], 1000
    )
    run(ctr("images", "import", archive))
    rendered = run([bins / "kubectl", "kustomize", overlay])
    apply(bins, rendered.stdout)


def wait_node_ready(bins: Path) -> float:
    kubectl = admin_kubectl(bins)

    def ready() -> bool:
        answer = run(
            [*kubectl, "get", "node", NODE, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}"],
            check=False,
        )
        return answer.stdout.strip() == "True"

    return wait_for(f"node {NODE} Ready", ready, "kubelet")


def apply(bins: Path, manifest: str) -> None:
    run([*admin_kubectl(bins), "apply", "-f", "-"], input=manifest)


def start_addons(bins: Path) -> None:
    manifests = (HERE / "addons.yaml").read_text()
    apply(bins, manifests.replace("$DNS_SERVICE_IP", DNS_SERVICE_IP).replace("$COREDNS_IMAGE", COREDNS_IMAGE))
    start(
        "learnflow-provisioner",
        [
            bins / "learnflow-provisioner",
            "--kubeconfig", STATE / "provisioner.kubeconfig",
            "--root", VOLUMES,
            "--node", NODE,
        ],
    )  # fmt: skip
    kubectl = admin_kubectl(bins)
    wait_for(
        "CoreDNS",
        lambda: (
            run(
                [*kubectl, "-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=5s"], check=False
            ).returncode
            == 0
        ),
        "kubelet",
        timeout=240,
    )


# ---------------------------------------------------------------------------------------- dapr
DAPR_COMPONENTS = ("operator", "placement", "scheduler", "sentry", "injector", "daprd")


def install_dapr(bins: Path, dapr_bins: Path, chart: Path, version: str) -> None:
    """Dapr's control plane from its official Helm chart, as `dapr init -k` installs it. Its images
    (one per component in the 1.18 chart) are one image of the Dapr build the local stack uses,
    tagged under every name the chart and the sidecar injector ask for."""
    sources = {"operator": bins / "dapr-operator", "injector": bins / "dapr-injector", "sentry": bins / "dapr-sentry"}
    sources |= {name: dapr_bins / name for name in ("daprd", "placement", "scheduler")}
    missing = [str(path) for path in sources.values() if not path.exists()]
    if missing:
        raise ClusterError(f"missing Dapr binaries: {', '.join(missing)}")
    archive = STATE / "images" / "dapr.tar"
    tags = [f"ghcr.io/dapr/{name}:{version}" for name in DAPR_COMPONENTS]
    docker_archive(
        archive, tags, {f"/{name}": path for name, path in sources.items()}, entrypoint=["/daprd"], user=65532
    )
    run(ctr("images", "import", archive))
    run(
        [
            bins / "helm", "upgrade", "--install", "dapr", chart,
            "--kubeconfig", STATE / "admin.kubeconfig",
            "--namespace", "dapr-system", "--create-namespace",
            "--set", f"global.tag={version}",
            "--set", "global.registry=ghcr.io/dapr",
            # no storage for the control plane's own state: a single node, restarted with the cluster
            "--set", "dapr_scheduler.cluster.inMemoryStorage=true",
            "--set", "dapr_placement.cluster.forceInMemoryLog=true",
            "--wait", "--timeout", "10m",
        ],
        timeout=660,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------- commands
def cmd_up(args: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        raise ClusterError("needs root: it starts containerd and the kubelet and changes the network")
    bins = Path(args.bin_dir).resolve()
    missing = [
        name
        for name in (
            *DAEMONS[:4],
            "kubelet",
            "kube-proxy",
            "kubectl",
            "coredns",
            "pause",
            "learnflow-provisioner",
            "metrics-server",
        )
        if not (bins / name).exists()
    ]
    if missing:
        raise ClusterError(f"missing in {bins}: {', '.join(missing)} (make cluster-binaries)")
    if any(alive(name) for name in DAEMONS):
        say("already running (make cluster-down first to start over)")
        return 0
    started = time.monotonic()
    for directory in (STATE, RUN, LOGS, PIDS):
        directory.mkdir(parents=True, exist_ok=True)
    (STATE / "bin-dir").write_text(str(bins))
    make_pki()
    write_kubeconfigs()
    prepare_network()
    start_etcd(bins)
    start_control_plane(bins)
    say(f"control plane up ({time.monotonic() - started:.0f} s)")
    start_containerd()
    import_images(bins)
    start_node(bins)
    wait_node_ready(bins)
    say(f"node {NODE} Ready ({time.monotonic() - started:.0f} s)")
    start_addons(bins)
    start_metrics_server(bins)
    say(f"CoreDNS, storage and metrics-server ready ({time.monotonic() - started:.0f} s)")
    install_dapr(bins, Path(args.dapr_bin_dir), Path(args.dapr_chart), args.dapr_version)
    say(f"Dapr {args.dapr_version} control plane ready ({time.monotonic() - started:.0f} s)")
    keep_drop_rule_first()
    install_user_context(bins / "kubectl")
    install_kubectl(bins / "kubectl")
    say(f"cluster ready in {time.monotonic() - started:.0f} s: kubectl now uses context {CONTEXT!r}")
    return 0


def _remove_pods() -> None:
    """Every container and pod sandbox containerd runs, before containerd itself stops."""
    if not alive("containerd"):
        return
    for task in run(ctr("tasks", "list", "-q"), check=False).stdout.split():
        run(ctr("tasks", "kill", "-s", "SIGKILL", task), check=False)
    time.sleep(2)
    for task in run(ctr("tasks", "list", "-q"), check=False).stdout.split():
        run(ctr("tasks", "delete", "-f", task), check=False)


def _unmount_under(root: Path) -> None:
    """Every mount at or below ``root``, deepest first (the kubelet bind-mounts its root dir too)."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m == str(root) or m.startswith(str(root) + "/")), key=len, reverse=True):
        run(["umount", "-l", mount], check=False)


def cmd_down(_: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        raise ClusterError("needs root")
    started = time.monotonic()
    for name in ("learnflow-provisioner", "kube-proxy", "kubelet"):
        stop(name)
    _remove_pods()
    stop("containerd")
    run(["pkill", "-9", "-f", f"containerd-shim-runc-v2 -namespace k8s.io -address {CONTAINERD_SOCKET}"], check=False)
    for name in ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"):
        stop(name)
    bins = _bin_dir_of_run()
    if (bins / "kube-proxy").exists():
        run([bins / "kube-proxy", "--cleanup"], check=False)
    for change in reversed(_journal()):
        undo(change)
    # containerd pins each pod's network namespace with a mount; with the pods gone they hold no
    # process: removing them removes the pods' veth pairs too (a namespace still in use is left)
    for netns in sorted(Path("/run/netns").glob("cni-*")):
        if not run(["ip", "netns", "pids", netns.name], check=False).stdout.strip():
            run(["ip", "netns", "delete", netns.name], check=False)
    if Path(f"/sys/class/net/{BRIDGE}").exists():
        run(["ip", "link", "delete", BRIDGE], check=False)
    for table in ("filter", "nat"):
        chains = [
            line.split()[1]
            for line in run(["iptables", "-t", table, "-S"], check=False).stdout.splitlines()
            if line.startswith("-N CNI-")
        ]
        for chain in chains:
            run(["iptables", "-t", table, "-F", chain], check=False)
        for rule in run(["iptables", "-t", table, "-S"], check=False).stdout.splitlines():
            if "CNI-" in rule and rule.startswith("-A "):
                run(["iptables", "-t", table, "-D", *rule.split()[1:]], check=False)
        for chain in chains:
            run(["iptables", "-t", table, "-X", chain], check=False)
    for root in (KUBELET_DIR, STATE, RUN):
        _unmount_under(root)
    # the pods' cgroups (cgroupfs driver, v1): a cgroup directory is removed with rmdir, deepest first
    for cgroup in Path("/sys/fs/cgroup").glob("*/kubepods*"):
        for directory in sorted((d for d in cgroup.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(OSError):
            cgroup.rmdir()
    for path in (KUBELET_DIR, RUN, STATE):
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree("/var/lib/cni/networks/learnflow", ignore_errors=True)
    say(f"cluster removed ({time.monotonic() - started:.0f} s)")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    for name in DAEMONS:
        print(f"{name:<24} {'running' if alive(name) else 'stopped'}")
    return 0 if all(alive(name) for name in DAEMONS) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up")
    up.add_argument("--bin-dir", required=True, help="the Kubernetes binaries (make cluster-binaries)")
    up.add_argument("--dapr-bin-dir", required=True, help="daprd, placement, scheduler (make dapr)")
    up.add_argument("--dapr-chart", required=True, help="charts/dapr of the github.com/dapr/dapr module")
    up.add_argument("--dapr-version", required=True)
    commands.add_parser("down")
    commands.add_parser("status")
    args = parser.parse_args(argv)
    try:
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](args)
    except (ClusterError, subprocess.CalledProcessError) as error:
        detail = f"{error}\n{error.stderr}" if isinstance(error, subprocess.CalledProcessError) else str(error)
        print(f"cluster: {detail}", file=sys.stderr)
        if args.command == "up":
            print(f"cluster: logs in {LOGS}; `make cluster-down` removes what was started", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
