"""The service Dockerfiles follow the rules no packaged linter checks for us here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
#: Every app of dapr.yaml, so a service added with `make new-service` is held to the same rules.
SERVICES = [app["appDirPath"] for app in yaml.safe_load((REPO / "dapr.yaml").read_text())["apps"]]
DOCKERFILES = [(REPO / service / "Dockerfile").resolve() for service in SERVICES]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_dockerfile_is_multi_stage_non_root_pinned_and_health_checked(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    instructions = [line.split()[0] for line in text.splitlines() if line and not line.startswith((" ", "#"))]

    assert text.startswith("#")
    assert re.search(r"^ARG BASE_IMAGE=\S+:\S+", text, re.M), "base image is a pinned build argument"
    assert instructions.count("FROM") == 2, "build stage + runtime stage"
    assert "-c constraints.txt" in text, "dependencies installed from the pinned constraints"
    assert re.search(r"^USER 10001", text, re.M), "runs as a non-root user"
    assert instructions.index("USER") > max(i for i, word in enumerate(instructions) if word == "RUN")
    assert "HEALTHCHECK" in instructions
    assert "ENTRYPOINT" in instructions
    assert "python3" in text
