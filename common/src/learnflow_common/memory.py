"""An actor's values in memory, for the pure storage layouts of both services (User Progress's
ledger, the Course Agent's lesson layout): seeding benchmarks and unit tests without a sidecar."""

from __future__ import annotations

import json
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class MemoryStore:
    """Values stored as JSON, as the sidecar stores them; ``get`` is the layouts' ``Reader``."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.apply(values or {})

    async def get(self, key: str) -> Any | None:
        return self.values.get(key)

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Applies changes as the actor saves them (``None`` removes the value)."""
        for key, value in changes.items():
            if value is None:
                self.values.pop(key, None)
            else:
                self.values[key] = json.loads(json.dumps(value))


def run_in_memory(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a layout coroutine that only awaits a :class:`MemoryStore`, so it never suspends: no
    event loop needed (Hypothesis tests and benchmark seeding run inside or outside one)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise AssertionError("the coroutine waited on something other than the in-memory store")
