"""Every event read as a CloudEvent (specversion 1.0), following the NL GOV profile for
CloudEvents. On RabbitMQ the event keeps its body, the envelope (``events.EventEnvelope``): a
consumer that reads the envelope sees no change. The CloudEvents attributes travel beside it as
the message's headers, named as the CloudEvents AMQP binding names its application properties
(``cloudEvents:id``, ``cloudEvents:type``, ...; binary content mode, the envelope being the
event's ``data``, described by ``dataschema``).

- ``source``: the alliance's URN (``CLOUDEVENTS_SOURCE``: its OIN, or a KvK number) and the
  service, ``urn:nld:oin:<oin>:systeem:scholingsalliantie:catalogue``;
- ``type``: ``nl.scholingsalliantie.<service>.<event-type>``, the event type with hyphens;
- ``subject``: the one thing the event is about, where it names one (``Event.subject``);
- ``dataschema``: the envelope's schema in the AsyncAPI document the gateway serves.
"""
from __future__ import annotations

SPECVERSION = "1.0"
HEADER_PREFIX = "cloudEvents:"          # the AMQP binding's prefix of an attribute's property
TYPE_PREFIX = "nl.scholingsalliantie"
DEFAULT_SOURCE = "urn:nld:oin:00000000000000000000:systeem:scholingsalliantie"
CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"   # a whole event in one JSON body (webhooks)


def event_type(source: str, name: str) -> str:
    """``course_published`` of the catalogue: ``nl.scholingsalliantie.catalogue.course-published``."""
    return f"{TYPE_PREFIX}.{source}.{name.replace('_', '-')}"


def dataschema(base_url: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/asyncapi.json#/components/messages/{name}/payload"


def attributes(envelope: dict, source_urn: str, base_url: str) -> dict:
    """The CloudEvents attributes of an envelope (as it crosses the wire: a JSON object)."""
    from services.contracts.registry import EVENT_TYPES     # (the settings read this module too)

    name, source = envelope["event_type"], envelope["source"]
    declared = EVENT_TYPES.get(name)
    found = {"specversion": SPECVERSION, "id": str(envelope["event_id"]), "source": f"{source_urn}:{source}",
             "type": event_type(source, name), "time": str(envelope["occurred_at"]),
             "datacontenttype": CONTENT_TYPE, "dataschema": dataschema(base_url, name)}
    subject = declared and declared.subject and envelope["payload"].get(declared.subject)
    if subject:
        found["subject"] = str(subject)
    return found


def structured(envelope: dict, source_urn: str, base_url: str) -> dict:
    """The envelope as a CloudEvent in structured content mode (one JSON object: the attributes
    and the envelope as its ``data``), as the event stream sends it when asked for CloudEvents."""
    return {**attributes(envelope, source_urn, base_url), "data": envelope}


def amqp_headers(envelope: dict, source_urn: str, base_url: str) -> dict:
    """The attributes as an AMQP message's headers (``datacontenttype`` is its content type)."""
    return {HEADER_PREFIX + name: value for name, value in attributes(envelope, source_urn, base_url).items()
            if name != "datacontenttype"}


def webhook_event(webhook_id: str, source_urn: str, body: dict) -> dict:
    """A webhook's thin body (``{"type": "lead.created", "timestamp", "data"}``, notify's) as a
    CloudEvent in structured content mode, for a receiver that asked for CloudEvents: its id the
    webhook-id (the same on every attempt), its subject the intake, its data the body's data."""
    data = body["data"]
    event = {"specversion": SPECVERSION, "id": webhook_id, "source": f"{source_urn}:notify",
             "type": f"{TYPE_PREFIX}.notify.{body['type'].replace('.', '-').replace('_', '-')}",
             "time": body["timestamp"], "datacontenttype": CONTENT_TYPE, "data": data}
    if data.get("intake_id"):
        event["subject"] = str(data["intake_id"])
    return event
