"""Saved searches as a mail bomb and a phishing channel (finding 8 of the outside security test):
one address got ten confirmations an hour and more with ``+n`` variants, pending subscriptions
never expired, the asker's free text with a clickable link went out from our sender, and the API
took ``text/plain`` JSON, so any website could make its visitors subscribe someone."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import psycopg

from services.notify import domain
from tests.e2e.test_rate_limits import client_from, gateway_with
from tests.infra import eventually


def subscribe(client, email: str, q: str = "heftruck"):
    return client.request("POST", "/api/v1/saved-searches", body=json.dumps(
        {"email": email, "query": {"q": q}, "frequency": "daily"}), headers={"Content-Type": "application/json"})


def test_one_mailbox_gets_three_a_day_and_one_client_asks_ten_an_hour(platform, attack):
    """The limits as production has them (the test platform relaxes them for the other tests)."""
    tag = uuid.uuid4().hex[:8]
    with gateway_with(platform, services=("notify",), NOTIFY_SUBSCRIPTIONS_PER_ADDRESS="3",
                      NOTIFY_SUBSCRIPTIONS_PER_CLIENT="10"):
        clients = [client_from(platform, f"127.0.1.{n}") for n in range(1, 6)]      # from different addresses
        forms = [f"Jan.Jansen.{tag}@gmail.com", f"janjansen{tag}+1@gmail.com", f"JAN.JANSEN{tag}+x@googlemail.com",
                 f"j.a.n.jansen{tag}@gmail.com", f"janjansen{tag}@gmail.com"]
        statuses = [subscribe(client, email).status for client, email in zip(clients, forms)]
        assert statuses == [202, 202, 202, 429, 429], statuses
        refused = subscribe(clients[4], forms[4])
        assert json.loads(refused.data)["errors"][0]["field"] == "email" and int(refused.headers["Retry-After"]) > 0
        assert subscribe(clients[4], f"someone.else.{tag}@example.nl").status == 202     # another mailbox

        client = client_from(platform, "127.0.2.1")
        statuses = [subscribe(client, f"p{n}.{tag}@example.nl").status for n in range(11)]
        assert statuses == [202] * 10 + [429], statuses
        assert json.loads(subscribe(client, f"p99.{tag}@example.nl").data)["errors"][0]["field"] == "body"
    attack(name="8. saved searches as a mail bomb", tried="one mailbox five ways (case, +tag, dots), 11 from one client",
           held="3 a day per mailbox, 10 an hour per client, then 429")


def test_a_foreign_website_cannot_post_a_form_as_json(platform, anonymous, attack):
    text = anonymous.post("/api/v1/saved-searches", data=json.dumps({"email": "x@example.nl", "query": {}}),
                          headers={"Content-Type": "text/plain"})
    assert text.status_code == 415 and text.json()["errors"][0]["field"] == "Content-Type"
    form = anonymous.post("/api/v1/intakes", data={"name": "x"})
    assert form.status_code == 415
    attack(name="8. a foreign website subscribes its visitors", tried="JSON posted as text/plain, a form",
           held="415: JSON bodies must say application/json")


def test_the_confirmation_carries_no_link_of_the_askers(platform, mail_server, attack):
    address = f"phish.{uuid.uuid4().hex[:8]}@example.nl"
    words = "heftruck Uw account is geblokkeerd, herstel via https://evil.example/login of bel www.evil.example"
    assert subscribe(client_from(platform, "127.0.3.1"), address, q=words).status == 202
    mail = eventually(lambda: mail_server.to(address), timeout=20, message="the confirmation mail")[0]
    text = mail.get_body(("plain",)).get_content()
    assert "heftruck" in text
    for link in ("evil.example", "https://evil", "www."):
        assert link not in text, link
    attack(name="8. phishing from our sender", tried="a saved search whose words hold a URL and a domain",
           held="the confirmation repeats the words without them")


def test_an_unconfirmed_subscription_is_gone_after_seven_days(platform):
    address = f"late.{uuid.uuid4().hex[:8]}@example.nl"
    assert subscribe(client_from(platform, "127.0.4.1"), address).status == 202
    with psycopg.connect(platform.db_urls["notify"], autocommit=True) as db:
        db.execute("UPDATE subscriptions SET created_at = %s WHERE email = %s",
                   (datetime.now(timezone.utc) - timedelta(days=8), address))
        platform.stop_service("notify")         # its purge runs at start-up's first tick, then hourly
        platform.start_service("notify")
        platform.wait_healthy()
        eventually(lambda: db.execute("SELECT count(*) FROM subscriptions WHERE email = %s",
                                      (address,)).fetchone()[0] == 0, timeout=30, message="the pending one deleted")


def test_addresses_are_normalised_to_one_mailbox():
    assert domain.normalised_address("Jan.Jansen+werk@GMail.com") == "janjansen@gmail.com"
    assert domain.normalised_address("jan.jansen+werk@example.nl") == "jan.jansen@example.nl"
    assert domain.normalised_address("j.jansen@googlemail.com") == "jjansen@gmail.com"
