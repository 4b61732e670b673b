"""Notify through the whole platform, every service its own process, mail to a real SMTP server
and webhooks to a real HTTP receiver in this test: the person's confirmation (and its SMS), the
team's mail, the same event twice, a 451 and a 550, signed webhooks with retries, rotation, 410
and replay, an erased intake, saved searches end to end, and two notify processes."""
from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import psycopg
from kombu import Connection, Exchange, Queue
from cloudevents.core.bindings.http import HTTPMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks.webhooks import Webhook

from services.chassis import texts
from tests.conftest import Client
from tests.e2e.test_intake import person, published_course
from tests.e2e.test_journey import a_course
from tests.infra import ADMIN_TOKEN, eventually, form_token
from tests.receivers import WebhookReceiver


def submitted(client, **body) -> dict:
    answer = client.post("/api/v1/intakes", json=person(**body))
    assert answer.status_code == 201, answer.text
    return answer.json()


def log_of(platform, **params) -> list[dict]:
    answer = Client(platform.url, ADMIN_TOKEN).get("/api/v1/notifications", params={"page_size": 100, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def messages_of(platform, intake_id: str, template: str, final: bool = True) -> list[dict]:
    return [m for m in log_of(platform, template=template) if m["intake_id"] == intake_id and (m["final"] or not final)]


def one_mail(mail_server, address: str, timeout: float = 15):
    return eventually(lambda: mail_server.to(address), timeout=timeout, message=f"a mail to {address}")[0]


def test_confirmation_and_team_mail(anonymous, teams, platform, mail_server):
    body = person(name="Anouk <script>alert(1)</script> de Vries")
    answer = anonymous.post("/api/v1/intakes", json=body)
    assert answer.status_code == 201, answer.text
    intake = answer.json()
    mail = one_mail(mail_server, body["email"])

    # the deadline as the person reads it, the same moment as the API's answer
    due = texts.deadline_text(datetime.fromisoformat(intake["callback_due_by"]), "nl")
    assert mail["Subject"] == f"We bellen je uiterlijk {due}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Leerwerkloket Noord" in text and due in text
    # the status link carries the person's token, and it works
    link = f"{platform.url}/aanvraag/{intake['id']}?token={intake['token']}"
    assert link in text and link.replace("&", "&amp;") in html
    assert anonymous.get(f"/api/v1/intakes/{intake['id']}/status", params={"token": intake["token"]}).status_code == 200
    # what the person typed arrives escaped in the HTML, as text in the plain body
    assert "<script>" not in html and "&lt;script&gt;" in html and "<script>" in text
    assert mail["Message-ID"].endswith("@scholingsalliantie.nl>")

    # the team (no address of its own: its advisors) hears of it, without contact details
    team_mail = eventually(lambda: [m for m in mail_server.to("noord@loket.example.nl")
                                    if f"/adviseurs/intakes/{intake['id']}" in m.get_body(("plain",)).get_content()],
                           timeout=15, message="the team's mail")[0]
    team_text = team_mail.get_body(("plain",)).get_content()
    assert body["email"] not in team_text and body["phone"] not in team_text and "op zoek naar werk" in team_text

    # the log: delivered, the address no longer kept
    logged = eventually(lambda: messages_of(platform, intake["id"], "intake_confirmation"), message="logged")
    assert [(m["status"], m["channel"], m["attempts"]) for m in logged] == [("delivered", "email", 1)]
    with psycopg.connect(platform.db_urls["notify"]) as db:
        kept = db.execute("SELECT recipient, recipient_hash FROM messages WHERE intake_id = %s", (intake["id"],)).fetchall()
    assert kept and all(r[0] is None and r[1] for r in kept)


def test_sms_when_there_is_only_a_phone(anonymous, teams, platform):
    intake = submitted(anonymous, email=None, preferred_contact="phone")
    logged = eventually(lambda: messages_of(platform, intake["id"], "intake_confirmation"), message="an SMS")
    assert [(m["status"], m["channel"]) for m in logged] == [("delivered", "sms")]


def test_the_same_event_twice_sends_one_mail(anonymous, teams, platform, mail_server):
    with Connection(platform.amqp_uri) as conn:
        queue = Queue(f"test.{uuid.uuid4().hex}", Exchange("intake.events", type="topic", durable=True),
                      routing_key="intake_submitted", auto_delete=True)(conn.channel())
        queue.declare()
        body = person()
        submitted(anonymous, **body)
        first = one_mail(mail_server, body["email"])
        envelope = eventually(lambda: queue.get(no_ack=True), message="the event").payload
        conn.Producer().publish(envelope, exchange="intake.events", routing_key="intake_submitted",
                                serializer="json", delivery_mode=2)
    time.sleep(3)
    assert len(mail_server.to(body["email"])) == 1 and mail_server.attempts[first["Message-ID"]] == 1


def test_451_is_tried_again_and_550_is_not(anonymous, teams, platform, mail_server):
    busy = submitted(anonymous, email=f"busy+451.{uuid.uuid4().hex[:6]}@example.nl")
    gone = submitted(anonymous, email=f"gone+550.{uuid.uuid4().hex[:6]}@example.nl")
    logged = eventually(lambda: messages_of(platform, busy["id"], "intake_confirmation"), timeout=20, message="busy")
    assert [(m["status"], m["attempts"]) for m in logged] == [("delivered", 2)]
    [mail] = mail_server.to(person_email(platform, busy))
    assert mail_server.attempts[mail["Message-ID"]] == 2        # one refused, one accepted: the same Message-ID
    logged = eventually(lambda: messages_of(platform, gone["id"], "intake_confirmation"), timeout=20, message="gone")
    assert [(m["status"], m["attempts"]) for m in logged] == [("permanent-failure", 1)]
    assert "550" in logged[0]["reason"]


def person_email(platform, intake: dict) -> str:
    with psycopg.connect(platform.db_urls["intake"]) as db:
        return db.execute("SELECT email FROM intakes WHERE id = %s", (intake["id"],)).fetchone()[0]


def test_an_intake_erased_before_its_mail_gets_none(anonymous, teams, platform, mail_server):
    platform.stop_service("notify")
    try:
        body = person()
        intake = submitted(anonymous, **body)
        assert anonymous.delete(f"/api/v1/intakes/{intake['id']}", params={"token": intake["token"]}).status_code == 204
    finally:
        platform.start_service("notify")
    logged = eventually(lambda: messages_of(platform, intake["id"], "intake_confirmation"), timeout=30, message="logged")
    assert [m["status"] for m in logged] == ["permanent-failure"] and "erased" in logged[0]["reason"]
    assert mail_server.to(body["email"]) == []


# ---------------------------------------------------------------- webhooks


def lead_for(anonymous, provider, platform) -> tuple[dict, dict]:
    course = published_course(provider, platform)
    return course, submitted(anonymous, course_id=course["id"], share_with_provider=True)


def test_webhook_retried_signed_and_thin(anonymous, provider, teams, platform):
    assert provider.put("/api/v1/providers/me/webhook", json={"url": "http://example.org/hook"}).status_code == 422
    with WebhookReceiver(answers=[503, 503]) as receiver:
        answer = provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url})
        assert answer.status_code == 200, answer.text
        secret = answer.json()["secret"]
        assert secret.startswith("whsec_")
        course, intake = lead_for(anonymous, provider, platform)
        eventually(lambda: len(receiver.requests) >= 3, timeout=20, message="three attempts")
        time.sleep(1)
    attempts = receiver.requests
    assert [a["status"] for a in attempts] == [503, 503, 200]
    assert len({a["headers"]["webhook-id"] for a in attempts}) == 1
    for attempt in attempts:        # the off-the-shelf library verifies every attempt
        assert Webhook(secret).verify(attempt["body"], attempt["headers"]) == attempt["json"]
    payload = attempts[0]["json"]
    assert payload["type"] == "lead.created" and payload["data"]["intake_id"] == intake["id"]
    assert payload["data"]["lead_url"].endswith(f"/api/v1/providers/me/leads/{intake['id']}")
    assert not {"name", "email", "phone"} & set(payload["data"])
    deliveries = provider.get("/api/v1/providers/me/webhook/deliveries").json()["items"]
    assert [(d["status"], d["attempts"], d["webhook_id"]) for d in deliveries] == [
        ("delivered", 3, attempts[0]["headers"]["webhook-id"])]

    # a replay asked for by the provider: the same webhook-id again
    with WebhookReceiver() as receiver:
        provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url})
        assert provider.post(f"/api/v1/providers/me/webhook/deliveries/{deliveries[0]['id']}/replay").status_code == 202
        eventually(lambda: receiver.requests, timeout=15, message="the replay")
    assert receiver.requests[0]["headers"]["webhook-id"] == attempts[0]["headers"]["webhook-id"]


def test_webhook_secret_rotation_and_410(anonymous, provider, teams, platform):
    with WebhookReceiver(answers=[200, 410]) as receiver:
        old = provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url}).json()["secret"]
        new = provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url}).json()["secret"]
        assert new != old
        lead_for(anonymous, provider, platform)
        eventually(lambda: receiver.requests, timeout=15, message="a webhook")
        first = receiver.requests[0]
        assert len(first["headers"]["webhook-signature"].split(" ")) == 2      # both, during the rotation
        for secret in (old, new):
            Webhook(secret).verify(first["body"], first["headers"])
        lead_for(anonymous, provider, platform)       # answered 410: the webhook is disabled
        eventually(lambda: len(receiver.requests) == 2, timeout=15, message="the 410")
        lead_for(anonymous, provider, platform)
        time.sleep(2)
        assert len(receiver.requests) == 2
    statuses = [d["status"] for d in provider.get("/api/v1/providers/me/webhook/deliveries").json()["items"]]
    assert sorted(statuses) == ["delivered", "permanent-failure"]


def test_a_cloudevents_webhook_is_asked_first_and_arrives_as_a_signed_cloudevent(anonymous, provider, teams, platform):
    origin = urlsplit(platform.url).hostname
    # a receiver that knows nothing of the handshake is not taken, and nothing changes
    with WebhookReceiver() as plain:
        refused = provider.put("/api/v1/providers/me/webhook", json={"url": plain.url, "format": "cloudevents"})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["url"]
        assert "WebHook-Allowed-Origin" in refused.json()["errors"][0]["message"]
        assert plain.handshakes and plain.handshakes[0]["WebHook-Request-Origin"] == origin
    with WebhookReceiver(allow_origin="someone.else.example") as other:
        assert provider.put("/api/v1/providers/me/webhook",
                            json={"url": other.url, "format": "cloudevents"}).status_code == 422
    # one that allows us gets every lead as a CloudEvent, signed as ever
    with WebhookReceiver(allow_origin=origin) as receiver:
        answer = provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url, "format": "cloudevents"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["format"] == "cloudevents"
        secret = answer.json()["secret"]
        course, intake = lead_for(anonymous, provider, platform)
        eventually(lambda: receiver.requests, timeout=20, message="the webhook")
    sent = receiver.requests[0]
    assert sent["headers"]["content-type"] == "application/cloudevents+json"
    assert Webhook(secret).verify(sent["body"], sent["headers"]) == sent["json"]
    event = from_structured(HTTPMessage(sent["headers"], sent["body"].encode()), JSONFormat(), CloudEvent)
    assert event.get_specversion() == "1.0" and event.get_id() == sent["headers"]["webhook-id"]
    assert event.get_type() == "nl.scholingsalliantie.notify.lead-created"
    assert event.get_source().startswith("urn:nld:oin:") and event.get_source().endswith(":notify")
    assert event.get_subject() == intake["id"] and event.get_time() is not None
    data = event.get_data()
    assert data["intake_id"] == intake["id"] and data["course_id"] == course["id"]
    assert not {"name", "email", "phone"} & set(data)


def test_a_webhook_receiver_asking_to_wait_is_waited_for(anonymous, provider, teams, platform):
    # 429 with Retry-After: the next attempt not before it, though our own schedule is 0.3 s
    with WebhookReceiver(answers=[(429, {"Retry-After": "3"})]) as receiver:
        assert provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url}).status_code == 200
        lead_for(anonymous, provider, platform)
        eventually(lambda: len(receiver.requests) >= 2, timeout=30, message="the second attempt")
    first, second = receiver.requests[:2]
    assert (first["status"], second["status"]) == (429, 200)
    assert second["at"] - first["at"] >= 2.9, second["at"] - first["at"]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]


# ---------------------------------------------------------------- saved searches


def subscription_status(platform, subscription_id: str) -> tuple:
    with psycopg.connect(platform.db_urls["notify"]) as db:
        return db.execute("SELECT status, email FROM subscriptions WHERE id = %s", (subscription_id,)).fetchone()


def test_saved_search_from_subscribing_to_unsubscribing(anonymous, provider, platform, mail_server):
    word = f"lasrobot{uuid.uuid4().hex[:5]}"
    address = f"alert.{uuid.uuid4().hex[:6]}@example.nl"
    bad = anonymous.post("/api/v1/saved-searches", json={"email": "nope", "query": {"level": ["mbo-9"]}})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"email", "query.level.0"}
    answer = anonymous.post("/api/v1/saved-searches", json={"email": address, "query": {"q": word},
                                                            "frequency": "immediate"})
    assert answer.status_code == 202, answer.text
    subscription = answer.json()["id"]
    confirmation = one_mail(mail_server, address)
    confirm_url = next(w for w in confirmation.get_body(("plain",)).get_content().split() if "/bevestigen?" in w)

    # a mail scanner opens the link: a page with one button, nothing confirmed
    for method in ("GET", "HEAD"):
        assert anonymous.http.request(method, confirm_url).status_code == 200
    page = anonymous.http.get(confirm_url).text
    assert '<form method="post">' in page and "<button" in page
    assert subscription_status(platform, subscription)[0] == "pending"
    token = confirm_url.split("token=")[1]
    done = anonymous.http.post(confirm_url.split("?")[0], data={"token": token, "csrf": form_token(page)})
    assert done.status_code == 200 and "bevestigd" in done.text
    assert subscription_status(platform, subscription)[0] == "active"

    # a new course that matches comes in an alert, one that does not stays out
    provider.post("/api/v1/courses", json={**a_course(f"Andere cursus {uuid.uuid4().hex[:5]}"), "publish": True})
    course = provider.post("/api/v1/courses", json={**a_course(f"Werken met de {word}"), "publish": True}).json()
    alert = eventually(lambda: [m for m in mail_server.to(address) if m is not confirmation], timeout=30,
                       message="an alert")[0]
    text = alert.get_body(("plain",)).get_content()
    assert f"/opleidingen/{course['id']}" in text and "Andere cursus" not in text
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = alert["List-Unsubscribe"].strip("<>")
    time.sleep(3)       # each course at most once
    assert len(mail_server.to(address)) == 2

    # one POST ends it, without logging in
    assert anonymous.http.post(one_click, data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    assert subscription_status(platform, subscription) == ("ended", None)


def test_two_notify_processes_never_send_one_message_twice(anonymous, teams, platform, mail_server):
    platform.start_service("notify-2")
    try:
        bodies = [person() for _ in range(30)]
        for body in bodies:
            submitted(anonymous, **body)
        for body in bodies:
            one_mail(mail_server, body["email"], timeout=30)
        time.sleep(2)
        assert all(len(mail_server.to(body["email"])) == 1 for body in bodies)
    finally:
        platform.stop_service("notify-2")



def test_a_provider_can_have_leads_mailed(anonymous, provider, teams, platform, mail_server):
    address = f"leads.{uuid.uuid4().hex[:6]}@opleider.example.nl"
    answer = eventually(lambda: provider.put("/api/v1/providers/me/lead-email", json={"email": address}).status_code
                        == 200 or None, message="notify knows the provider")
    assert answer and provider.put("/api/v1/providers/me/lead-email", json={"email": "geen"}).status_code == 422
    course, intake = lead_for(anonymous, provider, platform)
    mail = one_mail(mail_server, address)
    text = mail.get_body(("plain",)).get_content()
    assert course["title"] in mail["Subject"] and f"/aanbieders/leads/{intake['id']}" in text
    assert person_email(platform, intake) not in text


def test_one_inbox_is_not_flooded(anonymous, platform, mail_server):
    """The same address subscribes twelve times: ten confirmations an hour at most."""
    flood_one_inbox(anonymous, platform, mail_server)


def test_one_inbox_is_not_flooded_by_two_notify_processes(anonymous, platform, mail_server):
    """The limit holds when two processes send at once: each counted only what was sent, not
    what the other was sending, and together they sent more than ten (make test-scale)."""
    from tests.e2e.test_rate_limits import gateway_with

    # a message a claim, so the twelve are shared between the two as they come due
    with gateway_with(platform, services=("notify",), NOTIFY_BATCH_SIZE="1"):
        platform.start_service("notify-2")
        try:
            flood_one_inbox(anonymous, platform, mail_server, slow=True)
        finally:
            platform.stop_service("notify-2")


def flood_one_inbox(anonymous, platform, mail_server, slow: bool = False) -> None:
    """(``slow``: each mail takes the mail server 0.3 s, so two senders' work overlaps)"""
    address = f"burst{'+slow' if slow else ''}.{uuid.uuid4().hex[:6]}@example.nl"

    def held_back() -> int:         # of every test so far: a final message keeps no address
        return len([m for m in log_of(platform, template="saved_search_confirmation")
                    if m["final"] and m["reason"] and "in the last hour" in m["reason"]])
    before = held_back()
    for _ in range(12):
        assert anonymous.post("/api/v1/saved-searches", json={"email": address, "query": {"q": "heftruck"}}).status_code == 202
    eventually(lambda: held_back() >= before + 2, timeout=30, message="the two over the limit held back")
    eventually(lambda: len(mail_server.to(address)) >= 10, timeout=30, message="ten sent")
    time.sleep(1)
    assert len(mail_server.to(address)) == 10


def test_a_message_that_keeps_failing_is_dead_lettered_and_can_be_replayed(anonymous, provider, teams, platform):
    from services.chassis.deadletters import replay

    with WebhookReceiver(answers=[503] * 4) as receiver:
        provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url})
        lead_for(anonymous, provider, platform)
        failed = eventually(lambda: [d for d in provider.get("/api/v1/providers/me/webhook/deliveries").json()["items"]
                                     if d["final"]], timeout=20, message="given up")
        assert [(d["status"], d["attempts"]) for d in failed] == [("temporary-failure", 4)]
        dead = eventually(lambda: (platform.rabbit.queue(platform.vhost, "notify.deliveries.dead") or {}).get("messages"),
                          timeout=20, message="in the dead-letter queue")
        assert dead >= 1
        assert replay(platform.amqp_uri, "notify.deliveries.dead") >= 1
        eventually(lambda: [d for d in provider.get("/api/v1/providers/me/webhook/deliveries").json()["items"]
                            if d["status"] == "delivered"], timeout=20, message="delivered after the replay")
    assert [r["status"] for r in receiver.requests] == [503, 503, 503, 503, 200]


def test_bodies_are_dropped_after_seven_days_and_counts_stay(anonymous, teams, platform, mail_server):
    from services.notify.store import NotifyStore

    intake = submitted(anonymous)
    eventually(lambda: messages_of(platform, intake["id"], "intake_confirmation"), message="sent")

    def all_final():        # the team's mail too: one still sending would be finished after the ageing
        with psycopg.connect(platform.db_urls["notify"]) as db:
            count, final = db.execute("SELECT count(*), bool_and(final) FROM messages WHERE intake_id = %s",
                                      (intake["id"],)).fetchone()
        return count >= 2 and final
    eventually(all_final, timeout=30, message="both messages of the request finished")
    with psycopg.connect(platform.db_urls["notify"], autocommit=True) as db:
        db.execute("UPDATE messages SET finished_at = now() - interval '8 days' WHERE intake_id = %s", (intake["id"],))
        with db.transaction():       # the statement the hourly purge runs
            NotifyStore(db).drop_old_bodies(datetime.now(timezone.utc) - timedelta(days=7))
        rows = db.execute("SELECT status, subject, body_text, body_html FROM messages WHERE intake_id = %s",
                          (intake["id"],)).fetchall()
    assert rows and all(r[0] == "delivered" and r[1:] == (None, None, None) for r in rows)


def test_a_permanent_failure_ends_the_saved_search_and_a_dead_link_says_so(anonymous, platform):
    answer = anonymous.post("/api/v1/saved-searches", json={"email": f"weg+550.{uuid.uuid4().hex[:6]}@example.nl",
                                                            "query": {"q": "heftruck"}})
    subscription = answer.json()["id"]
    eventually(lambda: subscription_status(platform, subscription)[0] == "ended", timeout=20, message="ended")
    assert subscription_status(platform, subscription) == ("ended", None)
    form = anonymous.http.get(f"{platform.url}/zoekopdrachten/bevestigen", params={"token": "sub_niet-bestaand"}).text
    page = anonymous.http.post(f"{platform.url}/zoekopdrachten/bevestigen",
                               data={"token": "sub_niet-bestaand", "csrf": form_token(form)})
    assert page.status_code == 404 and "werkt niet" in page.text
    assert anonymous.post("/api/v1/saved-searches/confirm", json={"token": "sub_x"}).status_code == 404
    assert anonymous.post("/api/v1/saved-searches/confirm", json={}).status_code == 422


def test_a_saved_search_hears_when_a_course_it_was_told_of_starts_on_another_day(anonymous, provider, platform,
                                                                                  mail_server):
    word = f"kraanbaan{uuid.uuid4().hex[:5]}"
    address = f"start.{uuid.uuid4().hex[:6]}@example.nl"
    answer = anonymous.post("/api/v1/saved-searches", json={"email": address, "query": {"q": word},
                                                            "frequency": "immediate"})
    assert answer.status_code == 202, answer.text
    confirmation = one_mail(mail_server, address)
    token = next(w for w in confirmation.get_body(("plain",)).get_content().split() if "/bevestigen?" in w)
    assert anonymous.post("/api/v1/saved-searches/confirm", json={"token": token.split("token=")[1]}).status_code == 200
    course = provider.post("/api/v1/courses", json={**a_course(f"Werken met de {word}"), "publish": True}).json()
    first = course["offerings"][0]["start_date"]
    eventually(lambda: len(mail_server.to(address)) == 2, timeout=30, message="the alert")

    # the day the alert told moves two weeks on: one mail says so, with both days in words
    moved = (date.fromisoformat(first) + timedelta(days=14)).isoformat()
    body = {**course, "offerings": [{**course["offerings"][0], "start_date": moved, "end_date": moved}]}
    changed = provider.put(f"/api/v1/courses/{course['id']}", json=body, headers={"If-Match": f'"{course["version"]}"'})
    assert changed.status_code == 200, changed.text
    mail = eventually(lambda: [m for m in mail_server.to(address) if "startdatum" in m["Subject"]], timeout=30,
                      message="the start moved")[0]
    text = mail.get_body(("plain",)).get_content()
    assert word in mail["Subject"] and f"/opleidingen/{course['id']}" in text
    assert texts.day_text(date.fromisoformat(moved), "nl") in text and texts.day_text(date.fromisoformat(first), "nl") in text
    assert mail["List-Unsubscribe"]

    # a change that keeps the day says nothing
    again = provider.put(f"/api/v1/courses/{course['id']}", json={**body, "description": "Nu met extra oefenuur."},
                         headers={"If-Match": f'"{changed.json()["version"]}"'})
    assert again.status_code == 200, again.text
    time.sleep(4)
    assert len(mail_server.to(address)) == 3

