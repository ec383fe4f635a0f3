"""Re-publishes the dead letters of a topic (``<topic>-dlq``) onto the topic, for an operator.

Messages reach ``<topic>-dlq`` when a consumer answered DROP (it can never process them as they
are) or when the bounded redeliveries of an outage ran out. Once the outage is over, or the cause is
fixed, replay them: every consumer deduplicates on the CloudEvent id or a business id, so a message
that was in fact processed, or is replayed twice, changes nothing. A message that still cannot be
processed goes back to ``<topic>-dlq``.

The dead-letter topic is read from the beginning up to where it ended when the run started (so the
run ends, and what is dead-lettered during it is left for the next run); ``--since`` and ``--id``
narrow what is replayed. Each message goes back with its key (the learner id; else the CloudEvent's
``subject``, which is the learner id too), so a learner's events share a partition again.

    .venv/bin/python tools/replay_dlq.py progress-events --since 2026-12-02T08:00:00Z --dry-run
    .venv/bin/python tools/replay_dlq.py progress-events --since 2026-12-02T08:00:00Z
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition

READ_TIMEOUT_SECONDS = 60.0


def _event_of(message: Message) -> dict[str, Any]:
    """The CloudEvent in a message, or ``{}`` if the value is not a JSON object (poison bytes)."""
    try:
        value = json.loads(message.value() or b"")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _start_offsets(consumer: Consumer, dlq: str, since: datetime | None) -> list[TopicPartition]:
    """Per partition, where to start and (as ``offset`` of the result's pairs) where to stop."""
    partitions = consumer.list_topics(dlq, timeout=10).topics[dlq].partitions
    starts = [TopicPartition(dlq, partition, 0) for partition in partitions]
    if since is not None:
        millis = int(since.timestamp() * 1000)
        starts = consumer.offsets_for_times([TopicPartition(dlq, p, millis) for p in partitions], timeout=10)
    return starts


def dead_letters(bootstrap: str, topic: str, since: datetime | None) -> list[Message]:
    """The messages of ``<topic>-dlq`` (since a time), up to where the topic ended at the start."""
    dlq = f"{topic}-dlq"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"replay-{dlq}",  # never committed: offsets are assigned explicitly
            "enable.auto.commit": False,
        }
    )
    try:
        ends: dict[int, int] = {}
        assigned: list[TopicPartition] = []
        for start in _start_offsets(consumer, dlq, since):
            low, high = consumer.get_watermark_offsets(TopicPartition(dlq, start.partition), timeout=10)
            first = max(start.offset, low) if start.offset >= 0 else high
            if first < high:
                ends[start.partition] = high
                assigned.append(TopicPartition(dlq, start.partition, first))
        consumer.assign(assigned)
        found: list[Message] = []
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        while ends and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                raise KafkaException(message.error())
            partition, offset = message.partition(), message.offset()
            if partition in ends and offset < ends[partition]:
                found.append(message)
            if partition in ends and offset >= ends[partition] - 1:
                del ends[partition]
        if ends:
            raise SystemExit(f"could not read {dlq} to its end within {READ_TIMEOUT_SECONDS:.0f}s")
        return found
    finally:
        consumer.close()


def replay(bootstrap: str, topic: str, since: datetime | None, ids: set[str], dry_run: bool) -> int:
    """Re-publishes the selected dead letters onto ``topic``; returns how many."""
    chosen = [m for m in dead_letters(bootstrap, topic, since) if not ids or _event_of(m).get("id") in ids]
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for message in chosen:
        event = _event_of(message)
        key = message.key() or (str(event["subject"]).encode() if event.get("subject") else None)
        print(
            f"{'would replay' if dry_run else 'replaying'} {message.topic()}/{message.partition()}@"
            f"{message.offset()} key={key!r} id={event.get('id')!r} type={event.get('type')!r}"
        )
        if not dry_run:
            producer.produce(topic, value=message.value(), key=key, headers=message.headers())
    if producer.flush(30) != 0:
        raise SystemExit("some messages were not acknowledged by the broker; run again (replays are safe)")
    return len(chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic", help="the topic whose dead letters to replay, e.g. progress-events")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092"))
    parser.add_argument("--since", type=datetime.fromisoformat, help="only dead letters written since (ISO 8601)")
    parser.add_argument("--id", action="append", default=[], help="only this CloudEvent id (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed")
    args = parser.parse_args(argv)
    count = replay(args.bootstrap, args.topic, args.since, set(args.id), args.dry_run)
    print(f"{count} message(s) {'would be ' if args.dry_run else ''}replayed onto {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
