"""Both services' public API, fuzzed from their own OpenAPI documents with schemathesis against the
running stack (issue 13: no 5xx, and every answer as documented).

For every operation schemathesis sends its coverage cases (boundary and just-out-of-range values of
each parameter, missing and wrong-typed fields, other methods) and then ``max_examples`` generated
requests, valid and invalid, and checks every answer: not a server error (any 5xx fails, 503
included: the stack is up), the status code documented, the content type and body conforming to the
documented schema (problem+json for errors), documented headers present (Retry-After,
WWW-Authenticate), invalid requests refused with a 4xx, and the route refusing the request once the
token is removed or replaced by a wrong one.

Random ids name learners and lessons that do not exist, and random timestamps are rarely within the
late-event horizon, so three in four valid requests are steered (:func:`_steered_case`) to the
learners, lessons and cursors the services hold (a few seeded first, then those the answers name),
with recent timestamps and curriculum topics: the handlers then answer with real data - statuses,
histories, statistics, exports, lessons, pages - and those bodies are checked against the schema too.

The main run uses an operator (admin) token: it reaches every handler and is not rate limited, so
no 429 hides what a handler would do. A smaller run with one learner's token checks the answers a
learner gets - 403 for other learners, 429 once over the rate limit - conform as well.

The Dapr-facing routes (``/dapr``, ``/actors``, ``/events``) and the health probes are left out:
only the sidecar and the orchestrator call them. Generation is seeded, so the requests are the same
on every run (but for the seeded learners' ids, new each run). They write real learners and lessons
into the development database.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from _pytest.nodeid import NodeId
from hypothesis import strategies as st
from schemathesis import Case, HookContext, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from devstack.testing import RunningStack
from learnflow_common.curriculum import TOPIC_SLUGS

#: Fixed: the same requests on every run.
SEED = 20261347
#: Generated requests per operation (on top of its coverage cases), by service, with the admin
#: token (thousands of cases per service in under a minute each), and with the learner's.
SCALE = float(os.environ.get("LEARNFLOW_FUZZ_SCALE", "1"))  # e.g. 10 for a deeper run
ADMIN_EXAMPLES = {"user-progress": round(300 * SCALE), "course-agent": round(700 * SCALE)}
LEARNER_EXAMPLES = round(60 * SCALE)
#: What each service's admin run must reach, or the settings above were cut too far.
MIN_ADMIN_CASES = round(2000 * min(SCALE, 1))
LEARNER = "fuzz-learner"
NOT_FUZZED = r"^/(dapr|actors|events)/|^/(healthz|readyz)$"
#: positive_data_acceptance's defaults but 5xx (not_a_server_error fails those anyway).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")

cases: Counter[str] = Counter()
#: By run, operation and status (printed with -v).
answers: Counter[str] = Counter()


@dataclass
class Pool:
    """Learners, lessons and cursors the services hold, seeded and then grown from their answers:
    valid requests are steered to them."""

    learners: list[str]
    lessons: list[str] = field(default_factory=list)
    #: (the learner a listing was for, or None for the lesson feed; its next_cursor)
    cursors: list[tuple[str | None, str]] = field(default_factory=list)

    def learn(self, case: Case, response: Response) -> None:
        label, status = case.operation.label, response.status_code
        if label == "POST /update-progress" and status == 200:
            _add(self.learners, response.json()["learner_id"])
        elif label == "POST /generate-lesson" and status in (200, 201):
            _add(self.lessons, response.json()["lesson_id"])
        elif label == "GET /lessons" and status == 200 and response.json()["next_cursor"] is not None:
            _add(self.cursors, ((case.query or {}).get("learner_id"), response.json()["next_cursor"]))


#: The most items a pool keeps.
POOL_LIMIT = 200


def _add(pool: list[Any], item: Any) -> None:
    if item not in pool and len(pool) < POOL_LIMIT:
        pool.append(item)


def _one_of(draw: st.DrawFn, items: list[Any]) -> Any:
    """An item of a pool that grows during the run. The draw's bounds never change with its size:
    hypothesis records each draw's bounds and fails the run (FlakyStrategyDefinition) when a later
    case takes the same path with other bounds, as ``sampled_from`` of a grown list does."""
    return items[draw(st.integers(0, POOL_LIMIT - 1)) % len(items)]


def _seeded(stack: RunningStack, headers: dict[str, str], learners: list[str]) -> Pool:
    pool = Pool(learners=[])
    with httpx.Client(timeout=30, headers=headers) as client:
        for learner in learners:
            recorded = client.post(
                f"{stack.app_url('user-progress')}/update-progress",
                json={
                    "event_id": f"seed-{uuid.uuid4().hex}",
                    "learner_id": learner,
                    "activity": "quiz",
                    "topic": "variables",
                    "score": 80,
                    "completed_at": datetime.now(UTC).isoformat(),
                },
            )
            assert recorded.status_code == 200, recorded.text
            lesson = client.post(f"{stack.app_url('course-agent')}/generate-lesson", json={"learner_id": learner})
            assert lesson.status_code == 201, lesson.text
            _add(pool.learners, learner)
            _add(pool.lessons, lesson.json()["lesson_id"])
    return pool


@st.composite
def _steered_case(draw: st.DrawFn, case: Case, pool: Pool) -> Case:
    """``case`` with what only the services know filled in: a learner with progress, a lesson, a
    cursor they issued; and what JSON Schema cannot say: a recent time, a curriculum topic, an IANA
    zone, a score for a graded activity, an event id not used yet."""
    query, path, body = dict(case.query or {}), dict(case.path_parameters or {}), case.body
    if "learner_id" in query:
        query["learner_id"] = _one_of(draw, pool.learners)
    if "lesson_id" in path:
        path["lesson_id"] = _one_of(draw, pool.lessons)
    if "topic" in query:
        query["topic"] = draw(st.sampled_from(TOPIC_SLUGS))
    if "cursor" in query:  # GET /lessons: a real cursor, and the listing it belongs to
        del query["cursor"]
        if draw(st.booleans()) and pool.cursors:
            learner, query["cursor"] = _one_of(draw, pool.cursors)
            query.pop("learner_id", None)
            query |= {"learner_id": learner} if learner is not None else {}
    if "to" in query:  # GET /history: a window ending near today
        to = datetime.now(UTC).date() + timedelta(days=draw(st.integers(-400, 1)))
        query["to"] = to.isoformat()
        if "from" in query:
            query["from"] = (to - timedelta(days=draw(st.integers(0, 400)))).isoformat()
    if isinstance(body, dict) and "completed_at" in body:  # POST /update-progress
        ago = timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
        body = body | {
            "event_id": f"{body['event_id'][:90]}.{uuid.uuid4().hex}",
            "completed_at": (datetime.now(UTC) - ago).isoformat(),
            "topic": draw(st.sampled_from(TOPIC_SLUGS)),
            "timezone": draw(st.sampled_from((None, *ZONES))),
        }
        if body.get("score") is None:
            body["score"] = draw(st.integers(0, 100))
        if draw(st.booleans()):  # else a new learner, with the id as generated
            body["learner_id"] = _one_of(draw, pool.learners)
    elif isinstance(body, dict) and "learner_id" in body:  # POST /generate-lesson
        body = body | {"learner_id": _one_of(draw, pool.learners)}
        if body.get("topic") is not None:
            body["topic"] = draw(st.sampled_from(TOPIC_SLUGS))
    case.query, case.path_parameters, case.body = query or case.query, path or case.path_parameters, body
    return case


def _steering(pool: Pool) -> Callable[[HookContext, Case], st.SearchStrategy[Case]]:
    """A ``flatmap_case`` hook: most valid cases steered (:func:`_steered_case`), the others and
    every invalid one as generated."""

    def flatmap_case(context: HookContext, case: Case) -> st.SearchStrategy[Case]:
        if case.meta is not None and not case.meta.generation.mode.is_positive:
            return st.just(case)
        return st.sampled_from((True, True, True, False)).flatmap(
            lambda steer: _steered_case(case, pool) if steer else st.just(case)
        )

    return flatmap_case


def _schema(stack: RunningStack, app_id: str, headers: dict[str, str], max_examples: int, pool: Pool) -> BaseSchema:
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "request-timeout": 30,
            "generation": {"max-examples": max_examples, "database": "none"},
            "checks": {
                # The services validate more than JSON Schema can say (curriculum topics, IANA zones,
                # completed_at not in the future, date ranges, a score for a graded activity, cursors
                # they issued) and refuse the rest with 422: a schema-valid request may get a 422, but
                # no other refusal.
                "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]},
            },
        }
    )
    schema = schemathesis.openapi.from_url(f"{stack.app_url(app_id)}/openapi.json", config=config, timeout=30)
    schema.hook(_steering(pool))
    return schema


@pytest.fixture(scope="module", autouse=True)
def _node_id_for_schemathesis() -> Iterator[None]:
    """schemathesis's lazy loader (4.32) renames the test item to each operation's node id through
    ``Function._nodeid``, which pytest 9.2 replaced by a structured ``_id``: the old attribute again,
    while these tests run."""
    if hasattr(pytest.Function, "_nodeid"):
        yield
        return

    def set_nodeid(item: pytest.Function, value: str) -> None:
        item._id = NodeId.parse(value)

    pytest.Function._nodeid = property(lambda item: item.nodeid, set_nodeid)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del pytest.Function._nodeid  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        yield client


@pytest.fixture(scope="module")
def counted(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    """Cases sent by run; the totals are printed at the end."""
    started = time.monotonic()
    yield cases
    runs = sorted({key.rsplit(" ", 1)[0] for key in cases})
    lines = [
        f"  {run}: {cases[run + ' all']} cases, answered 2xx {cases[run + ' 2xx']}, 4xx {cases[run + ' 4xx']}"
        for run in runs
    ]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        print(f"\nschemathesis: {time.monotonic() - started:.0f} s", *lines, sep="\n")
        if request.config.option.verbose > 0:
            print(*(f"    {key}: {count}" for key, count in sorted(answers.items())), sep="\n")


@pytest.fixture(scope="module")
def admin_pool(stack: RunningStack) -> Pool:
    return _seeded(stack, stack.admin_headers, [f"fuzz-{uuid.uuid4().hex[:8]}-{n}" for n in range(4)])


@pytest.fixture(scope="module")
def learner_pool(stack: RunningStack) -> Pool:
    return _seeded(stack, stack.admin_headers, [LEARNER])


@pytest.fixture(scope="module")
def user_progress_as_admin(stack: RunningStack, admin_pool: Pool) -> BaseSchema:
    return _schema(stack, "user-progress", stack.admin_headers, ADMIN_EXAMPLES["user-progress"], admin_pool)


@pytest.fixture(scope="module")
def course_agent_as_admin(stack: RunningStack, admin_pool: Pool) -> BaseSchema:
    return _schema(stack, "course-agent", stack.admin_headers, ADMIN_EXAMPLES["course-agent"], admin_pool)


@pytest.fixture(scope="module")
def user_progress_as_learner(stack: RunningStack, learner_pool: Pool) -> BaseSchema:
    return _schema(stack, "user-progress", stack.bearer(LEARNER), LEARNER_EXAMPLES, learner_pool)


@pytest.fixture(scope="module")
def course_agent_as_learner(stack: RunningStack, learner_pool: Pool) -> BaseSchema:
    return _schema(stack, "course-agent", stack.bearer(LEARNER), LEARNER_EXAMPLES, learner_pool)


def _check(case: Case, session: requests.Session, counted: Counter[str], run: str, pool: Pool) -> None:
    counted[f"{run} all"] += 1
    response = case.call_and_validate(session=session)
    pool.learn(case, response)
    counted[f"{run} {response.status_code // 100}xx"] += 1
    answers[f"{run}: {case.operation.label} {response.status_code}"] += 1


user_progress_admin = schemathesis.pytest.from_fixture("user_progress_as_admin").exclude(path_regex=NOT_FUZZED)
course_agent_admin = schemathesis.pytest.from_fixture("course_agent_as_admin").exclude(path_regex=NOT_FUZZED)
user_progress_learner = schemathesis.pytest.from_fixture("user_progress_as_learner").exclude(path_regex=NOT_FUZZED)
course_agent_learner = schemathesis.pytest.from_fixture("course_agent_as_learner").exclude(path_regex=NOT_FUZZED)


@user_progress_admin.parametrize()
def test_user_progress_as_an_operator(
    case: Case, session: requests.Session, counted: Counter[str], admin_pool: Pool
) -> None:
    _check(case, session, counted, "user-progress as admin", admin_pool)


@course_agent_admin.parametrize()
def test_course_agent_as_an_operator(
    case: Case, session: requests.Session, counted: Counter[str], admin_pool: Pool
) -> None:
    _check(case, session, counted, "course-agent as admin", admin_pool)


@user_progress_learner.parametrize()
def test_user_progress_as_a_learner(
    case: Case, session: requests.Session, counted: Counter[str], learner_pool: Pool
) -> None:
    _check(case, session, counted, "user-progress as learner", learner_pool)


@course_agent_learner.parametrize()
def test_course_agent_as_a_learner(
    case: Case, session: requests.Session, counted: Counter[str], learner_pool: Pool
) -> None:
    _check(case, session, counted, "course-agent as learner", learner_pool)


def test_each_service_got_thousands_of_cases(counted: Counter[str]) -> None:
    """After the runs above (file order)."""
    for app_id in ADMIN_EXAMPLES:
        assert counted[f"{app_id} as admin all"] >= MIN_ADMIN_CASES, dict(counted)
