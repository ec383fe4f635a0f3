"""The bounded storage through the real stack: late events, the horizon, conversion of first-release learners."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from devstack.testing import RunningStack
from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import LearnerFold, fold_events
from user_progress.domain.learner import LearnerRecord, record_event, replay
from user_progress.views import status_of

NOW = datetime.now(UTC)


def _post(stack: RunningStack, http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return http.post(f"{stack.app_url('user-progress')}/update-progress", json=body)


def _status(stack: RunningStack, http: httpx.Client, learner: str) -> dict[str, Any]:
    response = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _recorded_history(learner: str, prefix: str, count: int, days_back: int, every_hours: int) -> list[LearningEvent]:
    """``count`` events of one learner, ``every_hours`` apart from ``days_back`` days ago."""
    return [
        LearningEvent(
            event_id=f"{prefix}-{number}",
            learner_id=learner,
            activity=("lesson", "exercise", "quiz", "review")[number % 4],
            topic=("variables", "loops")[number % 2],
            completed_at=NOW - timedelta(days=days_back) + timedelta(hours=every_hours * number),
            score=None if number % 4 == 0 else 50 + number % 50,
        )
        for number in range(count)
    ]


def _recorded(events: list[LearningEvent]) -> MemoryStore:
    """The values the ledger writes for ``events``, recorded in order."""
    store = MemoryStore()
    for event in events:
        store.apply(run_in_memory(ledger.record(store, event.learner_id, event)).changes)
    return store


def _kept_in_actor_state(stack: RunningStack, learner: str, values: dict[str, Any]) -> None:
    """Rows as the release that kept learners in the learner actor's own state wrote them."""
    with psycopg.connect(stack.postgres_dsn) as connection:
        for key, value in values.items():
            connection.execute(
                "INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, false)",
                (f"user-progress||LearnerProgressActor||{learner}||{key}", json.dumps(value)),
            )


def test_a_late_event_within_the_horizon_gives_the_same_status_as_in_order_delivery(
    stack: RunningStack, http: httpx.Client, new_learner: Any, learning_event: Any
) -> None:
    in_order, late_first = new_learner(), new_learner()
    shapes = [
        {"completed_at": (NOW - timedelta(days=days)).isoformat(), "activity": "exercise", "score": 40 + 2 * days}
        for days in (20, 12, 11, 10, 3, 1)
    ]
    for shape in shapes:
        assert _post(stack, http, learning_event(in_order, **shape, timezone="Asia/Tokyo")).status_code == 200
    for shape in [*shapes[1:], shapes[0]]:  # the oldest one arrives last
        assert _post(stack, http, learning_event(late_first, **shape, timezone="Asia/Tokyo")).status_code == 200

    expected, actual = _status(stack, http, in_order), _status(stack, http, late_first)

    for field in ("xp", "level", "streak", "topics", "events_recorded", "activity_counts"):
        assert actual[field] == expected[field], field
    assert [a["id"] for a in actual["achievements"]["unlocked"]] == [
        a["id"] for a in expected["achievements"]["unlocked"]
    ]


def test_an_event_older_than_the_horizon_is_a_422_too_late_problem_and_changes_nothing(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    assert _post(stack, http, learning_event(learner)).status_code == 200
    before = _status(stack, http, learner)

    response = _post(stack, http, learning_event(learner, completed_at=(NOW - timedelta(days=45)).isoformat()))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-late")
    assert response.json()["errors"][0]["field"] == "completed_at"
    assert "retry-after" not in response.headers
    assert _status(stack, http, learner) == before


def test_a_learner_stored_by_the_first_release_is_converted_on_first_touch(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    events = [
        LearningEvent(
            event_id=f"old-{number}",
            learner_id=learner,
            activity=("lesson", "exercise", "quiz", "review")[number % 4],
            topic=("variables", "loops")[number % 2],
            completed_at=NOW - timedelta(days=60) + timedelta(hours=9 * number),
            score=None if number % 4 == 0 else 60 + number % 40,
            timezone="Europe/Berlin",
        )
        for number in range(120)
    ]
    record: LearnerRecord | None = None
    for event in events:
        record = record_event(record, event).record
    assert record is not None
    key = f"user-progress||LearnerProgressActor||{learner}||{ledger.LEGACY_RECORD_KEY}"
    with psycopg.connect(stack.postgres_dsn) as connection:
        connection.execute(
            "INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, false)",
            (key, json.dumps(record.to_dict())),
        )

    status = _status(stack, http, learner)
    redelivered = _post(stack, http, {**events[7].to_dict(), "completed_at": events[7].completed_at.isoformat()})

    expected = status_of(
        ledger.Snapshot(
            fold=fold_events(LearnerFold(learner), events).fold,
            horizon=NOW,
            announced=record.announced,
        ),
        datetime.now(UTC),
    )
    assert status["events_recorded"] == 120
    assert status["xp"] == replay(learner, events).xp == expected.xp
    assert status["streak"]["longest"] == expected.streak.longest
    assert redelivered.status_code == 200
    assert redelivered.json()["events_recorded"] == 120
    with psycopg.connect(stack.postgres_dsn) as connection:
        rows = connection.execute("SELECT count(*) FROM state WHERE key = %s", (key,)).fetchone()
    assert rows == (0,)


def test_a_learner_folded_under_earlier_rules_is_folded_again_on_first_touch(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    events = _recorded_history(learner, "v2", count=150, days_back=50, every_hours=7)
    store = _recorded(events)
    expected = ledger.Snapshot.from_dict(store.values[ledger.SNAPSHOT_KEY])
    old = dict(store.values)
    old[ledger.SNAPSHOT_KEY] = {
        **old[ledger.SNAPSHOT_KEY],
        "version": ledger.LAYOUT_VERSION - 1,
        "fold": {**old[ledger.SNAPSHOT_KEY]["fold"], "topics": {"loops": "folded by other rules"}},
    }
    _kept_in_actor_state(stack, learner, old)

    status = _status(stack, http, learner)

    want = status_of(expected, datetime.now(UTC))
    assert status["events_recorded"] == 150
    assert (status["xp"], status["streak"]["longest"]) == (want.xp, want.streak.longest)
    assert [(t["topic"], t["mastery"], t["counts"]) for t in status["topics"]] == [
        (t.topic, t.mastery, t.counts) for t in want.topics
    ]
    with psycopg.connect(stack.postgres_dsn) as connection:
        row = connection.execute(
            "SELECT value->>'version' FROM state WHERE key = %s",
            (f"user-progress||learner~{learner}~{ledger.SNAPSHOT_KEY}",),
        ).fetchone()
        left_in_actor_state = connection.execute(
            "SELECT key, value->>'version' FROM state WHERE key LIKE %s",
            (f"user-progress||LearnerProgressActor||{learner}||%",),
        ).fetchall()
        on_plain_keys = connection.execute(
            "SELECT count(*) FROM state WHERE key LIKE %s", (f"user-progress||learner~{learner}~%",)
        ).fetchone()
    assert row == (str(ledger.LAYOUT_VERSION),)
    # moved off actor state: every value (150 ids, the log, its index, the days, ...) on plain keys
    assert left_in_actor_state == [(f"user-progress||LearnerProgressActor||{learner}||{ledger.SNAPSHOT_KEY}", "moved")]
    assert on_plain_keys is not None
    assert on_plain_keys[0] >= len(old)


def test_a_learner_kept_in_actor_state_by_the_release_before_moves_to_plain_keys_whole_on_first_touch(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    events = _recorded_history(learner, "kept", count=100, days_back=40, every_hours=9)
    store = _recorded(events)
    store.apply(run_in_memory(ledger.assign_lesson(store, learner, "l-kept", "loops", events[50].completed_at))[1])
    _kept_in_actor_state(stack, learner, store.values)
    redelivered = {**events[10].to_dict(), "completed_at": events[10].completed_at.isoformat()}

    again = _post(stack, http, redelivered)
    reused = _post(stack, http, {**redelivered, "score": 1})
    status = _status(stack, http, learner)

    want = status_of(ledger.Snapshot.from_dict(store.values[ledger.SNAPSHOT_KEY]), datetime.now(UTC))
    assert again.status_code == 200  # the event ids moved too: a redelivery is still a duplicate...
    assert again.json()["events_recorded"] == 100
    assert reused.status_code == 409  # ...and the same id with another body still a conflict
    assert (status["events_recorded"], status["xp"], status["lessons_assigned"]) == (100, want.xp, 1)
    with psycopg.connect(stack.postgres_dsn) as connection:
        plain = dict(
            connection.execute(
                "SELECT substring(key from %s), value FROM state WHERE key LIKE %s",
                (len(f"user-progress||learner~{learner}~") + 1, f"user-progress||learner~{learner}~%"),
            ).fetchall()
        )
        left_in_actor_state = connection.execute(
            "SELECT key FROM state WHERE key LIKE %s", (f"user-progress||LearnerProgressActor||{learner}||%",)
        ).fetchall()
    assert {key: value for key, value in plain.items() if not key.startswith("outbox")} == store.values
    assert left_in_actor_state == [(f"user-progress||LearnerProgressActor||{learner}||{ledger.SNAPSHOT_KEY}",)]
