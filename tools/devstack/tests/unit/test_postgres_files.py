"""The files around the local PostgreSQL cluster: secrets born private, each run's folder made by
mkdtemp, recorded and deleted, abandoned clusters pruned."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devstack.config import StackConfig
from devstack.stack import (
    OWNER_FILE,
    discard_postgres_dir,
    make_postgres_dir,
    prune_abandoned_clusters,
    recorded_postgres_dir,
    write_secret,
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StackConfig:
    """A stack of a normal user (its PostgreSQL folders in its stack folder), whoever runs the test."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    stack_dir = tmp_path / "checkout" / ".stack"
    stack_dir.mkdir(parents=True)
    return StackConfig(
        repo=tmp_path / "checkout",
        stack_dir=stack_dir,
        dapr_bin_dir=None,
        kafka_libs_dir=None,
        postgres_bin_dir=None,
        ports={},
    )


def test_secret_is_private_from_its_first_byte(tmp_path: Path) -> None:
    secret = tmp_path / "postgres-password"

    write_secret(secret, "s3cret")

    assert secret.read_text() == "s3cret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_secret_is_never_written_through_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    planted = tmp_path / "initpw"
    planted.symlink_to(target)

    with pytest.raises(FileExistsError):
        write_secret(planted, "s3cret")

    assert target.read_text() == "untouched"


def test_clusters_no_stack_records_are_pruned_and_recorded_or_unknown_ones_kept(tmp_path: Path) -> None:
    live_stack = tmp_path / "checkout" / ".stack"
    live_stack.mkdir(parents=True)
    root = tmp_path / "clusters"
    older_stack = tmp_path / "other-checkout" / ".stack"  # an earlier launcher's: records nothing
    older_stack.mkdir(parents=True)
    clusters = {name: root / f"postgres-{name}" for name in ("live", "gone", "replaced", "older", "unknown")}
    for cluster in clusters.values():
        (cluster / "data").mkdir(parents=True)
    (live_stack / "postgres-dir").write_text(str(clusters["live"]))
    (clusters["live"] / OWNER_FILE).write_text(str(live_stack))
    (clusters["gone"] / OWNER_FILE).write_text(str(tmp_path / "deleted-clone" / ".stack"))
    (clusters["replaced"] / OWNER_FILE).write_text(str(live_stack))  # its supervisor was killed
    (clusters["older"] / OWNER_FILE).write_text(str(older_stack))

    prune_abandoned_clusters(root)

    assert sorted(path.name for path in root.iterdir()) == ["postgres-live", "postgres-older", "postgres-unknown"]


def test_each_run_gets_a_private_folder_of_an_unguessable_name_recorded_for_down(config: StackConfig) -> None:
    made = make_postgres_dir(config)

    assert made.parent == config.postgres_root == config.stack_dir
    assert made.name.startswith("postgres-")
    assert len(made.name) > len("postgres-") + 6  # mkdtemp's random part
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert config.postgres_dir_record.read_text() == str(made)
    assert stat.S_IMODE(config.postgres_dir_record.stat().st_mode) == 0o600
    assert (made / OWNER_FILE).read_text() == str(config.stack_dir)
    assert recorded_postgres_dir(config) == made


def test_a_new_run_replaces_the_folder_an_earlier_run_left(config: StackConfig) -> None:
    first = make_postgres_dir(config)
    (first / "data").mkdir()

    second = make_postgres_dir(config)

    assert second != first
    assert not first.exists()
    assert recorded_postgres_dir(config) == second


def test_down_deletes_the_recorded_folder_and_the_record(config: StackConfig) -> None:
    made = make_postgres_dir(config)
    (made / "data").mkdir()

    assert discard_postgres_dir(config) == made

    assert not made.exists()
    assert not config.postgres_dir_record.exists()
    assert discard_postgres_dir(config) is None  # nothing left: a second `make down` is a no-op


@pytest.mark.parametrize("planted", ["elsewhere", "symlink"])
def test_down_never_deletes_what_the_record_names_outside_its_own_folders(
    config: StackConfig, tmp_path: Path, planted: str
) -> None:
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "file").write_text("keep")
    if planted == "elsewhere":
        named = victim
    else:
        named = config.postgres_root / "postgres-planted"
        named.symlink_to(victim, target_is_directory=True)
    config.postgres_dir_record.write_text(str(named))

    discard_postgres_dir(config)

    assert (victim / "file").read_text() == "keep"
    assert not config.postgres_dir_record.exists()


def test_as_root_the_folders_are_made_outside_the_checkout(
    config: StackConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)

    assert config.postgres_root == Path("/var/tmp/learnflow")
