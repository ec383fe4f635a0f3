"""Rate limits per principal on the routes that write or cost work (a token bucket each).

A learner's bucket holds ``burst`` requests and refills at ``per_minute``; a request finding it empty
is a 429 with Retry-After saying when the next one fits. Admins and services are not limited (they
are operators and our own replicas). The buckets live in each replica's memory, so N replicas allow up
to N times the rate: the limit is there to stop one runaway client from costing everyone, not to bill.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from learnflow_common.auth import Caller, Principal
from learnflow_common.problems import Problem

#: Buckets kept (least recently used dropped first): bounded memory whatever the number of callers.
MAX_TRACKED = 100_000


@dataclass(frozen=True)
class Bucket:
    """Tokens left at ``at`` (monotonic seconds). Pure: taking returns the next bucket."""

    tokens: float
    at: float

    def refilled(self, now: float, rate_per_second: float, burst: int) -> Bucket:
        return Bucket(min(float(burst), self.tokens + max(0.0, now - self.at) * rate_per_second), now)

    def take(self, now: float, rate_per_second: float, burst: int) -> tuple[Bucket, float]:
        """The bucket after one request, and 0 if it was allowed, else the seconds until it would be."""
        bucket = self.refilled(now, rate_per_second, burst)
        if bucket.tokens >= 1.0:
            return Bucket(bucket.tokens - 1.0, now), 0.0
        return bucket, (1.0 - bucket.tokens) / rate_per_second


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def check(self, principal: Principal) -> None:
        """Counts one request of ``principal``; raises 429 when its bucket is empty."""
        if principal.is_privileged:
            return
        now = self.clock()
        bucket = self._buckets.pop(principal.subject, None) or Bucket(float(self.burst), now)
        bucket, wait = bucket.take(now, self.rate, self.burst)
        self._buckets[principal.subject] = bucket
        if len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise Problem(
                429,
                "rate-limited",
                "Too many requests",
                f"At most {round(self.rate * 60)} requests a minute (bursts of {self.burst}) per caller; "
                f"retry after {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )


async def rate_limited(request: Request, caller: Caller) -> Principal:
    """FastAPI dependency for a limited route: the caller, once their request fits the limit."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.check(caller)
    return caller


LimitedCaller = Annotated[Principal, Depends(rate_limited)]
