"""The direct path LearnFlow is compared with (issue 10): plain FastAPI + asyncpg + aiokafka, no Dapr.

    python benchmarks/baseline/app.py --port 18090 --dsn postgresql://... --kafka 127.0.0.1:9092

``POST /update-progress`` takes the same body as User Progress and, in ONE PostgreSQL transaction,
inserts the event id (idempotency), locks and reads the learner's JSONB aggregate, folds the event in
and writes it back; after the commit it publishes one CloudEvent keyed by the learner with
``acks=all`` and answers the new aggregate. ``GET /status`` is one ``SELECT`` of the aggregate.
One uvicorn worker, uvicorn's defaults (uvloop and httptools when installed, as for the services).

With ``--consumer-group G``, the process also consumes ``--topic`` (aiokafka, group G) as this product's
consumers do: batched as Dapr's Kafka consumer batches a bulk subscription (per partition, on a ticker
of ``--batch-wait-ms``, at most ``--batch-messages`` a batch: the settings of LearnFlow's
subscriptions), each batch written in ONE statement (the learners' newest values, nothing read),
offsets committed after the writes at most once a second (as Dapr's Kafka consumer commits).
``compare.py`` runs two such processes as "the baseline with consumers": the one under load (as User
Progress keeps the leaderboard) and a second one (as the Course Agent keeps its projection).

It owns its tables (``bench_baseline_*``) and topics (``bench-baseline-*``), never the services'.
What it does NOT do, and LearnFlow does: an outbox (an event committed but not published because the
process died is lost here), per-learner publish order under concurrency (two concurrent updates of one
learner may be published in the other order than they committed), the FSRS/mastery/streak rules.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
import traceback
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

SAFE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
SCHEMA = """
CREATE TABLE IF NOT EXISTS bench_baseline_events (
    learner_id text NOT NULL, event_id text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (learner_id, event_id));
CREATE TABLE IF NOT EXISTS bench_baseline_learners (learner_id text PRIMARY KEY, aggregate jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS bench_baseline_seen (
    consumer text NOT NULL, learner_id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (consumer, learner_id));
"""
#: One batch's newest value per learner, in one statement.
UPSERT_SEEN = """
INSERT INTO bench_baseline_seen (consumer, learner_id, data)
SELECT $1, learner, data::jsonb FROM unnest($2::text[], $3::text[]) AS batch(learner, data)
ON CONFLICT (consumer, learner_id) DO UPDATE SET data = EXCLUDED.data
"""
#: How often consumed offsets are committed (Dapr's Kafka consumer: about once a second).
COMMIT_EVERY_SECONDS = 1.0
XP = {"lesson": 10, "exercise": 10, "quiz": 10, "review": 5}


class ProgressIn(BaseModel):
    """The body of User Progress's ``POST /update-progress`` (user-progress/README.md)."""

    model_config = ConfigDict(extra="forbid")
    event_id: str = Field(pattern=SAFE_ID)
    learner_id: str = Field(pattern=SAFE_ID)
    activity: Literal["lesson", "exercise", "quiz", "review"]
    topic: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)
    score: int | None = Field(default=None, ge=0, le=100)
    duration_seconds: int | None = Field(default=None, ge=0, le=86400)
    hints_used: int | None = Field(default=None, ge=0)
    completed_at: datetime
    timezone: str | None = None
    lesson_id: str | None = None


def new_aggregate(learner: str) -> dict[str, Any]:
    return {
        "learner_id": learner,
        "xp": 0,
        "events_recorded": 0,
        "activity_counts": {},
        "topics": {},
        "last_activity_at": None,
    }


def fold(aggregate: dict[str, Any], event: ProgressIn) -> dict[str, Any]:
    graded = event.activity != "lesson" and event.score is not None
    xp = XP[event.activity] + (event.score // 10 if graded and event.score is not None else 0)
    topic = aggregate["topics"].setdefault(event.topic, {"attempts": 0, "graded": 0, "score_sum": 0})
    topic["attempts"] += 1
    if graded:
        topic["graded"] += 1
        topic["score_sum"] += event.score
        topic["average_score"] = round(topic["score_sum"] / topic["graded"], 1)
    topic["last_activity_at"] = event.completed_at.isoformat()
    counts = aggregate["activity_counts"]
    counts[event.activity] = counts.get(event.activity, 0) + 1
    aggregate["xp"] += xp
    aggregate["events_recorded"] += 1
    aggregate["last_activity_at"] = max(aggregate["last_activity_at"] or "", event.completed_at.isoformat())
    if event.timezone:
        aggregate["timezone"] = event.timezone
    return aggregate


def progress_event(source: str, event: ProgressIn, aggregate: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvent published after an update, keyed by the learner."""
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": source,
        "type": "learnflow.progress.updated.v1",
        "subject": event.learner_id,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "learner_id": event.learner_id,
            "source_event_id": event.event_id,
            "topic": event.topic,
            "xp": aggregate["xp"],
        },
    }


def connect_arguments(dsn: str) -> dict[str, Any]:
    """asyncpg's arguments for a URL or a libpq key=value DSN (the stack's ``postgres_dsn``)."""
    if "://" in dsn:
        return {"dsn": dsn}
    pairs = dict(item.split("=", 1) for item in dsn.split())
    names = {"host": "host", "port": "port", "user": "user", "password": "password", "dbname": "database"}
    arguments: dict[str, Any] = {names[key]: value for key, value in pairs.items() if key in names}
    if pairs.get("sslmode") == "disable":
        arguments["ssl"] = False
    return arguments


async def consume(
    consumer: AIOKafkaConsumer, pool: asyncpg.Pool, group: str, batch_messages: int, batch_wait_ms: int
) -> None:
    """Dapr's bulk subscriber, directly (components-contrib's Kafka ``ConsumeClaim``): per partition,
    what arrived within a tick of ``batch_wait_ms``, in batches of at most ``batch_messages``, each
    batch's newest value per learner written in one statement; offsets committed after the writes,
    at most once a second (at least once, as Dapr's consumer commits)."""
    committed_at, uncommitted = time.monotonic(), False
    while True:
        await asyncio.sleep(batch_wait_ms / 1000)
        for partition in consumer.assignment():
            while records := await _batch(consumer, partition, batch_messages):
                await _write_newest(pool, group, records)
                uncommitted = True
        if uncommitted and time.monotonic() - committed_at >= COMMIT_EVERY_SECONDS:
            await consumer.commit()
            committed_at, uncommitted = time.monotonic(), False


async def _batch(consumer: AIOKafkaConsumer, partition: TopicPartition, most: int) -> list[ConsumerRecord[Any, Any]]:
    """What the consumer has fetched of ``partition``, at most ``most`` records, without waiting."""
    return (await consumer.getmany(partition, timeout_ms=0, max_records=most)).get(partition, [])


async def _write_newest(pool: asyncpg.Pool, group: str, records: list[ConsumerRecord[Any, Any]]) -> None:
    newest = {}
    for record in records:
        data = json.loads(record.value)["data"]
        newest[data["learner_id"]] = json.dumps(data)
    await pool.execute(UPSERT_SEEN, group, list(newest), list(newest.values()))


def _stop_if_failed(consuming: asyncio.Task[None]) -> None:
    """A consumer that failed stops the process (its error in the process's log), so compare.py does
    not measure a system that no longer consumes."""
    if not consuming.cancelled() and (error := consuming.exception()) is not None:
        traceback.print_exception(error)
        os.kill(os.getpid(), signal.SIGTERM)


def create_app(
    dsn: str, kafka: str, topic: str, consumer_group: str | None = None, batch: tuple[int, int] = (32, 5)
) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        async def init(connection: asyncpg.Connection) -> None:
            await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")

        pool = await asyncpg.create_pool(**connect_arguments(dsn), min_size=4, max_size=20, init=init)
        await pool.execute(SCHEMA)
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=0)
        await producer.start()
        state.update(pool=pool, producer=producer)
        consumer = consuming = None
        if consumer_group:
            consumer = AIOKafkaConsumer(
                topic, bootstrap_servers=kafka, group_id=consumer_group, enable_auto_commit=False
            )
            await consumer.start()
            consuming = asyncio.create_task(consume(consumer, pool, consumer_group, *batch))
            consuming.add_done_callback(_stop_if_failed)
        yield
        if consumer is not None and consuming is not None:
            consuming.cancel()
            await asyncio.gather(consuming, return_exceptions=True)
            await consumer.stop()
        await producer.stop()
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/update-progress")
    async def update_progress(event: ProgressIn) -> dict[str, Any]:
        pool: asyncpg.Pool = state["pool"]
        learner = event.learner_id
        async with pool.acquire() as connection, connection.transaction():
            inserted = await connection.fetchval(
                "INSERT INTO bench_baseline_events (learner_id, event_id, body) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING RETURNING true",
                learner,
                event.event_id,
                event.model_dump(mode="json"),
            )
            # Creates the row if missing and locks it in one statement: concurrent updates of one
            # learner queue here, as they queue on the learner's actor in LearnFlow.
            aggregate = await connection.fetchval(
                "INSERT INTO bench_baseline_learners (learner_id, aggregate) VALUES ($1, $2) "
                "ON CONFLICT (learner_id) DO UPDATE SET learner_id = EXCLUDED.learner_id RETURNING aggregate",
                learner,
                new_aggregate(learner),
            )
            if not inserted:
                return {"outcome": "duplicate", "status": aggregate}
            aggregate = fold(aggregate, event)
            await connection.execute(
                "UPDATE bench_baseline_learners SET aggregate = $2 WHERE learner_id = $1", learner, aggregate
            )
        cloud_event = progress_event("bench-baseline", event, aggregate)
        await state["producer"].send_and_wait(topic, json.dumps(cloud_event).encode(), key=learner.encode())
        return {"outcome": "recorded", "status": aggregate}

    @app.get("/status")
    async def status(learner_id: str) -> dict[str, Any]:
        aggregate = await state["pool"].fetchval(
            "SELECT aggregate FROM bench_baseline_learners WHERE learner_id = $1", learner_id
        )
        if aggregate is None:
            raise HTTPException(404, "unknown learner")
        return dict(aggregate)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--topic", default="bench-baseline-progress")
    parser.add_argument("--consumer-group", help="also consume --topic in this consumer group")
    parser.add_argument("--batch-messages", type=int, default=32)
    parser.add_argument("--batch-wait-ms", type=int, default=5)
    args = parser.parse_args()
    app = create_app(args.dsn, args.kafka, args.topic, args.consumer_group, (args.batch_messages, args.batch_wait_ms))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
