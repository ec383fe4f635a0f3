"""Streaks: consecutive local days with activity, freezes earned every 7 days, judged on the learner's today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from user_progress.domain.calendar import local_dates
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import LearnerRecord, record_event, replay
from user_progress.domain.streaks import FREEZE_EVERY_DAYS, MAX_FREEZES, Streak, streak_on, streak_through

D0 = date(2026, 1, 1)


def _day(offset: int) -> date:
    return D0 + timedelta(days=offset)


def _run(first: int, length: int) -> list[date]:
    return [_day(first + i) for i in range(length)]


def _event(event_id: str, at: datetime, timezone: str | None) -> LearningEvent:
    return LearningEvent(
        event_id=event_id, learner_id="ada", activity="lesson", topic="variables", completed_at=at, timezone=timezone
    )


def _streak_of(*moments: tuple[datetime, str | None]) -> Streak:
    return replay("ada", [_event(f"e{i}", at, zone) for i, (at, zone) in enumerate(moments)]).streak


# ---------------------------------------------------------------------------------- streak_through
def test_no_active_days_is_no_streak() -> None:
    assert streak_through([]) == Streak(0, 0, 0, None)


def test_one_active_day_is_a_streak_of_one() -> None:
    assert streak_through([D0]) == Streak(1, 1, 0, D0)


def test_consecutive_days_each_add_one() -> None:
    assert streak_through(_run(0, 5)) == Streak(5, 5, 0, _day(4))


def test_same_day_repeats_do_not_add() -> None:
    assert streak_through([D0, D0, D0, _day(1), _day(1)]).current == 2


def test_order_of_active_days_does_not_matter() -> None:
    assert streak_through([_day(2), D0, _day(1)]) == streak_through([D0, _day(1), _day(2)])


def test_missed_day_without_a_freeze_breaks_the_streak() -> None:
    streak = streak_through([*_run(0, 3), _day(4)])

    assert streak.current == 1
    assert streak.last_active_date == _day(4)


def test_longest_streak_is_kept_after_a_break() -> None:
    streak = streak_through([*_run(0, 5), *_run(10, 2)])

    assert (streak.current, streak.longest) == (2, 5)


def test_six_day_run_earns_no_freeze() -> None:
    assert streak_through(_run(0, FREEZE_EVERY_DAYS - 1)).freezes_available == 0


def test_seven_day_run_earns_one_freeze() -> None:
    assert streak_through(_run(0, FREEZE_EVERY_DAYS)).freezes_available == 1


def test_fourteen_day_run_earns_two_freezes() -> None:
    assert streak_through(_run(0, 2 * FREEZE_EVERY_DAYS)).freezes_available == 2


def test_at_most_max_freezes_are_available_however_many_are_banked() -> None:
    streak = streak_through(_run(0, 5 * FREEZE_EVERY_DAYS))

    assert MAX_FREEZES == 2
    assert (streak.freezes_banked, streak.freezes_available) == (5, MAX_FREEZES)


def test_missed_day_is_bridged_by_a_freeze_and_does_not_count_as_a_streak_day() -> None:
    streak = streak_through([*_run(0, 7), _day(8)])

    assert streak == Streak(current=8, longest=8, freezes_banked=0, last_active_date=_day(8))


def test_two_missed_days_are_bridged_by_two_freezes() -> None:
    streak = streak_through([*_run(0, 14), _day(16)])

    assert (streak.current, streak.freezes_available) == (15, 0)


def test_more_missed_days_than_freezes_break_the_streak() -> None:
    streak = streak_through([*_run(0, 7), _day(9)])

    assert (streak.current, streak.longest) == (1, 7)


def test_a_broken_streak_forfeits_its_banked_freezes() -> None:
    # days 0-6 earn a freeze; two missed days break the run: the freeze goes with it
    streak = streak_through([*_run(0, 7), _day(9)])

    assert (streak.current, streak.freezes_banked) == (1, 0)


def test_no_more_than_max_freezes_bridge_one_gap_even_with_more_banked() -> None:
    streak = streak_through([*_run(0, 4 * FREEZE_EVERY_DAYS), _day(4 * FREEZE_EVERY_DAYS + 3)])

    assert streak.current == 1


def test_a_late_active_day_does_not_lower_the_current_streak() -> None:
    # the review's case: {0-6, 9-12, 14, 15} gave current 6, and adding day 8 gave 2
    days = [*_run(0, 7), *_run(9, 4), _day(14), _day(15)]

    assert streak_through(days).current == streak_through([*days, _day(8)]).current == 2


def test_bridged_run_keeps_earning_freezes_at_multiples_of_seven() -> None:
    # days 0-6 (7, earns a freeze), day 7 missed and bridged, days 8-14 bring the run to 14.
    streak = streak_through([*_run(0, 7), *_run(8, 7)])

    assert (streak.current, streak.freezes_available) == (14, 1)


# --------------------------------------------------------------------------------------- streak_on
def test_streak_on_with_no_history_is_zero() -> None:
    assert streak_on(streak_through([]), D0).current == 0


def test_streak_on_an_active_today_is_the_streak_through_today() -> None:
    days = _run(0, 3)

    assert streak_on(streak_through(days), _day(2)) == streak_through(days)


def test_streak_on_does_not_break_when_today_is_not_yet_active() -> None:
    assert streak_on(streak_through(_run(0, 3)), _day(3)).current == 3


def test_streak_on_breaks_after_a_fully_missed_day_without_a_freeze() -> None:
    streak = streak_on(streak_through(_run(0, 3)), _day(4))

    assert streak == Streak(current=0, longest=3, freezes_banked=0, last_active_date=_day(2))


def test_streak_on_uses_a_freeze_for_each_fully_missed_day() -> None:
    one_missed = streak_on(streak_through(_run(0, 7)), _day(8))
    two_missed = streak_on(streak_through(_run(0, 14)), _day(16))

    assert (one_missed.current, one_missed.freezes_available) == (7, 0)
    assert (two_missed.current, two_missed.freezes_available) == (14, 0)


def test_streak_on_breaks_when_more_days_are_missed_than_freezes() -> None:
    streak = streak_on(streak_through(_run(0, 7)), _day(9))

    assert (streak.current, streak.longest) == (0, 7)


def test_streak_on_spends_freezes_day_by_day_and_forfeits_them_when_it_breaks() -> None:
    through = streak_through(_run(0, 14))  # two freezes banked

    seen = [(streak_on(through, _day(d)).current, streak_on(through, _day(d)).freezes_available) for d in range(14, 18)]

    assert seen == [(14, 2), (14, 1), (14, 0), (0, 0)]


def test_streak_on_a_day_before_the_last_active_day_is_the_streak_through_it() -> None:
    assert streak_on(streak_through(_run(0, 3)), _day(0)) == streak_through(_run(0, 3))


# ------------------------------------------------------------------------ learner's own zone, DST
def test_streak_counts_days_in_kiritimati_not_utc() -> None:
    # Both on June 1 in UTC, but 23:00 on June 1 and 00:30 on June 2 in Kiritimati (UTC+14).
    streak = _streak_of(
        (datetime(2026, 6, 1, 9, 0, tzinfo=UTC), "Pacific/Kiritimati"),
        (datetime(2026, 6, 1, 10, 30, tzinfo=UTC), "Pacific/Kiritimati"),
    )

    assert streak.current == 2


def test_streak_counts_days_in_pago_pago_not_utc() -> None:
    # June 1 and June 2 in UTC, but both on May 31 in Pago Pago (UTC-11): one day.
    streak = _streak_of(
        (datetime(2026, 6, 1, 0, 30, tzinfo=UTC), "Pacific/Pago_Pago"),
        (datetime(2026, 6, 1, 10, 59, tzinfo=UTC), "Pacific/Pago_Pago"),
    )

    assert (streak.current, streak.last_active_date) == (1, date(2026, 5, 31))


def test_events_just_before_and_after_local_midnight_are_two_streak_days() -> None:
    streak = _streak_of(
        (datetime(2026, 6, 1, 10, 59, tzinfo=UTC), "Pacific/Pago_Pago"),  # 23:59 May 31
        (datetime(2026, 6, 1, 11, 1, tzinfo=UTC), "Pacific/Pago_Pago"),  # 00:01 June 1
    )

    assert streak.current == 2


def test_streak_survives_dst_change_spring_forward_in_berlin() -> None:
    # 21:00 local on March 28 (CET), 29 (CEST, the 23-hour day) and 30.
    streak = _streak_of(
        (datetime(2026, 3, 28, 20, 0, tzinfo=UTC), "Europe/Berlin"),
        (datetime(2026, 3, 29, 19, 0, tzinfo=UTC), "Europe/Berlin"),
        (datetime(2026, 3, 30, 19, 0, tzinfo=UTC), "Europe/Berlin"),
    )

    assert streak.current == 3


def test_streak_survives_dst_change_fall_back_in_berlin() -> None:
    # 00:30 local on October 24, 25 (the 25-hour day) and 26.
    streak = _streak_of(
        (datetime(2026, 10, 23, 22, 30, tzinfo=UTC), "Europe/Berlin"),
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), "Europe/Berlin"),
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), "Europe/Berlin"),
    )

    assert streak.current == 3


def test_23_hour_day_with_events_at_both_ends_counts_as_one_day() -> None:
    # 00:00 and 23:59 on Berlin's spring-forward day, then 00:01 on the next day.
    events = [
        _event("a", datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "Europe/Berlin"),
        _event("b", datetime(2026, 3, 29, 21, 59, tzinfo=UTC), "Europe/Berlin"),
        _event("c", datetime(2026, 3, 29, 22, 1, tzinfo=UTC), "Europe/Berlin"),
    ]
    state = replay("ada", events)

    assert set(local_dates(events).values()) == {date(2026, 3, 29), date(2026, 3, 30)}
    assert (state.streak.current, state.streak.last_active_date) == (2, date(2026, 3, 30))


def test_25_hour_day_with_events_more_than_24_hours_apart_counts_as_one_day() -> None:
    # 00:05 CEST and 23:55 CET on Berlin's fall-back day: 24 h 50 min apart, same date.
    events = [
        _event("a", datetime(2026, 10, 24, 22, 5, tzinfo=UTC), "Europe/Berlin"),
        _event("b", datetime(2026, 10, 25, 22, 55, tzinfo=UTC), "Europe/Berlin"),
    ]
    state = replay("ada", events)

    assert set(local_dates(events).values()) == {date(2026, 10, 25)}
    assert (state.streak.current, state.streak.last_active_date) == (1, date(2026, 10, 25))


def test_streak_survives_both_dst_changes_in_new_york() -> None:
    spring = _streak_of(
        (datetime(2026, 3, 8, 4, 30, tzinfo=UTC), "America/New_York"),  # 23:30 EST March 7
        (datetime(2026, 3, 9, 3, 30, tzinfo=UTC), "America/New_York"),  # 23:30 EDT March 8
        (datetime(2026, 3, 10, 3, 30, tzinfo=UTC), "America/New_York"),  # 23:30 EDT March 9
    )
    fall = _streak_of(
        (datetime(2026, 11, 1, 3, 30, tzinfo=UTC), "America/New_York"),  # 23:30 EDT October 31
        (datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "America/New_York"),  # 23:30 EST November 1
        (datetime(2026, 11, 3, 4, 30, tzinfo=UTC), "America/New_York"),  # 23:30 EST November 2
    )

    assert (spring.current, fall.current) == (3, 3)


def test_travelling_learner_keeps_the_streak_on_their_own_local_dates() -> None:
    # 22:00 June 1 in Berlin, then 21:00 June 2 in New York (already June 3 in Berlin).
    travelled = _streak_of(
        (datetime(2026, 6, 1, 20, 0, tzinfo=UTC), "Europe/Berlin"),
        (datetime(2026, 6, 3, 1, 0, tzinfo=UTC), "America/New_York"),
    )
    stayed = _streak_of(
        (datetime(2026, 6, 1, 20, 0, tzinfo=UTC), "Europe/Berlin"),
        (datetime(2026, 6, 3, 1, 0, tzinfo=UTC), None),  # no zone named: still in Berlin
    )

    assert travelled.current == 2
    assert stayed.current == 1


def test_late_event_gives_same_streak_as_in_order_delivery() -> None:
    events = [_event(f"e{i}", datetime(2026, 6, 1 + i, 12, 0, tzinfo=UTC), "Europe/Berlin") for i in range(4)]
    in_order: LearnerRecord | None = None
    for event in events:
        in_order = record_event(in_order, event).record
    late: LearnerRecord | None = None
    for event in [events[0], events[1], events[3]]:
        late = record_event(late, event).record

    gap_filled = record_event(late, events[2])

    assert gap_filled.streak_changed
    assert gap_filled.previous_streak.current == 1
    assert gap_filled.state.streak == replay("ada", events).streak == Streak(4, 4, 0, date(2026, 6, 4))


# ------------------------------------------------------------------------------------- properties
DAYS = st.lists(st.integers(0, 120).map(_day), max_size=60)


@given(days=DAYS)
def test_current_streak_never_exceeds_longest(days: list[date]) -> None:
    streak = streak_through(days)

    assert 0 <= streak.current <= streak.longest <= len(set(days))


@given(days=DAYS)
def test_freezes_stay_between_zero_and_max(days: list[date]) -> None:
    assert 0 <= streak_through(days).freezes_available <= MAX_FREEZES


@given(days=DAYS, data=st.data())
def test_streak_depends_only_on_the_set_of_active_days(days: list[date], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(days + days))

    assert streak_through(shuffled) == streak_through(days)


@given(days=DAYS.filter(bool), later=st.integers(0, 10))
def test_streak_on_is_either_the_streak_through_or_broken(days: list[date], later: int) -> None:
    through = streak_through(days)

    seen = streak_on(through, max(days) + timedelta(days=later))

    assert seen.current in (through.current, 0)
    assert seen.longest == through.longest
    assert seen.current <= seen.longest


# ------------------------------------------------------------------------------ freeze properties
_days = st.sets(st.integers(min_value=0, max_value=120), min_size=1, max_size=100)


@settings(max_examples=400)
@given(_days, st.integers(min_value=0, max_value=120))
def test_adding_an_active_day_never_lowers_the_current_streak_through_the_same_last_day(
    days: set[int], extra: int
) -> None:
    last = max(days)
    added = min(extra, last)
    before = streak_through(_day(d) for d in days)
    after = streak_through(_day(d) for d in {*days, added})

    assert after.last_active_date == before.last_active_date
    assert after.current >= before.current


@settings(max_examples=400)
@given(_days, st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=10))
def test_adding_an_active_day_never_lowers_the_streak_the_learner_sees_later(
    days: set[int], extra: int, days_later: int
) -> None:
    last = max(days)
    today = _day(last + days_later)
    before = streak_on(streak_through(_day(d) for d in days), today)
    after = streak_on(streak_through(_day(d) for d in {*days, min(extra, last)}), today)

    assert after.current >= before.current


@given(_days)
def test_freezes_are_never_negative_and_at_most_max_are_available(days: set[int]) -> None:
    streak = streak_through(_day(d) for d in days)

    assert streak.freezes_banked >= 0
    assert 0 <= streak.freezes_available <= MAX_FREEZES
