"""Every file a service Dockerfile COPYs from the build context is in the context `.dockerignore` leaves.

The context is computed the way Docker computes it (moby/patternmatcher + the context walker of
BuildKit and the legacy builder): each pattern is cleaned like Go's filepath.Clean and matched with
filepath.Match semantics plus `**` (`*` and `?` stop at `/`, `**/` is any number of directories);
a pattern excludes a path when it matches the path or one of its parent directories; the last
matching line wins (`!` re-includes). An excluded directory is only entered when an exception
pattern could match below it, and then it is sent only as the parent of an included file: an
excluded directory with nothing included below it (such as an empty `.wheels/`) is not in the
context at all, and `COPY .wheels/ ...` fails with "not found".
"""

from __future__ import annotations

import posixpath
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SERVICES = [posixpath.normpath(app["appDirPath"]) for app in yaml.safe_load((REPO / "dapr.yaml").read_text())["apps"]]


@dataclass(frozen=True)
class Pattern:
    text: str
    exception: bool
    regex: re.Pattern[str]


def _translate(pattern: str) -> re.Pattern[str]:
    """patternmatcher's regex translation of a cleaned pattern (Unix separators)."""
    out, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
            out += ".*" if i == len(pattern) else "(.*/)?"
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch in "[]":
            out += ch
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


def parse(text: str) -> list[Pattern]:
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        body = posixpath.normpath(line[1:].strip() if exception else line).lstrip("/")
        patterns.append(Pattern(body, exception, _translate(body)))
    return patterns


def excluded(path: str, patterns: list[Pattern]) -> bool:
    """MatchesOrParentMatches: the last pattern matching the path or a parent directory wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        if pattern.exception != result:
            continue
        if any(pattern.regex.match(candidate) for candidate in candidates):
            result = not pattern.exception
    return result


def context(files: set[str], dirs: set[str], patterns: list[Pattern]) -> set[str]:
    """The paths sent as the build context: kept files, kept directories and parents of kept files."""
    sent = {path for path in files | dirs if not excluded(path, patterns)}
    for path in list(sent):
        parent = posixpath.dirname(path)
        while parent:
            sent.add(parent)
            parent = posixpath.dirname(parent)
    return sent


def _dockerignore() -> list[Pattern]:
    return parse((REPO / ".dockerignore").read_text())


def test_the_matcher_follows_dockers_documented_examples() -> None:
    patterns = parse("*/temp*\n*/*/temp*\ntemp?\n*.md\n!README*.md\nREADME-secret.md\n**/*.go\n")

    assert excluded("somedir/temporary.txt", patterns)
    assert excluded("somedir/temp", patterns)
    assert excluded("somedir/subdir/temporary.txt", patterns)
    assert excluded("tempa", patterns)
    assert not excluded("temporary", patterns)
    assert excluded("CHANGES.md", patterns)
    assert not excluded("README.md", patterns)
    assert excluded("README-secret.md", patterns)
    assert excluded("main.go", patterns)
    assert excluded("a/b/main.go", patterns)
    assert not excluded("x", parse("**\n!x"))
    assert excluded("y", parse("**\n!x"))


def test_an_excluded_directory_with_nothing_re_included_below_it_is_not_sent() -> None:
    only_children = parse("**\n!.wheels/**")
    with_directory = parse("**\n!.wheels\n!.wheels/**")

    assert ".wheels" not in context(set(), {".wheels"}, only_children)
    assert ".wheels" in context(set(), {".wheels"}, with_directory)
    assert {".wheels", ".wheels/a.whl"} <= context({".wheels/a.whl"}, {".wheels"}, only_children)


def _repository_files() -> tuple[set[str], set[str]]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, check=True, capture_output=True, text=True).stdout
    files = set(listed.split())
    dirs = {posixpath.dirname(path) for path in files} - {""}
    return files, dirs


def _copy_sources(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(word.startswith("--from") for word in words):
            sources += [posixpath.normpath(word) for word in words[1:-1] if not word.startswith("--")]
    return sources


@pytest.mark.parametrize("wheels", [[], ["pydantic-2.0-py3-none-any.whl"]], ids=["online", "offline"])
@pytest.mark.parametrize("service", SERVICES)
def test_every_copy_source_of_the_dockerfile_is_in_the_build_context(service: str, wheels: list[str]) -> None:
    files, dirs = _repository_files()
    # What `make images` / tools/build-images.sh adds before building: .wheels/, empty when online.
    files |= {f".wheels/{wheel}" for wheel in wheels}
    dirs |= {".wheels"}
    sent = context(files, dirs, _dockerignore())

    for source in _copy_sources(REPO / service / "Dockerfile"):
        assert source in sent, f"COPY {source} of {service}/Dockerfile is not in the build context"
    assert f"{service}/pyproject.toml" in sent
    assert "common/pyproject.toml" in sent
    assert all(f".wheels/{wheel}" in sent for wheel in wheels)


def test_the_build_context_leaves_out_tests_secrets_and_caches() -> None:
    files, dirs = _repository_files()
    sent = context(files | {"common/src/x/__pycache__/m.pyc", ".stack/secrets.env"}, dirs, _dockerignore())

    assert not any(path.startswith(("tests/", ".stack", ".git/")) or "__pycache__" in path for path in sent)
