"""The offline variant generator through the real stack: the worker asks Dapr's conversation API (the
local `echo` component), verifies the reply, stores it in the state store, and a later lesson serves it;
a rejected reply never reaches a lesson, and every outcome is on /metrics.

The `echo` component answers with the text of every message it is sent, joined by newlines; a proposal
is the JSON object that ends a reply, so an operator's note (POST /variants `guidance`, the last
message) scripts the reply.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from devstack.testing import RunningStack, eventually

TOPIC, LEVEL = "loops", "beginner"
#: Lessons to ask for before concluding an item is never served: more than the level's bank can hold.
LESSONS_TO_SEE_THE_BANK = 24
LOOP = "for r in readings:\n    if r > 20:\n        warm += 1\n"


@pytest.fixture
def marker() -> str:
    return uuid.uuid4().hex[:12]


def _proposal(marker: str, **exercise_changes: Any) -> str:
    solution = f"# {marker}\nreadings = [18, 20, 22, 25, 19, 30]\nwarm = 0\n" + LOOP
    exercise = {
        "prompt": f"`readings` holds temperatures ({marker}). Bind `warm` to how many are strictly above 20.",
        "hints": [
            "Start a counter at zero before looking at any reading.",
            "Visit each reading in turn and decide whether it counts.",
            "Inside the loop, add one to the counter only for a reading strictly greater than 20.",
        ],
        "starter_code": "readings = [18, 20, 22, 25, 19, 30]\nwarm = 0\n",
        "solution": solution,
        "tests": "assert warm == 3\n",
        "mutants": [
            {"flaw": "counts 20 as warm", "code": solution.replace("r > 20", "r >= 20")},
            {"flaw": "the counter starts at one", "code": solution.replace("warm = 0", "warm = 1")},
        ],
        **exercise_changes,
    }
    return "Here are the new items:\n" + json.dumps({"exercises": [exercise]})


def _counted(http: httpx.Client, stack: RunningStack, outcome: str, reason: str) -> float:
    text = http.get(f"{stack.app_url('course-agent')}/metrics").text
    found = re.search(rf'^learnflow_variants_total\{{outcome="{outcome}",reason="{reason}"\}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def _ask(http: httpx.Client, stack: RunningStack, **body: Any) -> None:
    def queued() -> bool:  # an earlier job for the level may still be under way
        answer = http.post(
            f"{stack.app_url('course-agent')}/variants", json={"topic": TOPIC, "difficulty": LEVEL, **body}
        )
        assert answer.status_code == 202, answer.text
        return bool(answer.json()["queued"])

    eventually(queued, timeout=60, interval=0.5)


def _exercises_served(http: httpx.Client, stack: RunningStack, learner: str) -> list[dict[str, Any]]:
    served = []
    for _ in range(LESSONS_TO_SEE_THE_BANK):
        lesson = http.post(
            f"{stack.app_url('course-agent')}/generate-lesson",
            json={"learner_id": learner, "topic": TOPIC, "difficulty": LEVEL},
        )
        assert lesson.status_code == 201, lesson.text
        assert lesson.json()["generator"] == "builtin"
        served += lesson.json()["exercises"]
    return served


def test_a_verified_variant_is_stored_and_served_in_a_later_lesson(
    stack: RunningStack, http: httpx.Client, marker: str
) -> None:
    accepted = _counted(http, stack, "accepted", "verified")

    _ask(http, stack, learner_id=f"learner-{marker}", guidance=_proposal(marker))

    eventually(lambda: _counted(http, stack, "accepted", "verified") > accepted, timeout=90)
    served = [e for e in _exercises_served(http, stack, f"learner-{marker}") if marker in e["prompt"]]
    assert served, "the accepted variant never reached a lesson"
    assert re.fullmatch(r"loops-beginner-exercise-v[0-9a-f]{12}", served[0]["id"])
    assert served[0]["tests"] == "assert warm == 3\n"


@pytest.mark.parametrize(
    ("exercise_changes", "reason"),
    [
        ({"tests": "assert True\n"}, "trivial-tests"),
        ({"solution": "secret = open('/etc/passwd').read()\nwarm = 3\n"}, "solution-fails"),
        ({"solution": "import socket\nsocket.create_connection(('example.com', 80))\nwarm = 3\n"}, "unsafe-code"),
    ],
    ids=["assert-true", "reads-outside-the-sandbox", "opens-a-socket"],
)
def test_a_rejected_reply_is_counted_and_never_reaches_a_lesson(
    stack: RunningStack, http: httpx.Client, marker: str, exercise_changes: dict[str, Any], reason: str
) -> None:
    rejected = _counted(http, stack, "rejected", reason)

    _ask(http, stack, guidance=_proposal(marker, **exercise_changes))

    eventually(lambda: _counted(http, stack, "rejected", reason) > rejected, timeout=90)
    assert not [e for e in _exercises_served(http, stack, f"learner-{marker}") if marker in e["prompt"]]


def test_progress_showing_a_struggle_makes_the_worker_ask_the_model(
    stack: RunningStack, http: httpx.Client, marker: str
) -> None:
    """The worker's own prompt comes back from `echo` as it went: no proposal, rejected as not-json."""
    not_json = _counted(http, stack, "rejected", "not-json")

    recorded = http.post(
        f"{stack.app_url('user-progress')}/update-progress",
        json={
            "event_id": f"struggle-{marker}",
            "learner_id": f"learner-{marker}",
            "activity": "quiz",
            "topic": "strings",
            "score": 20,
            "completed_at": datetime.now(UTC).isoformat(),
        },
    )

    assert recorded.status_code in (200, 201), recorded.text
    eventually(lambda: _counted(http, stack, "rejected", "not-json") > not_json, timeout=90)


def test_only_an_operator_may_ask_for_variants(stack: RunningStack, marker: str) -> None:
    answer = httpx.post(
        f"{stack.app_url('course-agent')}/variants",
        json={"topic": TOPIC, "difficulty": LEVEL},
        headers=stack.bearer(f"learner-{marker}"),
        timeout=15,
    )

    assert answer.status_code == 403
