"""The launcher reads its apps from dapr.yaml (the one list) and lets the environment move ports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.config import StackConfig, load_apps

REPO = Path(__file__).resolve().parents[4]


def test_apps_come_from_dapr_yaml_with_the_contract_ports() -> None:
    apps = {app.app_id: app for app in load_apps(REPO)}

    assert apps["course-agent"].app_port == 8001
    assert apps["course-agent"].dapr_http_port == 3501
    assert apps["user-progress"].app_port == 8002
    assert apps["user-progress"].dapr_http_port == 3502
    assert apps["user-progress"].command[0] == sys.executable


def test_environment_overrides_an_app_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_PROGRESS_APP_PORT", "18002")

    apps = {app.app_id: app for app in load_apps(REPO)}

    assert apps["user-progress"].app_port == 18002


def test_infrastructure_ports_default_to_the_contract_and_can_move(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEARNFLOW_REPO", str(REPO))
    monkeypatch.setenv("DAPR_BIN_DIR", str(tmp_path))
    monkeypatch.setenv("KAFKA_LIBS_DIR", str(tmp_path))
    assert StackConfig.load().ports["KAFKA_PORT"] == 9092
    assert StackConfig.load().ports["PLACEMENT_PORT"] == 50005
    assert StackConfig.load().ports["SCHEDULER_PORT"] == 50006

    monkeypatch.setenv("KAFKA_PORT", "19092")

    assert StackConfig.load().kafka_bootstrap == "127.0.0.1:19092"


def test_sidecars_listen_on_loopback_only(tmp_path: Path) -> None:
    """The local stack's daprd APIs (public, internal gRPC, metrics) never bind another interface."""
    from devstack.stack import daprd_command

    [app, *_] = load_apps(REPO)
    argv = daprd_command(tmp_path, app, "127.0.0.1:50005", "127.0.0.1:50006")

    for flag in ("--dapr-listen-addresses", "--dapr-internal-grpc-listen-address", "--metrics-listen-address"):
        assert argv[argv.index(flag) + 1] == "127.0.0.1", flag


def test_sidecars_serve_pprof_only_when_the_stack_profiles_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DAPR_PROFILING=1 adds Go's pprof at dapr.yaml's profilePort (on the API's loopback
    address); by default a sidecar serves none, as in production."""
    from devstack.stack import daprd_command

    [app, *_] = load_apps(REPO)
    plain = daprd_command(tmp_path, app, "127.0.0.1:50005", "127.0.0.1:50006")
    profiled = daprd_command(tmp_path, app, "127.0.0.1:50005", "127.0.0.1:50006", profiling=True)

    assert "--enable-profiling" not in plain
    assert profiled[profiled.index("--profile-port") + 1] == str(app.profile_port) == "9201"
    assert "--enable-profiling" in profiled
    assert StackConfig.load().dapr_profiling is False
    monkeypatch.setenv("DAPR_PROFILING", "1")
    assert StackConfig.load().dapr_profiling is True
    monkeypatch.setenv("DAPR_PROFILING", "yes")
    with pytest.raises(SystemExit, match="DAPR_PROFILING"):
        _ = StackConfig.load().dapr_profiling


def test_sidecars_run_on_one_go_processor_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIDECAR_GOMAXPROCS: 1 by default, as the Kubernetes manifests; 0 leaves Go's default."""
    assert StackConfig.load().sidecar_gomaxprocs == "1"
    monkeypatch.setenv("SIDECAR_GOMAXPROCS", "0")
    assert StackConfig.load().sidecar_gomaxprocs == "0"
    monkeypatch.setenv("SIDECAR_GOMAXPROCS", "two")
    with pytest.raises(SystemExit, match="SIDECAR_GOMAXPROCS"):
        _ = StackConfig.load().sidecar_gomaxprocs
