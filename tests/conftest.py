"""Fixtures of the repository-wide tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NEW_SERVICE = [sys.executable, str(REPO / "tools/new_service.py")]


def copy_checkout(destination: Path) -> Path:
    """The checkout's files as they are now (tracked and untracked, not ignored), without .git,
    the virtualenv or the stack: a repository to scaffold into without touching this one."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    for relative in filter(None, listed.decode().split("\0")):
        source = REPO / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return copy_checkout(tmp_path / "checkout")


NewService = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def new_service() -> NewService:
    """``tools/new_service.py --repo <repo> <command> ...`` (what the make targets run)."""

    def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*NEW_SERVICE, "--repo", str(repo), *args], capture_output=True, text=True)

    return run
