"""Ordered work per key when consumers scale: one provider's updates to the same courses, shuffled
and taken by two search and two intake processes at once, end at each course's newest version.
No broker tool (single active consumer, a hash exchange) is needed: every course event carries
the course's version, and each read model stores a course only over an older version
(search's documents, intake's courses), so a late older update changes nothing."""
from __future__ import annotations

import random
import uuid

import psycopg
import pytest
from kombu import Connection, Exchange

from services.contracts.catalogue import CourseUpdated
from services.contracts.courses import Course
from tests.e2e.test_journey import a_course
from tests.infra import eventually

pytestmark = pytest.mark.slow
COURSES, VERSIONS = 10, 30


def test_shuffled_updates_taken_by_two_consumers_each_end_at_the_newest_version(platform, provider, anonymous):
    word = f"volgorde{uuid.uuid4().hex[:6]}"
    for extra in ("search-2", "intake-2"):          # competing consumers of the same queues
        platform.start_service(extra)
    try:
        platform.wait_healthy()
        courses = []
        for n in range(COURSES):
            created = provider.post("/api/v1/courses", json={**a_course(f"{word} {n} basis"), "publish": True})
            assert created.status_code == 201, created.text
            courses.append(Course.model_validate(created.json()))
        eventually(lambda: anonymous.get("/api/v1/search", params={"q": word, "page_size": 50}).json()["total"]
                   == COURSES, timeout=60, message="every course findable")

        # two processes of each consume the updates' queue, as competing consumers
        for queue in ("evt-catalogue-course_updated--search.handle_course_updated",
                      "evt-catalogue-course_updated--intake.handle_course_updated"):
            eventually(lambda: (platform.rabbit.queue(platform.vhost, queue) or {}).get("consumers") == 2,
                       timeout=30, interval=0.5, message=f"two consumers of {queue}")

        # versions 2..VERSIONS+1 of each course, as the catalogue would publish them, in a random order
        updates = [CourseUpdated(course_id=c.id, provider_id=c.provider.id, version=v,
                                 course=c.model_copy(update={"version": v, "title": f"{word} {n} v{v}"}))
                   for n, c in enumerate(courses) for v in range(2, VERSIONS + 2)]
        random.Random(7).shuffle(updates)
        exchange = Exchange("catalogue.events", type="topic", durable=True)
        with Connection(platform.amqp_uri) as conn:
            producer = conn.Producer()
            for update in updates:
                envelope = update.envelope()
                # as the outbox publishes an event (services/chassis/outbox.py)
                producer.publish(envelope.model_dump_json(), content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2, message_id=str(envelope.event_id),
                                 exchange=exchange, routing_key=update.event_type, declare=[exchange])

        newest = {str(c.id): f"{word} {n} v{VERSIONS + 1}" for n, c in enumerate(courses)}

        def search_titles() -> dict:
            hits = anonymous.get("/api/v1/search", params={"q": word, "page_size": 50}).json()["hits"]
            return {h["course_id"]: h["title"] for h in hits}
        eventually(lambda: search_titles() == newest, timeout=90, interval=0.5, message="search at the newest versions")

        def intake_versions() -> dict:
            with psycopg.connect(platform.db_urls["intake"]) as db:
                return {str(r[0]): r[1] for r in db.execute(
                    "SELECT course_id, version FROM courses WHERE course_id = ANY(%s)", ([c.id for c in courses],))}
        eventually(lambda: intake_versions() == {cid: VERSIONS + 1 for cid in newest}, timeout=90, interval=0.5,
                   message="intake at the newest versions")
    finally:
        for extra in ("search-2", "intake-2"):
            platform.stop_service(extra)
