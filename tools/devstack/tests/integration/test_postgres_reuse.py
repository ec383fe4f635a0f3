"""Each run's PostgreSQL lives in a folder made by mkdtemp (0700), deleted when the stack stops; a
new stack at the path of one deleted without `make down` (CI's fresh clone in the same folder)
starts its own PostgreSQL, and the cluster the old stack left behind is pruned."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.config import POSTGRES_USER, StackConfig
from devstack.processes import Console
from devstack.stack import Stack, discard_postgres_dir, recorded_postgres_dir

POSTGRES_PORT = 21990


def _query(stack: Stack, sql: str) -> subprocess.CompletedProcess[str]:
    assert stack.config.postgres_bin_dir is not None
    return subprocess.run(
        [
            str(stack.config.postgres_bin_dir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(POSTGRES_PORT),
            "-U",
            POSTGRES_USER,
            "-d",
            "learnflow",
            "-tAqc",
            sql,
        ],
        env={**os.environ, "PGPASSWORD": stack._postgres_password()},
        capture_output=True,
        text=True,
    )


def test_a_new_stack_at_an_old_stacks_path_gets_a_cluster_it_can_log_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNFLOW_STACK_DIR", str(tmp_path / ".stack"))
    loaded = StackConfig.load()
    if loaded.postgres_bin_dir is None:
        pytest.fail("PostgreSQL is not installed (make test installs it through tools/install-system-deps.sh)")
    config = replace(loaded, ports={**loaded.ports, "POSTGRES_PORT": POSTGRES_PORT})
    old = Stack(config, Console(echo=False))
    new = Stack(config, Console(echo=False))
    try:
        old.start_postgres()
        first = recorded_postgres_dir(config)
        assert first is not None
        assert stat.S_IMODE(first.stat().st_mode) == 0o700
        assert _query(old, "create table left_behind (id int)").returncode == 0
        old.stop()
        # the checkout is deleted without `make down` and cloned again at the same path; as root
        # the old cluster lives outside the checkout and survives until the next start prunes it
        for entry in config.stack_dir.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

        new.start_postgres()
        second = recorded_postgres_dir(config)
        tables = _query(new, "select count(*) from pg_tables where tablename = 'left_behind'")
        new.stop()

        assert tables.returncode == 0, tables.stderr
        assert tables.stdout.strip() == "0"
        assert second is not None
        assert second != first
        assert not first.exists()
        assert discard_postgres_dir(config) == second
        assert not second.exists()
    finally:
        old.stop()
        new.stop()
        discard_postgres_dir(config)
