"""Search and analytics killed (SIGKILL) while they consume a bulk import's events, then started
again: search's read model ends equal to the catalogue (``make reconcile`` finds no difference)
and analytics archived every event exactly once. (Notify killed while it sends:
tests/e2e/test_notify_crash.py.)"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from tests.e2e.test_journey import a_course
from tests.infra import ROOT, eventually

pytestmark = pytest.mark.slow
COURSES = 3000


def reconcile(platform) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.search.reconcile"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "AMQP_URI": platform.amqp_uri, "PYTHONPATH": str(ROOT)})


def archived(platform, provider_id: str) -> tuple[int, int]:
    """(course events of this provider in the archive, event ids among them archived twice)."""
    with psycopg.connect(platform.db_urls["analytics"]) as db:
        return db.execute(
            """SELECT count(*), count(*) - count(DISTINCT event_id) FROM event_archive
               WHERE event_type LIKE 'course\_%%' AND payload->>'provider_id' = %s""", (provider_id,)).fetchone()


def test_search_and_analytics_killed_while_consuming_end_where_the_catalogue_is(platform, provider, reliability):
    word = f"kill{uuid.uuid4().hex[:6]}"
    body = "\n".join(json.dumps(a_course(f"Cursus {word} {n}", external_id=f"K-{n}")) for n in range(COURSES))
    answer = provider.post("/api/v1/courses/import?format=ndjson", data=body.encode(),
                           headers={"Content-Type": "application/x-ndjson"}, timeout=300)
    assert answer.status_code == 200 and answer.json()["accepted"] == COURSES, answer.text[:500]
    for name in ("search", "analytics", "search", "analytics"):       # mid-stream: the events are still arriving
        time.sleep(0.7)
        platform.stop_service(name, signal.SIGKILL)
        platform.start_service(name)
    # a few changes after the kills, so the read model must follow those too
    mine = provider.get("/api/v1/providers/me/courses", params={"external_id": "K-1"}).json()["items"][0]
    assert provider.post(f"/api/v1/courses/{mine['id']}/withdraw").status_code == 200
    back = time.monotonic()
    platform.wait_healthy(timeout=120)

    def agrees():
        done = reconcile(platform)
        return done if done.returncode == 0 else None
    done = eventually(agrees, timeout=180, interval=2, message="search agrees with the catalogue")
    assert "no differences" in done.stdout
    total, twice = eventually(lambda: (lambda a: a if a[0] >= COURSES + 1 else None)(archived(platform, provider.id)),
                              timeout=180, interval=2, message="every event archived")
    assert (total, twice) == (COURSES + 1, 0)
    reliability(scenario="search and analytics consuming 3,000 course events",
                injected="each SIGKILLed twice, then started", accepted=COURSES + 1, found=total, duplicates=twice,
                refused=0, recover_seconds=round(time.monotonic() - back, 1))


def test_reconcile_names_what_differs(platform, provider):
    """The check itself can fail: a document search lost, or holds hidden, is named."""
    created = provider.post("/api/v1/courses", json={**a_course(f"Verschil {uuid.uuid4().hex[:6]}"),
                                                     "publish": True}).json()
    eventually(lambda: reconcile(platform).returncode == 0, timeout=30, message="agree first")
    with psycopg.connect(platform.db_urls["search"], autocommit=True) as db:
        db.execute("UPDATE facts SET published = false WHERE course_id = %s", (created["id"],))
        try:
            done = reconcile(platform)
        finally:
            db.execute("UPDATE facts SET published = true WHERE course_id = %s", (created["id"],))
    assert done.returncode == 1
    assert f"hidden in search but published: {created['id']} (version 1)" in done.stdout
    assert "1 differences between the catalogue and search" in done.stdout
    assert reconcile(platform).returncode == 0


def test_the_comparison_of_two_sorted_streams():
    from services.search.reconcile import differences

    catalogue = [{"course_id": "a", "version": 1, "status": "published"}, {"course_id": "b", "version": 3, "status": "published"},
                 {"course_id": "c", "version": 2, "status": "withdrawn"}, {"course_id": "d", "version": 1, "status": "draft"},
                 {"course_id": "e", "version": 2, "status": "published"}]
    search = [{"course_id": "b", "version": 2, "published": True}, {"course_id": "c", "version": 1, "published": True},
              {"course_id": "e", "version": 2, "published": True}, {"course_id": "f", "version": 1, "published": True}]
    assert list(differences(iter(catalogue), iter(search))) == [
        "missing in search: a (published, version 1)",
        "stale in search: b (search version 2, catalogue 3)",
        "published in search but withdrawn in the catalogue: c (version 2)",
        "unknown to the catalogue, published in search: f",
    ]
    assert list(differences(iter(catalogue[4:]), iter(search[2:3]))) == []
