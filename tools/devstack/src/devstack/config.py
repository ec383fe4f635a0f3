"""What the local stack is made of: paths, pinned versions, ports and the apps of dapr.yaml.

Every knob of the local stack is here. Ports have defaults and are overridden by environment
variables of the same name (``KAFKA_PORT=19092 make up``); app ports come from ``dapr.yaml`` and
are overridden by ``<APP_ID>_APP_PORT``, ``<APP_ID>_DAPR_HTTP_PORT`` and so on, where ``<APP_ID>``
is the app id in upper case with ``-`` as ``_`` (``COURSE_AGENT_APP_PORT``). ``<APP_ID>_ENV_<NAME>``
sets the variable ``NAME`` for that app (``COURSE_AGENT_ENV_LESSON_GENERATOR=builtin make up``).
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from devstack.auth import DevIssuer

#: Infrastructure ports. Kafka, placement and scheduler are the platform's contract; the others only
#: have to be free and are kept below Linux's ephemeral range (32768-60999), where an outgoing
#: connection could hold them at random.
DEFAULT_PORTS: dict[str, int] = {
    "POSTGRES_PORT": 5433,
    "KAFKA_PORT": 9092,
    "KAFKA_CONTROLLER_PORT": 9093,
    "PLACEMENT_PORT": 50005,
    "PLACEMENT_HEALTHZ_PORT": 18081,
    "PLACEMENT_RAFT_PORT": 18201,
    "SCHEDULER_PORT": 50006,
    "SCHEDULER_HEALTHZ_PORT": 18082,
    "SCHEDULER_ETCD_CLIENT_PORT": 12379,
    "SCHEDULER_ETCD_PEER_PORT": 12380,
    # the local trace sink (devstack.otlp_sink): OTLP/HTTP's own port, as components/config*.yaml say
    "OTLP_PORT": 4318,
}

POSTGRES_DATABASE = "learnflow"
POSTGRES_USER = "learnflow"
#: PostgreSQL refuses to run as root; as root, the Debian package's `postgres` user runs it.
POSTGRES_OS_USER = "postgres"
#: In the stack folder: the path of this stack's PostgreSQL folder (see StackConfig.postgres_root).
POSTGRES_DIR_RECORD = "postgres-dir"


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"devstack: {name}={raw!r} is not a port number") from None


def sidecar_go_env(gomaxprocs: str) -> dict[str, str]:
    """A daprd's environment for ``StackConfig.sidecar_gomaxprocs`` ("0": Go's default, nothing set);
    the stack's sidecars and the benchmarks' own take it from here."""
    return {} if gomaxprocs == "0" else {"GOMAXPROCS": gomaxprocs}


def stack_dir(repo: Path) -> Path:
    """Where a stack keeps its data, logs, pids and stack.json (LEARNFLOW_STACK_DIR to move it)."""
    return Path(os.environ.get("LEARNFLOW_STACK_DIR", repo / ".stack")).resolve()


def info_file(stack: Path) -> Path:
    """Written when the stack is ready: ports, URLs and this stack's tokens, for tests and tools."""
    return stack / "stack.json"


def _build_dir(variable: str, fallback: Path | None = None) -> Path | None:
    """Build outputs are located by the Makefile (it knows their cache keys) and passed down;
    only starting a stack needs them (checked then), stopping or inspecting one does not."""
    if value := os.environ.get(variable):
        return Path(value)
    if fallback is not None and fallback.is_dir():
        return fallback
    return None


def find_repo_root() -> Path:
    """The checkout that holds dapr.yaml: LEARNFLOW_REPO, else the nearest parent of the cwd."""
    if explicit := os.environ.get("LEARNFLOW_REPO"):
        return Path(explicit).resolve()
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "dapr.yaml").is_file():
            return candidate
    raise SystemExit("devstack: no dapr.yaml in this folder or above it; run from the LearnFlow checkout")


@dataclass(frozen=True)
class AppSpec:
    """One app of dapr.yaml with its sidecar, after environment overrides."""

    app_id: str
    app_dir: Path
    command: list[str]
    env: dict[str, str]
    app_port: int
    dapr_http_port: int
    dapr_grpc_port: int
    dapr_internal_grpc_port: int
    metrics_port: int
    #: Go's pprof of the sidecar, served only when the stack profiles its sidecars (DAPR_PROFILING=1)
    profile_port: int
    health_check_path: str
    resources_paths: list[Path]
    config_file: Path
    log_level: str

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def dapr_url(self) -> str:
        return f"http://127.0.0.1:{self.dapr_http_port}"

    @property
    def env_prefix(self) -> str:
        return self.app_id.upper().replace("-", "_")


def _resolve_command(command: list[str]) -> list[str]:
    """dapr.yaml says ``python3``; the stack runs the project's virtualenv interpreter."""
    if command and command[0] in {"python", "python3"}:
        return [sys.executable, *command[1:]]
    return command


def load_apps(repo: Path) -> list[AppSpec]:
    """Reads dapr.yaml, the single list of apps shared with ``dapr run -f .``."""
    run_file = yaml.safe_load((repo / "dapr.yaml").read_text())
    common = run_file.get("common", {}) or {}
    apps: list[AppSpec] = []
    for raw in run_file["apps"]:
        merged = {**common, **raw, "env": {**common.get("env", {}), **raw.get("env", {})}}
        app_id = merged["appID"]
        prefix = app_id.upper().replace("-", "_")
        # <APP_ID>_ENV_<NAME>=value in the launcher's environment sets NAME for that app only.
        env_overrides = {
            key.removeprefix(f"{prefix}_ENV_"): value
            for key, value in os.environ.items()
            if key.startswith(f"{prefix}_ENV_")
        }
        resources = merged.get("resourcesPaths") or [merged.get("resourcesPath", "./components")]
        if isinstance(resources, str):
            resources = [part.strip() for part in resources.split(",")]
        apps.append(
            AppSpec(
                app_id=app_id,
                app_dir=(repo / merged["appDirPath"]).resolve(),
                command=_resolve_command(list(merged["command"])),
                env={**{key: str(value) for key, value in merged["env"].items()}, **env_overrides},
                app_port=_port(f"{prefix}_APP_PORT", int(merged["appPort"])),
                dapr_http_port=_port(f"{prefix}_DAPR_HTTP_PORT", int(merged["daprHTTPPort"])),
                dapr_grpc_port=_port(f"{prefix}_DAPR_GRPC_PORT", int(merged["daprGRPCPort"])),
                dapr_internal_grpc_port=_port(f"{prefix}_DAPR_INTERNAL_GRPC_PORT", int(merged["daprInternalGRPCPort"])),
                metrics_port=_port(f"{prefix}_DAPR_METRICS_PORT", int(merged["metricsPort"])),
                profile_port=_port(f"{prefix}_DAPR_PROFILE_PORT", int(merged["profilePort"])),
                health_check_path=merged.get("appHealthCheckPath", "/healthz"),
                resources_paths=[(repo / path).resolve() for path in resources],
                config_file=(repo / merged["configFilePath"]).resolve(),
                log_level=merged.get("logLevel", "info"),
            )
        )
    return apps


def _postgres_bin_dir() -> Path | None:
    if explicit := os.environ.get("PG_BIN_DIR"):
        return Path(explicit)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


@dataclass(frozen=True)
class StackConfig:
    repo: Path
    stack_dir: Path
    dapr_bin_dir: Path | None
    kafka_libs_dir: Path | None
    postgres_bin_dir: Path | None
    ports: dict[str, int]
    apps: list[AppSpec] = field(default_factory=list)

    @classmethod
    def load(cls) -> StackConfig:
        repo = find_repo_root()
        return cls(
            repo=repo,
            stack_dir=stack_dir(repo),
            dapr_bin_dir=_build_dir("DAPR_BIN_DIR", Path.home() / ".dapr" / "bin"),
            kafka_libs_dir=_build_dir("KAFKA_LIBS_DIR"),
            postgres_bin_dir=_postgres_bin_dir(),
            ports={name: _port(name, default) for name, default in DEFAULT_PORTS.items()},
            apps=load_apps(repo),
        )

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['KAFKA_PORT']}"

    @property
    def placement_address(self) -> str:
        return f"127.0.0.1:{self.ports['PLACEMENT_PORT']}"

    @property
    def scheduler_address(self) -> str:
        return f"127.0.0.1:{self.ports['SCHEDULER_PORT']}"

    @property
    def info_file(self) -> Path:
        return info_file(self.stack_dir)

    @property
    def supervisor_pid_file(self) -> Path:
        return self.stack_dir / "supervisor.pid"

    @property
    def postgres_root(self) -> Path:
        """Where each stack run's PostgreSQL folder is made (``tempfile.mkdtemp``: an unpredictable
        name, mode 0700). As root it lives outside the checkout, under /var/tmp, because the
        ``postgres`` user may not be able to enter the checkout's parents (mktemp -d is 0700)."""
        if os.geteuid() != 0:
            return self.stack_dir
        return Path("/var/tmp/learnflow")

    @property
    def postgres_dir_record(self) -> Path:
        """The file naming this stack's PostgreSQL folder, so `make down` / `make clean` (another
        process than the one that made it) find and delete it."""
        return self.stack_dir / POSTGRES_DIR_RECORD

    @property
    def otlp_endpoint(self) -> str:
        """Where the sidecars and the apps send their spans (the stack's trace sink)."""
        return f"http://127.0.0.1:{self.ports['OTLP_PORT']}"

    @property
    def traces_file(self) -> Path:
        """Every span of this stack, one JSON line each (devstack.otlp_sink)."""
        return self.stack_dir / "traces.jsonl"

    @property
    def trace_sampling_rate(self) -> str:
        """TRACE_SAMPLING_RATE (0..1, default 1): the share of new traces the sidecars and apps
        sample; ``0`` turns tracing off, e.g. to measure without its cost."""
        raw = os.environ.get("TRACE_SAMPLING_RATE") or "1"
        try:
            rate = float(raw)
        except ValueError:
            rate = -1.0
        if not 0 <= rate <= 1:
            raise SystemExit(f"devstack: TRACE_SAMPLING_RATE={raw!r} is not a number from 0 to 1")
        return raw

    @property
    def sidecar_gomaxprocs(self) -> str:
        """SIDECAR_GOMAXPROCS (default 1): the ``GOMAXPROCS`` of each daprd, as the Kubernetes
        manifests set it (``dapr.io/env``). A pod's app is one single-threaded process and its sidecar
        spends less CPU than the app per request; with one Go processor instead of one per CPU, a
        sidecar spent 10-17% less CPU per update (PROFILE.md, Phase 17). ``0``: Go's own default."""
        raw = os.environ.get("SIDECAR_GOMAXPROCS") or "1"
        if not raw.isdigit():
            raise SystemExit(f"devstack: SIDECAR_GOMAXPROCS={raw!r} is not a whole number")
        return raw

    @property
    def dapr_profiling(self) -> bool:
        """DAPR_PROFILING=1: each sidecar serves Go's pprof on 127.0.0.1 at its ``profilePort``
        (dapr.yaml), for benchmarks/daprd_profile.py; off by default, as in production."""
        raw = os.environ.get("DAPR_PROFILING") or "0"
        if raw not in ("0", "1"):
            raise SystemExit(f"devstack: DAPR_PROFILING={raw!r} is not 0 or 1")
        return raw == "1"

    @property
    def logs_dir(self) -> Path:
        return self.stack_dir / "logs"

    @property
    def issuer(self) -> DevIssuer:
        """The development token issuer: its key pair lives in the stack folder."""
        return DevIssuer(self.stack_dir / "auth")
