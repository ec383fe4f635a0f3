"""The floor of a Dapr design (issue 10): the baseline's update, but through a Dapr sidecar's state
and pub/sub APIs - no actors, no outbox, and no consumers unless asked - with its own daprd (started by
``benchmarks/sidecar_floor.py``).

    python benchmarks/baseline/through_sidecar.py --port 18091 --dapr-http-port 18591

``POST /update-progress`` takes the same body as User Progress and:

1. reads the learner's aggregate and its ETag (``GET /v1.0/state``);
2. folds the event in (the baseline's ``fold``);
3. commits, in ONE state transaction, the event id (first-write: insert only, the idempotency) and
   the aggregate (the ETag read in 1, or insert only for a new learner: optimistic concurrency);
4. when the transaction is refused, the event id is read: present, the event is a duplicate; absent,
   another update of the learner won the race, and 1-3 run again;

updates of one learner in this process queue on a lock around 1-4, as they queue on the row lock in
the baseline and on the actor in LearnFlow (without it, 32 clients on one learner spend their time
retrying); across processes the ETag alone keeps them apart;

5. after the commit, publishes one CloudEvent keyed by the learner (``partitionKey``).

With ``--consume`` it also answers the bulk deliveries of the topic on ``POST /events/progress``
(the subscription is its daprd's, written by ``sidecar_floor.py``): ONE state transaction per
delivery writes each learner's newest ``data`` of the delivery to the key ``seen-<learner>``, without
reading anything first (a partition's events arrive in order, so the last one wins). That is the
least a consumer that keeps a projection can do through Dapr: the floor with the product's
consumers runs it in two apps, as LearnFlow runs its leaderboard and the Course Agent's projection.

``GET /status`` is one ``GET /v1.0/state`` of the aggregate. What it shows: the cost of the sidecar
hops and of Dapr's state store alone, the part of LearnFlow's gap to the direct path that no design
on Dapr's APIs can remove. Like the baseline, it loses an event committed but not published when the
process dies, and does not keep a learner's events in order under concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from fastapi import FastAPI, HTTPException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app import ProgressIn, fold, new_aggregate, progress_event  # the baseline's body, rules and event

STATE_STORE = "floorstore"
PUBSUB = "floorpubsub"
#: A refused transaction is read again and retried this often (a hot learner's racing updates).
MAX_ATTEMPTS = 200


def create_app(dapr_http_port: int, topic: str, consume: bool = False) -> FastAPI:
    dapr = f"http://127.0.0.1:{dapr_http_port}/v1.0"
    clients: dict[str, aiohttp.ClientSession] = {}
    learner_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        clients["sidecar"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        yield
        await clients["sidecar"].close()

    app = FastAPI(lifespan=lifespan)

    async def read(key: str) -> tuple[Any | None, str | None]:
        async with clients["sidecar"].get(f"{dapr}/state/{STATE_STORE}/{key}") as response:
            if response.status == 204:
                return None, None
            if response.status != 200:
                raise HTTPException(503, f"state store: {response.status}")
            return await response.json(), response.headers.get("ETag")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def commit(event: ProgressIn) -> dict[str, Any] | None:
        """Steps 1-4: the learner's aggregate after the event, or None for a duplicate."""
        learner = event.learner_id
        id_key = f"event-{learner}-{event.event_id}"
        first_write = {"concurrency": "first-write"}
        for _ in range(MAX_ATTEMPTS):
            stored, etag = await read(learner)
            aggregate = fold(stored or new_aggregate(learner), event)
            learner_write: dict[str, Any] = {"key": learner, "value": aggregate, "options": first_write}
            if etag is not None:
                learner_write["etag"] = etag
            operations = [
                {
                    "operation": "upsert",
                    "request": {"key": id_key, "value": event.model_dump(mode="json"), "options": first_write},
                },
                {"operation": "upsert", "request": learner_write},
            ]
            async with clients["sidecar"].post(
                f"{dapr}/state/{STATE_STORE}/transaction", json={"operations": operations}
            ) as response:
                if response.status < 300:
                    return aggregate
            if (await read(id_key))[0] is not None:
                return None
        raise HTTPException(503, "the learner's aggregate kept changing")

    @app.post("/update-progress")
    async def update_progress(event: ProgressIn) -> dict[str, Any]:
        learner = event.learner_id
        async with learner_locks[learner]:  # one lock per learner ever seen: a benchmark's few learners
            aggregate = await commit(event)
        if aggregate is None:
            return {"outcome": "duplicate", "status": (await read(learner))[0]}
        cloud_event = progress_event("bench-floor", event, aggregate)
        async with clients["sidecar"].post(
            f"{dapr}/publish/{PUBSUB}/{topic}",
            params={"metadata.partitionKey": learner},
            json=cloud_event,
            headers={"Content-Type": "application/cloudevents+json"},
        ) as response:
            if response.status >= 300:
                raise HTTPException(503, f"pub/sub: {response.status}")
        return {"outcome": "recorded", "status": aggregate}

    @app.get("/status")
    async def status(learner_id: str) -> dict[str, Any]:
        aggregate, _ = await read(learner_id)
        if aggregate is None:
            raise HTTPException(404, "unknown learner")
        return dict(aggregate)

    if consume:

        @app.post("/events/progress")
        async def on_progress(body: dict[str, Any]) -> dict[str, Any]:
            entries = body.get("entries") or []
            newest = {entry["event"]["data"]["learner_id"]: entry["event"]["data"] for entry in entries}
            operations = [
                {"operation": "upsert", "request": {"key": f"seen-{learner}", "value": data}}
                for learner, data in newest.items()
            ]
            async with clients["sidecar"].post(
                f"{dapr}/state/{STATE_STORE}/transaction", json={"operations": operations}
            ) as response:
                status = "SUCCESS" if response.status < 300 else "RETRY"
            return {"statuses": [{"entryId": entry["entryId"], "status": status} for entry in entries]}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--dapr-http-port", type=int, default=18591)
    parser.add_argument("--topic", default="bench-floor-progress")
    parser.add_argument("--consume", action="store_true", help="also keep a projection of the topic's events")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.dapr_http_port, args.topic, args.consume),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
