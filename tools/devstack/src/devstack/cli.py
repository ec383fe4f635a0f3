"""`devstack run | up | down | status | kill | restart`: the local stack's one entry point (used by the Makefile)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack import control
from devstack.auth import DevIssuer
from devstack.config import StackConfig
from devstack.processes import kill_recorded, pid_alive, read_live_pid
from devstack.stack import READY_TIMEOUT_SECONDS, discard_postgres_dir, run

UP_TIMEOUT_SECONDS = READY_TIMEOUT_SECONDS * 3


def _supervisor_pid(config: StackConfig) -> int | None:
    return read_live_pid(config.supervisor_pid_file)


def _ready(config: StackConfig) -> bool:
    try:
        return bool(json.loads(config.info_file.read_text()).get("ready"))
    except (OSError, ValueError):
        return False


def cmd_run(config: StackConfig, _: argparse.Namespace) -> int:
    if _supervisor_pid(config):
        print("devstack: a stack is already running (`make down` stops it)", file=sys.stderr)
        return 1
    kill_recorded(config.stack_dir / "pids")
    return run(config, echo=True)


def cmd_up(config: StackConfig, _: argparse.Namespace) -> int:
    """Starts `devstack run` detached, returns once the stack is ready (or prints why it is not)."""
    if _supervisor_pid(config) and _ready(config):
        print(f"devstack: stack already up ({config.info_file})")
        return 0
    if _supervisor_pid(config):
        print("devstack: a stack is starting or stuck; run `make down` first", file=sys.stderr)
        return 1
    kill_recorded(config.stack_dir / "pids")
    config.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = config.logs_dir / "devstack.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run", "--quiet"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=config.repo,
        )
    print(f"devstack: starting the stack in the background (log: {log_path})", flush=True)
    started = time.monotonic()
    while time.monotonic() - started < UP_TIMEOUT_SECONDS:
        if _ready(config):
            summary = log_path.read_text().split("devstack: stack ready", 1)[-1]
            print(f"devstack: stack ready{summary}", end="")
            return 0
        if supervisor.poll() is not None:
            print(f"devstack: the stack failed to start:\n{log_path.read_text()[-6000:]}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    print(f"devstack: not ready after {UP_TIMEOUT_SECONDS:.0f}s; see {log_path}", file=sys.stderr)
    cmd_down(config, argparse.Namespace())
    return 1


def cmd_down(config: StackConfig, _: argparse.Namespace) -> int:
    pid = _supervisor_pid(config)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 90
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.3)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    leftovers = kill_recorded(config.stack_dir / "pids")
    config.supervisor_pid_file.unlink(missing_ok=True)
    config.info_file.unlink(missing_ok=True)
    if leftovers:
        print(f"devstack: killed leftover processes: {', '.join(leftovers)}")
    # The supervisor deletes its PostgreSQL folder as it stops; this is for one that was killed.
    if discarded := discard_postgres_dir(config):
        print(f"devstack: removed the PostgreSQL data in {discarded}")
    print("devstack: stack is down")
    return 0


def cmd_clean(config: StackConfig, args: argparse.Namespace) -> int:
    """Stops the stack and deletes its data (PostgreSQL cluster, Kafka log, logs, secrets)."""
    cmd_down(config, args)  # deletes the PostgreSQL folder, wherever it was made
    shutil.rmtree(config.stack_dir, ignore_errors=True)
    print(f"devstack: removed {config.stack_dir}")
    return 0


def cmd_status(config: StackConfig, _: argparse.Namespace) -> int:
    if _supervisor_pid(config) and _ready(config):
        print(config.info_file.read_text())
        return 0
    print("devstack: no stack is running")
    return 3


def cmd_env(config: StackConfig, _: argparse.Namespace) -> int:
    """Prints the exports `dapr run -f .` needs, taken from the running stack."""
    if not _ready(config):
        print("devstack: start the infrastructure first (`make up`)", file=sys.stderr)
        return 1
    info = json.loads(config.info_file.read_text())
    exports = {
        **info["tokens"],
        **config.issuer.app_env,
        "KAFKA_BROKERS": info["kafka_bootstrap"],
        "POSTGRES_CONNECTION_STRING": info["postgres_dsn"],
        # the apps' spans to the stack's trace sink (the sidecars' Configurations name it already)
        "OTEL_EXPORTER_OTLP_ENDPOINT": info["otlp_endpoint"],
    }
    for name, value in exports.items():
        print(f"export {name}='{value}'")
    return 0


def cmd_kill(config: StackConfig, args: argparse.Namespace) -> int:
    """kill -9 (or --signal) one process and every process below it; the rest of the stack runs on."""
    try:
        pid = control.kill(config.stack_dir, args.process, getattr(signal, args.signal))
    except control.ControlError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 1
    print(f"devstack: {args.process} (pid {pid}) killed ({args.signal}); `devstack restart {args.process}` starts it")
    return 0


def cmd_restart(config: StackConfig, args: argparse.Namespace) -> int:
    """Starts one process again as the stack first started it (stopping it first if it runs)."""
    try:
        pid = control.restart(config.stack_dir, args.process)
    except control.ControlError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 1
    print(f"devstack: {args.process} started again (pid {pid})")
    return 0


def cmd_token(config: StackConfig, args: argparse.Namespace) -> int:
    """Prints a development bearer token: a learner's (``--learner``) or an operator's (``--scope admin``)."""
    scopes = tuple(args.scope or ())
    subject = args.learner or ("operator" if scopes else None)
    if subject is None:
        print("devstack: say whose token: --learner ID and/or --scope admin", file=sys.stderr)
        return 2
    issuer = DevIssuer(args.issuer_dir) if args.issuer_dir else config.issuer
    print(issuer.ensure().token(subject, scopes, ttl_seconds=args.ttl))
    return 0


def cmd_issuer(_: StackConfig, args: argparse.Namespace) -> int:
    """Makes a development issuer's key pair in a folder (once) and prints its public JWKS file."""
    print(DevIssuer(args.directory).ensure().jwks_file)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the stack in the foreground until Ctrl-C")
    run_parser.add_argument("--quiet", action="store_true", help="do not echo process logs")
    commands.add_parser("up", help="start the stack in the background and wait until it is ready")
    commands.add_parser("down", help="stop the background stack; no process of it is left")
    commands.add_parser("status", help="print the running stack's ports and URLs")
    commands.add_parser("env", help="print the variables `dapr run -f .` needs")
    commands.add_parser("clean", help="stop the stack and delete its data")
    kill_parser = commands.add_parser("kill", help="kill one process of the running stack; the rest runs on")
    kill_parser.add_argument("process", help="e.g. postgres, kafka, placement, user-progress-daprd (see .stack/pids)")
    kill_parser.add_argument("--signal", default="SIGKILL", choices=["SIGKILL", "SIGTERM", "SIGINT"])
    restart_parser = commands.add_parser("restart", help="start one process of the running stack again")
    restart_parser.add_argument("process", help="a process name, as for kill")
    token_parser = commands.add_parser("token", help="print a development bearer token")
    token_parser.add_argument("--learner", help="the learner id (the token's sub)")
    token_parser.add_argument("--scope", action="append", choices=["admin", "service"], help="an extra scope")
    token_parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    token_parser.add_argument("--issuer-dir", type=Path, help="another development issuer's folder (a cluster's)")
    issuer_parser = commands.add_parser("issuer", help="make a development issuer in DIRECTORY; print its JWKS file")
    issuer_parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    config = StackConfig.load()
    if args.command == "run":
        if args.quiet:
            return run(config, echo=False)
        return cmd_run(config, args)
    handlers = {
        "up": cmd_up,
        "down": cmd_down,
        "status": cmd_status,
        "env": cmd_env,
        "clean": cmd_clean,
        "kill": cmd_kill,
        "restart": cmd_restart,
        "token": cmd_token,
        "issuer": cmd_issuer,
    }
    return handlers[args.command](config, args)
