"""The weekly leaderboard's actors and the fan-out that reads them.

One ``LeaderboardActor`` per week and shard (actor id ``2026-W47.07``; see
:mod:`user_progress.domain.leaderboard` for the layout and the capacity). Dapr runs one call at a
time per actor, so a shard's values never race, while the ``SHARDS`` shards of a week take writes in
parallel: no single hot value. A write reads and rewrites only the learner's bucket, the shard's
histogram and, when it changed, the shard's top list, in one actor state transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod

from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.events import ProgressUpdatedV1
from user_progress.adapters.actor_interface import (
    RECORD_WEEK_XP,
    STANDINGS,
    LeaderboardShard,
    StandingsQuery,
    Written,
)
from user_progress.domain.leaderboard import (
    SHARDS,
    Bucket,
    Histogram,
    ShardStandings,
    Standings,
    TopList,
    bucket_of,
    merge_standings,
    record,
    shard_of,
    shard_standings,
)

HISTOGRAM_KEY = "histogram"
TOP_KEY = "top"


def bucket_key(bucket: int) -> str:
    return f"bucket-{bucket:02d}"


def actor_id(week: str, shard: int) -> str:
    """``2026-W47.07``: letters, digits, '-' and '.', safe in the actor URL path as it is."""
    return f"{week}.{shard:02d}"


def actor_id_of(progress: ProgressUpdatedV1) -> str:
    """The shard actor that keeps this learner's XP for the event's week."""
    return actor_id(progress.week, shard_of(progress.learner_id))


class LeaderboardActions(ActorInterface):
    """The methods Dapr dispatches; their requests and answers are declared in ``actor_interface``."""

    @actormethod(name="RecordWeekXp")
    async def record_week_xp(self, deliveries: Any) -> Any: ...

    @actormethod(name="Standings")
    async def standings(self, query: Any) -> Any: ...


class LeaderboardActor(SidecarActor, LeaderboardActions, Remindable):  # Remindable must be a direct base for the SDK
    """One shard of one week. State: ``bucket-NN`` ({learner: xp}), ``histogram``, ``top``."""

    @property
    def _shard(self) -> int:
        return int(self.id.id.rsplit(".", 1)[1])

    async def record_week_xp(self, deliveries: Any) -> Any:
        """``deliveries``: ``progress.updated.v1`` events of this shard, oldest first (one or a bulk
        delivery's batch); keeps each learner's max week_xp. One transaction for all of them."""
        async with self.staging():
            written = [await self._record(delivery.data) for delivery in RECORD_WEEK_XP.request_of(deliveries)]
            if any(written):
                await self.commit_state()
        return RECORD_WEEK_XP.answer([Written(written=keys) for keys in written])

    async def _record(self, data: dict[str, Any]) -> list[str]:
        """Stages one event's change (values read through what earlier events of the batch staged);
        the keys it wrote."""
        learner, xp = str(data["learner_id"]), int(data["week_xp"])
        if shard_of(learner) != self._shard:  # a routing bug: refuse rather than store it where no read looks
            raise ValueError(f"learner {learner!r} belongs to shard {shard_of(learner)}, not to {self.id.id}")
        key = bucket_key(bucket_of(learner))
        change = record(
            Bucket.from_dict(await self.state_or_none(key)),
            Histogram.from_dict(await self.state_or_none(HISTOGRAM_KEY)),
            TopList.from_dict(await self.state_or_none(TOP_KEY)),
            learner,
            xp,
        )
        changed: dict[str, Bucket | Histogram | TopList | None] = {
            key: change.bucket,
            HISTOGRAM_KEY: change.histogram,
            TOP_KEY: change.top,
        }
        written = {name: value.to_dict() for name, value in changed.items() if value is not None}
        for name, value in written.items():
            self.stage(name, value)
        return list(written)

    async def standings(self, query: Any) -> Any:
        """See :class:`StandingsQuery`."""
        asked = STANDINGS.request_of(query)
        learner_id = asked.learner_id
        learner_xp = None
        if learner_id is not None and shard_of(learner_id) == self._shard:
            learner_xp = Bucket.from_dict(await self.state_or_none(bucket_key(bucket_of(learner_id)))).scores.get(
                learner_id
            )
        answer = shard_standings(
            Histogram.from_dict(await self.state_or_none(HISTOGRAM_KEY)),
            TopList.from_dict(await self.state_or_none(TOP_KEY)),
            asked.limit,
            learner_xp=learner_xp,
            than=asked.xp,
        )
        return STANDINGS.answer(answer)


async def week_standings(sidecar: DaprSidecar, week: str, limit: int, learner_id: str | None) -> Standings:
    """Asks every shard of the week (concurrently) and merges their answers.

    With a learner, their own shard is asked first for their XP, then the other shards count the
    learners above it: one extra round trip, and every number comes from one shard's histogram.
    """

    async def ask(shard: int, query: StandingsQuery) -> ShardStandings:
        return await LeaderboardShard(sidecar, actor_id(week, shard)).standings(query)

    answers: list[ShardStandings] = []
    shards = list(range(SHARDS))
    xp = None
    if learner_id is not None:
        own = shard_of(learner_id)
        answers.append(await ask(own, StandingsQuery(limit=limit, learner_id=learner_id)))
        xp = answers[0].learner_xp
        shards.remove(own)
    answers += await asyncio.gather(*(ask(shard, StandingsQuery(limit=limit, xp=xp)) for shard in shards))
    return merge_standings(answers, limit, learner_id)
