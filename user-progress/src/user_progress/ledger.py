"""How a learner's progress is laid out in the state store, and the change each request makes to it.

Every value is bounded, whatever the learner's history (each key is per learner: the learner's actor
keeps them as plain keys ``learner~<id>~<key>``, see ``adapters/learner_keys.py``):

==========================  ============================================================  ==========
key                         what                                                          bound
==========================  ============================================================  ==========
``snapshot``                the fold (domain/fold.py) of every event, what was announced,  ~15 KB (+10 KB
                            the late-event horizon, the months that have log/day/lesson   if the last event
                            values                                                        has 50 items)
``checkpoint``              the fold of the events before the horizon                     ~15 KB
``daystart``                the fold of the events before the newest event's UTC day      ~15 KB
``id-<sha256>``             one per event id: its fingerprint (idempotency, forever)      ~200 B
``log-YYYY-MM-DD``          the events of one UTC day, in time order                      MAX_EVENTS_PER_DAY,
                                                                                          MAX_LOG_DAY_BYTES
``logdays-YYYY-MM``         which UTC days of a month have a log value                    31 dates
``days-YYYY-MM``            closed local days: rollup + XP total and streak after each    31 days
``lessons-YYYY-MM``         lessons generated for the learner in a UTC month              MAX_LESSONS_PER_MONTH
==========================  ============================================================  ==========

An event in time order (the usual case) is folded onto the snapshot: a bounded read and write. A
late event is folded exactly by folding the events from an earlier fold on again: from ``daystart``
when it falls on the newest event's UTC day (most late events: concurrent requests of one learner
racing each other), so one day of log is read and folded again; otherwise from the checkpoint, with
the log from the horizon on (at most ~31 days). Both give the same values (a property test holds
them to it); the checkpoint path is the reference. An event more than LATE_HORIZON older than the
learner's newest one is refused (``too-late``) unless it is a redelivery. As the newest event moves
on, the horizon follows it and the checkpoint folds the days it leaves behind.

A late event a few positions behind the newest (the usual race) is cheaper still: the learner's actor
keeps in memory, never stored, the folds after the newest day's last RECENT_FOLDS events
(:class:`RecentFolds`, handed to :func:`record` and returned updated), and the events from the late
one on are folded again onto the fold right before it: its cost grows with how far behind it is, not
with the day. They are used only when they end at the stored snapshot and that fold's newest event
and count are the log's at its place, else the day start is; a learner keeps them only once it has
had a late event, an event in time order appends one, and a new UTC day starts them over. Same values
again (property test: with and without them, stale ones after failed commits included).

The functions here are pure apart from reading values through a :class:`Reader`; they return the
values to write, which the actor saves in one state transaction together with its outbox.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, Protocol

from user_progress.domain.achievements import CATALOG, Achievement
from user_progress.domain.events import LearningEvent, as_datetime
from user_progress.domain.fold import ClosedDay, Folded, LearnerFold, fold_event, fold_events
from user_progress.domain.learner import LearnerRecord

SNAPSHOT_KEY = "snapshot"
CHECKPOINT_KEY = "checkpoint"
DAY_START_KEY = "daystart"
#: The first release kept every event of a learner in this one value; converted on first touch.
LEGACY_RECORD_KEY = "record"
LATE_HORIZON = timedelta(days=30)
MAX_EVENTS_PER_DAY = 500
#: A day's log value stays under this size whatever its events carry (an event with 50 item results
#: is ~10 KB, one without ~300 B: a day of those never reaches it).
MAX_LOG_DAY_BYTES = 240 * 1024
MAX_LESSONS_PER_MONTH = 2000
#: Events per page of the log (whole UTC days, so a page may hold up to a day more), and the size
#: that also ends a page (events with item results are larger): a page stays under ~1.3 MB.
LOG_PAGE_EVENTS = 1000
LOG_PAGE_BYTES = 1024 * 1024
#: The stored form and the rules it was folded under: a snapshot of another version is folded again
#: from the log on first touch (3: the rules of issue 9 - daily reviews, banked freezes, ungraded lessons).
LAYOUT_VERSION = 3
#: Folds a learner's actor keeps in memory after the newest UTC day's latest events (never stored):
#: a late event fewer than this many events behind the newest is folded again from the one before it.
#: 32 covers the requests one learner has in flight at once (the benchmark's hot learner runs 32
#: clients). Consecutive folds share most of their parts: 32 of them hold ~140 KB for a learner of
#: five topics (tracemalloc), ~9 KB more each whose event carries 50 item results.
RECENT_FOLDS = 32


class Reader(Protocol):
    async def get(self, key: str) -> Any | None: ...


def id_key(event_id: str) -> str:
    return f"id-{hashlib.sha256(event_id.encode()).hexdigest()[:40]}"


def log_key(day: date) -> str:
    return f"log-{day.isoformat()}"


def log_index_key(month: str) -> str:
    return f"logdays-{month}"


def days_key(month: str) -> str:
    return f"days-{month}"


def lessons_key(month: str) -> str:
    return f"lessons-{month}"


def month_of(day: date) -> str:
    return day.isoformat()[:7]


def day_start_of(at: datetime) -> datetime:
    """UTC midnight of the instant's UTC day."""
    return datetime.combine(at.astimezone(UTC).date(), time(), UTC)


def horizon_for(newest: datetime) -> datetime:
    """Events before this (UTC midnight, LATE_HORIZON before the newest event's day) are too late."""
    return datetime.combine(newest.astimezone(UTC).date() - LATE_HORIZON, time(), UTC)


@dataclass(frozen=True)
class Snapshot:
    fold: LearnerFold
    horizon: datetime
    announced: dict[str, datetime] = field(default_factory=dict)
    lessons_assigned: int = 0
    log_months: tuple[str, ...] = ()
    day_months: tuple[str, ...] = ()
    lesson_months: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LAYOUT_VERSION,
            "fold": self.fold.to_dict(),
            "horizon": self.horizon.isoformat(),
            "announced": {key: value.isoformat() for key, value in self.announced.items()},
            "lessons_assigned": self.lessons_assigned,
            "log_months": list(self.log_months),
            "day_months": list(self.day_months),
            "lesson_months": list(self.lesson_months),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            fold=LearnerFold.from_dict(data["fold"]),
            horizon=as_datetime(data["horizon"]),
            announced={key: as_datetime(value) for key, value in data["announced"].items()},
            lessons_assigned=data["lessons_assigned"],
            log_months=tuple(data["log_months"]),
            day_months=tuple(data["day_months"]),
            lesson_months=tuple(data["lesson_months"]),
        )


def _with(months: tuple[str, ...], month: str) -> tuple[str, ...]:
    return months if month in months else tuple(sorted({*months, month}))


class Overlay:
    """Reads through pending changes first, so a plan sees its own writes."""

    def __init__(self, reader: Reader, changes: dict[str, Any]) -> None:
        self.reader, self.changes = reader, changes

    async def get(self, key: str) -> Any | None:
        if key in self.changes:
            return self.changes[key]
        return await self.reader.get(key)


# ----------------------------------------------------------------------------------------- reading
async def load_snapshot(reader: Reader) -> Snapshot | None:
    raw = await reader.get(SNAPSHOT_KEY)
    return Snapshot.from_dict(raw) if raw else None


async def read_log(
    reader: Reader, snapshot: Snapshot, since: datetime | None = None, until: datetime | None = None
) -> AsyncIterator[LearningEvent]:
    """The learner's events in time order, one UTC day value at a time (``since``: from that instant;
    ``until``: before that one). Days outside them are not read at all."""
    first_day = since.astimezone(UTC).date() if since else date.min
    # the day of the last instant before ``until``: a horizon is a UTC midnight, whose day is not read
    last_day = (until - timedelta.resolution).astimezone(UTC).date() if until else date.max
    first_month, last_month = month_of(first_day), month_of(last_day)
    for month in snapshot.log_months:
        if not first_month <= month <= last_month:
            continue
        for day in map(date.fromisoformat, await reader.get(log_index_key(month)) or []):
            if not first_day <= day <= last_day:
                continue
            for raw in await reader.get(log_key(day)) or []:
                event = LearningEvent.from_log(snapshot.fold.learner_id, raw)
                if (since is None or event.completed_at >= since) and (until is None or event.completed_at < until):
                    yield event


def logged_size(logged: Any) -> int:
    """The size of a log value (or of one logged event) as stored: its JSON."""
    return len(json.dumps(logged))


async def log_page(
    reader: Reader,
    snapshot: Snapshot | None,
    cursor: date | None,
    page_events: int = LOG_PAGE_EVENTS,
    page_bytes: int = LOG_PAGE_BYTES,
) -> tuple[list[LearningEvent], date | None]:
    """A page of the log from UTC day ``cursor`` on: whole days in time order, ending after the day
    that reaches ``page_events`` events or ``page_bytes``, and the day the next page starts on
    (None: the last page)."""
    if snapshot is None:
        return [], None
    since = datetime.combine(cursor, time(), UTC) if cursor else None
    events: list[LearningEvent] = []
    size = 0
    async for event in read_log(reader, snapshot, since=since):
        day = event.completed_at.astimezone(UTC).date()
        full = len(events) >= page_events or size >= page_bytes
        if full and day != events[-1].completed_at.astimezone(UTC).date():
            return events, day
        events.append(event)
        size += logged_size(event.to_log())
    return events, None


async def lessons_page(
    reader: Reader, snapshot: Snapshot | None, cursor: str | None
) -> tuple[dict[str, dict[str, str]], str | None]:
    """The lessons of the first month from ``cursor`` (``YYYY-MM``) on that has any, and the next such month."""
    months = [month for month in (snapshot.lesson_months if snapshot else ()) if month >= (cursor or "")]
    if not months:
        return {}, None
    lessons = await reader.get(lessons_key(months[0])) or {}
    return lessons, months[1] if len(months) > 1 else None


async def day_records(reader: Reader, snapshot: Snapshot, start: date, end: date) -> list[ClosedDay]:
    """Every active local day in [start, end] with where the learner stood after it, plus the last
    active day before ``start`` (if any): what history and statistics need, from at most a year's
    day values."""
    months = [month for month in snapshot.day_months if month_of(start) <= month <= month_of(end)]
    earlier = [month for month in snapshot.day_months if month < month_of(start)]
    records: list[ClosedDay] = []
    for month in ([earlier[-1]] if earlier else []) + months:
        chunk = await reader.get(days_key(month)) or {}
        records += [ClosedDay.from_dict(raw) for raw in chunk.values()]
    records += snapshot.fold.open_standings()
    records.sort(key=lambda record: record.rollup.date)
    before = [record for record in records if record.rollup.date < start]
    return before[-1:] + [record for record in records if start <= record.rollup.date <= end]


# ----------------------------------------------------------------------------------------- changes
Outcome = Literal["recorded", "duplicate", "conflict", "too-late", "day-full"]


@dataclass(frozen=True)
class RecentFolds:
    """The folds after each of the latest events of the learner's newest UTC day (``day``: its UTC
    midnight), oldest first, at most RECENT_FOLDS: held in memory by the learner's actor from call to
    call, never stored. Only folds of what is stored may be handed to :func:`record`: the actor keeps
    the ones it returns only once its transaction committed and forgets them on any failure;
    :func:`record` checks what it can as well (:func:`_recent_fold_before`)."""

    day: datetime
    folds: tuple[LearnerFold, ...]


@dataclass(frozen=True)
class Recording:
    """What recording one event did: the outcome, the learner after it, the values to write, and
    the recent folds after it (the ones handed in when nothing is written)."""

    outcome: Outcome
    snapshot: Snapshot | None
    before: LearnerFold | None = None
    newly_unlocked: tuple[Achievement, ...] = ()
    changes: dict[str, Any] = field(default_factory=dict)
    recent: RecentFolds | None = None


def keys_record_reads(event: LearningEvent) -> list[str]:
    """What :func:`record` reads for ``event`` in the usual cases, for a caller to read them ahead in
    one exchange: the snapshot, the event's id and day; for a learner's first event of a day, that
    month's index of days and the checkpoint (the horizon moves); for a learner with no snapshot,
    the first release's record."""
    day = event.completed_at.astimezone(UTC).date()
    return [
        SNAPSHOT_KEY,
        LEGACY_RECORD_KEY,
        CHECKPOINT_KEY,
        id_key(event.event_id),
        log_key(day),
        log_index_key(month_of(day)),
    ]


async def record(reader: Reader, learner_id: str, event: LearningEvent, recent: RecentFolds | None = None) -> Recording:
    """Records one event. The same event again is a ``duplicate`` and writes nothing; the same id
    with another body is a ``conflict``; an event before the horizon is ``too-late``. ``recent``:
    the recent folds the last recording returned, if its changes were committed."""
    snapshot = await load_snapshot(reader)
    seen = await reader.get(id_key(event.event_id))
    if seen is not None:
        outcome: Outcome = "duplicate" if seen["fingerprint"] == event.fingerprint() else "conflict"
        return Recording(outcome, snapshot, recent=recent)
    if snapshot is not None and event.completed_at < snapshot.horizon:
        return Recording("too-late", snapshot, recent=recent)
    changes: dict[str, Any] = {}
    view = Overlay(reader, changes)
    day = event.completed_at.astimezone(UTC).date()
    chunk: list[dict[str, Any]] = list(await reader.get(log_key(day)) or [])
    if len(chunk) >= MAX_EVENTS_PER_DAY or logged_size([*chunk, event.to_log()]) > MAX_LOG_DAY_BYTES:
        return Recording("day-full", snapshot, recent=recent)
    if snapshot is None or snapshot.fold.last_event is None:  # the first event (maybe after lessons)
        start = snapshot or Snapshot(LearnerFold(learner_id), horizon_for(event.completed_at))
        snapshot = replace(start, horizon=horizon_for(event.completed_at))
        changes[CHECKPOINT_KEY] = {"until": snapshot.horizon.isoformat(), "fold": LearnerFold(learner_id).to_dict()}
    before = snapshot.fold
    changes[id_key(event.event_id)] = {"event_id": event.event_id, "fingerprint": event.fingerprint()}
    snapshot = await _append_to_log(view, snapshot, event, chunk)
    if before.follows(event):
        step = fold_event(before, event)
        if before.last_event is None or day_start_of(before.last_event.completed_at) < day_start_of(event.completed_at):
            changes[DAY_START_KEY] = _day_start_value(day_start_of(event.completed_at), before)
        snapshot = await _write_closed_days(view, snapshot, step.closed)
        recent = _followed(recent, before, step.fold)
    else:
        step, refolded_from, recent = await _refold(view, snapshot, before, event, recent)
        snapshot = await _write_closed_days(
            view, snapshot, step.closed, refolded_after=refolded_from.closed.streak.last_active_date or date.min
        )
    snapshot = replace(snapshot, fold=step.fold)
    snapshot = await _advance_horizon(view, snapshot)
    fresh = tuple(a for a in CATALOG if a.id in step.fold.unlocked and a.id not in snapshot.announced)
    snapshot = replace(snapshot, announced={**snapshot.announced, **{a.id: step.fold.unlocked[a.id] for a in fresh}})
    changes[SNAPSHOT_KEY] = snapshot.to_dict()
    return Recording("recorded", snapshot, before, fresh, changes, recent)


def _followed(recent: RecentFolds | None, before: LearnerFold, fold: LearnerFold) -> RecentFolds | None:
    """The recent folds after an event in time order: ``fold`` appended, or alone when the event
    opens a new UTC day or the recent folds do not end at ``before``. None stays None: a learner
    keeps recent folds only once it has had a late event."""
    if recent is None:
        return None
    assert fold.last_event is not None
    day = day_start_of(fold.last_event.completed_at)
    if recent.day == day and _same_fold_position(recent.folds[-1], before):
        return RecentFolds(day, (*recent.folds, fold)[-RECENT_FOLDS:])
    return RecentFolds(day, (fold,))


def _same_fold_position(fold: LearnerFold, other: LearnerFold) -> bool:
    """Whether two folds are the same: the same newest event and number of events is not enough, as
    two failed commits can cancel out (one lost after its folds were kept, one stored after they
    were not: the count is right, one event is not; Hypothesis found it)."""
    return fold.last_event == other.last_event and fold.events == other.events and fold == other


async def _append_to_log(
    view: Overlay, snapshot: Snapshot, event: LearningEvent, chunk: list[dict[str, Any]]
) -> Snapshot:
    day = event.completed_at.astimezone(UTC).date()
    at = len(chunk) - len(_logged_after(snapshot.fold.learner_id, chunk, event))
    view.changes[log_key(day)] = [*chunk[:at], event.to_log(), *chunk[at:]]  # at the end: the usual case
    if chunk:
        return snapshot
    month = month_of(day)
    index = list(await view.get(log_index_key(month)) or [])
    view.changes[log_index_key(month)] = sorted({*index, day.isoformat()})
    return replace(snapshot, log_months=_with(snapshot.log_months, month))


async def _write_closed_days(
    view: Overlay, snapshot: Snapshot, closed: Iterable[ClosedDay], refolded_after: date | None = None
) -> Snapshot:
    """Stores closed days in their month's value. After a re-fold, the days it closed replace
    everything stored after ``refolded_after`` (the checkpoint's last closed day): a late event
    can move later events to other local days."""
    by_month: dict[str, dict[str, Any]] = {}
    if refolded_after is not None:
        cutoff = refolded_after.isoformat()
        for month in snapshot.day_months:
            if month >= month_of(refolded_after):
                stored = await view.get(days_key(month)) or {}
                by_month[month] = {day: raw for day, raw in stored.items() if day <= cutoff}
    for record in closed:
        month = month_of(record.rollup.date)
        if month not in by_month:
            by_month[month] = dict(await view.get(days_key(month)) or {})
        by_month[month][record.rollup.date.isoformat()] = record.to_dict()
    months = set(snapshot.day_months)
    for month, days in by_month.items():
        view.changes[days_key(month)] = dict(sorted(days.items())) if days else None
        months = months | {month} if days else months - {month}
    return replace(snapshot, day_months=tuple(sorted(months)))


def _logged_after(learner_id: str, logged: list[dict[str, Any]], event: LearningEvent) -> list[LearningEvent]:
    """The events of a day's log (in time order) that sort after ``event``, read from the end: an
    event k positions behind the newest costs k events read, not the day."""
    after: list[LearningEvent] = []
    for raw in reversed(logged):
        later = LearningEvent.from_log(learner_id, raw)
        if later.sort_key <= event.sort_key:
            break
        after.append(later)
    return after[::-1]


def _day_start_value(day_start: datetime, fold: LearnerFold) -> dict[str, Any]:
    return {"from": day_start.isoformat(), "fold": fold.to_dict()}


async def _refold(
    view: Overlay, snapshot: Snapshot, before: LearnerFold, event: LearningEvent, recent: RecentFolds | None
) -> tuple[Folded, LearnerFold, RecentFolds]:
    """A late event (already in the log) folded exactly, the fold the re-fold started from, and the
    recent folds after it.

    When it falls on the newest event's UTC day, the events from it on are folded again onto the
    recent fold right before it, if ``recent`` holds one that agrees with the log. Otherwise the
    events of that day are folded again onto the stored fold of the days before, if that value is
    for this day and accounts for every event (its events plus the day's logged ones are the
    learner's plus the late one: it was written by this rule, not before a release that did not keep
    it). Otherwise the reference: the events from the horizon on, onto the checkpoint, storing the
    day start on the way. Each keeps the folds after the newest day's last RECENT_FOLDS events.
    """
    assert before.last_event is not None
    newest_day = day_start_of(before.last_event.completed_at)
    if event.completed_at >= newest_day:
        if recent is not None and recent.day == newest_day:
            logged: list[dict[str, Any]] = await view.get(log_key(newest_day.date())) or []
            after = _logged_after(before.learner_id, logged, event)
            at = _recent_fold_before(recent, before, logged, after)
            if at is not None:
                start = recent.folds[at]
                step = fold_events(start, [event, *after], keep=RECENT_FOLDS)
                return step, start, RecentFolds(newest_day, (*recent.folds[: at + 1], *step.recent)[-RECENT_FOLDS:])
        stored = await view.get(DAY_START_KEY)
        if stored is not None and as_datetime(stored["from"]) == newest_day:
            start = LearnerFold.from_dict(stored["fold"])
            that_day = [logged async for logged in read_log(view, snapshot, since=newest_day)]
            if start.events + len(that_day) == before.events + 1:
                step = fold_events(start, that_day, keep=RECENT_FOLDS)
                return step, start, RecentFolds(newest_day, step.recent)
    checkpoint = await _checkpoint(view)
    window = [logged async for logged in read_log(view, snapshot, since=snapshot.horizon)]
    days_before = fold_events(checkpoint, [logged for logged in window if logged.completed_at < newest_day])
    that_day_again = fold_events(
        days_before.fold, [logged for logged in window if logged.completed_at >= newest_day], keep=RECENT_FOLDS
    )
    view.changes[DAY_START_KEY] = _day_start_value(newest_day, days_before.fold)
    folded = Folded(that_day_again.fold, days_before.closed + that_day_again.closed)
    return folded, checkpoint, RecentFolds(newest_day, that_day_again.recent)


def _recent_fold_before(
    recent: RecentFolds, before: LearnerFold, logged: list[dict[str, Any]], after: list[LearningEvent]
) -> int | None:
    """Where in ``recent`` the fold right before a late event is (the fold after the last logged
    event that sorts before it), if they reach back that far and agree with what is stored: they end
    at the snapshot's fold, and that one's newest event and count of events are the log's at its
    place. ``logged``: the newest day's log with the late event, ``after``: its events after it.

    A fold kept after a commit that did not happen, or missing an event a failed commit did store,
    counts one event too many or too few from there on (two such failures can cancel out in the
    count, not in the fold, which must equal the snapshot's); days closed before that fold are stored as
    it closed them, so the re-fold from it writes what the re-fold from the day start writes."""
    at = len(recent.folds) - 1 - len(after)
    late_at = len(logged) - 1 - len(after)
    if at < 0 or late_at < 1 or not _same_fold_position(recent.folds[-1], before):
        return None
    start = recent.folds[at]
    previous = LearningEvent.from_log(before.learner_id, logged[late_at - 1])
    return at if start.last_event == previous and start.events == before.events - len(after) else None


async def _checkpoint(view: Overlay) -> LearnerFold:
    """The fold of the log below the horizon (written with the learner's first event)."""
    stored = await view.get(CHECKPOINT_KEY)
    if stored is None:
        raise LookupError(f"the learner has a snapshot but no {CHECKPOINT_KEY!r}")
    return LearnerFold.from_dict(stored["fold"])


async def _advance_horizon(view: Overlay, snapshot: Snapshot) -> Snapshot:
    """Moves the horizon up to the newest event: the checkpoint folds the log it leaves behind."""
    assert snapshot.fold.last_event is not None
    horizon = horizon_for(snapshot.fold.last_event.completed_at)
    if horizon <= snapshot.horizon:
        return snapshot
    checkpoint = await _checkpoint(view)
    leaving = [e async for e in read_log(view, snapshot, since=snapshot.horizon, until=horizon)]
    checkpoint = fold_events(checkpoint, leaving).fold
    view.changes[CHECKPOINT_KEY] = {"until": horizon.isoformat(), "fold": checkpoint.to_dict()}
    return replace(snapshot, horizon=horizon)


async def assign_lesson(
    reader: Reader, learner_id: str, lesson_id: str, topic: str, at: datetime
) -> tuple[Snapshot | None, dict[str, Any]]:
    """Remembers a lesson generated for the learner (idempotent on lesson_id): the snapshot after
    it and the values to write (none for a redelivery or a full month)."""
    snapshot = await load_snapshot(reader)
    month = month_of(at.astimezone(UTC).date())
    lessons = dict(await reader.get(lessons_key(month)) or {})
    if lesson_id in lessons or len(lessons) >= MAX_LESSONS_PER_MONTH:
        return snapshot, {}
    lessons[lesson_id] = {"topic": topic, "assigned_at": at.isoformat()}
    if snapshot is None:
        snapshot = Snapshot(LearnerFold(learner_id), datetime.min.replace(tzinfo=UTC))
    snapshot = replace(
        snapshot,
        lessons_assigned=snapshot.lessons_assigned + 1,
        lesson_months=_with(snapshot.lesson_months, month),
    )
    return snapshot, {lessons_key(month): lessons, SNAPSHOT_KEY: snapshot.to_dict()}


async def read_lessons(reader: Reader, snapshot: Snapshot) -> AsyncIterator[tuple[str, dict[str, str]]]:
    for month in snapshot.lesson_months:
        for lesson_id, lesson in (await reader.get(lessons_key(month)) or {}).items():
            yield lesson_id, lesson


# --------------------------------------------------------------------------------------- conversion
async def conversion(reader: Reader) -> list[dict[str, Any]]:
    """The writes that bring a learner stored in an earlier form up to date, in batches (none when
    the learner is current or unknown): a learner of the first release (one value with every event),
    or a snapshot folded under earlier rules, which is folded again from the log."""
    raw = await reader.get(SNAPSHOT_KEY)
    if raw is not None:
        return [] if raw.get("version") == LAYOUT_VERSION else await refold(reader, raw)
    legacy = await reader.get(LEGACY_RECORD_KEY)
    return migrate(legacy) if legacy is not None else []


async def refold(reader: Reader, raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A snapshot written under earlier rules (or layout version), folded again from the learner's
    log: the snapshot, the checkpoint and every closed day are derived again; the log, the ids and the
    lessons stay; achievements already announced stay announced. The snapshot goes last, so a
    refold cut short is redone."""
    learner_id = raw["fold"]["learner_id"]
    stored = Snapshot(
        fold=LearnerFold(learner_id),
        horizon=as_datetime(raw["horizon"]),
        announced={key: as_datetime(value) for key, value in raw["announced"].items()},
        lessons_assigned=raw["lessons_assigned"],
        log_months=tuple(raw["log_months"]),
        day_months=tuple(raw["day_months"]),
        lesson_months=tuple(raw["lesson_months"]),
    )
    events = [event async for event in read_log(reader, stored)]
    batches = _derived(learner_id, events, stored)
    batches[-1].update({days_key(month): None for month in stored.day_months if month not in _day_months(batches)})
    return batches


def _day_months(batches: list[dict[str, Any]]) -> set[str]:
    return {key.removeprefix("days-") for batch in batches for key in batch if key.startswith("days-")}


def _derived(learner_id: str, events: list[LearningEvent], base: Snapshot) -> list[dict[str, Any]]:
    """Everything derived from a learner's events (in time order): the closed days by month, then
    the checkpoint and the snapshot (``base`` gives what is not derived: announced, lessons, months)."""
    horizon = horizon_for(events[-1].completed_at) if events else base.horizon
    newest_day = day_start_of(events[-1].completed_at) if events else horizon
    before = fold_events(LearnerFold(learner_id), [event for event in events if event.completed_at < horizon])
    days_before = fold_events(before.fold, [event for event in events if horizon <= event.completed_at < newest_day])
    after = fold_events(days_before.fold, [event for event in events if event.completed_at >= newest_day])
    day_months: dict[str, dict[str, Any]] = {}
    for closed in (*before.closed, *days_before.closed, *after.closed):
        day_months.setdefault(month_of(closed.rollup.date), {})[closed.rollup.date.isoformat()] = closed.to_dict()
    batches: list[dict[str, Any]] = [{}]
    for month, days in sorted(day_months.items()):
        if len(batches[-1]) >= 12:
            batches.append({})
        batches[-1][days_key(month)] = days
    # announced stays as stored: an achievement the rules unlock now is announced by the next event
    snapshot = replace(base, fold=after.fold, horizon=horizon, day_months=tuple(sorted(day_months)))
    batches.append(
        {
            CHECKPOINT_KEY: {"until": horizon.isoformat(), "fold": before.fold.to_dict()},
            DAY_START_KEY: _day_start_value(newest_day, days_before.fold) if events else None,
            SNAPSHOT_KEY: snapshot.to_dict(),
        }
    )
    return [batch for batch in batches if batch]


#: A relocation batch holds at most this many values, or this many bytes of them (one more value
#: may pass the bytes: a log day is at most MAX_LOG_DAY_BYTES).
RELOCATION_BATCH_KEYS = 400
RELOCATION_BATCH_BYTES = 1024 * 1024


async def relocation(source: Reader) -> list[dict[str, Any]]:
    """Every value of a learner read from ``source`` (where an earlier release kept it: the actor's
    own state), as writes in batches, the snapshot last (a move cut short is redone). The ``id-``
    keys cannot be listed; they are named again from the log, each as :func:`record` wrote it. A
    first-release learner is its one value, converted afterwards (:func:`conversion`). Nothing for
    a learner ``source`` does not know. Values of any layout version are moved as stored."""
    raw = await source.get(SNAPSHOT_KEY)
    if raw is None:
        legacy = await source.get(LEGACY_RECORD_KEY)
        return [{LEGACY_RECORD_KEY: legacy}] if legacy is not None else []
    batches: list[dict[str, Any]] = [{}]
    size = 0

    def put(key: str, value: Any) -> None:
        nonlocal size
        if value is None:
            return
        if len(batches[-1]) >= RELOCATION_BATCH_KEYS or size >= RELOCATION_BATCH_BYTES:
            batches.append({})
            size = 0
        batches[-1][key] = value
        size += logged_size(value)

    learner_id = raw["fold"]["learner_id"]
    for key in (CHECKPOINT_KEY, DAY_START_KEY):
        put(key, await source.get(key))
    for month in raw["log_months"]:
        days = await source.get(log_index_key(month))
        put(log_index_key(month), days)
        for day in days or []:
            logged = await source.get(log_key(date.fromisoformat(day)))
            put(log_key(date.fromisoformat(day)), logged)
            for event in (LearningEvent.from_log(learner_id, entry) for entry in logged or []):
                put(id_key(event.event_id), {"event_id": event.event_id, "fingerprint": event.fingerprint()})
    for month in raw["day_months"]:
        put(days_key(month), await source.get(days_key(month)))
    for month in raw["lesson_months"]:
        put(lessons_key(month), await source.get(lessons_key(month)))
    batches.append({SNAPSHOT_KEY: raw})
    return [batch for batch in batches if batch]


def migrate(legacy: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A learner stored by the first release (one value with every event) in today's layout: the
    values to write, in batches that each stay well under the sidecar's request limit. The last
    batch writes the snapshot and removes the old value, so a migration cut short is redone."""
    old = LearnerRecord.from_dict(dict(legacy))
    events = sorted(old.events.values(), key=lambda event: event.sort_key)
    batches: list[dict[str, Any]] = [{}]

    def put(key: str, value: Any) -> None:
        if len(batches[-1]) >= 400:
            batches.append({})
        batches[-1][key] = value

    for event in events:
        put(id_key(event.event_id), {"event_id": event.event_id, "fingerprint": event.fingerprint()})
    by_day: dict[date, list[dict[str, Any]]] = {}
    for event in events:
        by_day.setdefault(event.completed_at.astimezone(UTC).date(), []).append(event.to_log())
    for day, logged in by_day.items():
        put(log_key(day), logged)
    months: dict[str, list[str]] = {}
    for day in by_day:
        months.setdefault(month_of(day), []).append(day.isoformat())
    for month, days in months.items():
        put(log_index_key(month), sorted(days))
    lessons: dict[str, dict[str, Any]] = {}
    for lesson_id, lesson in old.lessons_assigned.items():
        lessons.setdefault(month_of(as_datetime(lesson["assigned_at"]).astimezone(UTC).date()), {})[lesson_id] = lesson
    for month, chunk in lessons.items():
        put(lessons_key(month), chunk)
    base = Snapshot(
        fold=LearnerFold(old.learner_id),
        horizon=datetime.min.replace(tzinfo=UTC),
        announced=dict(old.announced),
        lessons_assigned=len(old.lessons_assigned),
        log_months=tuple(sorted(months)),
        lesson_months=tuple(sorted(lessons)),
    )
    derived = _derived(old.learner_id, events, base)
    derived[-1][LEGACY_RECORD_KEY] = None
    return [batch for batch in batches if batch] + derived
