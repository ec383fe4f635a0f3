"""The sharded weekly leaderboard answers exactly what ranking every learner at once answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from user_progress.domain.leaderboard import (
    BUCKETS,
    SHARDS,
    Bucket,
    Change,
    Entry,
    Histogram,
    ShardStandings,
    Standings,
    TopList,
    bucket_of,
    merge_standings,
    record,
    reference_standings,
    shard_of,
    shard_standings,
)


def _json(value: Any) -> Any:
    """What comes back from the state store: the value through JSON."""
    return json.loads(json.dumps(value))


@dataclass
class ShardedWeek:
    """A week as the shard actors keep it, with small sizes so that the top lists overflow: every value
    goes through to_dict / JSON / from_dict like a stored one."""

    shards: int
    buckets: int
    top_size: int
    stored: dict[tuple[int, str], Any] = field(default_factory=dict)

    def record(self, learner: str, xp: int) -> Change:
        shard = shard_of(learner, self.shards)
        bucket_key = f"bucket-{bucket_of(learner, self.buckets)}"
        change = record(
            Bucket.from_dict(self.stored.get((shard, bucket_key))),
            Histogram.from_dict(self.stored.get((shard, "histogram"))),
            TopList.from_dict(self.stored.get((shard, "top"))),
            learner,
            xp,
            self.top_size,
        )
        for key, value in ((bucket_key, change.bucket), ("histogram", change.histogram), ("top", change.top)):
            if value is not None:
                self.stored[shard, key] = _json(value.to_dict())
        return change

    def _ask(self, shard: int, limit: int, learner: str | None, than: int | None) -> ShardStandings:
        learner_xp = None
        if learner is not None and shard_of(learner, self.shards) == shard:
            bucket = Bucket.from_dict(self.stored.get((shard, f"bucket-{bucket_of(learner, self.buckets)}")))
            learner_xp = bucket.scores.get(learner)
        answer = shard_standings(
            Histogram.from_dict(self.stored.get((shard, "histogram"))),
            TopList.from_dict(self.stored.get((shard, "top"))),
            limit,
            learner_xp=learner_xp,
            than=than,
            top_size=self.top_size,
        )
        return ShardStandings.from_dict(_json(answer.to_dict()))

    def standings(self, limit: int, learner: str | None = None) -> Standings:
        """The query plan of the adapter: the learner's own shard first, then the others with its XP."""
        answers, others, xp = [], list(range(self.shards)), None
        if learner is not None:
            own = shard_of(learner, self.shards)
            answers.append(self._ask(own, limit, learner, None))
            xp = answers[0].learner_xp
            others.remove(own)
        answers += [self._ask(shard, limit, None, xp) for shard in others]
        return merge_standings(answers, limit, learner)


LEARNERS = [f"learner-{i}" for i in range(40)]


@st.composite
def _deliveries(draw: st.DrawFn) -> list[tuple[str, int]]:
    """Week XP reports for some learners, with redeliveries, shuffled into any order."""
    reports = draw(
        st.lists(st.tuples(st.sampled_from(LEARNERS), st.integers(0, 30)), min_size=0, max_size=80),
    )
    redelivered = draw(st.lists(st.sampled_from(reports), max_size=20)) if reports else []
    return draw(st.permutations(reports + redelivered))


@settings(max_examples=300, deadline=None)
@given(
    deliveries=_deliveries(),
    shards=st.integers(1, 4),
    buckets=st.integers(1, 3),
    top_size=st.integers(1, 6),
    data=st.data(),
)
def test_sharded_week_answers_top_n_learners_and_every_rank_exactly_like_ranking_everyone(
    deliveries: list[tuple[str, int]], shards: int, buckets: int, top_size: int, data: st.DataObject
) -> None:
    week = ShardedWeek(shards, buckets, top_size)
    best: dict[str, int] = {}
    for learner, xp in deliveries:
        week.record(learner, xp)
        best[learner] = max(xp, best.get(learner, xp))
    limit = data.draw(st.integers(1, top_size))

    assert week.standings(limit) == reference_standings(best, limit)
    for learner in [*LEARNERS, "never-played"]:
        assert week.standings(limit, learner) == reference_standings(best, limit, learner)


@settings(max_examples=200, deadline=None)
@given(deliveries=_deliveries(), again=st.data())
def test_replaying_any_delivery_after_the_fact_writes_nothing(
    deliveries: list[tuple[str, int]], again: st.DataObject
) -> None:
    week = ShardedWeek(shards=2, buckets=2, top_size=3)
    for learner, xp in deliveries:
        week.record(learner, xp)
    before = dict(week.stored)

    if deliveries:
        assert week.record(*again.draw(st.sampled_from(deliveries))) == Change()
    assert week.stored == before


def test_older_week_xp_arriving_late_keeps_the_newer_one() -> None:
    week = ShardedWeek(shards=1, buckets=1, top_size=10)
    week.record("ada", 40)

    assert week.record("ada", 20) == Change()
    assert week.standings(10, "ada").learner == Entry(1, "ada", 40)


def test_ties_share_a_rank_and_are_listed_by_learner_id() -> None:
    week = ShardedWeek(shards=3, buckets=2, top_size=10)
    for learner, xp in [("carol", 50), ("bob", 50), ("ada", 90), ("dave", 10)]:
        week.record(learner, xp)

    standings = week.standings(10, "dave")

    assert standings.entries == (
        Entry(1, "ada", 90),
        Entry(2, "bob", 50),
        Entry(2, "carol", 50),
        Entry(4, "dave", 10),
    )
    assert standings.learner == Entry(4, "dave", 10)
    assert standings.learners == 4


def test_a_learner_outside_the_top_list_writes_bucket_and_histogram_but_not_the_top_list() -> None:
    top = TopList((("ada", 90), ("bob", 80)))

    change = record(Bucket(), Histogram({90: 1, 80: 1}), top, "carol", 10, top_size=2)

    assert change.bucket == Bucket({"carol": 10})
    assert change.histogram == Histogram({90: 1, 80: 1, 10: 1})
    assert change.top is None


def test_a_learner_who_overtakes_pushes_the_last_one_out_of_a_full_top_list() -> None:
    top = TopList((("ada", 90), ("bob", 80)))

    change = record(Bucket({"carol": 10}), Histogram({90: 1, 80: 1, 10: 1}), top, "carol", 85, top_size=2)

    assert change.top == TopList((("ada", 90), ("carol", 85)))
    assert change.histogram == Histogram({90: 1, 80: 1, 85: 1})


def test_a_week_nobody_played_has_no_learners_and_no_entries() -> None:
    week = ShardedWeek(shards=SHARDS, buckets=BUCKETS, top_size=100)

    assert week.standings(10, "ada") == Standings(learners=0, entries=(), learner=None)


def test_negative_week_xp_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        record(Bucket(), Histogram(), TopList(), "ada", -1)


def test_a_shard_answers_at_most_its_top_list_size() -> None:
    with pytest.raises(ValueError, match="limit"):
        shard_standings(Histogram(), TopList(), limit=101)


def test_stored_values_survive_json_unchanged() -> None:
    bucket, histogram = Bucket({"ada": 40, "bob": 7}), Histogram({40: 1, 7: 1})
    top, answer = TopList((("ada", 40), ("bob", 7))), ShardStandings((("ada", 40),), 2, 1, 7)

    assert Bucket.from_dict(_json(bucket.to_dict())) == bucket
    assert Histogram.from_dict(_json(histogram.to_dict())) == histogram
    assert TopList.from_dict(_json(top.to_dict())) == top
    assert ShardStandings.from_dict(_json(answer.to_dict())) == answer


def test_shard_and_bucket_of_a_learner_never_change_because_they_are_stored_layout() -> None:
    # pinned: another hash (or Python's salted hash()) would move learners away from their stored XP
    assert [shard_of(learner) for learner in ("ada", "bob", "learner-000001")] == [22, 21, 19]
    assert [bucket_of(learner) for learner in ("ada", "bob", "learner-000001")] == [37, 37, 39]


def test_learners_spread_evenly_over_shards_and_buckets() -> None:
    learners = [f"learner-{i:06d}" for i in range(64_000)]
    per_shard = [0] * SHARDS
    per_bucket = [0] * BUCKETS
    for learner in learners:
        per_shard[shard_of(learner)] += 1
        per_bucket[bucket_of(learner)] += 1

    assert max(per_shard) < 1.15 * len(learners) / SHARDS
    assert max(per_bucket) < 1.15 * len(learners) / BUCKETS
