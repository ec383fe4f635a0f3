"""The files around the local PostgreSQL cluster: secrets born private, abandoned clusters pruned."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devstack.stack import OWNER_FILE, prune_abandoned_clusters, write_secret


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


def test_clusters_of_deleted_stacks_are_pruned_and_live_or_unknown_ones_kept(tmp_path: Path) -> None:
    live_stack = tmp_path / "checkout" / ".stack"
    live_stack.mkdir(parents=True)
    root = tmp_path / "clusters"
    clusters = {name: root / f"postgres-{name}" for name in ("live", "gone", "unknown")}
    for cluster in clusters.values():
        (cluster / "data").mkdir(parents=True)
    (clusters["live"] / OWNER_FILE).write_text(str(live_stack))
    (clusters["gone"] / OWNER_FILE).write_text(str(tmp_path / "deleted-clone" / ".stack"))

    prune_abandoned_clusters(root)

    assert sorted(path.name for path in root.iterdir()) == ["postgres-live", "postgres-unknown"]
