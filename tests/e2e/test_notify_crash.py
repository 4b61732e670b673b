"""Notify killed (SIGKILL) at random moments while it works through a thousand intakes' messages
and the same thousand events are delivered to it again: every person gets their confirmation,
and a person who got it twice got the same Message-ID twice (the process died between the SMTP
server's 250 and its own record of it); no more duplicates than kills."""
from __future__ import annotations

import random
import signal
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from kombu import Connection, Exchange, Queue

from tests.conftest import Client
from tests.e2e.test_intake import person
from tests.infra import eventually

INTAKES = 1000
KILLS = 5


@pytest.mark.slow
def test_kills_while_a_thousand_events_are_redelivered(platform, teams, mail_server, reliability):
    bodies = [person(email=f"crash.{uuid.uuid4().hex[:10]}@example.nl") for _ in range(INTAKES)]
    with Connection(platform.amqp_uri) as conn:
        captured = Queue(f"test.{uuid.uuid4().hex}", Exchange("intake.events", type="topic", durable=True),
                         routing_key="intake_submitted", auto_delete=True)(conn.channel())
        captured.declare()
        platform.stop_service("notify")         # the messages pile up: the kills land mid-work
        try:
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda b: Client(platform.url).post("/api/v1/intakes", json=b), bodies))
            assert all(a.status_code == 201 for a in answers)
            envelopes = []
            while len(envelopes) < INTAKES:
                message = eventually(lambda: captured.get(no_ack=True), message="the events")
                envelopes.append(message.payload)
        finally:
            platform.start_service("notify")

        rng = random.Random(20261204)
        producer = conn.Producer()
        for kill in range(KILLS):
            # the events again, a fifth at a time, then a kill at a random moment
            for envelope in envelopes[kill::KILLS]:
                producer.publish(envelope, exchange="intake.events", routing_key="intake_submitted",
                                 serializer="json", delivery_mode=2)
            time.sleep(rng.uniform(1.0, 3.0))
            platform.stop_service("notify", signal.SIGKILL)
            platform.start_service("notify")

    addresses = [b["email"] for b in bodies]
    eventually(lambda: all(mail_server.to(a) for a in addresses), timeout=120, interval=1,
               message="every person's confirmation")
    time.sleep(2)
    copies = {a: mail_server.to(a) for a in addresses}
    duplicated = {a: mails for a, mails in copies.items() if len(mails) > 1}
    for mails in duplicated.values():
        assert len({m["Message-ID"] for m in mails}) == 1, "a duplicate carries its original's Message-ID"
    assert sum(len(m) - 1 for m in duplicated.values()) <= KILLS

    # one message per intake and template, every one delivered
    with psycopg.connect(platform.db_urls["notify"]) as db:
        rows = db.execute("""SELECT template, status FROM messages WHERE intake_id = ANY(%s::uuid[])""",
                          ([a.json()["id"] for a in answers],)).fetchall()
    assert Counter(rows) == {("intake_confirmation", "delivered"): INTAKES, ("team_new_intake", "delivered"): INTAKES}
    reliability(scenario="1,000 intakes' mails, their events delivered twice", injected=f"notify SIGKILLed {KILLS} times",
                accepted=INTAKES, found=sum(1 for a in addresses if copies[a]),
                duplicates=sum(len(m) - 1 for m in duplicated.values()), refused=0, recover_seconds=None,
                note="a duplicate carries its original's Message-ID (killed between the server's 250 and the record)")
