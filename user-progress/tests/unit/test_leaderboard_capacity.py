"""No leaderboard value the service stores reaches 256 KB, even for a week of 200,000 learners.

The week is seeded through the domain's ``record`` (what ``LeaderboardActor.RecordWeekXp`` calls), and
every value is measured serialized exactly as the actor's state serializer writes it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from learnflow_common.dapr.actors import PLAIN_JSON
from user_progress.adapters.leaderboard import HISTOGRAM_KEY, TOP_KEY, bucket_key
from user_progress.domain.leaderboard import (
    BUCKETS,
    SHARDS,
    TOP_SIZE,
    Bucket,
    Histogram,
    TopList,
    bucket_of,
    merge_standings,
    record,
    reference_standings,
    shard_of,
    shard_standings,
)

LIMIT = 256 * 1024
WEEK_OF_LEARNERS = 200_000


def _learner(number: int) -> str:
    """The longest learner id the API accepts (128 characters)."""
    return f"learner-{number:06d}-".ljust(128, "x")


def _stored_sizes(value: Any) -> int:
    """Bytes of the value as the actor stores it (compact JSON), or as JSON with spaces (how
    PostgreSQL prints JSONB), whichever is larger."""
    return max(len(PLAIN_JSON.serialize(value)), len(json.dumps(value).encode()))


@dataclass
class Week:
    """The values of a week's shard actors, under the actor's own state keys."""

    buckets: dict[tuple[int, str], Bucket] = field(default_factory=dict)
    histograms: dict[int, Histogram] = field(default_factory=dict)
    tops: dict[int, TopList] = field(default_factory=dict)
    best: dict[str, int] = field(default_factory=dict)

    def record(self, learner: str, xp: int) -> None:
        shard, key = shard_of(learner), bucket_key(bucket_of(learner))
        change = record(
            self.buckets.get((shard, key), Bucket()),
            self.histograms.get(shard, Histogram()),
            self.tops.get(shard, TopList()),
            learner,
            xp,
        )
        if change.bucket is not None:
            self.buckets[shard, key] = change.bucket
        if change.histogram is not None:
            self.histograms[shard] = change.histogram
        if change.top is not None:
            self.tops[shard] = change.top
        self.best[learner] = max(xp, self.best.get(learner, xp))

    def stored(self) -> dict[tuple[int, str], Any]:
        """Every state value, as the actor hands it to the state manager."""
        return {
            **{key: bucket.to_dict() for key, bucket in self.buckets.items()},
            **{(shard, HISTOGRAM_KEY): histogram.to_dict() for shard, histogram in self.histograms.items()},
            **{(shard, TOP_KEY): top.to_dict() for shard, top in self.tops.items()},
        }


@pytest.fixture(scope="module")
def week_of_200k_learners() -> Week:
    """Every learner reports its week XP once, some again later with more, some redelivered."""
    rng = random.Random(47)
    week = Week()
    for number in range(WEEK_OF_LEARNERS):
        xp = rng.randint(0, 3000)
        week.record(_learner(number), xp)
        if number % 10 == 0:
            week.record(_learner(number), min(3000, xp + rng.randint(0, 200)))  # a later event
        if number % 25 == 0:
            week.record(_learner(number), xp)  # a redelivery arriving late
    return week


def test_every_value_of_a_week_of_200k_learners_stays_under_256_kb(week_of_200k_learners: Week) -> None:
    sizes = {key: _stored_sizes(value) for key, value in week_of_200k_learners.stored().items()}

    biggest = max(sizes, key=sizes.__getitem__)
    assert sizes[biggest] < LIMIT, f"{biggest} is {sizes[biggest]} bytes"
    assert len(sizes) == SHARDS * (BUCKETS + 2)


def test_a_week_of_200k_learners_ranks_like_ranking_everyone(week_of_200k_learners: Week) -> None:
    def standings(limit: int, learner: str) -> Any:
        week, own = week_of_200k_learners, shard_of(learner)
        learner_xp = week.buckets[own, bucket_key(bucket_of(learner))].scores.get(learner)
        answers = [
            shard_standings(
                week.histograms[shard],
                week.tops[shard],
                limit,
                learner_xp=learner_xp if shard == own else None,
                than=None if shard == own else learner_xp,
            )
            for shard in range(SHARDS)
        ]
        return merge_standings(answers, limit, learner)

    for learner in (_learner(0), _learner(123_457), _learner(WEEK_OF_LEARNERS - 1)):
        assert standings(TOP_SIZE, learner) == reference_standings(week_of_200k_learners.best, TOP_SIZE, learner)


def test_documented_capacity_a_bucket_of_1850_learners_with_128_char_ids_is_under_256_kb() -> None:
    bucket = Bucket({_learner(number): 99_999 for number in range(1_850)})

    assert _stored_sizes(bucket.to_dict()) < LIMIT


def test_documented_capacity_a_histogram_of_16000_distinct_xp_values_is_under_256_kb() -> None:
    histogram = Histogram({xp: 99_999 for xp in range(16_000)})

    assert _stored_sizes(histogram.to_dict()) < LIMIT


def test_documented_capacity_a_full_top_list_with_128_char_ids_is_about_14_kb() -> None:
    top = TopList(tuple((_learner(number), 99_999) for number in range(TOP_SIZE)))

    assert _stored_sizes(top.to_dict()) < 15_000
