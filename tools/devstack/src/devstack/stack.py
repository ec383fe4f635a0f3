"""Starts the stack in dependency order, waits for each part to be ready, and stops it in reverse.

Order: PostgreSQL -> Kafka (+ topics) -> placement, scheduler -> for each app of dapr.yaml its
daprd sidecar and the app itself. Each step waits on a real readiness check, so a failure is
reported at the step that failed, with the tail of that process's log.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import yaml

from devstack import control
from devstack.config import (
    POSTGRES_DATABASE,
    POSTGRES_DIR_RECORD,
    POSTGRES_OS_USER,
    POSTGRES_USER,
    AppSpec,
    StackConfig,
    sidecar_go_env,
)
from devstack.processes import Console, ManagedProcess, write_pid_file

READY_TIMEOUT_SECONDS = float(os.environ.get("DEVSTACK_READY_TIMEOUT", "120"))
#: Dead letters wait for a replay after an outage (README, "Dead letters"): their topics keep a month,
#: whatever their size, where the development stack's other topics keep a day.
DEAD_LETTER_RETENTION = {"retention.ms": str(30 * 24 * 3600 * 1000), "retention.bytes": "-1"}


class StackError(RuntimeError):
    """A part of the stack could not be started; the message says which and why."""


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def kafka_cluster_id() -> str:
    """A random cluster id as Kafka makes one (``Uuid.randomUuid``: 16 bytes, URL-safe base64), drawn
    again when it would start with ``-``, which the storage tool's ``-t`` would take for an option
    (and fail to format: one start in 64)."""
    while (drawn := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
        pass
    return drawn


#: In a cluster's folder: the stack folder it belongs to, so a cluster whose stack is gone is pruned.
OWNER_FILE = "stack"
#: The name every stack run's PostgreSQL folder starts with (``tempfile.mkdtemp`` adds the rest).
POSTGRES_DIR_PREFIX = "postgres-"


def write_secret(path: Path, value: str) -> None:
    """Creates the file readable by its owner only from the first byte (never written, then chmod'ed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(value)


def claim_shared_postgres_root(root: Path) -> None:
    """The folder that holds root's clusters must be root's own real directory, writable by root
    only: otherwise another local user could plant a symlink where a cluster or its password goes."""
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    status = os.lstat(root)
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != 0 or status.st_mode & 0o022:
        raise StackError(f"{root} must be a directory owned by root and writable only by root")


def prune_abandoned_clusters(root: Path) -> None:
    """Deletes the clusters whose stack is gone: its folder no longer exists (a checkout deleted
    without `make down`), or it records another cluster (its supervisor was killed before it could
    delete this one), so fresh clones do not fill the disk. A stack without a record (one of an
    earlier version of the launcher, which may be running) keeps its cluster. A cluster is recorded
    before its owner file is written, so one being made is never taken."""
    for cluster in root.glob(f"{POSTGRES_DIR_PREFIX}*"):
        owner = cluster / OWNER_FILE
        if not owner.is_file():
            continue
        stack_dir = Path(owner.read_text().strip())
        try:
            recorded: str | None = (stack_dir / POSTGRES_DIR_RECORD).read_text().strip()
        except OSError:
            recorded = None
        if not stack_dir.exists() or (recorded is not None and recorded != str(cluster)):
            shutil.rmtree(cluster, ignore_errors=True)


def make_postgres_dir(config: StackConfig) -> Path:
    """A new folder for this stack run's PostgreSQL: ``tempfile.mkdtemp`` (a name nobody can guess
    in advance, created exclusively, mode 0700, no symlink followed), recorded in the stack folder
    (mode 0600, O_EXCL|O_NOFOLLOW) for `make down` to delete. Any folder an earlier run left is
    deleted first: each run starts with an empty database."""
    discard_postgres_dir(config)
    root = config.postgres_root
    if os.geteuid() == 0:
        claim_shared_postgres_root(root)
    root.mkdir(parents=True, exist_ok=True)
    config.stack_dir.mkdir(parents=True, exist_ok=True)
    made = Path(tempfile.mkdtemp(prefix=POSTGRES_DIR_PREFIX, dir=root))
    try:
        write_secret(config.postgres_dir_record, str(made))
        write_secret(made / OWNER_FILE, str(config.stack_dir))
    except OSError:
        shutil.rmtree(made, ignore_errors=True)
        raise
    if os.geteuid() == 0:
        prune_abandoned_clusters(root)  # now also a cluster this stack folder recorded before
    return made


def recorded_postgres_dir(config: StackConfig) -> Path | None:
    """The folder this stack recorded, if it is still one it could have made: a real directory
    (not a symlink) of the expected name, right in the expected place."""
    try:
        recorded = Path(config.postgres_dir_record.read_text().strip())
    except OSError:
        return None
    if recorded.parent != config.postgres_root or not recorded.name.startswith(POSTGRES_DIR_PREFIX):
        return None
    try:
        status = os.lstat(recorded)
    except OSError:
        return None
    return recorded if stat.S_ISDIR(status.st_mode) else None


def discard_postgres_dir(config: StackConfig) -> Path | None:
    """Deletes the recorded PostgreSQL folder (its server must be stopped) and the record."""
    recorded = recorded_postgres_dir(config)
    if recorded is not None:
        shutil.rmtree(recorded, ignore_errors=True)
    config.postgres_dir_record.unlink(missing_ok=True)
    return recorded


class Stack:
    def __init__(self, config: StackConfig, console: Console) -> None:
        self.config = config
        self.console = console
        self.processes: list[ManagedProcess] = []
        self.tokens = {
            "DAPR_API_TOKEN": secrets.token_urlsafe(32),
            "APP_API_TOKEN": secrets.token_urlsafe(32),
        }
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ helpers
    @property
    def dapr_bin(self) -> Path:
        assert self.config.dapr_bin_dir is not None, "checked by preflight()"
        return self.config.dapr_bin_dir

    @property
    def kafka_libs(self) -> Path:
        assert self.config.kafka_libs_dir is not None, "checked by preflight()"
        return self.config.kafka_libs_dir

    def _process(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> ManagedProcess:
        process = ManagedProcess(
            name=name,
            argv=argv,
            log_path=self.config.logs_dir / f"{name}.log",
            pid_dir=self.config.stack_dir / "pids",
            env=env or {},
            cwd=cwd,
            user=user,
            stop_signal=stop_signal,
        )
        process.start(self.console)
        self.processes.append(process)
        return process

    def _wait(self, what: str, process: ManagedProcess, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._stopping.is_set():
                raise StackError("interrupted while starting")
            for started in self.processes:
                if not started.alive:
                    raise StackError(
                        f"{started.name} exited while waiting for {what} (log: {started.log_path}):\n{started.tail()}"
                    )
            try:
                if check():
                    self.console.say(f"ready: {what}")
                    return
            except Exception:
                pass
            time.sleep(0.3)
        raise StackError(
            f"timed out after {READY_TIMEOUT_SECONDS:.0f}s waiting for {what} "
            f"(log: {process.log_path}):\n{process.tail()}"
        )

    @staticmethod
    def _http_ok(url: str, headers: dict[str, str] | None = None) -> bool:
        return httpx.get(url, headers=headers, timeout=2).status_code < 300

    # ------------------------------------------------------------------ preflight
    def preflight(self) -> None:
        cfg = self.config
        if cfg.dapr_bin_dir is None or cfg.kafka_libs_dir is None:
            raise StackError("DAPR_BIN_DIR / KAFKA_LIBS_DIR not set: start the stack through make (make run / up)")
        missing = [
            str(cfg.dapr_bin_dir / binary)
            for binary in ("daprd", "placement", "scheduler")
            if not (cfg.dapr_bin_dir / binary).is_file()
        ]
        if missing:
            raise StackError(f"Dapr runtime not built: missing {', '.join(missing)}. Run `make deps`.")
        if not any(cfg.kafka_libs_dir.glob("kafka_2.13-*.jar")):
            raise StackError(f"Kafka jars missing in {cfg.kafka_libs_dir}. Run `make deps`.")
        if cfg.postgres_bin_dir is None or not (cfg.postgres_bin_dir / "postgres").is_file():
            raise StackError(
                "PostgreSQL server not installed (no /usr/lib/postgresql/*/bin/postgres). "
                "Run `make deps` (apt-get install postgresql) or set PG_BIN_DIR."
            )
        if shutil.which("java") is None:
            raise StackError("java not found: Kafka needs a Java 17+ runtime (apt-get install openjdk-17-jre-headless)")
        wanted = dict(cfg.ports)
        for app in cfg.apps:
            for label, port in (
                ("APP_PORT", app.app_port),
                ("DAPR_HTTP_PORT", app.dapr_http_port),
                ("DAPR_GRPC_PORT", app.dapr_grpc_port),
                ("DAPR_INTERNAL_GRPC_PORT", app.dapr_internal_grpc_port),
                ("DAPR_METRICS_PORT", app.metrics_port),
            ):
                wanted[f"{app.env_prefix}_{label}"] = port
        taken = [f"{port} ({name})" for name, port in wanted.items() if not _port_is_free(port)]
        if taken:
            raise StackError(
                "ports already in use: " + ", ".join(taken) + ". Is a stack already running "
                "(`make down`)? Otherwise free them or move ours, e.g. `KAFKA_PORT=19092 make up`."
            )

    # ------------------------------------------------------------------ postgres
    def _kept_secret(self, name: str) -> str:
        """A secret made once per stack folder and kept across restarts (unlike the API tokens)."""
        secrets_file = self.config.stack_dir / name
        if not secrets_file.exists():
            secrets_file.parent.mkdir(parents=True, exist_ok=True)
            write_secret(secrets_file, secrets.token_urlsafe(24))
        return secrets_file.read_text().strip()

    def _postgres_password(self) -> str:
        return self._kept_secret("postgres-password")

    def postgres_dsn(self) -> str:
        return (
            f"host=127.0.0.1 port={self.config.ports['POSTGRES_PORT']} user={POSTGRES_USER} "
            f"password={self._postgres_password()} dbname={POSTGRES_DATABASE} sslmode=disable"
        )

    def start_postgres(self) -> None:
        cfg = self.config
        assert cfg.postgres_bin_dir is not None
        bin_dir = cfg.postgres_bin_dir
        postgres_dir = make_postgres_dir(cfg)
        data_dir = postgres_dir / "data"
        socket_dir = postgres_dir / "run"
        password = self._postgres_password()
        user = POSTGRES_OS_USER if os.geteuid() == 0 else None
        socket_dir.mkdir(mode=0o700)
        pwfile = postgres_dir / "initpw"
        write_secret(pwfile, password)
        if user:
            # what the server reads and writes becomes its user's, once root has written into it
            entry = pwd.getpwnam(user)
            for path in (postgres_dir, socket_dir, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.console.say(f"initialising PostgreSQL cluster in {data_dir}")
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                POSTGRES_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            user=user,
            capture_output=True,
        )
        pwfile.unlink()
        process = self._process(
            "postgres",
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data_dir),
                "-p",
                str(cfg.ports["POSTGRES_PORT"]),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={socket_dir}",
                "-c",
                "max_connections=200",
                "-c",
                "fsync=off" if os.environ.get("POSTGRES_FSYNC", "on") == "off" else "fsync=on",
            ],
            user=user,
            stop_signal=signal.SIGINT,  # "fast" shutdown: abort transactions, exit cleanly
        )
        env = {**os.environ, "PGPASSWORD": password}
        base = [
            str(bin_dir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cfg.ports["POSTGRES_PORT"]),
            "-U",
            POSTGRES_USER,
            "-tAq",
        ]

        def accepting() -> bool:
            result = subprocess.run([*base, "-d", "postgres", "-c", "select 1"], env=env, capture_output=True)
            return result.returncode == 0

        self._wait(f"PostgreSQL on 127.0.0.1:{cfg.ports['POSTGRES_PORT']}", process, accepting)
        exists = subprocess.run(
            [*base, "-d", "postgres", "-c", f"select 1 from pg_database where datname='{POSTGRES_DATABASE}'"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                [*base, "-d", "postgres", "-c", f"create database {POSTGRES_DATABASE}"],
                env=env,
                check=True,
                capture_output=True,
            )

    # ------------------------------------------------------------------ kafka
    def start_kafka(self) -> None:
        from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

        from learnflow_common.events import DEAD_LETTER_SUFFIX, KAFKA_TOPICS

        cfg = self.config
        kafka_dir = cfg.stack_dir / "kafka"
        data_dir = kafka_dir / "data"
        kafka_dir.mkdir(parents=True, exist_ok=True)
        properties = kafka_dir / "server.properties"
        port, controller = cfg.ports["KAFKA_PORT"], cfg.ports["KAFKA_CONTROLLER_PORT"]
        properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{controller}",
                    f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={data_dir}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    # a development stack keeps a day, at most ~256 MB a partition, in 64 MB segments
                    # (Kafka's 1 GB segments never rolled: a day of benchmarks left gigabytes); the
                    # dead letters a month (DEAD_LETTER_RETENTION)
                    "log.retention.hours=24",
                    "log.retention.bytes=268435456",
                    "log.segment.bytes=67108864",
                    "",
                ]
            )
        )
        log4j = kafka_dir / "log4j.properties"
        log4j.write_text(
            "log4j.rootLogger=INFO, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            "log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=WARN\n"
            "log4j.logger.state.change.logger=WARN\nlog4j.logger.kafka.controller=WARN\n"
        )
        java = [
            "java",
            "-Xms256m",
            "-Xmx768m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{log4j}",
            f"-Dkafka.logs.dir={kafka_dir / 'logs'}",
            "-cp",
            f"{self.kafka_libs}/*",
        ]
        if not (data_dir / "meta.properties").exists():
            self.console.say(f"formatting Kafka KRaft storage in {data_dir}")
            subprocess.run(
                [*java, "kafka.tools.StorageTool", "format", "-t", kafka_cluster_id(), "-c", str(properties)],
                check=True,
                capture_output=True,
            )
        process = self._process("kafka", [*java, "kafka.Kafka", str(properties)])
        admin = AdminClient({"bootstrap.servers": cfg.kafka_bootstrap, "log_level": 0})
        self._wait(f"Kafka on {cfg.kafka_bootstrap}", process, lambda: admin.list_topics(timeout=2).brokers != {})
        existing = admin.list_topics(timeout=10).topics
        wanted = [
            NewTopic(topic, num_partitions=3, replication_factor=1) for topic in KAFKA_TOPICS if topic not in existing
        ]
        for future in admin.create_topics(wanted).values() if wanted else []:
            future.result(timeout=30)
        self._wait(
            f"Kafka topics {', '.join(KAFKA_TOPICS)}",
            process,
            lambda: set(KAFKA_TOPICS) <= set(admin.list_topics(timeout=5).topics),
        )
        dead_letters = [
            ConfigResource(
                "topic",
                topic,
                incremental_configs=[
                    ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)
                    for name, value in DEAD_LETTER_RETENTION.items()
                ],
            )
            for topic in KAFKA_TOPICS
            if topic.endswith(DEAD_LETTER_SUFFIX)
        ]
        for future in admin.incremental_alter_configs(dead_letters).values():
            future.result(timeout=30)

    # ------------------------------------------------------------------ dapr control plane
    def start_control_plane(self) -> None:
        cfg, ports = self.config, self.config.ports
        placement = self._process(
            "placement",
            [
                str(self.dapr_bin / "placement"),
                "--port",
                str(ports["PLACEMENT_PORT"]),
                "--listen-address",
                "127.0.0.1",
                "--healthz-port",
                str(ports["PLACEMENT_HEALTHZ_PORT"]),
                "--healthz-listen-address",
                "127.0.0.1",
                "--initial-cluster",
                f"dapr-placement-0=127.0.0.1:{ports['PLACEMENT_RAFT_PORT']}",
                "--enable-metrics=false",
                "--log-level",
                "info",
            ],
        )
        scheduler_dir = cfg.stack_dir / "scheduler"
        scheduler_dir.mkdir(parents=True, exist_ok=True)
        scheduler = self._process(
            "scheduler",
            [
                str(self.dapr_bin / "scheduler"),
                "--port",
                str(ports["SCHEDULER_PORT"]),
                "--listen-address",
                "127.0.0.1",
                "--healthz-port",
                str(ports["SCHEDULER_HEALTHZ_PORT"]),
                "--healthz-listen-address",
                "127.0.0.1",
                "--etcd-data-dir",
                str(scheduler_dir / "etcd"),
                "--etcd-client-port",
                str(ports["SCHEDULER_ETCD_CLIENT_PORT"]),
                "--etcd-client-listen-address",
                "127.0.0.1",
                "--etcd-initial-cluster",
                f"dapr-scheduler-server-0=http://127.0.0.1:{ports['SCHEDULER_ETCD_PEER_PORT']}",
                "--enable-metrics=false",
                "--log-level",
                "info",
            ],
        )
        self._wait(
            f"placement on {cfg.placement_address}",
            placement,
            lambda: self._http_ok(f"http://127.0.0.1:{ports['PLACEMENT_HEALTHZ_PORT']}/healthz"),
        )
        self._wait(
            f"scheduler on {cfg.scheduler_address}",
            scheduler,
            lambda: self._http_ok(f"http://127.0.0.1:{ports['SCHEDULER_HEALTHZ_PORT']}/healthz"),
        )

    # ------------------------------------------------------------------ traces
    def start_trace_sink(self) -> None:
        """The OTLP receiver every sidecar and app sends its spans to; a new, empty span file each
        run (like the database, it lasts as long as the stack)."""
        cfg = self.config
        cfg.traces_file.unlink(missing_ok=True)
        sink = self._process(
            "otlp-sink",
            [
                sys.executable,
                "-m",
                "devstack.otlp_sink",
                "--port",
                str(cfg.ports["OTLP_PORT"]),
                "--out",
                str(cfg.traces_file),
            ],
        )
        self._wait(f"trace sink on {cfg.otlp_endpoint}", sink, lambda: self._http_ok(f"{cfg.otlp_endpoint}/healthz"))

    def sidecar_config(self, app: AppSpec) -> Path:
        """The app's Dapr Configuration as this stack runs it: spans to this stack's sink, sampled
        at TRACE_SAMPLING_RATE (the file in components/ says 127.0.0.1:4318 and 1)."""
        document = yaml.safe_load(app.config_file.read_text())
        tracing = document.setdefault("spec", {}).setdefault("tracing", {})
        tracing["samplingRate"] = self.config.trace_sampling_rate
        tracing.setdefault("otel", {}).update(
            {
                "endpointAddress": self.config.otlp_endpoint.removeprefix("http://"),
                "isSecure": False,
                "protocol": "http",
            }
        )
        rendered = self.config.stack_dir / "dapr-config" / app.config_file.name
        rendered.parent.mkdir(parents=True, exist_ok=True)
        rendered.write_text(yaml.safe_dump(document, sort_keys=False))
        return rendered

    # ------------------------------------------------------------------ apps
    def sidecar_env(self) -> dict[str, str]:
        """What the component YAMLs read through `envRef`, this stack's tokens, and the sidecars'
        Go processors (``StackConfig.sidecar_gomaxprocs``)."""
        return {
            **self.tokens,
            "KAFKA_BROKERS": self.config.kafka_bootstrap,
            "POSTGRES_CONNECTION_STRING": self.postgres_dsn(),
            **sidecar_go_env(self.config.sidecar_gomaxprocs),
        }

    def app_env(self, app: AppSpec) -> dict[str, str]:
        """The same variables `dapr run` gives an app, so the app runs unchanged under either."""
        return {
            **app.env,
            **self.tokens,
            **self.config.issuer.app_env,
            "APP_ID": app.app_id,
            "APP_PORT": str(app.app_port),
            "DAPR_HTTP_PORT": str(app.dapr_http_port),
            "DAPR_GRPC_PORT": str(app.dapr_grpc_port),
            "PYTHONUNBUFFERED": "1",
            **self.tracing_env(),
        }

    def tracing_env(self) -> dict[str, str]:
        """An app's spans go to the stack's sink, unless tracing is off (TRACE_SAMPLING_RATE=0)."""
        if float(self.config.trace_sampling_rate) == 0:
            return {}
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.config.otlp_endpoint,
            "OTEL_TRACES_SAMPLER_ARG": self.config.trace_sampling_rate,
        }

    def start_apps(self) -> None:
        cfg = self.config
        pairs: list[tuple[AppSpec, ManagedProcess, ManagedProcess]] = []
        for app in cfg.apps:
            app_process = self._process(app.app_id, app.command, cwd=app.app_dir, env=self.app_env(app))
            sidecar = self._process(
                f"{app.app_id}-daprd",
                daprd_command(
                    self.dapr_bin,
                    app,
                    cfg.placement_address,
                    cfg.scheduler_address,
                    self.sidecar_config(app),
                    profiling=cfg.dapr_profiling,
                ),
                cwd=cfg.repo,
                env=self.sidecar_env(),
            )
            pairs.append((app, app_process, sidecar))
            # One sidecar at a time initialises its components: on a new database two PostgreSQL
            # state stores creating their tables at once can collide ("type dapr_metadata already
            # exists") and the loser exits. Outbound health means its components are ready.
            self._wait(
                f"{app.app_id} sidecar components",
                sidecar,
                partial(self._http_ok, f"{app.dapr_url}/v1.0/healthz/outbound"),
            )
        for app, app_process, sidecar in pairs:
            self._wait(
                f"{app.app_id} sidecar on {app.dapr_url}",
                sidecar,
                partial(self._http_ok, f"{app.dapr_url}/v1.0/healthz"),
            )
            self._wait(
                f"{app.app_id} on {app.app_url} (/readyz)",
                app_process,
                partial(self._http_ok, f"{app.app_url}/readyz"),
            )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.preflight()
        self.config.stack_dir.mkdir(parents=True, exist_ok=True)
        self.config.info_file.unlink(missing_ok=True)
        shutil.rmtree(self.control_dir, ignore_errors=True)  # requests left by an earlier stack
        started = time.monotonic()
        self.config.issuer.ensure()
        # Kept, so the leaderboard's display names stay the same from one `make up` to the next.
        self.tokens["PSEUDONYM_KEY"] = self._kept_secret("pseudonym-key")
        self.start_postgres()
        self.start_kafka()
        self.start_trace_sink()
        self.start_control_plane()
        self.start_apps()
        self._write_info()
        self._print_summary(time.monotonic() - started)

    def _write_info(self) -> None:
        cfg = self.config
        info = {
            "ready": True,
            "supervisor_pid": os.getpid(),
            "postgres_dsn": self.postgres_dsn(),
            "kafka_bootstrap": cfg.kafka_bootstrap,
            "placement_address": cfg.placement_address,
            "scheduler_address": cfg.scheduler_address,
            "tokens": self.tokens,
            "auth": {**self.config.issuer.app_env, "signing_key_file": str(self.config.issuer.key_file)},
            "apps": {
                app.app_id: {
                    "app_url": app.app_url,
                    "dapr_url": app.dapr_url,
                    "dapr_grpc_port": app.dapr_grpc_port,
                    # Go's pprof of the sidecar (DAPR_PROFILING=1), else null
                    "profile_url": f"http://127.0.0.1:{app.profile_port}" if cfg.dapr_profiling else None,
                }
                for app in cfg.apps
            },
            "logs_dir": str(cfg.logs_dir),
            "otlp_endpoint": cfg.otlp_endpoint,
            "traces_file": str(cfg.traces_file),
            "trace_sampling_rate": cfg.trace_sampling_rate,
            # GOMAXPROCS of the sidecars ("0": Go's default): benchmarks give their own daprd the same
            "sidecar_gomaxprocs": cfg.sidecar_gomaxprocs,
            "pids_dir": str(cfg.stack_dir / "pids"),
            # this supervisor serves `devstack kill NAME` / `devstack restart NAME` (devstack.control)
            "control_dir": str(self.control_dir),
        }
        cfg.info_file.write_text(json.dumps(info, indent=2))
        cfg.info_file.chmod(0o600)

    def _print_summary(self, seconds: float) -> None:
        cfg = self.config
        lines = [
            f"stack ready in {seconds:.1f}s",
            f"  PostgreSQL   127.0.0.1:{cfg.ports['POSTGRES_PORT']}  (db {POSTGRES_DATABASE}, user {POSTGRES_USER})",
            f"  Kafka        {cfg.kafka_bootstrap}",
            f"  placement    {cfg.placement_address}",
            f"  scheduler    {cfg.scheduler_address}",
        ]
        for app in cfg.apps:
            lines.append(f"  {app.app_id:<12} app {app.app_url}   sidecar {app.dapr_url}")
        lines.append(f"  traces       OTLP/HTTP {cfg.otlp_endpoint}  ->  {cfg.traces_file}")
        lines.append(f"  tokens and DSN: {cfg.info_file}   logs: {cfg.logs_dir}")
        for line in lines:
            self.console.say(line)

    @property
    def control_dir(self) -> Path:
        return control.control_dir(self.config.stack_dir)

    def watch(self) -> None:
        """Blocks until a stop is requested or a process dies (which is reported, then all stop).
        A process held by `devstack kill` may be down; `devstack restart` starts one again."""
        reported: set[str] = set()
        while not self._stopping.wait(0.5):
            self._serve_restarts()
            for process in self.processes:
                if not process.alive and control.held(self.control_dir, process.name):
                    if process.name not in reported:
                        code = process.popen.returncode if process.popen else "?"
                        self.console.say(f"{process.name} exited (code {code}); held down on request, the rest runs")
                        reported.add(process.name)
                    continue
                reported.discard(process.name)
                if not process.alive:
                    code = process.popen.returncode if process.popen else "?"
                    self.console.say(
                        f"{process.name} exited unexpectedly (code {code}); "
                        f"stopping the stack. Last lines:\n{process.tail()}"
                    )
                    return

    def _serve_restarts(self) -> None:
        """Starts again each process a `devstack restart` asked for, as it was first started."""
        for name in control.restart_requests(self.control_dir):
            process = next((p for p in self.processes if p.name == name), None)
            try:
                if process is None:
                    self.console.say(f"restart of {name} refused: no such process in this stack")
                    continue
                if process.alive:
                    self.console.say(f"restart: stopping {name}")
                    process.stop()
                process.start(self.console)
                assert process.popen is not None
                self.console.say(f"restarted {name} (pid {process.popen.pid})")
            except Exception as error:
                self.console.say(f"restart of {name} failed: {error}")
            finally:
                control.served(self.control_dir, name)

    def request_stop(self, *_: object) -> None:
        self._stopping.set()

    def stop(self) -> None:
        self.config.info_file.unlink(missing_ok=True)
        for process in reversed(self.processes):
            if process.alive:
                self.console.say(f"stopping {process.name}")
            process.stop()
        self.console.say("stack stopped")


def daprd_command(
    dapr_bin: Path,
    app: AppSpec,
    placement_address: str,
    scheduler_address: str,
    config_file: Path | None = None,
    *,
    profiling: bool = False,
) -> list[str]:
    """The sidecar of one app, as the stack starts it (also used by tests that add an app to a
    running stack, e.g. a service freshly generated by the fastapi-dapr-agent skill); its Dapr
    Configuration is ``config_file``, else the app's own from dapr.yaml. With ``profiling``, it
    serves Go's pprof at the app's ``profile_port`` (on its API's listen address, 127.0.0.1)."""
    return [
        str(dapr_bin / "daprd"),
        "--app-id",
        app.app_id,
        "--app-port",
        str(app.app_port),
        "--app-protocol",
        "http",
        "--app-channel-address",
        "127.0.0.1",
        "--dapr-http-port",
        str(app.dapr_http_port),
        "--dapr-grpc-port",
        str(app.dapr_grpc_port),
        "--dapr-internal-grpc-port",
        str(app.dapr_internal_grpc_port),
        # sidecar-to-sidecar calls stay on this machine (daprd binds every interface otherwise)
        "--dapr-internal-grpc-listen-address",
        "127.0.0.1",
        "--dapr-listen-addresses",
        "127.0.0.1",
        "--metrics-port",
        str(app.metrics_port),
        "--metrics-listen-address",
        "127.0.0.1",
        *[arg for path in app.resources_paths for arg in ("--resources-path", str(path))],
        "--config",
        str(config_file or app.config_file),
        "--placement-host-address",
        placement_address,
        "--scheduler-host-address",
        scheduler_address,
        "--enable-app-health-check",
        "--app-health-check-path",
        app.health_check_path,
        "--log-level",
        app.log_level,
        *(["--enable-profiling", "--profile-port", str(app.profile_port)] if profiling else []),
    ]


def run(config: StackConfig, echo: bool) -> int:
    """`devstack run`: start everything, keep it up until Ctrl-C / SIGTERM, then stop everything."""
    console = Console(echo=echo)
    stack = Stack(config, console)
    signal.signal(signal.SIGINT, stack.request_stop)
    signal.signal(signal.SIGTERM, stack.request_stop)
    config.stack_dir.mkdir(parents=True, exist_ok=True)
    write_pid_file(config.supervisor_pid_file, os.getpid())
    code = 0
    try:
        stack.start()
        stack.watch()
        code = 0 if stack._stopping.is_set() else 1
    except StackError as error:
        console.say(f"ERROR: {error}")
        code = 1
    except subprocess.CalledProcessError as error:
        console.say(f"ERROR: {' '.join(map(str, error.cmd))} failed:\n{(error.stderr or b'').decode(errors='replace')}")
        code = 1
    finally:
        stack.stop()
        discard_postgres_dir(config)  # the database lives as long as this run
        config.supervisor_pid_file.unlink(missing_ok=True)
    sys.stdout.flush()
    return code
