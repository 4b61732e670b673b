"""Intake away while notify sends (restarting, or its broker node failing over): the person's
confirmation waits for it, however many times notify asks in vain, and goes out once intake is
back. Asking in vain is not the message's failure: it uses up none of the message's retries (a
RabbitMQ node killed in the middle of a burst of intakes dead-lettered confirmations this way,
tests/scale/test_rabbit_cluster.py)."""
from __future__ import annotations

import signal
import time

import psycopg
import pytest

from tests.conftest import Client
from tests.e2e.test_intake import person

pytestmark = pytest.mark.slow
ASKED_IN_VAIN_FOR = 12      # seconds: more than the tests' whole retry schedule (0.3 + 0.6 + 1 s) with 1 s asks


def processes(platform, service: str) -> list[str]:
    return [name for name in platform.procs if name.partition("-")[0] == service]


def messages_of(platform, intake_id: str) -> list[tuple]:
    with psycopg.connect(platform.db_urls["notify"]) as db:
        return db.execute("SELECT template, status, final, attempts, reason FROM messages WHERE intake_id = %s",
                          (intake_id,)).fetchall()


def test_a_confirmation_waits_for_intake_without_using_up_its_retries(platform, teams, mail_server):
    notify, intake = processes(platform, "notify"), processes(platform, "intake")
    for name in notify:
        platform.stop_service(name)
    body = person()
    answer = Client(platform.url).post("/api/v1/intakes", json=body)
    assert answer.status_code == 201, answer.text
    intake_id = answer.json()["id"]
    try:
        for name in intake:
            platform.stop_service(name, signal.SIGTERM)
        for name in notify:             # asking intake gives up after 1 s: many asks in the time below
            platform.start_service(name, NOTIFY_RPC_TIMEOUT="1")
        deadline = time.monotonic() + ASKED_IN_VAIN_FOR
        while time.monotonic() < deadline:
            planned = messages_of(platform, intake_id)
            assert not any(final for _, _, final, _, _ in planned), planned
            time.sleep(0.5)
        planned = messages_of(platform, intake_id)
        # asked again and again (claimed now, or waiting), and still at its first attempt
        assert planned and all(status in ("sending", "technical-failure") and attempts <= 1 and "intake" in reason
                               for _, status, _, attempts, reason in planned), planned
        assert not mail_server.to(body["email"])
    finally:
        for name in intake:
            platform.start_service(name)
        for name in notify:
            platform.own_env[name].pop("NOTIFY_RPC_TIMEOUT", None)
            platform.start_service(name)
        platform.wait_healthy(timeout=120)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not mail_server.to(body["email"]):
        time.sleep(0.5)
    time.sleep(2)                       # a second copy would come now
    assert len(mail_server.to(body["email"])) == 1
    sent = {template: (status, final, attempts) for template, status, final, attempts, _ in messages_of(platform, intake_id)}
    # every message of the intake went out at its first real attempt
    assert sent and all(value == ("delivered", True, 1) for value in sent.values()), sent
