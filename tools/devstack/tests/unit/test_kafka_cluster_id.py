"""The Kafka cluster id the stack formats its broker's storage with."""

from __future__ import annotations

import base64
import uuid

import pytest

from devstack import stack


def test_a_cluster_id_never_starts_with_a_dash_which_the_storage_tool_reads_as_an_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first draw encodes to ``-...`` (0xf8 first byte); the id is the next one."""
    draws = iter([uuid.UUID(bytes=b"\xf8" + b"\x00" * 15), uuid.UUID(bytes=b"\x01" * 16)])
    monkeypatch.setattr(stack.uuid, "uuid4", lambda: next(draws))

    drawn = stack.kafka_cluster_id()

    assert drawn == base64.urlsafe_b64encode(b"\x01" * 16).decode().rstrip("=")
    assert len(drawn) == 22


def test_cluster_ids_are_random_and_never_start_with_a_dash() -> None:
    drawn = {stack.kafka_cluster_id() for _ in range(2000)}

    assert len(drawn) == 2000
    assert not any(value.startswith("-") for value in drawn)
