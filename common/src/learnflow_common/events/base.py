"""The base of every event's data model: the versioned type it is published as travels with it."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel


class EventData(BaseModel):
    """The ``data`` of one event type; ``EVENT_TYPE`` names the contract and its version
    (``learnflow.progress.updated.v1``)."""

    EVENT_TYPE: ClassVar[str]
