"""A person's name, e-mail address and phone number after the whole platform's journey: a provider
with a webhook and a lead mailbox publishes a course, the person searches, clicks, views and asks
for a callback shared with the provider, the advisor reads and records steps (a note naming the
person), the provider reads the lead. Meanwhile analytics cannot reach its database, so every event
of the journey fills its dead-letter queues on purpose, and is replayed after.

Then every database, every waiting message of every queue (the dead letters among them) and every
archived event is searched: the person is only where the intake rules allow (intake's own tables,
and the texts of the mails notify sent), never in a webhook or the provider's lead mail, and
nowhere after the person erased their request."""
from __future__ import annotations

import contextlib
import time
import uuid
from urllib.parse import urlparse

import psycopg
import pytest

from tests.e2e.test_intake import archived, person, places_holding, published_course, queues_holding, submit
from tests.faults.test_poison_message import deadletters
from tests.infra import eventually
from tests.receivers import WebhookReceiver

pytestmark = pytest.mark.slow
ALLOWED = {("intake", "intakes"), ("intake", "intake_history"), ("notify", "messages")}


@contextlib.contextmanager
def database_refused(postgres, url: str):
    """The database of ``url`` takes no connections (its open ones are cut): to its service, away."""
    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def dead_letters(platform, rabbit) -> int:
    return sum(sum(rabbit.message_counts(platform.vhost, q["name"]))
               for q in rabbit.queues(platform.vhost) if q["name"].endswith(".dead"))


def test_the_person_is_only_where_allowed_after_the_whole_journey_and_nowhere_after_erasure(
        platform, rabbit, postgres, provider, teams, anonymous, mail_server, reliability):
    lead_inbox = f"leads-{uuid.uuid4().hex[:6]}@opleider.example.nl"
    with WebhookReceiver() as receiver:
        assert provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url}).status_code == 200
        # notify learns of a new provider from catalogue's event: until then the address has nowhere to go (404)
        assert eventually(lambda: provider.put("/api/v1/providers/me/lead-email", json={"email": lead_inbox})
                          .status_code == 200 or None, message="notify knows the provider")
        course = published_course(provider, platform)
        search = anonymous.get("/api/v1/search", params={"q": "heftruck", "situation": "werkzoekend"}).json()
        assert anonymous.post(f"/api/v1/search/{search['search_id']}/clicks",
                              json={"course_id": course["id"], "position": 1}).status_code == 204
        assert anonymous.get(f"/api/v1/courses/{course['id']}", params={"search_id": search["search_id"]}).ok

        with database_refused(postgres, platform.db_urls["analytics"]):
            body = person(course_id=course["id"], share_with_provider=True, preferred_contact="email",
                          search_id=search["search_id"])
            intake = submit(anonymous, **body)
            north = teams["noord"]
            read = north.get(f"/api/v1/intakes/{intake['id']}").json()
            for step in ({"type": "call_attempted", "note": f"{body['name']} niet bereikt"}, {"type": "advice_given"}):
                assert north.post(f"/api/v1/intakes/{intake['id']}/events", json=step).status_code == 200
            lead = eventually(lambda: provider.get(f"/api/v1/providers/me/leads/{intake['id']}"), timeout=15,
                              message="the shared lead")
            assert lead.status_code == 200 and lead.json()["email"] == body["email"]
            eventually(lambda: receiver.requests, timeout=20, message="the lead's webhook")
            eventually(lambda: mail_server.to(lead_inbox), timeout=20, message="the lead mail")
            eventually(lambda: mail_server.to(body["email"]), timeout=20, message="the person's confirmation")
            needles = [body["name"], body["email"], read["phone"], body["phone"]]
            # analytics failed every event of the journey: after its retries, its dead letters hold them
            dead = eventually(lambda: dead_letters(platform, rabbit) >= 5 and dead_letters(platform, rabbit),
                              timeout=90, message="the dead letters filled")
            assert queues_holding(platform, rabbit, needles) == []

    assert "replayed" in deadletters(platform, rabbit, "replay")
    back = time.monotonic()
    kinds = eventually(lambda: {e["event_type"] for e in archived(platform, intake["id"])} >= {
        "intake_submitted", "lead_shared", "intake_outcome_recorded"} and archived(platform, intake["id"]),
        timeout=30, message="the replayed events archived")
    assert all(not any(n.lower() in str(e).lower() for n in needles) for e in kinds)
    with psycopg.connect(platform.db_urls["intake"]) as conn:       # what intake published about the request
        emitted = conn.execute("SELECT count(*) FROM outbox WHERE envelope->'payload'->>'intake_id' = %s",
                               (intake["id"],)).fetchone()[0]
    reliability(scenario="the whole journey of one person, then erasure", injected="analytics' database refused",
                accepted=emitted, found=len(kinds), duplicates=len(kinds) - len({str(e) for e in kinds}),
                refused=0, recover_seconds=round(time.monotonic() - back, 1),
                note=f"{dead} dead letters replayed; the person found only where allowed, nowhere after erasure")
    for request in receiver.requests:
        assert not any(n.lower() in request["body"].lower() for n in needles), request["body"]
    for mail in mail_server.to(lead_inbox):
        assert not any(n.lower() in mail.as_string().lower() for n in needles), mail.as_string()
    found = places_holding(platform, needles)
    assert ("intake", "intakes") in found and set(found) <= ALLOWED, found
    assert queues_holding(platform, rabbit, needles) == []

    assert anonymous.delete(f"/api/v1/intakes/{intake['id']}", params={"token": intake["token"]}).status_code == 204
    eventually(lambda: archived(platform, intake["id"], "intake_erased"), timeout=15, message="intake_erased archived")
    assert eventually(lambda: places_holding(platform, needles) == [], timeout=15, message="nothing left") is True
    assert queues_holding(platform, rabbit, needles) == []
