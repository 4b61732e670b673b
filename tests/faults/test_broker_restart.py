"""RabbitMQ stopped and started again in the middle of a 10,000-course import and a burst of 500
intakes. Afterwards every accepted course is in the catalogue, in search, and archived by
analytics exactly once; every accepted intake got exactly one confirmation mail and its team
exactly one notification. (What was refused during the outage was answered so: 503.)"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.conftest import Client
from tests.e2e.test_intake import person
from tests.e2e.test_journey import a_course
from tests.faults.test_consumers_killed import archived, reconcile
from tests.infra import eventually

pytestmark = pytest.mark.slow
COURSES, INTAKES = 10_000, 500


def test_a_broker_restart_mid_import_and_mid_burst_loses_and_doubles_nothing(platform, provider, teams, rabbit,
                                                                            mail_server, reliability):
    def restart():
        rabbit.ctl("stop_app")
        time.sleep(5)
        rabbit.ctl("start_app")
    mid_import_and_burst(platform, provider, mail_server, reliability, restart, injected="RabbitMQ stopped for 5 s")


def mid_import_and_burst(platform, provider, mail_server, reliability, fault, *, injected: str) -> None:
    """``fault()`` while a 10,000-course import and 500 intakes are under way; then everything
    accepted arrives once (also tests/scale/test_rabbit_cluster.py, with a node killed)."""
    word = f"broker{uuid.uuid4().hex[:6]}"
    body = "\n".join(json.dumps(a_course(f"Cursus {word} {n}", external_id=f"B-{n}")) for n in range(COURSES)).encode()
    results: dict = {}

    def upload():
        try:
            results["import"] = provider.post("/api/v1/courses/import?format=ndjson", data=body, timeout=600,
                                              headers={"Content-Type": "application/x-ndjson"})
        except Exception as exc:            # the connection dropped: the import record says what was stored
            results["import"] = exc

    bodies = [person(email=f"storing.{uuid.uuid4().hex[:10]}@example.nl") for _ in range(INTAKES)]

    def intake(b):
        try:
            return Client(platform.url).post("/api/v1/intakes", json=b, timeout=120)
        except Exception as exc:
            return exc

    importer = threading.Thread(target=upload)
    importer.start()
    with ThreadPoolExecutor(8) as pool:
        answers = pool.map(intake, bodies)
        time.sleep(2)                        # both under way
        fault()
        back = time.monotonic()
        answers = list(answers)
    importer.join(timeout=600)
    platform.wait_healthy(timeout=120)

    # what the platform says it accepted
    imports = provider.get("/api/v1/courses/imports").json()["items"]
    accepted_courses = imports[0]["accepted"]
    statuses = Counter(a.status_code if hasattr(a, "status_code") else "dropped" for a in answers)
    assert set(statuses) <= {201, 503}, statuses
    accepted = [(b, a.json()) for b, a in zip(bodies, answers) if getattr(a, "status_code", None) == 201]
    assert accepted_courses > 0 and accepted, (accepted_courses, statuses)

    # courses: in the catalogue, in search (reconcile), archived once each
    total = provider.get("/api/v1/providers/me/courses", params={"page_size": 1}).json()["total"]
    assert total == accepted_courses
    eventually(lambda: reconcile(platform).returncode == 0, timeout=300, interval=3, message="search agrees")
    count, twice = eventually(lambda: (lambda a: a if a[0] >= accepted_courses else None)(
        archived(platform, provider.id)), timeout=300, interval=2, message="every course event archived")
    assert (count, twice) == (accepted_courses, 0)
    courses_recovered = time.monotonic() - back

    # intakes: one confirmation each, one team notification each
    eventually(lambda: all(mail_server.to(b["email"]) for b, _ in accepted), timeout=300, interval=1,
               message="every accepted intake's confirmation")
    time.sleep(3)                           # a duplicate would come now
    assert Counter(len(mail_server.to(b["email"])) for b, _ in accepted) == {1: len(accepted)}
    team_mails = [m.get_body(("plain",)).get_content() for m in mail_server.to("noord@loket.example.nl")]
    for _, intake_answer in accepted:
        link = f"/adviseurs/intakes/{intake_answer['id']}"
        assert sum(link in text for text in team_mails) == 1, intake_answer["id"]
    reliability(scenario="import of 10,000 courses", injected=injected, accepted=accepted_courses,
                found=count, duplicates=twice, refused=COURSES - accepted_courses,
                recover_seconds=round(courses_recovered, 1))
    reliability(scenario="burst of 500 intakes", injected=injected, accepted=len(accepted),
                found=sum(1 for b, _ in accepted if mail_server.to(b["email"])), duplicates=0,
                refused=INTAKES - len(accepted), recover_seconds=round(time.monotonic() - back - 3, 1))
    # none of their messages ended otherwise than delivered
    with psycopg.connect(platform.db_urls["notify"]) as db:
        assert db.execute("SELECT count(*) FROM messages WHERE final AND status <> 'delivered' AND intake_id = ANY(%s)",
                          ([a["id"] for _, a in accepted],)).fetchone()[0] == 0
