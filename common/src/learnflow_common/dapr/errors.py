"""Errors of the sidecar client, named for what the caller must do about them."""

from __future__ import annotations


class SidecarUnavailable(Exception):
    """The sidecar, or a component behind it (state store, broker), cannot serve now: retry later.

    Routers never catch it: the problem handler turns it into 503 with Retry-After.
    """

    def __init__(self, message: str, dependency: str) -> None:
        super().__init__(message)
        self.dependency = dependency


class EtagMismatch(Exception):
    """Someone else wrote the key since it was read (optimistic concurrency): re-read and retry."""


class ActorMethodFailed(Exception):
    """An actor method raised: a bug in the actor, not an outage (answered as 500)."""
