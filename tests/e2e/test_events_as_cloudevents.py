"""The events on the live bus read as CloudEvents: a queue of our own bound to every exchange
(as an analyst binds one), a short journey, and every message it receives read by the CloudEvents
SDK from the headers and body RabbitMQ delivers. (Every event type, from the declaration:
tests/contract/test_cloudevents.py.)"""
from __future__ import annotations

import time
import uuid

import orjson
from kombu import Connection, Exchange, Queue

from tests.conftest import ADMIN_TOKEN, Client
from tests.contract.test_cloudevents import read_as_cloudevent
from tests.e2e.test_intake import person
from tests.e2e.test_journey import a_course

EXCHANGES = ("catalogue.events", "search.events", "intake.events")
JOURNEY = {"provider_registered", "course_published", "course_updated", "course_withdrawn", "search_performed",
           "intake_submitted"}


def test_every_message_of_a_journey_reads_as_a_cloudevent(platform, anonymous):
    received = []
    with Connection(platform.amqp_uri) as connection:
        queue = Queue(f"test-cloudevents-{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True,
                      bindings=[], channel=connection.default_channel)
        queue.declare()
        for name in EXCHANGES:
            queue.bind_to(Exchange(name, "topic", durable=True), routing_key="#")
        with connection.Consumer(queue, callbacks=[lambda body, message: received.append(message)],
                                 accept=["json"], no_ack=True):
            # a provider, its course published, changed and withdrawn; a search; a request
            answer = Client(platform.url, ADMIN_TOKEN).post("/api/v1/providers", json={
                "name": f"Opleider {uuid.uuid4().hex[:6]}", "kind": "opleider"})
            assert answer.status_code == 201, answer.text
            provider = Client(platform.url, answer.json()["api_key"])
            course = provider.post("/api/v1/courses", json={**a_course("Heftruck CloudEvents"), "publish": True})
            assert course.status_code == 201, course.text
            course_id = course.json()["id"]
            changed = {**a_course("Heftruck CloudEvents vervolg", external_id=course.json()["external_id"])}
            assert provider.put(f"/api/v1/courses/{course_id}", json=changed,
                                headers={"If-Match": course.headers["ETag"]}).status_code == 200
            assert provider.post(f"/api/v1/courses/{course_id}/withdraw").status_code == 200
            assert anonymous.get("/api/v1/search", params={"q": "heftruck"}).status_code == 200
            assert anonymous.post("/api/v1/intakes", json=person()).status_code == 201

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not JOURNEY <= {m.delivery_info["routing_key"] for m in received}:
                try:
                    connection.drain_events(timeout=1)
                except TimeoutError:
                    pass
    seen: dict[str, list] = {}
    for message in received:
        raw = message.body if isinstance(message.body, bytes) else message.body.encode()
        event = read_as_cloudevent(message.headers, message.content_type, raw)
        envelope = orjson.loads(raw)
        name = envelope["event_type"]
        assert message.delivery_info["routing_key"] == name
        assert event.get_id() == envelope["event_id"] and event.get_data() == envelope
        assert event.get_type() == f"nl.scholingsalliantie.{envelope['source']}.{name.replace('_', '-')}"
        assert event.get_source().startswith("urn:nld:oin:") and event.get_source().endswith(f":{envelope['source']}")
        seen.setdefault(name, []).append(event)
    assert JOURNEY <= set(seen), sorted(seen)
    assert course_id in {e.get_subject() for e in seen["course_withdrawn"]}
    assert all(e.get_dataschema() == f"{platform.url}/asyncapi.json#/components/messages/course_published/payload"
               for e in seen["course_published"])
