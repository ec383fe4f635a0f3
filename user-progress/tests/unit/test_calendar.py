"""Calendar days are the learner's own local dates, by the zone in effect at each event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from user_progress.domain.calendar import learner_timezone, local_dates, today_in
from user_progress.domain.events import LearningEvent

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14 all year
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11 all year
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def _event(event_id: str, at: datetime, timezone: str | None) -> LearningEvent:
    return LearningEvent(
        event_id=event_id, learner_id="ada", activity="lesson", topic="variables", completed_at=at, timezone=timezone
    )


def _local_date(at: datetime, timezone: str | None) -> date:
    return local_dates([_event("e", at, timezone)])["e"]


# ------------------------------------------------------------------------------- extreme offsets
def test_event_just_before_local_midnight_in_kiritimati_is_on_that_local_day() -> None:
    assert _local_date(datetime(2026, 6, 1, 9, 59, 59, tzinfo=UTC), KIRITIMATI) == date(2026, 6, 1)


def test_event_at_local_midnight_in_kiritimati_is_on_the_next_local_day() -> None:
    assert _local_date(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), KIRITIMATI) == date(2026, 6, 2)


def test_event_just_before_local_midnight_in_pago_pago_is_a_utc_day_earlier() -> None:
    assert _local_date(datetime(2026, 6, 1, 10, 59, 59, tzinfo=UTC), PAGO_PAGO) == date(2026, 5, 31)


def test_event_at_local_midnight_in_pago_pago_is_on_the_utc_day() -> None:
    assert _local_date(datetime(2026, 6, 1, 11, 0, tzinfo=UTC), PAGO_PAGO) == date(2026, 6, 1)


def test_same_instant_is_two_different_local_dates_on_either_side_of_the_date_line() -> None:
    instant = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)

    assert _local_date(instant, KIRITIMATI) == date(2026, 6, 2)
    assert _local_date(instant, PAGO_PAGO) == date(2026, 5, 31)


def test_offset_of_the_timestamp_itself_does_not_decide_the_local_date() -> None:
    # 23:30 on June 1 written with a +02:00 offset is still June 2 in Kiritimati (UTC+14).
    written_in_berlin = datetime.fromisoformat("2026-06-01T23:30:00+02:00")

    assert _local_date(written_in_berlin, KIRITIMATI) == date(2026, 6, 2)
    assert _local_date(written_in_berlin, BERLIN) == date(2026, 6, 1)


# ----------------------------------------------------------------------------------- DST changes
def test_berlin_spring_forward_day_has_23_hours_and_is_one_local_date() -> None:
    # 2026-03-29: 02:00 CET -> 03:00 CEST. Local midnight is 23:00Z the day before; the day ends at 22:00Z.
    first_moment = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    last_moment = datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)

    assert _local_date(first_moment, BERLIN) == date(2026, 3, 29)
    assert _local_date(last_moment, BERLIN) == date(2026, 3, 29)
    assert _local_date(first_moment - timedelta(seconds=1), BERLIN) == date(2026, 3, 28)
    assert _local_date(last_moment + timedelta(seconds=1), BERLIN) == date(2026, 3, 30)


def test_berlin_after_spring_forward_midnight_uses_summer_offset() -> None:
    # 00:30 CEST on March 30 is 22:30Z on March 29: a fixed winter offset (+01:00) would say March 29.
    assert _local_date(datetime(2026, 3, 29, 22, 30, tzinfo=UTC), BERLIN) == date(2026, 3, 30)


def test_berlin_fall_back_day_has_25_hours_and_is_one_local_date() -> None:
    # 2026-10-25: 03:00 CEST -> 02:00 CET. The day runs from 22:00Z on the 24th to 23:00Z on the 25th.
    first_moment = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    last_moment = datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC)

    assert last_moment - first_moment > timedelta(hours=24, minutes=59)
    assert _local_date(first_moment, BERLIN) == date(2026, 10, 25)
    assert _local_date(last_moment, BERLIN) == date(2026, 10, 25)
    assert _local_date(last_moment + timedelta(seconds=1), BERLIN) == date(2026, 10, 26)


def test_new_york_spring_forward_day_has_23_hours_and_is_one_local_date() -> None:
    # 2026-03-08: 02:00 EST -> 03:00 EDT. The day runs from 05:00Z on the 8th to 04:00Z on the 9th.
    assert _local_date(datetime(2026, 3, 8, 5, 0, tzinfo=UTC), NEW_YORK) == date(2026, 3, 8)
    assert _local_date(datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC), NEW_YORK) == date(2026, 3, 8)
    assert _local_date(datetime(2026, 3, 9, 4, 0, tzinfo=UTC), NEW_YORK) == date(2026, 3, 9)


def test_new_york_fall_back_day_has_25_hours_and_is_one_local_date() -> None:
    # 2026-11-01: 02:00 EDT -> 01:00 EST. The day runs from 04:00Z on the 1st to 05:00Z on the 2nd.
    assert _local_date(datetime(2026, 11, 1, 4, 0, tzinfo=UTC), NEW_YORK) == date(2026, 11, 1)
    assert _local_date(datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC), NEW_YORK) == date(2026, 11, 1)
    assert _local_date(datetime(2026, 11, 2, 5, 0, tzinfo=UTC), NEW_YORK) == date(2026, 11, 2)


# -------------------------------------------------------------------------- zone in effect, travel
def test_event_without_a_zone_uses_the_zone_of_the_latest_earlier_event_that_named_one() -> None:
    tokyo_morning = _event("a", datetime(2026, 6, 1, 0, 0, tzinfo=UTC), "Asia/Tokyo")
    new_york_evening = _event("b", datetime(2026, 6, 1, 12, 0, tzinfo=UTC), NEW_YORK)
    unnamed = _event("c", datetime(2026, 6, 2, 2, 0, tzinfo=UTC), None)  # 22:00 on June 1 in New York

    dates = local_dates([tokyo_morning, new_york_evening, unnamed])

    assert dates["c"] == date(2026, 6, 1)


def test_events_before_any_named_zone_fall_on_the_date_of_their_own_utc_offset() -> None:
    # 23:30 on June 1 at UTC-07:00 is June 2 in UTC (06:30) and in Kiritimati (20:30), named only later.
    unnamed = _event("a", datetime.fromisoformat("2026-06-01T23:30:00-07:00"), None)
    named = _event("b", datetime(2026, 6, 3, 12, 0, tzinfo=UTC), KIRITIMATI)

    assert local_dates([named, unnamed])["a"] == date(2026, 6, 1)
    assert local_dates([unnamed])["a"] == date(2026, 6, 1)


def test_events_without_any_named_zone_use_utc() -> None:
    late_evening_utc = _event("a", datetime(2026, 6, 1, 23, 30, tzinfo=UTC), None)

    assert local_dates([late_evening_utc])["a"] == date(2026, 6, 1)


def test_travel_events_fall_on_their_own_local_dates() -> None:
    in_berlin = _event("a", datetime(2026, 6, 1, 20, 0, tzinfo=UTC), BERLIN)  # 22:00 June 1 in Berlin
    in_new_york = _event("b", datetime(2026, 6, 3, 1, 0, tzinfo=UTC), NEW_YORK)  # 21:00 June 2 in New York

    dates = local_dates([in_berlin, in_new_york])

    assert dates == {"a": date(2026, 6, 1), "b": date(2026, 6, 2)}


def test_earlier_events_keep_their_zone_after_the_learner_moves() -> None:
    in_kiritimati = _event("a", datetime(2026, 6, 1, 11, 0, tzinfo=UTC), KIRITIMATI)  # June 2 locally
    in_pago_pago = _event("b", datetime(2026, 6, 5, 12, 0, tzinfo=UTC), PAGO_PAGO)

    assert local_dates([in_kiritimati, in_pago_pago])["a"] == date(2026, 6, 2)


def test_learner_timezone_is_the_latest_named_zone_by_event_time_not_by_arrival() -> None:
    later = _event("late", datetime(2026, 6, 5, tzinfo=UTC), PAGO_PAGO)
    earlier = _event("early", datetime(2026, 6, 1, tzinfo=UTC), KIRITIMATI)
    unnamed_last = _event("last", datetime(2026, 6, 9, tzinfo=UTC), None)

    assert learner_timezone([later, earlier, unnamed_last]) == PAGO_PAGO


def test_learner_timezone_is_utc_when_no_event_names_one() -> None:
    assert learner_timezone([_event("a", datetime(2026, 6, 1, tzinfo=UTC), None)]) == "UTC"
    assert learner_timezone([]) == "UTC"


def test_learner_timezone_without_a_named_zone_is_the_utc_offset_of_the_latest_event() -> None:
    earlier = _event("a", datetime.fromisoformat("2026-06-01T09:00:00-07:00"), None)
    latest = _event("b", datetime.fromisoformat("2026-06-02T09:00:00+05:30"), None)

    assert learner_timezone([latest, earlier]) == "UTC+05:30"
    assert learner_timezone([earlier]) == "UTC-07:00"
    assert today_in("UTC+05:30", datetime(2026, 6, 1, 19, 0, tzinfo=UTC)) == date(2026, 6, 2)


def test_today_in_is_the_local_date_of_now_in_that_zone() -> None:
    now = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)

    assert today_in(KIRITIMATI, now) == date(2026, 6, 2)
    assert today_in(PAGO_PAGO, now) == date(2026, 5, 31)
    assert today_in("UTC", now) == date(2026, 6, 1)


ZONES = st.sampled_from([None, "UTC", KIRITIMATI, PAGO_PAGO, BERLIN, NEW_YORK])
#: the UTC offset a timestamp is written with (which decides the date only before any zone was named)
OFFSETS = st.sampled_from([timedelta(0), timedelta(hours=-7), timedelta(hours=5, minutes=30), timedelta(hours=13)])
EVENTS = st.lists(
    st.tuples(st.integers(0, 60 * 24 * 20), ZONES, OFFSETS),
    min_size=1,
    max_size=12,
).map(
    lambda rows: [
        _event(
            f"e{i}",
            (datetime(2026, 3, 20, tzinfo=UTC) + timedelta(minutes=minutes)).astimezone(timezone(offset)),
            zone,
        )
        for i, (minutes, zone, offset) in enumerate(rows)
    ]
)


@given(events=EVENTS, data=st.data())
def test_local_dates_depend_only_on_the_set_of_events_not_their_arrival_order(
    events: list[LearningEvent], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(events))

    assert local_dates(shuffled) == local_dates(events)
    assert learner_timezone(shuffled) == learner_timezone(events)


@given(events=EVENTS)
def test_an_event_naming_its_zone_falls_on_its_local_date_in_that_zone(events: list[LearningEvent]) -> None:
    dates = local_dates(events)

    for event in events:
        if event.timezone:
            assert dates[event.event_id] == today_in(event.timezone, event.completed_at)


@given(events=EVENTS)
def test_an_event_before_any_named_zone_falls_on_the_date_of_its_own_utc_offset(events: list[LearningEvent]) -> None:
    dates = local_dates(events)
    first_named = min((event.sort_key for event in events if event.timezone), default=None)

    for event in events:
        if event.timezone is None and (first_named is None or event.sort_key < first_named):
            assert dates[event.event_id] == event.completed_at.date()
