"""The sharded weekly leaderboard through the real stack: deliveries as the sidecar makes them, in any
order and more than once, and the values the shard actors leave in PostgreSQL.

Each test plays in a week of its own (a far-future year nobody else uses), so exact answers hold
whatever else the stack has seen.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import httpx

from devstack.testing import RunningStack, cloud_event, deliveries, eventually, produce, read_topic
from user_progress.domain.leaderboard import bucket_of, shard_of
from user_progress.domain.pseudonyms import display_name


def _unplayed_week() -> str:
    return f"{random.randint(2100, 2999)}-W{random.randint(1, 52):02d}"  # GET /leaderboard takes 2000-2999


def _shown(stack: RunningStack, rank: int, learner: str, xp: int, you: bool = False) -> dict[str, Any]:
    """An entry as callers see it: by the pseudonym the stack's key gives, never by id."""
    key = stack.info["tokens"]["PSEUDONYM_KEY"].encode()
    return {"rank": rank, "display_name": display_name(learner, key), "xp": xp, "you": you}


def _progress_event(learner: str, week: str, week_xp: int) -> dict[str, Any]:
    """A learnflow.progress.updated.v1 CloudEvent as the sidecar hands it to the app."""
    return cloud_event(
        "learnflow.progress.updated.v1",
        "user-progress",
        learner,
        {
            "learner_id": learner,
            "source_event_id": f"evt-{uuid.uuid4()}",
            "activity": "quiz",
            "topic": "variables",
            "score": 100,
            "completed_at": "2026-11-18T10:00:00Z",
            "events_recorded": 1,
            "xp_earned": 20,
            "xp_total": week_xp,
            "level": 1,
            "topic_mastery": 50,
            "topic_level": "Learning",
            "topic_next_review_at": "2026-11-19T10:00:00Z",
            "week": week,
            "week_xp": week_xp,
        },
    )


def _deliver(stack: RunningStack, http: httpx.Client, event: dict[str, Any]) -> None:
    response = http.post(
        f"{stack.app_url('user-progress')}/events/progress-events", json=event, headers=stack.app_headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "SUCCESS"}


def test_redelivered_and_out_of_order_progress_events_keep_each_learners_highest_week_xp(
    stack: RunningStack, http: httpx.Client, new_learner: Any
) -> None:
    week = _unplayed_week()
    ada, bob, carol = sorted(new_learner() for _ in range(3))
    newest = _progress_event(ada, week, 60)

    _deliver(stack, http, newest)
    _deliver(stack, http, _progress_event(ada, week, 20))  # an older event arriving late
    _deliver(stack, http, newest)  # redelivered
    _deliver(stack, http, _progress_event(bob, week, 40))
    _deliver(stack, http, _progress_event(carol, week, 40))
    _deliver(stack, http, _progress_event(carol, week, 10))  # older again
    board = http.get(f"{stack.app_url('user-progress')}/leaderboard", params={"week": week, "learner_id": carol}).json()

    assert board == {
        "week": week,
        "learners": 3,
        "entries": [
            _shown(stack, 1, ada, 60),
            _shown(stack, 2, bob, 40),
            _shown(stack, 2, carol, 40),
        ],
        "learner": _shown(stack, 2, carol, 40),
    }


def test_a_week_nobody_played_has_no_learners_and_no_entries(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    week = _unplayed_week()

    board = http.get(
        f"{stack.app_url('user-progress')}/leaderboard", params={"week": week, "learner_id": learner}
    ).json()

    assert board == {"week": week, "learners": 0, "entries": [], "learner": None}


def test_a_learners_week_xp_is_stored_in_their_shards_bucket_histogram_and_top_list(
    stack: RunningStack, http: httpx.Client, pg: Any, learner: str
) -> None:
    week = _unplayed_week()
    _deliver(stack, http, _progress_event(learner, week, 30))
    _deliver(stack, http, _progress_event(learner, week, 50))

    prefix = f"user-progress||LeaderboardActor||{week}.{shard_of(learner):02d}||"
    rows = pg.execute("select key, value from state where key like %s", (f"{prefix}%",)).fetchall()

    assert {key.removeprefix(prefix): value for key, value in rows} == {
        f"bucket-{bucket_of(learner):02d}": {learner: 50},
        "histogram": {"50": 1},
        "top": {"entries": [[learner, 50]]},
    }


def test_progress_events_arrive_in_bulk_and_a_poison_in_a_batch_is_dead_lettered_alone(
    stack: RunningStack, http: httpx.Client
) -> None:
    """bulkSubscribe (components/subscriptions.yaml): fewer deliveries than messages, each shard's
    events in one actor call; a message that can never succeed goes to progress-events-dlq alone and
    the later ones of its partition are applied."""
    week = _unplayed_week()
    ada, bob = f"ada-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    poison = _progress_event(ada, week, 50)
    poison["data"]["week_xp"] = "lots"
    forged = {**_progress_event(bob, week, 999), "source": "course-agent"}  # only user-progress may publish XP
    valid = [_progress_event(learner, week, xp) for learner, xp in ((ada, 10), (bob, 30), (ada, 25), (bob, 20))]
    messages = [valid[0], poison, valid[1], forged, *valid[2:]] + [
        _progress_event(f"extra-{n}-{uuid.uuid4().hex[:6]}", week, n) for n in range(1, 11)
    ]
    deliveries_before = deliveries(http, stack.app_url("user-progress"), "/events/progress-events")

    partitions = produce(stack.kafka_bootstrap, "progress-events", [json.dumps(m).encode() for m in messages], key=ada)

    assert len(set(partitions)) == 1  # one partition: later messages queue behind the poison

    def standings() -> dict[str, int]:
        board = http.get(f"{stack.app_url('user-progress')}/leaderboard", params={"week": week, "limit": 100}).json()
        return {entry["display_name"]: entry["xp"] for entry in board.get("entries", [])}

    assert eventually(lambda: len(standings()) == 12, timeout=60)
    assert sorted(standings().values(), reverse=True)[:2] == [30, 25]  # each learner's best; no 999, no "lots"
    for dead in (poison, forged):
        read_topic(
            stack.kafka_bootstrap, "progress-events-dlq", lambda value, _, wanted=dead["id"]: value.get("id") == wanted
        )
    delivered = deliveries(http, stack.app_url("user-progress"), "/events/progress-events") - deliveries_before
    assert 0 < delivered < len(messages)
