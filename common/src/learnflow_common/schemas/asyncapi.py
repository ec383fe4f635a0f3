"""The AsyncAPI 3.0 document of LearnFlow's Kafka topics (``asyncapi.json``, beside the JSON Schemas).

One document for a team that consumes the events with its own client: each topic, the messages on
it (CloudEvents 1.0 structured-mode JSON whose ``data`` is the event type's JSON Schema file), the
record key, who publishes, and the dead-letter topics. Generated from ``learnflow_common.events``
by ``make schemas``; a unit test fails when it drifts.
"""

from __future__ import annotations

from typing import Any

from learnflow_common.events import (
    DEAD_LETTER_SUFFIX,
    EVENT_OWNERS,
    EVENT_TOPICS,
    EVENT_TYPES,
    KAFKA_TOPICS,
    dead_letter_topic,
)

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
PARTITIONS = 3
CLOUDEVENTS_JSON = "application/cloudevents+json"


def _channel_id(topic: str) -> str:
    head, *rest = topic.split("-")
    return head + "".join(part.title() for part in rest)


def _message_id(event_type: str) -> str:
    return event_type.removeprefix("learnflow.").replace(".", "-")


def _message(event_type: str) -> dict[str, Any]:
    owner = EVENT_OWNERS[event_type]
    model = EVENT_TYPES[event_type]
    return {
        "name": event_type,
        "title": event_type,
        "summary": (model.__doc__ or event_type).strip().splitlines()[0],
        "contentType": CLOUDEVENTS_JSON,
        "payload": {
            "type": "object",
            "description": "A CloudEvents 1.0 envelope; consumers deduplicate on `id` (redeliveries keep it).",
            "required": ["specversion", "id", "source", "type", "time", "data"],
            "properties": {
                "specversion": {"const": "1.0"},
                "id": {"type": "string", "description": "Stable per event: store it to deduplicate."},
                "source": {"const": owner, "description": "Accept this type only from this source."},
                "type": {"const": event_type},
                "subject": {"type": "string", "description": "The learner id."},
                "time": {"type": "string", "format": "date-time"},
                "datacontenttype": {"const": "application/json"},
                "dataschema": {"type": "string", "format": "uri"},
                "data": {"$ref": f"./{event_type}.json"},
                "traceparent": {
                    "type": "string",
                    "description": "W3C trace context of the publish (the distributed tracing extension, written "
                    "by Dapr; empty when the publisher's trace was not sampled). A consumer continues it to "
                    "join the producer's trace.",
                },
                "tracestate": {"type": "string", "description": "W3C trace state, with `traceparent`."},
            },
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The learner id: one learner's events stay in order."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def render_asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in KAFKA_TOPICS:
        bindings = {"kafka": {"topic": topic, "partitions": PARTITIONS, "bindingVersion": KAFKA_BINDING}}
        if topic.endswith(DEAD_LETTER_SUFFIX):
            source = topic.removesuffix(DEAD_LETTER_SUFFIX)
            channels[_channel_id(topic)] = {
                "address": topic,
                "description": f"Dead letters of `{source}`: deliveries a consumer could never process "
                "(malformed, or refused as poison), moved here by its sidecar, with the original key. "
                "`tools/replay_dlq.py` puts them back once the cause is fixed.",
                "messages": {
                    _message_id(t): {"$ref": f"#/components/messages/{_message_id(t)}"}
                    for t, home in EVENT_TOPICS.items()
                    if home == source
                },
                "bindings": bindings,
            }
            continue
        types = sorted(t for t, home in EVENT_TOPICS.items() if home == topic)
        owners = sorted({EVENT_OWNERS[t] for t in types})
        channel = _channel_id(topic)
        channels[channel] = {
            "address": topic,
            "description": f"Published by {', '.join(owners)} through Dapr pub/sub, at least once, keyed by learner "
            f"id. Dead letters: `{dead_letter_topic(topic)}`.",
            "messages": {_message_id(t): {"$ref": f"#/components/messages/{_message_id(t)}"} for t in types},
            "bindings": bindings,
        }
        operations[f"publish{channel[0].upper()}{channel[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{', '.join(owners)} publishes each event once its change is committed (a transactional "
            "outbox); a retry may publish it again with the same id.",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{_message_id(t)}"} for t in types],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "LearnFlow events",
            "version": "1.0.0",
            "description": "The Kafka topics of LearnFlow's backend services. Every message is a CloudEvents 1.0 "
            "JSON envelope (structured mode); its `type` names the contract and version, and its `data` validates "
            "against that type's JSON Schema. A breaking change gets a new `.vN` type.",
        },
        "defaultContentType": CLOUDEVENTS_JSON,
        "servers": {
            "local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "`make up`"},
            "cluster": {
                "host": "kafka-0.kafka:9092",
                "protocol": "kafka",
                "description": "`make -C phase-3-backend-services deploy`, from inside its namespace (the broker's "
                "advertised listener)",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": {_message_id(t): _message(t) for t in sorted(EVENT_TYPES)}},
    }
