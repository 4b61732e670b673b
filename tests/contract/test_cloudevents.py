"""Every event type can be read as a CloudEvent (specversion 1.0, NL GOV profile) by the
CloudEvents SDK itself, from the headers and body a message carries on RabbitMQ (the AMQP
binding, binary content mode). What the live bus carries: tests/e2e/test_events_as_cloudevents.py."""
from __future__ import annotations

import re
import uuid

import orjson
import pytest
from cloudevents.core.bindings.amqp import AMQPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from services.contracts import asyncapi
from services.contracts.cloudevents import amqp_headers
from services.contracts.registry import EVENT_TYPES

ALLIANCE = "urn:nld:oin:00000001234567890000:systeem:scholingsalliantie"
BASE = "https://scholingsalliantie.example.nl"
# the profile's form, written out here rather than read from the code under test
TYPE = re.compile(r"^nl\.scholingsalliantie\.(catalogue|search|intake)\.[a-z]+(-[a-z]+)*$")
# the one thing each event is about, as a reader of the events would name it
SUBJECTS = {"provider_registered": "provider_id", "course_published": "course_id", "course_updated": "course_id",
            "course_withdrawn": "course_id", "funding_scheme_published": "code", "funding_scheme_updated": "code",
            "search_performed": None, "search_result_clicked": "course_id", "course_viewed": "course_id",
            "intake_submitted": "intake_id", "intake_assigned": "intake_id", "callback_due_soon": "intake_id",
            "callback_overdue": "intake_id", "intake_outcome_recorded": "intake_id", "intake_erased": "intake_id",
            "lead_shared": "intake_id"}


def read_as_cloudevent(headers: dict, content_type: str, body: bytes) -> CloudEvent:
    """What a consumer with the SDK makes of a message: it validates the attributes."""
    return from_binary(AMQPMessage(properties={"content-type": content_type}, application_properties=headers,
                                   application_data=body), JSONFormat(), CloudEvent)


def envelope_of(name: str) -> dict:
    cls = EVENT_TYPES[name]
    return {"event_id": str(uuid.uuid4()), "event_type": name, "source": cls.source,
            "occurred_at": "2026-12-07T09:30:00.123456Z", "schema_version": cls.schema_version,
            "payload": {"course_id": str(uuid.uuid4()), "provider_id": str(uuid.uuid4()),
                        "intake_id": str(uuid.uuid4()), "code": "STAP-2027", "search_id": "s-1"}}


def test_every_event_type_is_listed_here():
    assert set(SUBJECTS) == set(EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_type_reads_as_a_cloudevent(name):
    envelope = envelope_of(name)
    headers = amqp_headers(envelope, ALLIANCE, BASE)
    event = read_as_cloudevent(headers, "application/json", orjson.dumps(envelope))
    source = EVENT_TYPES[name].source
    assert event.get_specversion() == "1.0"
    assert event.get_id() == envelope["event_id"]
    assert event.get_source() == f"{ALLIANCE}:{source}"
    assert TYPE.match(event.get_type()) and event.get_type().endswith(name.replace("_", "-")), event.get_type()
    assert event.get_time().isoformat().startswith("2026-12-07T09:30:00.123456")
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == envelope               # the body unchanged: today's consumers read it as ever
    subject = SUBJECTS[name]
    assert event.get_subject() == (envelope["payload"][subject] if subject else None)
    # dataschema: this message's schema in the AsyncAPI document, which is found where it points
    schema = event.get_dataschema()
    assert schema.startswith(f"{BASE}/asyncapi.json#/"), schema
    node = asyncapi.document()
    for part in schema.split("#/", 1)[1].split("/"):
        node = node[part]
    assert node["properties"]["event_type"] == {"const": name}


def test_a_message_without_the_attributes_is_no_cloudevent():
    # the SDK does refuse what the profile requires (so the test above could fail)
    envelope = envelope_of("course_published")
    headers = {k: v for k, v in amqp_headers(envelope, ALLIANCE, BASE).items() if not k.endswith(":source")}
    with pytest.raises(Exception):
        read_as_cloudevent(headers, "application/json", orjson.dumps(envelope))


def test_the_asyncapi_document_declares_the_headers():
    messages = asyncapi.document()["components"]["messages"]
    for name in EVENT_TYPES:
        declared = messages[name]["headers"]["properties"]
        assert {"cloudEvents:specversion", "cloudEvents:id", "cloudEvents:source", "cloudEvents:type",
                "cloudEvents:time", "cloudEvents:dataschema"} <= set(declared), name
        assert ("cloudEvents:subject" in declared) == (SUBJECTS[name] is not None), name
