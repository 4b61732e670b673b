"""The AsyncAPI 3.0 document of the events (docs/architecture.md): what a subscriber binds to and receives.

Every event is published on the topic exchange ``<source>.events`` with its type as routing key,
as an ``EventEnvelope`` whose ``payload`` is the event's model. Analysts may bind a queue of their
own to any of these exchanges. Built from the same pydantic models the services publish with, so
it cannot drift from them; the gateway serves it at ``GET /asyncapi.json``.
"""
from __future__ import annotations

import functools

from pydantic.json_schema import models_json_schema

from services.contracts import cloudevents
from services.contracts.events import EventEnvelope
from services.contracts.registry import EVENT_TYPES

REF = "#/components/schemas/{model}"


@functools.cache
def document() -> dict:
    events = list(EVENT_TYPES.values())
    _, defs = models_json_schema([(cls, "serialization") for cls in events], ref_template=REF)
    schemas = dict(defs["$defs"])
    envelope = EventEnvelope.model_json_schema(ref_template=REF)
    channels, operations, messages = {}, {}, {}
    for cls in events:
        name = cls.event_type
        exchange = f"{cls.source}.events"
        messages[name] = {
            "name": name,
            "title": cls.__name__,
            "summary": (cls.__doc__ or "").strip().split("\n")[0] or f"{name} from {cls.source}",
            "contentType": "application/json",
            "headers": _cloudevents_headers(cls),
            "payload": {**envelope, "required": list(envelope["properties"]), "properties": {
                **envelope["properties"],
                "event_type": {"const": name},
                "source": {"const": cls.source},
                "schema_version": {"const": cls.schema_version},
                "payload": {"$ref": REF.format(model=cls.__name__)},
            }},
        }
        channels[name] = {
            "address": name,
            "description": f"routing key `{name}` on the topic exchange `{exchange}`",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": exchange, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}},
        }
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"bind a queue to `{exchange}` with routing key `{name}` (or `#` for all)",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Scholingsalliantie events",
            "version": "1",
            "description": "Facts the services publish on RabbitMQ. Bind a queue of your own to an "
                           "exchange `<source>.events` (topic) with an event type as routing key. Course "
                           "events carry the course `version`: ignore one older than what you have. Every "
                           "message is also a CloudEvent (specversion 1.0, NL GOV profile) in binary content "
                           "mode: its headers carry the attributes as the CloudEvents AMQP binding names them "
                           "(`cloudEvents:id`, `cloudEvents:type`, ...), the body is its data.",
        },
        "servers": {"rabbitmq": {"host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _cloudevents_headers(cls) -> dict:
    """The message's headers: its CloudEvents attributes (services/contracts/cloudevents.py)."""
    attribute = cloudevents.HEADER_PREFIX + "{}"
    properties = {
        attribute.format("specversion"): {"const": cloudevents.SPECVERSION},
        attribute.format("id"): {"type": "string", "description": "the envelope's event_id"},
        attribute.format("source"): {"type": "string", "pattern": f"^urn:nld:.*:{cls.source}$",
                                     "description": "the alliance's URN (CLOUDEVENTS_SOURCE) and the service"},
        attribute.format("type"): {"const": cloudevents.event_type(cls.source, cls.event_type)},
        attribute.format("time"): {"type": "string", "format": "date-time", "description": "the envelope's occurred_at"},
        attribute.format("dataschema"): {"type": "string", "format": "uri",
                                         "description": "this message's payload schema in this document"},
    }
    if cls.subject:
        properties[attribute.format("subject")] = {"type": "string", "description": f"the payload's `{cls.subject}`"}
    return {"type": "object", "required": list(properties), "properties": properties}
