"""Where an undeliverable message ends up: the Dapr resources both the local stack and the cluster
load (components/, rendered for Kubernetes by k8s/dapr)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from learnflow_common.settings import DaprAppSettings
from learnflow_common.subscriptions import BROKER_MAX_MESSAGE_BYTES, MAX_BULK_MESSAGES, MAX_DELIVERY_BYTES

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
#: Dapr's exponential policy: first wait 0.5 s, each next one 1.5 times longer, up to maxInterval.
FIRST_WAIT_SECONDS, MULTIPLIER = 0.5, 1.5


def _documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((COMPONENTS / name).read_text()) if doc]


def _seconds(duration: str) -> float:
    return float(duration.removesuffix("ms")) / 1000 if duration.endswith("ms") else float(duration.removesuffix("s"))


def test_redeliveries_are_bounded_so_a_message_that_keeps_failing_reaches_the_dead_letters() -> None:
    spec = _documents("resiliency.yaml")[0]["spec"]
    policy_name = spec["targets"]["components"]["pubsub"]["inbound"]["retry"]
    policy = spec["policies"]["retries"][policy_name]

    waits = [
        min(FIRST_WAIT_SECONDS * MULTIPLIER**attempt, _seconds(policy["maxInterval"]))
        for attempt in range(policy["maxRetries"])
    ]

    assert policy["policy"] == "exponential"
    assert policy["maxRetries"] >= 0
    assert 60 <= sum(waits) <= 10 * 60  # outlives a restart, does not hold a partition for long


def test_every_subscription_dead_letters_to_its_topic_dlq() -> None:
    subscriptions = _documents("subscriptions.yaml")

    assert subscriptions
    for subscription in subscriptions:
        assert subscription["spec"]["deadLetterTopic"] == f"{subscription['spec']['topic']}-dlq"


#: Consumers whose values no request waits for (the global lesson feed, the weekly standings).
READ_LATER = {"course-agent-lesson-events", "user-progress-progress-events"}


def test_a_bulk_delivery_fits_what_the_apps_accept_and_waits_little_to_fill() -> None:
    """The apps size their delivery limit from these figures (learnflow_common.subscriptions)."""
    bulk = {
        doc["metadata"]["name"]: doc["spec"]["bulkSubscribe"]
        for doc in _documents("subscriptions.yaml")
        if "bulkSubscribe" in doc["spec"]
    }
    broker = {item["name"]: item.get("value") for item in _documents("pubsub.yaml")[0]["spec"]["metadata"]}

    assert bulk  # the progress-events consumers: one actor call per actor and batch
    for name, config in bulk.items():
        assert config["enabled"] is True
        assert 0 < config["maxMessagesCount"] <= MAX_BULK_MESSAGES
        # an idle event waits at most this long; the feed's lessons and the standings' XP may wait longer
        assert 0 < config["maxAwaitDurationMs"] <= (1000 if name in READ_LATER else 50)
    assert max(config["maxMessagesCount"] for config in bulk.values()) == MAX_BULK_MESSAGES
    assert int(broker["maxMessageBytes"]) == BROKER_MAX_MESSAGE_BYTES
    # every delivery of events the apps take whole (each at most their request limit) fits
    largest_event = DaprAppSettings.model_fields["max_body_bytes"].default
    assert MAX_BULK_MESSAGES * largest_event <= MAX_DELIVERY_BYTES
