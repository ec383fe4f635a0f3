"""Rate limits: a token bucket per caller; admins and services are not limited."""

from __future__ import annotations

import pytest

from learnflow_common.auth import SERVICE_SCOPE, Principal
from learnflow_common.problems import Problem
from learnflow_common.ratelimit import Bucket, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused_after(limiter: RateLimiter, principal: Principal, attempts: int) -> int | None:
    """How many requests went through before the first 429 (None: none refused)."""
    for number in range(attempts):
        try:
            limiter.check(principal)
        except Problem as problem:
            if problem.status != 429:
                raise
            return number
    return None


def test_a_burst_goes_through_and_the_next_request_is_429_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=5, clock=clock)

    assert refused_after(limiter, Principal("ada"), 10) == 5
    with pytest.raises(Problem) as refused:
        limiter.check(Principal("ada"))
    assert refused.value.headers == {"Retry-After": "1"}


def test_the_bucket_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=5, clock=clock)
    refused_after(limiter, Principal("ada"), 10)

    clock.now += 3.0

    assert refused_after(limiter, Principal("ada"), 10) == 3


def test_each_caller_has_their_own_bucket() -> None:
    limiter = RateLimiter(per_minute=60, burst=2, clock=Clock())
    refused_after(limiter, Principal("ada"), 5)

    assert refused_after(limiter, Principal("bob"), 5) == 2


def test_services_and_admins_are_not_limited() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())

    assert refused_after(limiter, Principal("app:course-agent", frozenset({SERVICE_SCOPE})), 100) is None
    assert refused_after(limiter, Principal("ops", frozenset({"admin"})), 100) is None


def test_a_bucket_never_holds_more_than_the_burst() -> None:
    assert Bucket(2.0, 0.0).refilled(now=10_000.0, rate_per_second=1.0, burst=5).tokens == 5.0
