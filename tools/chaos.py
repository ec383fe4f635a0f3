"""`make chaos`: kill -9 each process of the local stack in turn under steady load, start it again,
and report what each fault cost (issue 13, "Reliability, proven").

    make chaos                                   # every fault, defaults below
    make chaos CHAOS_ARGS="--seconds 4 --outage 3 --out /tmp/chaos"    # what CI runs
    .venv/bin/python tools/chaos.py --faults postgres kafka --seconds 5

For each fault (PostgreSQL, Kafka, each daprd, each app, placement, the scheduler) in turn:
``--seconds`` of steady load, then ``devstack kill`` (SIGKILL to the process and everything below
it), ``--outage`` seconds down, ``devstack restart`` (the same argv, environment and log as the
stack started it; the rest of the stack runs on throughout), until recovered, then ``--seconds``
of load again. The load: ``--clients`` concurrent clients, each owning some of ``--learners``
learners and sending them new events (unique ids, times in order) one at a time as fast as they are
answered; an answer other than 200 makes the client send the SAME event again (after Retry-After on
a 503, 0.5 s after no answer), as a real client does, so an event is acknowledged once it got a 200.
A probe client (its own learner) does the same every 0.25 s without honouring Retry-After: it
times the recovery.

Once every fault is done and the load has stopped, it waits (``--drain-timeout``) until an event is
on ``progress-events`` for every acknowledged update (published by the outboxes, retried by their
reminders), then reads every learner's status and log (GET /status, GET /export). Per fault (each
update is counted under the fault whose window it was acknowledged in):

- lost: acknowledged, but not in the learner's log (must be 0); double-counted: in the log more
  than once, or counted in ``events_recorded`` beyond the log (must be 0);
- events: distinct CloudEvent ids of ``learnflow.progress.updated.v1`` for the acknowledged updates
  vs acknowledged updates; missing events and source events with two different CloudEvent ids
  must be 0 (the same id delivered again is a permitted duplicate, counted);
- answers from the kill until recovered: 200 / 503 with Retry-After / no answer (connection refused
  or timed out: the app itself is down) / anything else (a 500, a 503 without Retry-After, a 4xx:
  each is a failure, anywhere in the run);
- time to recover: from the restart until the first acknowledged update, and until every app's
  /readyz answers 200; and until the first event published after the restart.

Writes ``chaos.md`` and ``chaos.json`` to ``--out`` (default benchmarks/results); exits 1 if a
must-be-0 figure is not 0, a bad answer was seen or a fault did not recover; 2 if it cannot run.
Needs a running stack whose supervisor serves `devstack kill/restart` (`make chaos` starts one if
none runs, and stops it again after).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from devstack import control
from devstack.config import find_repo_root, info_file, stack_dir
from devstack.processes import read_live_pid
from devstack.testing import RunningStack

#: The order of issue 13: PostgreSQL, Kafka, each daprd, each app, placement, the scheduler.
FAULTS = (
    "postgres",
    "kafka",
    "user-progress-daprd",
    "course-agent-daprd",
    "user-progress",
    "course-agent",
    "placement",
    "scheduler",
)
PROGRESS_TOPIC = "progress-events"
DLQ_TOPIC = "progress-events-dlq"
PROGRESS_UPDATED = "learnflow.progress.updated.v1"
ACTIVITIES = ("quiz", "exercise", "lesson", "review")
#: Event times step by this much per learner: in order, and at most 480 a UTC day (the service
#: records at most 500 per learner and day).
EVENT_STEP = timedelta(minutes=3)
PROBE_INTERVAL = 0.25
NO_ANSWER_BACKOFF = 0.5
#: A client honours Retry-After up to this (seconds).
RETRY_AFTER_CAP = 5.0
FINISH_TIMEOUT = 120.0
#: Reads of a learner's status and log at the end (1 s apart) before it counts as unreadable.
READ_ATTEMPTS = 10
#: What recovered means, each timed from the restart.
MILESTONES = {
    "process": "process healthy",
    "ack": "first update acknowledged",
    "readyz": "every /readyz 200",
    "event": "first event published",
}


def log(message: str) -> None:
    print(f"chaos: {message}", flush=True)


# ----------------------------------------------------------------------------------- what happened
@dataclass
class Answer:
    at: float  # seconds since the start of the run, when the answer (or the failure) came
    kind: str  # "200", "503+RA", "no-answer", or what was wrong: "500", "503-no-RA", "409", ...
    latency: float
    probe: bool


@dataclass
class Sent:
    """One event of the load: every attempt until its 200."""

    event_id: str
    learner: str
    first_sent: float
    attempts: int = 0
    acked_at: float | None = None
    refused: str | None = None  # a permanent refusal (4xx): the client gave the event up


@dataclass
class FaultRun:
    process: str
    start: float  # the window of this fault: its load before, the outage, recovery, the load after
    killed: float = 0.0
    restarted: float = 0.0
    #: after the restart: the process itself answers its health check; the first update acknowledged;
    #: every app's /readyz 200; the first progress event produced to Kafka
    milestones: dict[str, float] = field(default_factory=dict)
    recovered: float | None = None  # all of them
    end: float = 0.0
    killed_pid: int | None = None
    new_pid: int | None = None
    error: str | None = None


@dataclass
class Run:
    t0: float = field(default_factory=time.monotonic)
    wall0: float = field(default_factory=time.time)
    answers: list[Answer] = field(default_factory=list)
    sent: dict[str, Sent] = field(default_factory=dict)
    faults: list[FaultRun] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)  # sorted (appended in time order)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def from_wall(self, wall: float) -> float:
        return wall - self.wall0

    def wall(self, at: float) -> float:
        return self.wall0 + at


# ----------------------------------------------------------------------------------- the load
class Load:
    def __init__(self, run: Run, stack: RunningStack, args: argparse.Namespace, run_id: str) -> None:
        self.run, self.args = run, args
        self.url = f"{stack.app_url('user-progress')}/update-progress"
        self.headers = stack.admin_headers
        self.learners = [f"chaos-{run_id}-{n:02d}" for n in range(args.learners)]
        self.probe_learner = f"chaos-{run_id}-probe"
        self.run_id = run_id
        self.stopping = asyncio.Event()
        self.finish_deadline = float("inf")
        self._sequence: Counter[str] = Counter()
        # events far enough back that a learner never reaches "now" (at most 5 min ahead is refused)
        self._base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
        self._random = random.Random(run_id)

    def _body(self, learner: str) -> dict[str, Any]:
        number = self._sequence[learner]
        self._sequence[learner] += 1
        activity = ACTIVITIES[number % len(ACTIVITIES)]
        body: dict[str, Any] = {
            "event_id": f"{learner}-{number}",
            "learner_id": learner,
            "activity": activity,
            "topic": "variables",
            "completed_at": (self._base + number * EVENT_STEP).isoformat(),
        }
        if activity != "lesson":
            body["score"] = self._random.randint(0, 100)
        return body

    async def _deliver(self, http: httpx.AsyncClient, learner: str, probe: bool) -> None:
        """Sends one new event and the same event again until it is acknowledged (or refused as such)."""
        body = self._body(learner)
        sent = Sent(body["event_id"], learner, self.run.now())
        self.run.sent[sent.event_id] = sent
        while self.run.now() < self.finish_deadline:
            sent.attempts += 1
            began = self.run.now()
            try:
                response = await http.post(self.url, json=body)
            except httpx.HTTPError:
                self.run.answers.append(Answer(self.run.now(), "no-answer", self.run.now() - began, probe))
                await asyncio.sleep(PROBE_INTERVAL if probe else NO_ANSWER_BACKOFF)
                continue
            status, retry_after = response.status_code, response.headers.get("retry-after")
            kind = str(status)
            if status == 503:
                kind = "503+RA" if retry_after else "503-no-RA"
            answered = self.run.now()
            self.run.answers.append(Answer(answered, kind, answered - began, probe))
            if status == 200:
                sent.acked_at = answered
                self.run.ack_times.append(answered)
                return
            if 400 <= status < 500 and status not in (408, 429):
                sent.refused = f"{status} {response.text[:300]}"
                log(f"event {sent.event_id} refused: {sent.refused}")
                return
            wait = NO_ANSWER_BACKOFF
            if retry_after and not probe:
                with contextlib.suppress(ValueError):
                    wait = min(max(float(retry_after), 0.0), RETRY_AFTER_CAP)
            await asyncio.sleep(PROBE_INTERVAL if probe else wait)

    async def client(self, learners: list[str]) -> None:
        timeout = httpx.Timeout(self.args.request_timeout, connect=3.0)
        async with httpx.AsyncClient(timeout=timeout, headers=self.headers) as http:
            while not self.stopping.is_set():
                for learner in learners:
                    if self.stopping.is_set():
                        break
                    await self._deliver(http, learner, probe=False)

    async def probe(self) -> None:
        timeout = httpx.Timeout(self.args.request_timeout, connect=3.0)
        async with httpx.AsyncClient(timeout=timeout, headers=self.headers) as http:
            while not self.stopping.is_set():
                began = time.monotonic()
                await self._deliver(http, self.probe_learner, probe=True)
                await asyncio.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - began)))

    def tasks(self) -> list[asyncio.Task[None]]:
        clients = max(1, self.args.clients)
        owned = [self.learners[index::clients] for index in range(clients)]
        return [asyncio.create_task(self.client(learners)) for learners in owned if learners] + [
            asyncio.create_task(self.probe())
        ]

    def all_learners(self) -> list[str]:
        return [*self.learners, self.probe_learner]


# ----------------------------------------------------------------------------------- the topic
class TopicTail(threading.Thread):
    """Reads progress-events (and its dead letters) from where they ended at the start of the run,
    throughout the run; keeps the events of this run's learners."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        super().__init__(daemon=True)
        from confluent_kafka import Consumer, TopicPartition

        self.prefix = prefix
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        # source_event_id -> CloudEvent ids of its progress.updated events (one entry per message)
        self.progress: dict[str, list[str]] = defaultdict(list)
        #: source_event_id -> the learner's ``events_recorded`` its progress.updated event announced
        self.counted: dict[str, int] = {}
        self.published: list[float] = []  # wall times (producer's) of this run's progress.updated messages
        self.other_types: Counter[str] = Counter()
        self.dead_letters = 0
        self.errors: list[str] = []
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"chaos-tail-{prefix}",  # offsets assigned, never committed
                "enable.auto.commit": False,
                "log_level": 0,
            }
        )
        assigned = []
        for topic in (PROGRESS_TOPIC, DLQ_TOPIC):
            for partition in self.consumer.list_topics(topic, timeout=20).topics[topic].partitions:
                _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=20)
                assigned.append(TopicPartition(topic, partition, high))
        self.consumer.assign(assigned)

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                message = self.consumer.poll(0.5)
                if message is None:
                    continue
                if message.error():
                    with self.lock:
                        self.errors.append(str(message.error()))
                    continue
                self._keep(message)
        finally:
            self.consumer.close()

    def _keep(self, message: Any) -> None:
        try:
            event = json.loads(message.value() or b"")
        except ValueError:
            return
        if not isinstance(event, dict) or not str(event.get("subject", "")).startswith(self.prefix):
            return
        with self.lock:
            if message.topic() == DLQ_TOPIC:
                self.dead_letters += 1
                return
            if event.get("type") != PROGRESS_UPDATED:
                self.other_types[str(event.get("type"))] += 1
                return
            source = str((event.get("data") or {}).get("source_event_id"))
            self.progress[source].append(str(event.get("id")))
            with contextlib.suppress(TypeError, ValueError):
                self.counted.setdefault(source, int(event["data"]["events_recorded"]))
            _, millis = message.timestamp()
            if millis > 0:
                self.published.append(millis / 1000)

    def first_published_after(self, wall: float) -> float | None:
        """The producer's time of the first progress event of this run produced after ``wall``."""
        with self.lock:
            later = [at for at in self.published if at >= wall]
        return min(later) if later else None

    def missing(self, event_ids: list[str]) -> list[str]:
        with self.lock:
            return [event_id for event_id in event_ids if event_id not in self.progress]

    def wait_for(self, event_ids: list[str], timeout: float) -> list[str]:
        """Waits until each of ``event_ids`` has its event, or the timeout; returns those still missing."""
        deadline = time.monotonic() + timeout
        while (missing := self.missing(event_ids)) and time.monotonic() < deadline:
            time.sleep(0.5)
        return missing

    def snapshot(self) -> tuple[dict[str, list[str]], dict[str, int], Counter[str], int, list[str]]:
        with self.lock:
            return (
                {key: list(value) for key, value in self.progress.items()},
                dict(self.counted),
                Counter(self.other_types),
                self.dead_letters,
                list(self.errors),
            )


# ----------------------------------------------------------------------------------- faults
class Chaos:
    def __init__(self, args: argparse.Namespace, stack: RunningStack, stack_path: Path) -> None:
        self.args, self.stack, self.stack_path = args, stack, stack_path
        self.run = Run()
        self.run_id = uuid.uuid4().hex[:8]
        self.load = Load(self.run, stack, args, self.run_id)
        self.down: str | None = None  # a process killed and not started again yet
        self.ready_urls = [f"{stack.app_url(app)}/readyz" for app in stack.info["apps"]]
        self.tail = TopicTail(stack.kafka_bootstrap, f"chaos-{self.run_id}-")

    async def all_ready(self, http: httpx.AsyncClient) -> bool:
        for url in self.ready_urls:
            try:
                if (await http.get(url, timeout=2.0)).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    async def process_ready(self, process: str, http: httpx.AsyncClient) -> bool:
        """The restarted process answers its own health check (what the stack waits for at start)."""
        try:
            if process == "postgres":
                return await asyncio.to_thread(_postgres_answers, self.stack.postgres_dsn)
            if process == "kafka":
                return await asyncio.to_thread(_kafka_answers, self.stack.kafka_bootstrap)
            if process in self.stack.info["apps"]:
                return (await http.get(f"{self.stack.app_url(process)}/healthz", timeout=2.0)).status_code == 200
            if process.endswith("-daprd"):
                url = f"{self.stack.dapr_url(process.removesuffix('-daprd'))}/v1.0/healthz"
                return (await http.get(url, timeout=2.0)).status_code < 300
            port = _argument(read_live_pid(self.stack_path / "pids" / f"{process}.pid"), "--healthz-port")
            return (await http.get(f"http://127.0.0.1:{port}/healthz", timeout=2.0)).status_code < 300
        except Exception:
            return False

    async def hold(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def fault(self, process: str, http: httpx.AsyncClient) -> FaultRun:
        fault = FaultRun(process, start=self.run.now())
        self.run.faults.append(fault)
        log(f"{process}: {self.args.seconds:g}s of load, then kill -9")
        await self.hold(self.args.seconds)
        fault.killed = self.run.now()
        try:
            fault.killed_pid = await asyncio.to_thread(control.kill, self.stack_path, process)
        except control.ControlError as error:
            fault.error = f"kill: {error}"
            fault.end = self.run.now()
            return fault
        self.down = process
        await self.hold(self.args.outage)
        fault.restarted = self.run.now()
        try:
            fault.new_pid = await asyncio.to_thread(control.restart, self.stack_path, process)
            self.down = None
        except control.ControlError as error:
            fault.error = f"restart: {error}"
            fault.end = self.run.now()
            return fault
        deadline = fault.restarted + self.args.recover_timeout
        while self.run.now() < deadline:
            reached = fault.milestones
            if "process" not in reached and await self.process_ready(process, http):
                reached["process"] = self.run.now()
            index = bisect.bisect_right(self.run.ack_times, fault.restarted)
            if "ack" not in reached and index < len(self.run.ack_times):
                reached["ack"] = self.run.ack_times[index]
            if "readyz" not in reached and await self.all_ready(http):
                reached["readyz"] = self.run.now()
            if "event" not in reached and (
                published := self.tail.first_published_after(self.run.wall(fault.restarted))
            ):
                reached["event"] = self.run.from_wall(published)
            if len(reached) == len(MILESTONES):
                fault.recovered = max(reached.values())
                break
            await asyncio.sleep(0.1)
        if fault.recovered is None:
            waiting = [name for name in MILESTONES if name not in fault.milestones]
            fault.error = f"not recovered {self.args.recover_timeout:g}s after the restart (no {', '.join(waiting)})"
            log(f"{process}: {fault.error}")
            fault.end = self.run.now()
            return fault
        log(
            f"{process}: recovered {fault.recovered - fault.restarted:.2f}s after the restart ("
            + ", ".join(f"{MILESTONES[name]} {at - fault.restarted:.2f}s" for name, at in fault.milestones.items())
            + ")"
        )
        await self.hold(self.args.seconds)
        fault.end = self.run.now()
        return fault

    def processes_alive(self) -> dict[str, bool]:
        return {path.stem: read_live_pid(path) is not None for path in sorted((self.stack_path / "pids").glob("*.pid"))}

    async def execute(self) -> dict[str, Any]:
        tail = self.tail
        tail.start()
        tasks = self.load.tasks()
        log(
            f"run {self.run_id}: {self.args.clients} clients over {self.args.learners} learners and a probe; "
            f"faults: {', '.join(self.args.faults)}"
        )
        try:
            async with httpx.AsyncClient() as http:
                for process in self.args.faults:
                    fault = await self.fault(process, http)
                    if fault.error:
                        log(f"{process}: {fault.error}; the remaining faults are skipped")
                        break
        finally:
            if self.down is not None:  # interrupted or failed between kill and restart: never leave it down
                log(f"starting {self.down} again")
                try:
                    await asyncio.to_thread(control.restart, self.stack_path, self.down)
                except control.ControlError as error:
                    log(f"could not start {self.down} again: {error}")
            self.load.stopping.set()
            self.load.finish_deadline = self.run.now() + FINISH_TIMEOUT
            await asyncio.gather(*tasks, return_exceptions=True)
        load_end = self.run.now()
        acked = [sent.event_id for sent in self.run.sent.values() if sent.acked_at is not None]
        log(f"load stopped: {len(acked)} updates acknowledged; waiting for their events on {PROGRESS_TOPIC}")
        missing_after_drain = await asyncio.to_thread(tail.wait_for, acked, self.args.drain_timeout)
        drained_in = self.run.now() - load_end
        learners = await self.read_learners()
        if missing_after_drain:  # the reads above also flush outboxes: did that publish them?
            await asyncio.sleep(10)
        tail.stopping.set()
        await asyncio.to_thread(tail.join, 30)
        return self.analyse(tail, learners, missing_after_drain, drained_in, load_end)

    async def read_learners(self) -> dict[str, dict[str, Any]]:
        """Each learner's ``events_recorded`` (GET /status) and logged event ids (GET /export)."""
        base = self.stack.app_url("user-progress")
        found: dict[str, dict[str, Any]] = {}
        async with httpx.AsyncClient(headers=self.stack.admin_headers, timeout=60) as http:
            for learner in self.load.all_learners():
                for attempt in range(READ_ATTEMPTS):
                    entry: dict[str, Any] = {"events_recorded": 0, "log": [], "error": None}
                    status = await http.get(f"{base}/status", params={"learner_id": learner})
                    exported = await http.get(f"{base}/export", params={"learner_id": learner})
                    if status.status_code == 200 and exported.status_code == 200:
                        entry["events_recorded"] = status.json()["events_recorded"]
                        entry["log"] = [event["event_id"] for event in exported.json()["events"]]
                        break
                    if status.status_code == 404:
                        break
                    entry["error"] = f"status {status.status_code}, export {exported.status_code}: {status.text[:200]}"
                    if attempt + 1 < READ_ATTEMPTS:
                        await asyncio.sleep(1.0)
                found[learner] = entry
        return found

    # ------------------------------------------------------------------------------- the figures
    def analyse(
        self,
        tail: TopicTail,
        learners: dict[str, dict[str, Any]],
        missing_after_drain: list[str],
        drained_in: float,
        load_end: float,
    ) -> dict[str, Any]:
        run, faults = self.run, self.run.faults
        progress, counted, other_types, dead_letters, kafka_errors = tail.snapshot()
        starts = [fault.start for fault in faults]

        def window(at: float) -> int:
            return max(0, bisect.bisect_right(starts, at) - 1)

        sent_by_learner: dict[str, list[Sent]] = defaultdict(list)
        for sent in run.sent.values():
            sent_by_learner[sent.learner].append(sent)
        per_fault: list[dict[str, Any]] = [defaultdict(int) for _ in faults] or [defaultdict(int)]
        failures: list[str] = []
        learner_rows: dict[str, Any] = {}
        for learner, entry in learners.items():
            logged = Counter(entry["log"])
            mine = sorted(sent_by_learner.get(learner, []), key=lambda sent: sent.first_sent)
            acked = {sent.event_id for sent in mine if sent.acked_at is not None}
            attempted = {sent.event_id for sent in mine}
            lost = sorted(acked - set(logged))
            repeated = {event_id: count for event_id, count in logged.items() if count > 1}
            invented = sorted(set(logged) - attempted)
            unconfirmed = (set(logged) & attempted) - acked
            recorded = entry["events_recorded"]
            # events_recorded must be the number of acknowledged updates: fewer is an acknowledged update
            # not counted (lost even if it is in the log), more is one counted twice
            uncounted = max(0, len(acked) - recorded - len(lost))
            overcounted = max(
                0, recorded - len(acked) - len(unconfirmed) - sum(count - 1 for count in repeated.values())
            )
            diverged = _count_diverged(mine, counted) if not unconfirmed else None
            learner_rows[learner] = {
                "acknowledged": len(acked),
                "events_recorded": recorded,
                "logged": len(entry["log"]),
                "lost": lost,
                "acknowledged_not_counted": uncounted,
                "logged_twice": repeated,
                "counted_twice": overcounted,
                "count_diverged_at": diverged,
                "recorded_without_ack": sorted(unconfirmed),
                "unknown_in_log": invented,
                "error": entry["error"],
            }
            if entry["error"]:
                failures.append(f"{learner}: could not be read: {entry['error']}")
            if invented:
                failures.append(f"{learner}: events never sent are in the log: {invented[:5]}")
            for event_id in lost:
                per_fault[window(run.sent[event_id].acked_at or 0)]["lost"] += 1
            for event_id, count in repeated.items():
                origin = run.sent.get(event_id)
                per_fault[window(origin.first_sent if origin else 0.0)]["double_counted"] += count - 1
            if uncounted or overcounted or recorded != len(entry["log"]):
                # not one event's fault: put it where the learner's announced count first went wrong
                where = run.sent[diverged["event_id"]] if diverged else (mine[-1] if mine else None)
                at = (where.acked_at or where.first_sent) if where else 0.0
                per_fault[window(at)]["lost"] += uncounted
                per_fault[window(at)]["double_counted"] += overcounted
                process = faults[window(at)].process if faults else "-"
                failures.append(
                    f"{process}: learner {learner}: {len(acked)} updates acknowledged, events_recorded {recorded}, "
                    f"{len(entry['log'])} in the log; "
                    + (
                        f"its count first went wrong at {diverged['event_id']} (acknowledged at "
                        f"{diverged['acknowledged_at']:.2f} s, its event says events_recorded "
                        f"{diverged['announced']}, expected {diverged['expected']})"
                        if diverged
                        else "no event shows where its count went wrong"
                    )
                )
        for sent in run.sent.values():
            bucket = per_fault[window(sent.acked_at if sent.acked_at is not None else sent.first_sent)]
            if sent.refused:
                bucket["refused"] += 1
            if sent.acked_at is None:
                bucket["unacknowledged"] += 1
                continue
            bucket["acknowledged"] += 1
            ids = progress.get(sent.event_id, [])
            distinct = set(ids)
            if not ids:
                bucket["missing_events"] += 1
            bucket["event_ids"] += len(distinct)
            bucket["redelivered"] += len(ids) - len(distinct)
            if len(distinct) > 1:
                bucket["conflicting_event_ids"] += 1
        acked_ids = {sent.event_id for sent in run.sent.values() if sent.acked_at is not None}
        strays = [source for source in progress if source not in run.sent]
        rows: list[dict[str, Any]] = []
        for index, fault in enumerate(faults):
            bucket = per_fault[index]
            during = [a for a in run.answers if fault.killed <= a.at <= (fault.recovered or fault.end)]
            kinds = Counter(answer.kind for answer in during)
            everywhere = Counter(
                answer.kind
                for answer in run.answers
                if window(answer.at) == index and answer.kind not in ("200", "503+RA", "no-answer")
            )
            until = fault.recovered or fault.end
            row = {
                "process": fault.process,
                "killed_pid": fault.killed_pid,
                "new_pid": fault.new_pid,
                "outage_seconds": round(fault.restarted - fault.killed, 2) if fault.restarted else None,
                "acknowledged": bucket["acknowledged"],
                "acknowledged_while_down": _count(run.ack_times, fault.killed, fault.restarted or fault.end),
                "acks_per_second_before": _rate(run.ack_times, fault.start, fault.killed),
                "acks_per_second_kill_to_recovered": _rate(run.ack_times, fault.killed, until),
                "recovered_after": _delta(fault.recovered, fault.restarted),
                "recovery": {name: _delta(at, fault.restarted) for name, at in fault.milestones.items()},
                "lost": bucket["lost"],
                "double_counted": bucket["double_counted"],
                "event_ids": bucket["event_ids"],
                "missing_events": bucket["missing_events"],
                "redelivered": bucket["redelivered"],
                "conflicting_event_ids": bucket["conflicting_event_ids"],
                "unacknowledged": bucket["unacknowledged"],
                "refused": bucket["refused"],
                "answers_during_outage": dict(sorted(kinds.items())),
                "bad_answers": dict(sorted(everywhere.items())),
                "slowest_answer_during_outage": round(max((a.latency for a in during), default=0.0), 2),
                "error": fault.error,
            }
            rows.append(row)
            name = fault.process
            for figure in ("lost", "double_counted", "missing_events", "conflicting_event_ids", "refused"):
                if row[figure]:
                    failures.append(f"{name}: {figure.replace('_', ' ')} = {row[figure]}")
            if row["bad_answers"]:
                failures.append(f"{name}: bad answers {row['bad_answers']}")
            if fault.error:
                failures.append(f"{name}: {fault.error}")
        if strays:
            failures.append(f"{len(strays)} events on {PROGRESS_TOPIC} for updates never sent: {strays[:5]}")
        unacked = [sent.event_id for sent in run.sent.values() if sent.acked_at is None and not sent.refused]
        if unacked:
            failures.append(f"{len(unacked)} updates never acknowledged (still failing at the end): {unacked[:5]}")
        alive = self.processes_alive()
        if not all(alive.values()):
            failures.append(f"processes not running at the end: {[name for name, up in alive.items() if not up]}")
        still_missing = [event_id for event_id in missing_after_drain if event_id not in progress]
        if missing_after_drain and not still_missing:
            failures.append(
                f"{len(missing_after_drain)} events were published only when their learner was read again, "
                f"not within {self.args.drain_timeout:g}s by the outbox reminder: {missing_after_drain[:5]}"
            )
        return {
            "run_id": self.run_id,
            "started_at": datetime.fromtimestamp(run.wall0, UTC).isoformat(timespec="seconds"),
            "seconds": round(run.now(), 1),
            "load_seconds": round(load_end, 1),
            "settings": {
                key: getattr(self.args, key)
                for key in ("seconds", "outage", "clients", "learners", "recover_timeout", "drain_timeout")
            },
            "faults": rows,
            "totals": {
                "updates_sent": len(run.sent),
                "acknowledged": len(acked_ids),
                "answers": dict(sorted(Counter(answer.kind for answer in run.answers).items())),
                "events_seen": sum(len(ids) for ids in progress.values()),
                "distinct_event_ids": len({i for ids in progress.values() for i in ids}),
                "other_event_types": dict(other_types),
                "dead_letters": dead_letters,
                "kafka_read_errors": len(kafka_errors),
                "drained_in_seconds": round(drained_in, 1),
                "missing_after_drain": len(missing_after_drain),
            },
            "timeline": {
                "acks_per_second": [_count(run.ack_times, second, second + 1) for second in range(int(load_end) + 1)],
                "faults": [
                    {
                        "process": fault.process,
                        **{key: round(getattr(fault, key), 2) for key in ("start", "killed", "restarted", "end")},
                        "recovered": round(fault.recovered, 2) if fault.recovered is not None else None,
                    }
                    for fault in faults
                ],
            },
            "learners": learner_rows,
            "processes_alive_at_end": alive,
            "failures": failures,
            "passed": not failures,
        }


def _postgres_answers(dsn: str) -> bool:
    import psycopg

    with psycopg.connect(dsn, connect_timeout=2) as connection:
        return connection.execute("select 1").fetchone() == (1,)


def _kafka_answers(bootstrap: str) -> bool:
    from confluent_kafka.admin import AdminClient

    metadata = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0}).list_topics(PROGRESS_TOPIC, timeout=2)
    partitions = metadata.topics[PROGRESS_TOPIC].partitions.values()
    return bool(metadata.brokers) and bool(partitions) and all(p.leader >= 0 for p in partitions)


def _argument(pid: int | None, flag: str) -> str:
    """The value of ``flag`` in a running process's command line (e.g. placement's --healthz-port)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return argv[argv.index(flag) + 1]


def _count_diverged(sent: list[Sent], counted: dict[str, int]) -> dict[str, Any] | None:
    """The first of a learner's updates (in the order sent, each acknowledged before the next) whose
    progress event announced another ``events_recorded`` than its rank: where its count went wrong."""
    for rank, update in enumerate(sent, start=1):
        announced = counted.get(update.event_id)
        if update.acked_at is not None and announced is not None and announced != rank:
            return {
                "event_id": update.event_id,
                "acknowledged_at": round(update.acked_at, 2),
                "announced": announced,
                "expected": rank,
            }
    return None


def _count(times: list[float], start: float, end: float) -> int:
    return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)


def _rate(times: list[float], start: float, end: float) -> float | None:
    return round(_count(times, start, end) / (end - start), 1) if end > start else None


def _delta(value: float | None, since: float) -> float | None:
    return round(value - since, 2) if value is not None else None


# ----------------------------------------------------------------------------------- the report
def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def markdown(report: dict[str, Any]) -> str:
    settings, totals = report["settings"], report["totals"]
    lines = [
        f"# Chaos run {report['run_id']} ({report['started_at']})",
        "",
        f"`make chaos`: {settings['clients']} clients over {settings['learners']} learners + a probe; per fault "
        f"{settings['seconds']:g} s of load, kill -9, {settings['outage']:g} s down, restart, recovery, "
        f"{settings['seconds']:g} s of load. Run time {report['seconds']:.0f} s. "
        f"**{'PASSED' if report['passed'] else 'FAILED'}**.",
        "",
        "What the updates became (each counted under the fault whose window it was acknowledged in):",
        "",
        "| killed (kill -9) | acknowledged | lost | double-counted | event ids / acknowledged | missing events"
        " | conflicting ids | redelivered |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["faults"]:
        lines.append(
            f"| {row['process']} | {row['acknowledged']} | {row['lost']} | {row['double_counted']}"
            f" | {row['event_ids']} / {row['acknowledged']} | {row['missing_events']}"
            f" | {row['conflicting_event_ids']} | {row['redelivered']} |"
        )
    lines += [
        "",
        "Answers and recovery (times from the restart):",
        "",
        "| killed | down | answers, kill -> recovered | bad answers | slowest | acked/s before -> until recovered"
        " | process healthy | 1st update acked | every /readyz | 1st event published | recovered |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["faults"]:
        answers = ", ".join(f"{kind}: {count}" for kind, count in row["answers_during_outage"].items()) or "-"
        bad = ", ".join(f"{kind}: {count}" for kind, count in row["bad_answers"].items()) or "0"
        recovery = row["recovery"]
        recovered = _seconds(row["recovered_after"]) if not row["error"] else f"**{row['error']}**"
        lines.append(
            f"| {row['process']} | {_seconds(row['outage_seconds'])} | {answers} | {bad}"
            f" | {_seconds(row['slowest_answer_during_outage'])}"
            f" | {row['acks_per_second_before']} -> {row['acks_per_second_kill_to_recovered']}"
            + "".join(f" | {_seconds(recovery.get(name))}" for name in MILESTONES)
            + f" | {recovered} |"
        )
    answers = ", ".join(f"{kind}: {count}" for kind, count in totals["answers"].items())
    lines += [
        "",
        f"Totals: {totals['updates_sent']} updates sent, {totals['acknowledged']} acknowledged; "
        f"{totals['events_seen']} progress.updated messages with {totals['distinct_event_ids']} distinct ids; "
        f"answers {answers}; every event on the topic {totals['drained_in_seconds']:g} s after the load stopped "
        f"({totals['missing_after_drain']} missing then); {totals['dead_letters']} of this run's events dead-lettered "
        f"by consumers.",
        "",
        "*lost*: acknowledged (200) but not in the learner's log (GET /export); *double-counted*: in the log "
        "twice, or counted in `events_recorded` (GET /status) beyond the log; *event ids*: distinct CloudEvent "
        "ids of `progress.updated` on `progress-events` for those updates; *conflicting ids*: one update with two "
        "different ids; *redelivered*: the same id again (allowed). *answers*: every answer to "
        "`POST /update-progress` from the kill until recovered (`no-answer`: connection refused or timed out, "
        "the app being down); *bad answers*: anything but 200, 503 with Retry-After or no answer in the "
        "fault's window (a 500 is one); *slowest*: the longest wait for an answer in the outage; "
        "*recovered*: all four milestones reached.",
    ]
    if report["failures"]:
        lines += ["", "Failures:", "", *[f"- {failure}" for failure in report["failures"]]]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="load before each kill and after recovery")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds a killed process stays down")
    parser.add_argument("--clients", type=int, default=4, help="concurrent load clients")
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--faults", nargs="+", default=list(FAULTS), choices=FAULTS, metavar="PROCESS")
    parser.add_argument("--recover-timeout", type=float, default=120.0)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--request-timeout", type=float, default=60.0, help="a client's wait for one answer")
    parser.add_argument("--out", type=Path, default=None, help="folder for chaos.md / chaos.json")
    args = parser.parse_args(argv)
    repo = find_repo_root()
    stack_path = stack_dir(repo)
    try:
        info = json.loads(info_file(stack_path).read_text())
    except (OSError, ValueError):
        log(f"no running stack ({info_file(stack_path)}): `make chaos` starts one")
        return 2
    if not info.get("control_dir"):
        log("the running stack's supervisor cannot restart one process (it predates `devstack restart`): ")
        log("restart the stack (`make down`, then `make chaos` starts a new one)")
        return 2
    chaos = Chaos(args, RunningStack(info), stack_path)
    dead = [name for name, up in chaos.processes_alive().items() if not up]
    if dead:
        log(f"processes of the stack are not running: {dead}; restart the stack first")
        return 2
    try:
        report = asyncio.run(chaos.execute())
    except KeyboardInterrupt:
        log("interrupted")
        return 2
    out = args.out or repo / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(report)
    (out / "chaos.md").write_text(text)
    (out / "chaos.json").write_text(json.dumps(report, indent=2) + "\n")
    print(text)
    log(f"report: {out / 'chaos.md'}, {out / 'chaos.json'}")
    if report["failures"]:
        log(f"FAILED: {len(report['failures'])} problem(s)")
        return 1
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
