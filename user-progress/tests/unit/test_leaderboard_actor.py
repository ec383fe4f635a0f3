"""The leaderboard's shard actors, their feed and GET /leaderboard, in-process.

The real ``LeaderboardActor`` runs on the Dapr SDK's own state manager and state serializer; only
the sidecar is replaced: an in-memory actor host (one instance per actor id, one call at a time, like
daprd) over an in-memory actor state store that keeps the bytes the SDK sends.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from dapr.actor import ActorId
from dapr.actor.runtime._type_information import ActorTypeInformation
from dapr.actor.runtime.context import ActorRuntimeContext
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.testing import AppAuth
from learnflow_common.dapr.actors import PLAIN_JSON
from learnflow_common.dapr.errors import ActorMethodFailed, SidecarUnavailable
from learnflow_common.dapr.testing import MemoryActorStore
from user_progress.adapters.actor_interface import LEADERBOARD_ACTOR
from user_progress.adapters.leaderboard import (
    HISTOGRAM_KEY,
    TOP_KEY,
    LeaderboardActor,
    actor_id,
    bucket_key,
    week_standings,
)
from user_progress.app import create_app
from user_progress.domain.leaderboard import SHARDS, bucket_of, reference_standings, shard_of
from user_progress.domain.pseudonyms import display_name
from user_progress.settings import Settings

WEEK = "2026-W47"
APP_TOKEN = "app-token-for-tests"


class ActorHost:
    """Stands in for the sidecar's ``invoke_actor``: one actor instance per id, one call at a time,
    arguments and answers through JSON, a raising method reported as the sidecar reports it (and for
    ``publish_raw``, which these deliveries never need)."""

    def __init__(self) -> None:
        self.store = MemoryActorStore()
        self._context = ActorRuntimeContext(
            ActorTypeInformation.create(LeaderboardActor), PLAIN_JSON, PLAIN_JSON, self.store
        )
        self.actors: dict[str, LeaderboardActor] = {}
        self._turns: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.calls: list[tuple[str, str]] = []

    def actor(self, actor_id: str) -> LeaderboardActor:
        if actor_id not in self.actors:
            self.actors[actor_id] = LeaderboardActor(self._context, ActorId(actor_id))
        return self.actors[actor_id]

    def deactivate_all(self) -> None:
        """Dapr deactivates idle actors: the next call starts from what is stored."""
        self.actors.clear()

    async def publish_raw(self, pubsub: str, topic: str, data: bytes, partition_key: str | None) -> None:
        raise AssertionError(f"these deliveries leave no entry out: nothing for the app to move to {topic}")

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        assert actor_type == LEADERBOARD_ACTOR
        assert re.fullmatch(r"[A-Za-z0-9.-]+", actor_id), actor_id
        self.calls.append((actor_id, method))
        actor = self.actor(actor_id)
        handler = {"RecordWeekXp": actor.record_week_xp, "Standings": actor.standings}[method]
        async with self._turns[actor_id]:
            try:
                answer = await handler(json.loads(json.dumps(data)))
            except SidecarUnavailable:
                raise
            except Exception as error:
                raise ActorMethodFailed(str(error)) from error
        return json.loads(json.dumps(answer))

    async def aclose(self) -> None:
        pass


def _progress_event(learner: str, week_xp: int, event_id: str, week: str = WEEK) -> dict[str, Any]:
    """A learnflow.progress.updated.v1 CloudEvent as the sidecar delivers it."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "user-progress",
        "type": "learnflow.progress.updated.v1",
        "subject": learner,
        "datacontenttype": "application/json",
        "data": {
            "learner_id": learner,
            "source_event_id": f"source-{event_id}",
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
    }


def _delivery(learner: str, week_xp: int, event_id: str) -> dict[str, Any]:
    """One event as RecordWeekXp receives it in a batch."""
    return {"event_id": event_id, "data": _progress_event(learner, week_xp, event_id)["data"]}


def _batch(learner: str, week_xp: int, event_id: str) -> list[dict[str, Any]]:
    """What a single delivery hands to RecordWeekXp: a batch of one."""
    return [_delivery(learner, week_xp, event_id)]


@pytest.fixture
def host() -> ActorHost:
    return ActorHost()


@pytest.fixture
def client(host: ActorHost, app_auth: AppAuth) -> Iterator[TestClient]:
    settings = Settings(
        APP_ID="user-progress",
        APP_PORT=1,
        DAPR_HTTP_PORT=1,
        DAPR_API_TOKEN="dapr-token-for-tests",
        APP_API_TOKEN=APP_TOKEN,
        **app_auth.env,
    )
    app = create_app(settings)
    with TestClient(app, headers=app_auth.bearer(None, "admin")) as test_client:
        real_sidecar = app.state.sidecar
        app.state.sidecar = host
        yield test_client
        app.state.sidecar = real_sidecar


PSEUDONYM_KEY = b"unit-test-pseudonym-key"  # devstack.testing.app_auth's


def _shown(rank: int, learner: str, xp: int, you: bool = False) -> dict[str, Any]:
    """A leaderboard entry as a caller sees it: by pseudonym, never by id."""
    return {"rank": rank, "display_name": display_name(learner, PSEUDONYM_KEY), "xp": xp, "you": you}


def _deliver(client: TestClient, event: dict[str, Any]) -> str:
    response = client.post("/events/progress-events", json=event, headers={"dapr-api-token": APP_TOKEN})
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def test_progress_events_are_ranked_by_week_xp_with_shared_ranks_for_ties(client: TestClient) -> None:
    for number, (learner, xp) in enumerate([("ada", 60), ("bob", 40), ("carol", 40), ("dave", 10)]):
        assert _deliver(client, _progress_event(learner, xp, f"e{number}")) == "SUCCESS"

    board = client.get("/leaderboard", params={"week": WEEK, "limit": 3, "learner_id": "dave"}).json()

    assert board == {
        "week": WEEK,
        "learners": 4,
        "entries": [
            _shown(1, "ada", 60),
            _shown(2, "bob", 40),
            _shown(2, "carol", 40),
        ],
        "learner": _shown(4, "dave", 10),
    }


def test_redelivered_and_out_of_order_progress_events_keep_each_learners_highest_week_xp(
    client: TestClient, host: ActorHost
) -> None:
    _deliver(client, _progress_event("ada", 40, "e2"))
    _deliver(client, _progress_event("ada", 20, "e1"))  # older, arrives late
    _deliver(client, _progress_event("ada", 40, "e2"))  # redelivered
    host.deactivate_all()
    _deliver(client, _progress_event("ada", 20, "e1"))  # redelivered after a restart
    _deliver(client, _progress_event("bob", 30, "e3"))

    board = client.get("/leaderboard", params={"week": WEEK, "learner_id": "ada"}).json()

    assert board["learners"] == 2
    assert board["entries"] == [_shown(1, "ada", 40), _shown(2, "bob", 30)]
    assert board["learner"] == _shown(1, "ada", 40)


def test_a_week_nobody_played_has_no_learners_and_no_entries(client: TestClient) -> None:
    board = client.get("/leaderboard", params={"week": "2001-W01", "learner_id": "ada"}).json()

    assert board == {"week": "2001-W01", "learners": 0, "entries": [], "learner": None}


def test_weeks_are_separate_leaderboards(client: TestClient) -> None:
    _deliver(client, _progress_event("ada", 40, "e1", week="2026-W46"))
    _deliver(client, _progress_event("ada", 10, "e2", week="2026-W47"))

    assert client.get("/leaderboard", params={"week": "2026-W46"}).json()["entries"][0]["xp"] == 40
    assert client.get("/leaderboard", params={"week": "2026-W47"}).json()["entries"][0]["xp"] == 10


def test_each_delivery_goes_to_the_shard_actor_of_its_week_and_learner(client: TestClient, host: ActorHost) -> None:
    _deliver(client, _progress_event("ada", 40, "e1"))

    assert host.calls == [(f"{WEEK}.{shard_of('ada'):02d}", "RecordWeekXp")]


def test_the_leaderboard_asks_every_shard_once_and_the_learners_own_shard_first(
    client: TestClient, host: ActorHost
) -> None:
    client.get("/leaderboard", params={"week": WEEK, "learner_id": "ada"})

    assert host.calls[0] == (actor_id(WEEK, shard_of("ada")), "Standings")
    assert sorted(host.calls) == sorted((actor_id(WEEK, shard), "Standings") for shard in range(SHARDS))


async def test_a_write_stores_only_the_learners_bucket_the_histogram_and_the_top_list(host: ActorHost) -> None:
    shard = actor_id(WEEK, shard_of("ada"))

    answer = await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", _batch("ada", 40, "e1"))

    key = bucket_key(bucket_of("ada"))
    assert answer == [{"written": [key, HISTOGRAM_KEY, TOP_KEY]}]
    assert host.store.stored(shard) == {
        key: {"ada": 40},
        HISTOGRAM_KEY: {"40": 1},
        TOP_KEY: {"entries": [["ada", 40]]},
    }


async def test_a_batch_of_one_shards_events_is_saved_in_one_transaction_later_events_seeing_earlier_ones(
    host: ActorHost,
) -> None:
    learners = [learner for learner in (f"l{n}" for n in range(200)) if shard_of(learner) == shard_of("ada")][:3]
    shard = actor_id(WEEK, shard_of("ada"))
    batch = [_delivery(learner, 10 * (n + 1), f"e{n}") for n, learner in enumerate(learners)]
    batch.append(_delivery(learners[0], 5, "e-older"))  # lower than the learner's first: keeps the max

    answers = await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", batch)

    assert host.store.transactions == 1
    assert [bool(answer["written"]) for answer in answers] == [True, True, True, False]
    histogram = host.store.stored(shard)[HISTOGRAM_KEY]
    assert histogram == {"10": 1, "20": 1, "30": 1}


async def test_a_redelivery_writes_nothing(host: ActorHost) -> None:
    shard, event = actor_id(WEEK, shard_of("ada")), _batch("ada", 40, "e1")
    await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", event)

    assert await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", event) == [{"written": []}]


async def test_after_a_failed_save_nothing_unsaved_stays_cached_so_the_redelivery_is_applied(host: ActorHost) -> None:
    shard, event = actor_id(WEEK, shard_of("ada")), _batch("ada", 40, "e1")
    host.store.fail_saves = ["outage"]

    with pytest.raises(SidecarUnavailable):
        await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", event)
    assert host.store.stored(shard) == {}
    answer = await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", event)  # the same, live instance

    assert answer[0]["written"]
    assert host.store.stored(shard)[bucket_key(bucket_of("ada"))] == {"ada": 40}


async def test_a_delivery_sent_to_another_shard_is_refused(host: ActorHost) -> None:
    wrong = actor_id(WEEK, (shard_of("ada") + 1) % SHARDS)

    with pytest.raises(ActorMethodFailed, match="belongs to shard"):
        await host.invoke_actor(LEADERBOARD_ACTOR, wrong, "RecordWeekXp", _batch("ada", 40, "e1"))


async def test_a_batch_refused_part_way_leaves_nothing_staged_so_its_events_are_applied_when_redelivered(
    host: ActorHost,
) -> None:
    shard = actor_id(WEEK, shard_of("ada"))
    stranger = next(learner for learner in (f"l{n}" for n in range(200)) if shard_of(learner) != shard_of("ada"))

    with pytest.raises(ActorMethodFailed, match="belongs to shard"):
        await host.invoke_actor(
            LEADERBOARD_ACTOR, shard, "RecordWeekXp", [_delivery("ada", 40, "e1"), _delivery(stranger, 9, "e2")]
        )
    answer = await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", _batch("ada", 40, "e1"))

    assert answer[0]["written"]  # not taken for a redelivery of a value never stored
    assert host.store.stored(shard)[bucket_key(bucket_of("ada"))] == {"ada": 40}


LEARNERS = [f"learner-{i}" for i in range(12)]


@settings(max_examples=40, deadline=None)
@given(
    reports=st.lists(st.tuples(st.sampled_from(LEARNERS), st.integers(0, 20)), max_size=30),
    redeliveries=st.data(),
    limit=st.integers(1, 100),
)
def test_the_actors_answer_exactly_what_ranking_everyone_answers_whatever_the_delivery_order_and_batching(
    reports: list[tuple[str, int]], redeliveries: st.DataObject, limit: int
) -> None:
    again = redeliveries.draw(st.lists(st.sampled_from(reports), max_size=10)) if reports else []
    deliveries = redeliveries.draw(st.permutations(reports + again))
    best: dict[str, int] = {}
    for learner, xp in deliveries:
        best[learner] = max(xp, best.get(learner, xp))

    batch_size = redeliveries.draw(st.integers(1, 8))

    async def run() -> None:
        host = ActorHost()
        for start in range(0, len(deliveries), batch_size):  # bulk deliveries: each shard's events in one call
            by_shard: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for number, (learner, xp) in enumerate(deliveries[start : start + batch_size], start):
                by_shard[actor_id(WEEK, shard_of(learner))].append(_delivery(learner, xp, f"e{number}"))
            for shard, batch in by_shard.items():
                await host.invoke_actor(LEADERBOARD_ACTOR, shard, "RecordWeekXp", batch)
            if start % 3 == 0:
                host.deactivate_all()
        assert await week_standings(host, WEEK, limit, None) == reference_standings(best, limit)  # type: ignore[arg-type]
        for learner in [*LEARNERS, "never-played"]:
            expected = reference_standings(best, limit, learner)
            assert await week_standings(host, WEEK, limit, learner) == expected  # type: ignore[arg-type]

    asyncio.run(run())
