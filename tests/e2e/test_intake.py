"""Intake through the gateway, every service its own process: submit → routed to the right team
→ an advisor lists and reads it (the read logged) → records steps → the person sees the
history, exports and erases; region isolation; every validation rule; spam limits; the
provider's leads; the deadline warnings with two intake processes; and personal data found
only in intake, and nowhere after erasure."""
from __future__ import annotations

import time
import uuid
from datetime import datetime

import psycopg
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import Client
from tests.e2e.test_journey import a_course
from tests.infra import eventually



def person(**overrides) -> dict:
    tag = uuid.uuid4().hex[:8]
    body = {"situation": "werkzoekend", "name": f"Testpersoon {tag}", "email": f"p{tag}@example.nl",
            "phone": f"06 1{int(tag, 16) % 10**7:07d}", "postcode": "9712 CP", "preferred_contact": "phone",
            "message": "Ik wil graag heftruck leren rijden.", "consent": True}
    body.update(overrides)
    return body


def published_course(provider, platform, **overrides) -> dict:
    answer = provider.post("/api/v1/courses", json={**a_course("Heftruck intake", **overrides), "publish": True})
    assert answer.status_code == 201, answer.text
    course = answer.json()
    # intake learns the course from catalogue events: a request for it is a 422 until then
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        eventually(lambda: (rpc.intake.known_course(course["id"]) or {}).get("published"), timeout=15,
                   message="intake knows the course")
    return course


def submit(client, **body) -> dict:
    answer = client.post("/api/v1/intakes", json=person(**body))
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_whole_flow(anonymous, admin, provider, teams, platform):
    course = published_course(provider, platform)
    body = person(course_id=course["id"], search_id="s-123")
    answer = anonymous.post("/api/v1/intakes", json=body)
    assert answer.status_code == 201, answer.text
    intake = answer.json()
    assert intake["status"] == "new" and intake["team"] == {"code": "noord", "name": "Leerwerkloket Noord"}
    assert datetime.fromisoformat(intake["callback_due_by"]).utcoffset() is not None
    token = intake["token"]

    # the advisor of the region lists it (overdue first, no personal data in the list) and reads it
    north, south = teams["noord"], teams["zuid"]
    listed = north.get("/api/v1/intakes", params={"page_size": 100}).json()
    mine = next(i for i in listed["items"] if i["id"] == intake["id"])
    assert "name" not in mine and "phone" not in mine and mine["course_id"] == course["id"]
    read = north.get(f"/api/v1/intakes/{intake['id']}").json()
    assert read["name"] == body["name"] and read["phone"].startswith("+316") and read["search_id"] == "s-123"
    assert read["consent"]["version"] and read["consent"]["callback"] is True

    # another region's advisor sees nothing of it; an anonymous caller needs credentials
    assert south.get(f"/api/v1/intakes/{intake['id']}").status_code == 404
    assert south.post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "closed"}).status_code == 404
    assert intake["id"] not in [i["id"] for i in south.get("/api/v1/intakes", params={"page_size": 100}).json()["items"]]
    assert anonymous.get("/api/v1/intakes").status_code == 401
    assert provider.get("/api/v1/intakes").status_code == 403

    # steps along the state machine; an impossible one is a 409
    step = north.post(f"/api/v1/intakes/{intake['id']}/events",
                      json={"type": "call_attempted", "note": f"{body['name']} nam niet op"})
    assert step.status_code == 200 and step.json()["status"] == "in_progress"
    assert north.post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "advice_given"}).json()["status"] == "advised"
    impossible = north.post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "call_attempted"})
    assert impossible.status_code == 409 and impossible.json()["errors"][0]["field"] == "type"

    # the person: status and history without notes, export with the access log
    status = anonymous.get(f"/api/v1/intakes/{intake['id']}/status", params={"token": token}).json()
    assert status["status"] == "advised"
    assert [h["type"] for h in status["history"]] == ["submitted", "call_attempted", "advice_given"]
    assert all("note" not in h for h in status["history"])
    assert anonymous.get(f"/api/v1/intakes/{intake['id']}/status", params={"token": "int_wrong"}).status_code == 404
    assert anonymous.get(f"/api/v1/intakes/{intake['id']}/status").status_code == 401
    export = anonymous.get(f"/api/v1/intakes/{intake['id']}/export", params={"token": token}).json()
    assert export["intake"]["name"] == body["name"]
    assert {"who": "Adviseur noord", "role": "advisor"} in [{k: a[k] for k in ("who", "role")} for a in export["access_log"]]

    # erasure: 204, the link stops working, the advisor sees the facts without the person
    assert anonymous.delete(f"/api/v1/intakes/{intake['id']}", params={"token": token}).status_code == 204
    assert anonymous.get(f"/api/v1/intakes/{intake['id']}/status", params={"token": token}).status_code == 404
    after = admin.get(f"/api/v1/intakes/{intake['id']}").json()
    assert after["erased"] and after["name"] is None and after["phone"] is None and after["situation"] == "werkzoekend"
    assert all(h["note"] is None for h in after["history"])


def test_routing_without_a_postcode_follows_the_course_and_else_goes_national(anonymous, provider, teams, platform):
    course = published_course(provider, platform)          # its offering is in Venlo (Limburg)
    assert submit(anonymous, course_id=course["id"], postcode=None)["team"]["code"] == "zuid"
    assert submit(anonymous, postcode=None)["team"]["code"] == "landelijk"
    assert submit(anonymous, postcode="5912 AB")["team"]["code"] == "zuid"        # the range
    assert submit(anonymous, postcode="1011 AB")["team"]["code"] == "landelijk"   # no region claims it


@pytest.mark.parametrize("change, field", [
    ({"consent": False}, "consent"),
    ({"preferred_contact": "email", "email": None}, "email"),
    ({"phone": "0900 1234567"}, "phone"),
    ({"phone": "097 123456789"}, "phone"),
    ({"phone": "14020"}, "phone"),
    ({"email": "jan@@example"}, "email"),
    ({"postcode": "97 12"}, "postcode"),
    ({"situation": "student"}, "situation"),
    ({"course_id": str(uuid.uuid4())}, "course_id"),
    ({"course_id": "not-an-id"}, "course_id"),
    ({"name": ""}, "name"),
    ({"favourite_colour": "blauw"}, "favourite_colour"),
])
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(anonymous, admin, teams, change, field):
    before = admin.get("/api/v1/intakes", params={"page_size": 1}).json()["total"]
    answer = anonymous.post("/api/v1/intakes", json=person(**change))
    assert answer.status_code == 422, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    assert admin.get("/api/v1/intakes", params={"page_size": 1}).json()["total"] == before


def test_a_bot_filling_the_hidden_field_is_answered_but_nothing_is_kept(anonymous, admin, teams):
    before = admin.get("/api/v1/intakes", params={"page_size": 1}).json()["total"]
    answer = anonymous.post("/api/v1/intakes", json=person(website="http://spam.example"))
    assert answer.status_code == 201
    assert admin.get("/api/v1/intakes", params={"page_size": 1}).json()["total"] == before


def test_too_many_requests_for_one_contact(anonymous, teams):
    body = person()
    for situation in ("werkzoekend", "andere-sector", "eigen-werk"):     # three different requests
        assert anonymous.post("/api/v1/intakes", json={**body, "situation": situation}).status_code == 201
    answer = anonymous.post("/api/v1/intakes", json={**body, "situation": "zelfstandige"})
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert answer.json()["errors"][0]["field"] in ("email", "phone")


def test_the_same_person_asking_the_same_again_that_day_gets_their_request_back(platform, anonymous, provider,
                                                                              teams, mail_server):
    """Back and send again (or a second tab): the open request of that day, not a second intake,
    mail or SMS; and without its token, which only the person's own mail carries."""
    course = published_course(provider, platform)
    body = person(course_id=course["id"], preferred_contact="email")
    first = submit(anonymous, **body)
    again = anonymous.post("/api/v1/intakes", json={**body, "phone": None, "name": "Iemand anders"})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"] and again.json()["already_requested"] is True
    assert again.json()["token"] is None and again.json()["callback_due_by"] == first["callback_due_by"]
    # the same contact for another course, or without a course for the situation: a new request
    other = anonymous.post("/api/v1/intakes", json={**body, "course_id": None})
    assert other.status_code == 201 and other.json()["id"] != first["id"]
    eventually(lambda: len(mail_server.to(body["email"])) >= 2 or None, timeout=15, message="two confirmations")
    time.sleep(1)
    assert len(mail_server.to(body["email"])) == 2         # the two requests' confirmations, no third


def test_too_many_requests_from_one_address(platform, anonymous, teams):
    # a key of its own: the hashes of this address start uncounted (other tests sent from it too)
    platform.extra_env.update(INTAKE_LIMIT_PER_ADDRESS="2", INTAKE_HASH_KEY=f"key-{uuid.uuid4().hex}")
    try:
        platform.restart("intake")
        assert all(anonymous.post("/api/v1/intakes", json=person()).status_code == 201 for _ in range(2))
        answer = anonymous.post("/api/v1/intakes", json=person())
        assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    finally:
        platform.extra_env.pop("INTAKE_LIMIT_PER_ADDRESS")
        platform.extra_env.pop("INTAKE_HASH_KEY")
        platform.restart("intake")


def test_teams_and_tokens(admin, anonymous, platform, teams):
    clash = admin.post("/api/v1/advisor-teams", json={"code": "grunn", "name": "X", "provinces": ["Groningen"]})
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "provinces"
    overlap = admin.post("/api/v1/advisor-teams", json={"code": "venlo", "name": "X", "postcode_ranges": [["5950", "6000"]]})
    assert overlap.status_code == 409 and overlap.json()["errors"][0]["field"] == "postcode_ranges"
    assert admin.post("/api/v1/advisor-teams", json={"code": "x", "name": "X"}).json()["errors"][0]["field"] == "code"
    listed = admin.get("/api/v1/advisor-teams").json()["items"]
    assert listed[0]["code"] == "landelijk" and {"noord", "zuid"} <= {t["code"] for t in listed}
    assert teams["noord"].get("/api/v1/advisor-teams").status_code == 403

    advisor = admin.post("/api/v1/advisors", json={"name": "Tijdelijk", "email": "t@loket.example.nl", "team": "noord"}).json()
    client = Client(platform.url, advisor["token"])
    assert client.get("/api/v1/intakes").status_code == 200
    assert admin.delete(f"/api/v1/advisors/{advisor['id']}").status_code == 204
    assert client.get("/api/v1/intakes").status_code == 401          # revoked: the next request
    assert admin.post("/api/v1/advisors", json={"name": "X", "email": "x@example.nl", "team": "nergens"}) \
        .json()["errors"][0]["field"] == "team"

    analyst = admin.post("/api/v1/analysts", json={"name": "Analist", "email": "a@fonds.example.nl"})
    assert analyst.status_code == 201 and analyst.json()["token"].startswith("ana_")
    assert Client(platform.url, analyst.json()["token"]).get("/api/v1/intakes").status_code == 403
    assert admin.post("/api/v1/analysts", json={"name": "A", "email": "geen adres"}).json()["errors"][0]["field"] == "email"


def test_a_provider_gets_shared_leads_and_only_a_count_of_the_rest(anonymous, admin, provider, teams, platform):
    course = published_course(provider, platform)
    shared_body = person(course_id=course["id"], share_with_provider=True)
    shared = submit(anonymous, **shared_body)
    submit(anonymous, course_id=course["id"])                        # without that consent
    leads = provider.get("/api/v1/providers/me/leads").json()
    assert [lead["id"] for lead in leads["items"]] == [shared["id"]] and leads["without_consent"] == 1
    assert "name" not in leads["items"][0]
    lead = provider.get(f"/api/v1/providers/me/leads/{shared['id']}").json()
    assert lead["name"] == shared_body["name"] and lead["email"] == shared_body["email"]

    other = admin.post("/api/v1/providers", json={"name": "Ander", "kind": "opleider"}).json()
    assert Client(platform.url, other["api_key"]).get(f"/api/v1/providers/me/leads/{shared['id']}").status_code == 404
    export = anonymous.get(f"/api/v1/intakes/{shared['id']}/export", params={"token": shared["token"]}).json()
    assert any(a["role"] == "provider" and a["who"] == lead_provider_name(admin, provider) for a in export["access_log"])
    events = eventually(lambda: archived(platform, shared["id"], "lead_shared"), timeout=15, message="lead_shared archived")
    assert events[0]["payload"]["provider_id"] == provider.id


def lead_provider_name(admin, provider) -> str:
    return next(p["name"] for p in admin.get("/api/v1/providers").json()["items"] if p["id"] == provider.id)


def archived(platform, intake_id: str, event_type: str | None = None) -> list[dict]:
    with psycopg.connect(platform.db_urls["analytics"]) as conn:
        rows = conn.execute("SELECT event_type, payload FROM event_archive WHERE payload->>'intake_id' = %s",
                            (intake_id,)).fetchall()
    return [{"event_type": t, "payload": p} for t, p in rows if event_type in (None, t)]


def test_warnings_go_out_once_each_with_two_intake_processes(admin, anonymous, platform, teams):
    """A team that is always open and promises a callback within seconds: both warnings come,
    each exactly once, though two intake processes sweep."""
    code = f"snel-{uuid.uuid4().hex[:6]}"
    always = {"code": code, "name": "Altijd open", "postcode_ranges": [["1100", "1100"]], "working_hours": 0.002,
              "opens": "00:00", "closes": "23:59:59", "weekdays": [0, 1, 2, 3, 4, 5, 6],
              "closed_on_public_holidays": False}
    if admin.post("/api/v1/advisor-teams", json=always).status_code == 409:      # a rerun on the same platform
        pytest.skip("the range is taken")
    platform.start_service("intake-2")
    try:
        intakes = [submit(anonymous, postcode="1100 AA") for _ in range(4)]
        assert {i["team"]["code"] for i in intakes} == {code}

        def warned():
            kinds = [[e["event_type"] for e in archived(platform, i["id"])] for i in intakes]
            return kinds if all("callback_overdue" in k for k in kinds) else None

        eventually(warned, timeout=40, interval=0.5, message="both warnings for every intake")
        time.sleep(6)           # each process has swept again meanwhile (every 5 s)
        for intake in intakes:
            types = [e["event_type"] for e in archived(platform, intake["id"])]
            assert types.count("callback_due_soon") == 1 and types.count("callback_overdue") == 1, types
    finally:
        platform.stop_service("intake-2")


def test_personal_data_is_only_in_intake_and_sent_mail_and_nowhere_after_erasure(anonymous, provider, platform, teams,
                                                                                  rabbit):
    course = published_course(provider, platform)
    body = person(course_id=course["id"], share_with_provider=True, preferred_contact="email")
    intake = submit(anonymous, **body)
    teams["noord"].post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "call_attempted",
                                                                          "note": f"gebeld met {body['name']}"})
    e164 = teams["noord"].get(f"/api/v1/intakes/{intake['id']}").json()["phone"]
    eventually(lambda: len(archived(platform, intake["id"])) >= 4, timeout=15, message="the intake's events archived")
    needles = [body["name"], body["email"], e164, body["phone"]]
    # intake holds them; notify only in the texts of the mails it sent (kept 7 days for support)
    found = eventually(lambda: places_holding(platform, needles), message="found")
    assert ("intake", "intakes") in found and set(found) <= {("intake", "intakes"), ("intake", "intake_history"),
                                                             ("notify", "messages")}, found
    # no message waiting in any queue, dead letters included, carries them (events carry ids only);
    # the search itself sees a waiting message that would
    from kombu import Connection, Queue
    with Connection(platform.amqp_uri) as conn:
        planted = Queue(f"test.planted.{intake['id']}", durable=False, auto_delete=False)(conn.channel())
        planted.declare()
        conn.Producer().publish({"note": f"bel {body['name']}"}, routing_key=planted.name, serializer="json")
        try:
            assert eventually(lambda: queues_holding(platform, rabbit, needles), message="planted") == [planted.name]
        finally:
            planted.delete()
    assert queues_holding(platform, rabbit, needles) == []
    assert anonymous.delete(f"/api/v1/intakes/{intake['id']}", params={"token": intake["token"]}).status_code == 204
    eventually(lambda: archived(platform, intake["id"], "intake_erased"), timeout=15, message="intake_erased archived")
    assert places_holding(platform, needles) == []
    assert queues_holding(platform, rabbit, needles) == []


def queues_holding(platform, rabbit, needles: list[str]) -> list[str]:
    """The queues of the platform's vhost with a waiting message whose body holds a needle. The
    messages are looked at and left (unacknowledged: the channel's close puts them back)."""
    from kombu import Connection, Queue

    found = []
    with Connection(platform.amqp_uri) as conn:
        for name in [q["name"] for q in rabbit.queues(platform.vhost)]:
            channel = conn.channel()
            try:
                queue = Queue(name, no_declare=True)(channel)
                for _ in range(1000):
                    message = queue.get(no_ack=False)
                    if message is None:
                        break
                    body = message.body.decode("utf-8", errors="replace") if isinstance(message.body, bytes) \
                        else str(message.body)
                    if any(n.lower() in body.lower() for n in needles):
                        found.append(name)
                        break
            finally:
                channel.close()
    return sorted(set(found))


def places_holding(platform, needles: list[str]) -> list[tuple[str, str]]:
    """(database, table) of every row in every service database whose text holds a needle."""
    found = []
    for service, url in platform.db_urls.items():
        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
            for table in tables:
                for needle in needles:
                    hit = conn.execute(f'SELECT 1 FROM "{table}" t WHERE t::text ILIKE %s LIMIT 1',
                                       (f"%{needle}%",)).fetchone()
                    if hit:
                        found.append((service, table))
    return sorted(set(found))


def test_the_same_request_again_is_one_intake(anonymous):
    """A client that sends again with the same Idempotency-Key (after a 503 or a dropped
    connection) gets the intake it made, not a second one; without a key, two requests are two."""
    body = person()
    first = anonymous.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": "poging-1"})
    again = anonymous.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": "poging-1"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    # another key for another request (the same request again that day is answered with the first:
    # test_the_same_person_asking_the_same_again_that_day_gets_their_request_back)
    other = anonymous.post("/api/v1/intakes", json={**body, "situation": "andere-sector"},
                           headers={"Idempotency-Key": "poging-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    too_long = anonymous.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": "x" * 201})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "Idempotency-Key"
