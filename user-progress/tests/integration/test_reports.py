"""History, statistics, achievements, export and the leaderboard through the real stack."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx

from devstack.testing import RunningStack, eventually


def _record(stack: RunningStack, http: httpx.Client, learning_event: Any, learner: str, **fields: Any) -> None:
    response = http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner, **fields))
    assert response.status_code == 200, response.text


def test_history_has_one_snapshot_per_day_of_the_range(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    _record(stack, http, learning_event, learner, completed_at="2026-11-01T12:00:00+00:00")
    _record(stack, http, learning_event, learner, completed_at="2026-11-03T12:00:00+00:00")

    history = http.get(
        f"{stack.app_url('user-progress')}/history",
        params={"learner_id": learner, "from": "2026-11-01", "to": "2026-11-04"},
    ).json()

    assert [day["date"] for day in history["days"]] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert [day["events"] for day in history["days"]] == [1, 0, 1, 0]
    assert history["days"][-1]["xp_total"] == 2 * 19


def test_history_pages_follow_the_cursor_to_the_end_of_the_range(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    _record(stack, http, learning_event, learner, completed_at="2026-11-01T12:00:00+00:00")
    _record(stack, http, learning_event, learner, completed_at="2026-11-03T12:00:00+00:00")
    url, params = f"{stack.app_url('user-progress')}/history", {"learner_id": learner, "to": "2026-11-04", "limit": 3}

    first = http.get(url, params={**params, "from": "2026-11-01"}).json()
    second = http.get(url, params={**params, "from": first["next_cursor"]}).json()

    assert [day["date"] for day in first["days"]] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert first["next_cursor"] == "2026-11-04"
    assert [(day["date"], day["xp_total"]) for day in second["days"]] == [("2026-11-04", 2 * 19)]
    assert second["next_cursor"] is None


def test_statistics_for_all_time_count_every_event(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    _record(stack, http, learning_event, learner, activity="exercise", score=60, duration_seconds=300)
    _record(stack, http, learning_event, learner, activity="quiz", score=80, duration_seconds=120)

    stats = http.get(
        f"{stack.app_url('user-progress')}/statistics", params={"learner_id": learner, "period": "all"}
    ).json()

    assert stats["events"] == 2
    assert stats["average_score"] == 70.0
    assert stats["duration_seconds"] == 420


def test_export_as_csv_has_a_row_per_event_and_as_json_the_status(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    _record(stack, http, learning_event, learner)
    _record(stack, http, learning_event, learner, activity="lesson", score=None)
    url = f"{stack.app_url('user-progress')}/export"

    as_csv = http.get(url, params={"learner_id": learner, "format": "csv"})
    as_json = http.get(url, params={"learner_id": learner, "format": "json"})

    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 2
    assert as_json.json()["status"]["events_recorded"] == 2
    assert len(as_json.json()["events"]) == 2
    assert as_json.json()["review_schedule"]["variables"]["due"]


def test_achievements_lists_unlocked_and_progress_toward_locked(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    _record(stack, http, learning_event, learner, score=100)

    achievements = http.get(f"{stack.app_url('user-progress')}/achievements", params={"learner_id": learner}).json()

    assert {"first-steps", "flawless"} <= {a["id"] for a in achievements["unlocked"]}
    locked = {a["id"]: a for a in achievements["locked"]}
    assert locked["lesson-learner"]["progress"] == 0
    assert locked["lesson-learner"]["threshold"] == 10


def test_weekly_leaderboard_ranks_learners_by_this_weeks_xp(
    stack: RunningStack, http: httpx.Client, new_learner: Any, learning_event: Any
) -> None:
    leader, follower = new_learner(), new_learner()
    for _ in range(3):
        _record(stack, http, learning_event, leader, score=100)
    _record(stack, http, learning_event, follower, score=100)
    year, week, _ = datetime.now(UTC).isocalendar()

    def standing_once_folded(learner: str, xp: int) -> dict[str, Any] | None:
        board = http.get(f"{stack.app_url('user-progress')}/leaderboard", params={"learner_id": learner}).json()
        assert board["week"] == f"{year}-W{week:02d}"
        return board["learner"] if board["learner"] and board["learner"]["xp"] == xp else None

    leader_standing = eventually(lambda: standing_once_folded(leader, 3 * 20))
    follower_standing = eventually(lambda: standing_once_folded(follower, 20))
    assert leader_standing["rank"] < follower_standing["rank"]
