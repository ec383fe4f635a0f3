"""The weekly XP leaderboard, sharded so that no value is hot and none grows past a bound.

A week's standings come from ``learnflow.progress.updated.v1`` events, each carrying the learner's
cumulative XP in that week (``week_xp``). Keeping the **maximum** per learner makes a redelivered or
out-of-order event harmless: an older, smaller value never replaces a newer one, and the same value
twice changes nothing.

Layout of one week (all values are small, immutable, and JSON-safe through ``to_dict``/``from_dict``):

- the learners are split into ``SHARDS`` shards by a stable hash of the learner id (:func:`shard_of`);
  each shard is one actor, so writes to a week run on ``SHARDS`` actors in parallel;
- a shard keeps its learners' XP in ``BUCKETS`` :class:`Bucket` values ({learner: xp}), chosen by a
  second, independent hash (:func:`bucket_of`), so an update rewrites one small bucket;
- a :class:`Histogram` per shard ({xp: how many learners}) answers "how many learners have more XP"
  exactly, without reading any bucket;
- a :class:`TopList` per shard holds its best ``TOP_SIZE`` learners by (-xp, learner id). XP only
  rises, so a learner never needs to be pulled back into the list from outside: the list stays exactly
  the shard's top ``TOP_SIZE``.

Ranking is competition ranking: a learner's rank is 1 + the number of learners with strictly more XP,
so ties share a rank; the list is ordered by (-xp, learner id). A global top ``limit`` (``limit <=
TOP_SIZE``) is the merge of every shard's top ``limit``: a learner in it has fewer than ``limit``
learners above them anywhere, so each of those is in their own shard's top ``limit`` too.

The hashes, ``SHARDS`` and ``BUCKETS`` are part of the stored format: changing them moves learners
to other values, so a change needs a migration (or applies from a new week on).

Capacity (every stored value under 256 KB = 262,144 bytes, learner ids of 128 characters):

- a bucket entry is at most 128 + 2 quotes + ``": "`` + 5 digits + ``", "`` = 139 bytes, so a bucket
  holds 1,850 learners; with 32 x 64 = 2,048 buckets a week of 3,000,000 learners averages 1,465 per
  bucket and its fullest bucket (4 standard deviations above the mean) stays near 1,620. A week of
  200,000 learners puts about 100 learners in a bucket (the fullest ~140, ~19 KB).
- a histogram has one entry per distinct XP value in the shard (at most 16 bytes each), so it is
  bounded both by the XP range (under 256 KB while the week's highest XP is below 16,000, i.e. 800
  perfect-score activities in one week) and by the shard's learners (under 256 KB whatever the XP for
  weeks of up to 400,000 learners).
- a top list is ``TOP_SIZE`` entries of at most 141 bytes: about 14 KB whatever the week.

So a week holds about 3,000,000 learners (the buckets' bound) while its highest XP stays below
16,000 (the histograms' bound past 400,000 learners).

This module is pure: no I/O; :mod:`user_progress.adapters.leaderboard` stores and fetches the values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SHARDS = 32
BUCKETS = 64
TOP_SIZE = 100

Score = tuple[str, int]
"""(learner id, week XP)"""


def _stable_hash(learner_id: str, purpose: bytes) -> int:
    """Stable across processes and releases (unlike ``hash()``); ``purpose`` keeps the hashes independent."""
    return int.from_bytes(hashlib.blake2b(learner_id.encode(), digest_size=8, person=purpose).digest(), "big")


def shard_of(learner_id: str, shards: int = SHARDS) -> int:
    """The shard (0 .. shards - 1) that holds a learner, in every week."""
    return _stable_hash(learner_id, b"learnflow-shard") % shards


def bucket_of(learner_id: str, buckets: int = BUCKETS) -> int:
    """The bucket (0 .. buckets - 1) of a learner inside its shard; independent of :func:`shard_of`,
    so every shard spreads its learners evenly over its buckets."""
    return _stable_hash(learner_id, b"learnflow-bucket") % buckets


def _order(score: Score) -> tuple[int, str]:
    """Leaderboard order: more XP first, ties by learner id."""
    return -score[1], score[0]


@dataclass(frozen=True)
class Bucket:
    """Week XP of the learners of one shard whose :func:`bucket_of` is this bucket."""

    scores: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, int]:
        return dict(self.scores)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Bucket:
        return cls({learner: int(xp) for learner, xp in (raw or {}).items()})


@dataclass(frozen=True)
class Histogram:
    """How many learners of one shard have each XP value: learner count and ranks without the buckets."""

    counts: Mapping[int, int] = field(default_factory=dict)

    @property
    def learners(self) -> int:
        return sum(self.counts.values())

    def more_than(self, xp: int) -> int:
        """How many learners have strictly more XP than ``xp``."""
        return sum(count for value, count in self.counts.items() if value > xp)

    def moved(self, previous: int | None, xp: int) -> Histogram:
        """A learner's XP went from ``previous`` (``None``: new learner) to ``xp``."""
        counts = dict(self.counts)
        if previous is not None:
            counts[previous] -= 1
            if not counts[previous]:
                del counts[previous]
        counts[xp] = counts.get(xp, 0) + 1
        return Histogram(counts)

    def to_dict(self) -> dict[str, int]:
        """JSON object keys are strings."""
        return {str(xp): count for xp, count in self.counts.items()}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Histogram:
        return cls({int(xp): int(count) for xp, count in (raw or {}).items()})


@dataclass(frozen=True)
class TopList:
    """A shard's best learners in leaderboard order, at most ``TOP_SIZE`` (the size is the caller's)."""

    entries: tuple[Score, ...] = ()

    def raised(self, learner_id: str, xp: int, size: int = TOP_SIZE) -> TopList:
        """The list once ``learner_id``'s XP rose to ``xp``; ``self`` when the learner stays outside it."""
        others = tuple(entry for entry in self.entries if entry[0] != learner_id)
        outside = len(others) == len(self.entries)
        if outside and len(self.entries) >= size and _order((learner_id, xp)) > _order(self.entries[-1]):
            return self
        return TopList(tuple(sorted((*others, (learner_id, xp)), key=_order)[:size]))

    def to_dict(self) -> dict[str, Any]:
        return {"entries": [[learner, xp] for learner, xp in self.entries]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> TopList:
        return cls(tuple((str(learner), int(xp)) for learner, xp in (raw or {}).get("entries", [])))


@dataclass(frozen=True)
class Change:
    """What recording one week XP changes: each new value, or ``None`` where the stored one stays."""

    bucket: Bucket | None = None
    histogram: Histogram | None = None
    top: TopList | None = None

    @property
    def changed(self) -> bool:
        return self.bucket is not None


def record(
    bucket: Bucket, histogram: Histogram, top: TopList, learner_id: str, xp: int, top_size: int = TOP_SIZE
) -> Change:
    """Applies the max rule for one learner of this shard (``bucket`` must be the learner's bucket).

    XP at or below what is stored (a redelivery, an older event arriving late) changes nothing.
    """
    if xp < 0:
        raise ValueError(f"week XP cannot be negative: {xp}")
    previous = bucket.scores.get(learner_id)
    if previous is not None and xp <= previous:
        return Change()
    raised = top.raised(learner_id, xp, top_size)
    return Change(
        bucket=Bucket({**bucket.scores, learner_id: xp}),
        histogram=histogram.moved(previous, xp),
        top=raised if raised is not top else None,
    )


@dataclass(frozen=True)
class ShardStandings:
    """One shard's answer to a leaderboard query; :func:`merge_standings` combines them.

    ``more_xp`` counts this shard's learners with strictly more XP than the asked learner's, which is
    ``learner_xp`` in the learner's own shard and the XP passed in by the caller everywhere else.
    """

    top: tuple[Score, ...]
    learners: int
    more_xp: int = 0
    learner_xp: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "top": [[learner, xp] for learner, xp in self.top],
            "learners": self.learners,
            "more_xp": self.more_xp,
            "learner_xp": self.learner_xp,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ShardStandings:
        learner_xp = raw.get("learner_xp")
        return cls(
            top=tuple((str(learner), int(xp)) for learner, xp in raw["top"]),
            learners=int(raw["learners"]),
            more_xp=int(raw.get("more_xp", 0)),
            learner_xp=None if learner_xp is None else int(learner_xp),
        )


def shard_standings(
    histogram: Histogram,
    top: TopList,
    limit: int,
    learner_xp: int | None = None,
    than: int | None = None,
    top_size: int = TOP_SIZE,
) -> ShardStandings:
    """A shard's answer: its top ``limit``, its learner count, and how many of its learners have more
    XP than ``learner_xp`` (the asked learner is in this shard) or else ``than`` (the asked learner's
    XP, learned from their own shard)."""
    if not 1 <= limit <= top_size:
        raise ValueError(f"limit must be 1..{top_size}: {limit}")
    threshold = learner_xp if learner_xp is not None else than
    return ShardStandings(
        top=top.entries[:limit],
        learners=histogram.learners,
        more_xp=histogram.more_than(threshold) if threshold is not None else 0,
        learner_xp=learner_xp,
    )


@dataclass(frozen=True)
class Entry:
    rank: int
    learner_id: str
    xp: int

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "learner_id": self.learner_id, "xp": self.xp}


@dataclass(frozen=True)
class Standings:
    """A week's leaderboard: how many learners, the top entries, and the asked learner's entry."""

    learners: int
    entries: tuple[Entry, ...]
    learner: Entry | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "learners": self.learners,
            "entries": [entry.to_dict() for entry in self.entries],
            "learner": self.learner.to_dict() if self.learner else None,
        }


def _ranked(ordered: Iterable[Score]) -> tuple[Entry, ...]:
    """Competition ranks over scores already in leaderboard order (1, 2, 2, 4, ...)."""
    entries: list[Entry] = []
    for position, (learner, xp) in enumerate(ordered, 1):
        rank = entries[-1].rank if entries and entries[-1].xp == xp else position
        entries.append(Entry(rank, learner, xp))
    return tuple(entries)


def merge_standings(shards: Iterable[ShardStandings], limit: int, learner_id: str | None = None) -> Standings:
    """The week's standings from every shard's answer (each asked with the same ``limit``, and with
    ``than`` = the learner's XP when a learner was asked about)."""
    answers = list(shards)
    top = sorted((score for answer in answers for score in answer.top), key=_order)[:limit]
    learner_xp = next((answer.learner_xp for answer in answers if answer.learner_xp is not None), None)
    learner = None
    if learner_id is not None and learner_xp is not None:
        learner = Entry(1 + sum(answer.more_xp for answer in answers), learner_id, learner_xp)
    return Standings(learners=sum(answer.learners for answer in answers), entries=_ranked(top), learner=learner)


def reference_standings(scores: Mapping[str, int], limit: int, learner_id: str | None = None) -> Standings:
    """The obvious, slow answer: rank every learner. The sharded answer must always equal it."""
    everyone = _ranked(sorted(scores.items(), key=_order))
    learner = next((entry for entry in everyone if entry.learner_id == learner_id), None)
    return Standings(learners=len(everyone), entries=everyone[:limit], learner=learner)
