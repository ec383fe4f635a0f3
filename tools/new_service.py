"""Adds, updates and removes a service scaffolded by the fastapi-dapr-agent skill.

    python tools/new_service.py add exercise-agent 8003   (make new-service NAME=... PORT=...)
    python tools/new_service.py update exercise-agent     (make update-service NAME=...)
    python tools/new_service.py remove exercise-agent     (make remove-service NAME=...)

copier renders the template (.claude/skills/fastapi-dapr-agent) into the repository root: the
service folder and its Kubernetes manifest. The files every service shares (dapr.yaml, the Dapr
components, kustomize, the root pyproject.toml, the Makefile's package list, .dockerignore) are
edited here, one line or one block per service, so adding twice changes nothing and removing
leaves every shared file as it was before the service was added.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
#: Relative, so the answers files record a path that holds in every clone and worktree.
TEMPLATE = ".claude/skills/fastapi-dapr-agent"
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
#: Folders of the repository that are not services, whatever a caller asks.
NOT_SERVICES = frozenset({"common", "components", "k8s", "tools", "tests", "benchmarks", "phase-3-backend-services"})


def dapr_ports(app_port: int) -> dict[str, int]:
    """The numbering of dapr.yaml: app 800N has its sidecar on 350N, 710N, 720N, metrics 910N and
    (when profiled) pprof 920N."""
    n = app_port - 8000
    if not 1 <= n <= 99:
        raise SystemExit(f"new_service: port {app_port} is outside 8001-8099")
    return {
        "appPort": app_port,
        "daprHTTPPort": 3500 + n,
        "daprGRPCPort": 7100 + n,
        "daprInternalGRPCPort": 7200 + n,
        "metricsPort": 9100 + n,
        "profilePort": 9200 + n,
    }


@dataclass(frozen=True)
class Service:
    name: str
    port: int = 0

    @property
    def package(self) -> str:
        return self.name.replace("-", "_")


# ---------------------------------------------------------------------------------------- text edits
# Each shared file gets one (add, remove) pair of pure text functions; add is a no-op when the
# service is already there, remove a no-op when it is not.


def _insert_after_last(text: str, pattern: str, line: str) -> str:
    """Inserts ``line`` after the last line matching ``pattern`` (a list it belongs to)."""
    if line in text.splitlines():
        return text
    lines = text.splitlines(keepends=True)
    last = max(i for i, existing in enumerate(lines) if re.fullmatch(pattern, existing.rstrip("\n")))
    lines.insert(last + 1, line + "\n")
    return "".join(lines)


def _without_line(text: str, line: str) -> str:
    return "".join(existing for existing in text.splitlines(keepends=True) if existing.rstrip("\n") != line)


def _dapr_app(service: Service) -> str:
    ports = dapr_ports(service.port)
    return (
        f"  - appID: {service.name}\n"
        f"    appDirPath: ./{service.name}\n"
        + "".join(f"    {key}: {value}\n" for key, value in ports.items())
        + f'    command: ["python3", "-m", "{service.package}"]\n'
    )


def _add_dapr_app(text: str, service: Service) -> str:
    apps = yaml.safe_load(text)["apps"]
    if any(app["appID"] == service.name for app in apps):
        return text
    taken = {app.get(key) for app in apps for key in dapr_ports(8001)}
    if clashes := taken & set(dapr_ports(service.port).values()):
        raise SystemExit(f"new_service: port {service.port} clashes with dapr.yaml ports {sorted(clashes)}")
    return text.rstrip("\n") + "\n" + _dapr_app(service)


def _remove_dapr_app(text: str, service: Service) -> str:
    block = re.compile(rf"^  - appID: {re.escape(service.name)}\n(?:    .*\n)*", re.M)
    return block.sub("", text if text.endswith("\n") else text + "\n")


def _subscription(service: Service) -> str:
    return (
        "---\n"
        f"# {service.name} (fastapi-dapr-agent skill): progress events to its learner actors.\n"
        "apiVersion: dapr.io/v2alpha1\n"
        "kind: Subscription\n"
        "metadata:\n"
        f"  name: {service.name}-progress-events\n"
        "spec:\n"
        "  pubsubname: pubsub\n"
        "  topic: progress-events\n"
        "  routes:\n"
        "    default: /events/progress-events\n"
        "  deadLetterTopic: progress-events-dlq\n"
        "scopes:\n"
        f"  - {service.name}\n"
    )


def _add_subscription(text: str, service: Service) -> str:
    block = _subscription(service)
    return text if block in text else text.rstrip("\n") + "\n" + block


def _remove_subscription(text: str, service: Service) -> str:
    return text.replace(_subscription(service), "")


def _scope_edits() -> tuple[Callable[[str, Service], str], Callable[[str, Service], str]]:
    """The ``scopes:`` list at the end of a component: the app ids that may load it."""
    return (
        lambda text, s: _insert_after_last(text, r"  - [a-z0-9-]+", f"  - {s.name}"),
        lambda text, s: _without_line(text, f"  - {s.name}"),
    )


def _topic_scope_edits() -> tuple[Callable[[str, Service], str], Callable[[str, Service], str]]:
    """The pub/sub component's topic scopes (the topics are protected): a scaffolded service
    subscribes to progress-events and publishes only that topic's dead letters."""
    grants = {"publishingScopes": "progress-events-dlq", "subscriptionScopes": "progress-events"}

    def edit(text: str, s: Service, topics_of: Callable[[str], str | None]) -> str:
        """Rewrites the ``app=topics;...`` value of each scope: ``topics_of(scope)`` is the
        service's entry, or None to have none."""
        for scope in grants:
            line = re.compile(rf'(- name: {scope}\n\s+value: ")([^"]*)(")')
            match = line.search(text)
            assert match, f"components/pubsub.yaml has {scope}"
            entries = [entry for entry in match.group(2).split(";") if entry.split("=")[0] != s.name]
            if (topics := topics_of(scope)) is not None:
                entries.append(f"{s.name}={topics}")
            text = text[: match.start(2)] + ";".join(entries) + text[match.end(2) :]
        return text

    scope_add, scope_remove = _scope_edits()
    return (
        lambda text, s: edit(scope_add(text, s), s, grants.get),
        lambda text, s: edit(scope_remove(text, s), s, lambda _: None),
    )


def _pyproject_edits() -> tuple[Callable[[str, Service], str], Callable[[str, Service], str]]:
    """pytest's testpaths, ruff's first-party packages and the sources mypy checks."""

    def add(text: str, s: Service) -> str:
        if f'"{s.name}/tests"' not in text:
            text = text.replace(', "tests"]', f', "{s.name}/tests", "tests"]')
        if f'"{s.package}"' not in text:
            text = text.replace(', "devstack"]', f', "{s.package}", "devstack"]')
        if f'"{s.name}/src"' not in text:
            text = text.replace(', "tools/devstack/src"]', f', "{s.name}/src", "tools/devstack/src"]')
        return text

    def remove(text: str, s: Service) -> str:
        return text.replace(f'"{s.name}/tests", ', "").replace(f'"{s.package}", ', "").replace(f'"{s.name}/src", ', "")

    return add, remove


def _makefile_edits() -> tuple[Callable[[str, Service], str], Callable[[str, Service], str]]:
    """PACKAGES: what `make python-deps` installs (editable), so `python3 -m <package>` runs."""

    def add(text: str, s: Service) -> str:
        line = re.search(r"^PACKAGES := .*$", text, re.M)
        assert line, "Makefile has a PACKAGES line"
        if s.name in line.group(0).split():
            return text
        return text.replace(line.group(0), line.group(0).replace(" tools/devstack", f" {s.name} tools/devstack"))

    def remove(text: str, s: Service) -> str:
        return re.sub(rf"^(PACKAGES := .*) {re.escape(s.name)}( |$)", r"\1\2", text, flags=re.M)

    return add, remove


def _dockerignore_edits() -> tuple[Callable[[str, Service], str], Callable[[str, Service], str]]:
    """The image build context lets in each service's pyproject and sources only."""

    def add(text: str, s: Service) -> str:
        if f"!{s.name}/src/**" in text:
            return text
        return text.replace("!.wheels\n", f"!{s.name}/pyproject.toml\n!{s.name}/src/**\n!.wheels\n", 1)

    def remove(text: str, s: Service) -> str:
        return _without_line(_without_line(text, f"!{s.name}/pyproject.toml"), f"!{s.name}/src/**")

    return add, remove


SHARED_FILES: dict[str, tuple[Callable[[str, Service], str], Callable[[str, Service], str]]] = {
    "dapr.yaml": (_add_dapr_app, _remove_dapr_app),
    "components/statestore.yaml": _scope_edits(),
    "components/pubsub.yaml": _topic_scope_edits(),
    "components/subscriptions.yaml": (_add_subscription, _remove_subscription),
    "k8s/base/kustomization.yaml": (
        lambda text, s: _insert_after_last(text, r"  - [a-z0-9-]+\.yaml", f"  - {s.name}.yaml"),
        lambda text, s: _without_line(text, f"  - {s.name}.yaml"),
    ),
    "pyproject.toml": _pyproject_edits(),
    "Makefile": _makefile_edits(),
    ".dockerignore": _dockerignore_edits(),
}


def _edit_shared_files(repo: Path, service: Service, which: int) -> None:
    for relative, edits in SHARED_FILES.items():
        path = repo / relative
        text = path.read_text()
        edited = edits[which](text, service)
        if edited != text:
            path.write_text(edited)


# ---------------------------------------------------------------------------------------- commands


def render(repo: Path, service: Service, description: str | None = None) -> None:
    """Renders the template into ``repo`` (scaffolded files rewritten, the service's own kept)."""
    from copier import run_copy

    data: dict[str, object] = {"service": service.name, "port": service.port}
    if description:
        data["description"] = description
    with contextlib.chdir(repo):
        run_copy(
            TEMPLATE,
            ".",
            data=data,
            answers_file=f"{service.name}/.copier-answers.yml",
            defaults=True,
            overwrite=True,
            quiet=True,
            cleanup_on_error=False,  # the destination is the repository itself
        )


def add(repo: Path, service: Service, description: str | None = None) -> None:
    answers = repo / service.name / ".copier-answers.yml"
    if answers.is_file() and (recorded := yaml.safe_load(answers.read_text())["port"]) != service.port:
        raise SystemExit(f"new_service: {service.name} exists on port {recorded}; remove it first to move it")
    _edit_shared_files(repo, service, 0)  # first: refuses a port clash before anything is written
    render(repo, service, description)
    # Where the new package sorts among the first-party imports depends on its name: let ruff order
    # them (the root pyproject now lists the package as first-party). Only the generated-once files
    # have such imports, so the scaffolded files stay exactly the template's output.
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run(
        [str(ruff), "check", "--quiet", "--no-cache", "--fix-only", "--select", "I", service.name], cwd=repo, check=True
    )


def update(repo: Path, service: Service) -> None:
    """``copier recopy``: the template as it is now, with the answers the service recorded. Only
    the scaffolded files are rendered, and overwritten (they are never edited by hand); review the
    result with ``git diff``."""
    from copier import run_recopy

    with contextlib.chdir(repo):
        run_recopy(
            ".",
            data={"scaffold_only": True},
            answers_file=f"{service.name}/.copier-answers.yml",
            defaults=True,
            overwrite=True,
            quiet=True,
            cleanup_on_error=False,
        )


def remove(repo: Path, service: Service) -> None:
    _edit_shared_files(repo, service, 1)
    shutil.rmtree(repo / service.name, ignore_errors=True)
    (repo / "k8s/base" / f"{service.name}.yaml").unlink(missing_ok=True)


def _service_name(value: str) -> str:
    if not NAME.fullmatch(value) or value in NOT_SERVICES:
        raise argparse.ArgumentTypeError(f"{value!r}: lower-case words joined by '-', not a repository folder")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="repository root (default: this checkout)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_parser = commands.add_parser("add", help="scaffold a new service and wire it into the shared files")
    add_parser.add_argument("name", type=_service_name)
    add_parser.add_argument("port", type=int)
    add_parser.add_argument("--description", default=None)
    for command in ("update", "remove"):
        commands.add_parser(command).add_argument("name", type=_service_name)
    args = parser.parse_args(argv)
    repo = args.repo.resolve()

    if args.command == "add":
        add(repo, Service(args.name, args.port), args.description)
        print(f"{args.name}: generated on port {args.port} (`make python-deps` installs it, `make run` starts it)")
    elif args.command == "update":
        update(repo, Service(args.name))
        print(f"{args.name}: scaffolded files re-rendered; see `git diff`")
    else:
        remove(repo, Service(args.name))
        print(f"{args.name}: removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
