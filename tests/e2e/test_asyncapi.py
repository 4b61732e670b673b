"""The AsyncAPI document (docs/architecture.md: analysts bind their own queue to any `<service>.events`
exchange) tells the truth: a subscriber that binds where the document says receives the events a
provider's publish and a search cause, and each one is valid against its message schema."""
from __future__ import annotations

import uuid

import jsonschema
import pytest
from kombu import Connection, Exchange, Queue

from services.contracts.registry import EVENT_TYPES
from tests.e2e.test_journey import a_course
from tests.infra import eventually


@pytest.fixture
def subscription(platform, anonymous):
    """A queue bound to every channel of the document, exactly as its AMQP bindings say."""
    document = anonymous.get("/asyncapi.json").json()
    queue_name = f"analyst-{uuid.uuid4().hex[:8]}"
    bindings = []
    for channel in document["channels"].values():
        exchange = channel["bindings"]["amqp"]["exchange"]
        bindings.append((Exchange(exchange["name"], type=exchange["type"], durable=exchange["durable"],
                                  auto_delete=exchange["autoDelete"]), channel["address"]))
    with Connection(platform.amqp_uri) as conn:
        channel = conn.channel()
        for exchange, routing_key in bindings:
            Queue(queue_name, exchange=exchange, routing_key=routing_key, durable=False)(channel).declare()
    received: list[dict] = []

    def drain() -> list[dict]:
        with Connection(platform.amqp_uri) as conn:
            bound = Queue(queue_name)(conn.channel())
            while (message := bound.get(no_ack=True)) is not None:
                # as the document says (the services write JSON with orjson, a subscriber with
                # any JSON decoder reads it)
                assert (message.content_type, message.content_encoding) == ("application/json", "utf-8")
                received.append(message.payload)
        return received

    yield document, drain
    with Connection(platform.amqp_uri) as conn:
        Queue(queue_name)(conn.channel()).delete()


def test_a_subscriber_binding_as_documented_receives_valid_events(subscription, provider, anonymous):
    document, drain = subscription
    assert set(document["channels"]) == set(EVENT_TYPES)
    word = f"asyncapi{uuid.uuid4().hex[:6]}"
    course = provider.post("/api/v1/courses", json={**a_course(f"Cursus {word}"), "publish": True}).json()
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": word}).json()["total"] == 1, message="findable")
    eventually(lambda: {"course_published", "search_performed"} <= {e["event_type"] for e in drain()},
               message="course_published and search_performed received")
    # an intake request's events, without personal data, as documented too
    intake = eventually(lambda: (lambda a: a.json() if a.status_code == 201 else None)(anonymous.post(
        "/api/v1/intakes", json={"course_id": course["id"], "situation": "werkzoekend", "name": "Asya Pi",
                                 "phone": "06 12121212", "preferred_contact": "phone", "consent": True,
                                 "share_with_provider": True})), timeout=15, message="intake knows the course")
    eventually(lambda: {"intake_submitted", "intake_assigned", "lead_shared"} <= {
        e["event_type"] for e in drain() if e["payload"].get("intake_id") == intake["id"]},
        message="the intake's events received")
    schemas = {"components": document["components"]}
    for event in drain():
        message = document["components"]["messages"][event["event_type"]]
        jsonschema.validate(event, {**message["payload"], **schemas})          # raises when invalid
    published = [e for e in drain() if e["event_type"] == "course_published" and e["payload"]["course"]["id"] == course["id"]]
    assert len(published) == 1 and published[0]["payload"]["version"] == course["version"]
    wrong = {**published[0], "payload": {**published[0]["payload"], "version": "one"}}
    with pytest.raises(jsonschema.ValidationError):                           # the schemas do check
        jsonschema.validate(wrong, {**document["components"]["messages"]["course_published"]["payload"], **schemas})
