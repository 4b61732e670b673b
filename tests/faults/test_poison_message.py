"""A poison message (valid JSON, an impossible payload) published as ``course_published``: every
consumer of it retries, then dead-letters it with its reason and goes on with the rest;
``make deadletters`` shows it with that reason and ``make replay-deadletters`` puts it back."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from kombu import Connection
from nameko.standalone.events import get_event_exchange

from tests.e2e.test_journey import a_course, found
from tests.infra import ROOT, eventually

pytestmark = pytest.mark.slow
DEAD = "evt-catalogue-course_published--search.handle_course_published.dead"


def deadletters(platform, rabbit, action: str) -> str:
    env = {**os.environ, "AMQP_URI": platform.amqp_uri, "RABBIT_API_URI": rabbit.api_uri,
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "services.chassis.deadletters", action], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_rest_goes_on(platform, provider, anonymous,
                                                                                 rabbit, reliability):
    marker = f"gif{uuid.uuid4().hex[:8]}"
    with Connection(platform.amqp_uri) as conn:
        conn.Producer().publish({"x": 1, "marker": marker}, exchange=get_event_exchange("catalogue", {}),
                                routing_key="course_published", serializer="json", delivery_mode=2,
                                declare=[get_event_exchange("catalogue", {})])
    word = f"naghif{uuid.uuid4().hex[:6]}"
    created = provider.post("/api/v1/courses", json={**a_course(f"Na het gif {word}"), "publish": True}).json()
    eventually(lambda: found(anonymous, word, created["id"]), timeout=20, message="the consumer went on")

    def search_dead() -> int:       # as the broker has it now (the management figures lag)
        try:
            return sum(rabbit.message_counts(platform.vhost, DEAD))
        except LookupError:
            return 0

    eventually(lambda: search_dead() == 1, timeout=30, message="dead-lettered after its retries")
    listing = deadletters(platform, rabbit, "list")
    lines = listing.splitlines()
    at = next(n for n, line in enumerate(lines) if line.endswith("search.handle_course_published.dead"))
    assert lines[at].split()[0] == "1"
    reasons = lines[at + 1]
    assert "course_published" in reasons and "after 4 attempts" in reasons, listing
    assert "ValidationError" in reasons or "validation error" in reasons.lower(), listing
    # the listing left it where it was; a replay puts it back, where it fails again and returns
    assert search_dead() == 1
    replayed = deadletters(platform, rabbit, "replay")
    assert f"replayed 1 messages from {DEAD}" in replayed, replayed
    assert search_dead() == 0
    eventually(lambda: search_dead() == 1, timeout=30, message="failed again after the replay")
    dead = sum(int(line.split()[0]) for line in listing.splitlines() if line.strip().endswith(".dead") and
               line.split()[0].isdigit())
    reliability(scenario="a course published after a poison message", injected='{"x": 1} as course_published',
                accepted=1, found=1, duplicates=0, refused=0, recover_seconds=0,
                note=f"the poison dead-lettered by {dead} consumers after their retries")
