"""The catalogue through the gateway: tenant isolation, credentials, funding schemes, places,
completeness, and bulk imports, with events checked by a real consumer on RabbitMQ."""
from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import date, timedelta

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from tests.conftest import Client
from tests.e2e.test_journey import a_course, found
from tests.infra import ROOT, eventually


class EventWatch:
    """A queue of our own bound to every catalogue event: what a subscriber would receive."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.queue = Queue(f"watch-{uuid.uuid4().hex[:8]}", exchange=get_event_exchange("catalogue", {}),
                           routing_key="#", durable=False, auto_delete=False)
        with Connection(amqp_uri) as conn:
            self.queue(conn.channel()).declare()
        self.events: list[dict] = []

    def drain(self) -> list[dict]:
        with Connection(self.amqp_uri) as conn:
            bound = self.queue(conn.channel())
            while (message := bound.get(no_ack=True)) is not None:
                self.events.append(message.payload)
        return self.events

    def about(self, provider_id: str) -> list[tuple[str, str, int]]:
        return [(e["event_type"], e["payload"]["course"]["external_id"], e["payload"]["version"])
                for e in self.drain() if e["payload"].get("provider_id") == provider_id and "course" in e["payload"]]

    def delete(self):
        with Connection(self.amqp_uri) as conn:
            self.queue(conn.channel()).delete()


@pytest.fixture
def watch(platform):
    w = EventWatch(platform.amqp_uri)
    yield w
    w.delete()


def ndjson(*courses) -> bytes:
    return "\n".join(c if isinstance(c, str) else json.dumps(c) for c in courses).encode()


def test_a_put_takes_back_what_a_get_gave(provider, admin, platform):
    """A client reads a course, changes a field and sends it whole: the fields the platform sets
    are ignored, the ETag is an entity tag that If-Match takes quoted or bare, and an unknown
    field is still refused. (Each of these was a 422 or a bare number.)"""
    posted = {**a_course("Heftruck teruggestuurd"), "publish": True}
    created = provider.post("/api/v1/courses", json=posted)
    assert created.headers["ETag"] == '"1"'
    url = f"/api/v1/courses/{created.json()['id']}"
    read = provider.get(url)
    assert read.headers["ETag"] == '"1"' and {"id", "version", "status", "provider", "quality", "created_at",
                                              "updated_at"} <= set(read.json())
    changed = provider.put(url, json={**read.json(), "title": "Heftruck gewijzigd"}, headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["version"], changed.json()["status"]) == ("Heftruck gewijzigd", 2, "published")
    assert changed.headers["ETag"] == '"2"'
    # the POST body again (with its "publish"), If-Match bare: changes the title back, status untouched
    again = provider.put(url, json=posted, headers={"If-Match": "2"})
    assert (again.status_code, again.json()["version"], again.json()["status"]) == (200, 3, "published"), again.text
    # a stale entity tag is still a 412, and a weak one is read as its number
    assert provider.put(url, json=posted, headers={"If-Match": '"2"'}).status_code == 412
    assert provider.put(url, json=posted, headers={"If-Match": 'W/"3"'}).status_code == 200
    unknown = provider.put(url, json={**posted, "colour": "blue"}, headers={"If-Match": "3"})
    assert unknown.status_code == 422 and [e["field"] for e in unknown.json()["errors"]] == ["colour"]
    # another provider: refused before the body is read, whether it is valid, invalid or not JSON at all
    other = Client(platform.url, admin.post("/api/v1/providers", json={"name": "C", "kind": "opleider"}).json()["api_key"])
    for body in ({**posted, "title": "Gekaapt"}, {"title": ""}, {"colour": "blue"}):
        assert other.put(url, json=body, headers={"If-Match": "3"}).status_code == 403, body
    assert other.put(url, data=b"{not json", headers={"If-Match": "3", "Content-Type": "application/json"}).status_code == 403
    assert other.put("/api/v1/courses/00000000-0000-0000-0000-000000000000", json={"title": ""},
                     headers={"If-Match": "1"}).status_code == 404
    assert provider.put(url, data=b"{not json", headers={"If-Match": "3", "Content-Type": "application/json"}).status_code == 400
    assert provider.get(url).json()["title"] == posted["title"]


def test_every_write_endpoint_is_closed_to_another_provider(provider, admin, platform):
    other = Client(platform.url, admin.post("/api/v1/providers", json={"name": "B", "kind": "opleider"}).json()["api_key"])
    theirs = other.post("/api/v1/courses", json={**a_course("Van B"), "publish": True}).json()
    draft = other.post("/api/v1/courses", json=a_course("Concept van B")).json()
    cid, did = theirs["id"], draft["id"]
    attempts = [
        provider.put(f"/api/v1/courses/{cid}", json=a_course("Gekaapt", external_id=theirs["external_id"]),
                     headers={"If-Match": "1"}),
        provider.post(f"/api/v1/courses/{cid}/withdraw"),
        provider.post(f"/api/v1/courses/{cid}/publish"),
        provider.get(f"/api/v1/courses/{cid}/history"),
        provider.delete(f"/api/v1/courses/{cid}"),
    ]
    assert [a.status_code for a in attempts] == [403, 403, 403, 403, 403]
    drafts = [provider.get(f"/api/v1/courses/{did}"), provider.post(f"/api/v1/courses/{did}/publish"),
              provider.put(f"/api/v1/courses/{did}", json=a_course("x", external_id=draft["external_id"]),
                           headers={"If-Match": "1"}),
              provider.delete(f"/api/v1/courses/{did}")]
    assert [a.status_code for a in drafts] == [404, 404, 404, 404]
    assert other.get(f"/api/v1/courses/{did}").status_code == 200      # B's draft is still there
    # importing the same external_id makes a course of one's own, not a change to B's
    answer = provider.post("/api/v1/courses/import?format=ndjson", data=ndjson(a_course("Eigen", external_id=theirs["external_id"])))
    assert answer.json()["accepted"] == 1
    assert other.get(f"/api/v1/courses/{cid}").json()["title"] == "Van B"
    assert other.get(f"/api/v1/courses/{cid}").json()["version"] == 1


def test_api_keys_rotate_and_revoke(admin, platform):
    created = admin.post("/api/v1/providers", json={"name": "Sleutelbeheer", "kind": "opleider"}).json()
    old = Client(platform.url, created["api_key"])
    assert old.get("/api/v1/providers/me/courses").status_code == 200
    rotated = old.post("/api/v1/providers/me/api-key")
    assert rotated.status_code == 201
    assert old.get("/api/v1/providers/me/courses").status_code == 401
    new = Client(platform.url, rotated.json()["api_key"])
    assert new.get("/api/v1/providers/me/courses").status_code == 200
    assert admin.request("DELETE", f"/api/v1/providers/{created['id']}/api-key").status_code == 200
    assert new.get("/api/v1/providers/me/courses").status_code == 401
    reissued = admin.post(f"/api/v1/providers/{created['id']}/api-key").json()["api_key"]
    assert Client(platform.url, reissued).get("/api/v1/providers/me/courses").status_code == 200


def test_funding_schemes(admin, provider, platform, anonymous):
    fonds = Client(platform.url, admin.post("/api/v1/providers", json={"name": "OOM", "kind": "oo-fonds"}).json()["api_key"])
    code, old_code = f"slim-{uuid.uuid4().hex[:6]}", f"oud-{uuid.uuid4().hex[:6]}"
    today = date.today()
    scheme = {"code": code, "name": "SLIM-subsidie", "funder": "Rijksoverheid", "valid_from": str(today - timedelta(days=1)),
              "valid_until": str(today + timedelta(days=365)), "max_amount_eur": 25000,
              "eligible_sectors": ["techniek"], "eligible_situations": ["werkgever"]}
    assert fonds.post("/api/v1/funding-schemes", json=scheme).status_code == 201
    assert admin.post("/api/v1/funding-schemes", json={**scheme, "code": old_code,
                      "valid_from": "2020-01-01", "valid_until": str(today - timedelta(days=1))}).status_code == 201
    assert provider.post("/api/v1/funding-schemes", json={**scheme, "code": "x-1"}).status_code == 403
    assert fonds.post("/api/v1/funding-schemes", json=scheme).status_code == 409
    bad = fonds.post("/api/v1/funding-schemes", json={**scheme, "code": "y-1", "valid_until": "2000-01-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "valid_until"

    listed = [s["code"] for s in anonymous.get("/api/v1/funding-schemes").json()["items"]]
    assert code in listed and old_code not in listed          # expired: no longer listed

    ok = provider.post("/api/v1/courses", json=a_course("Met regeling", funding_schemes=[code]))
    assert ok.status_code == 201
    unknown = provider.post("/api/v1/courses", json=a_course("Onbekend", funding_schemes=[code, "bestaat-niet"]))
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "funding_schemes.1", "message": "unknown funding scheme 'bestaat-niet'"}]


def test_a_funding_scheme_is_ended_early_by_its_publisher_and_search_follows(admin, provider, platform,
                                                                             anonymous, watch):
    """A fund whose budget runs out ends its scheme (valid_until) with a PUT: only its publisher
    or an admin may, with If-Match; the list and search's situation profile drop it, and a
    subscriber receives funding_scheme_updated with the new version."""
    def oo_fonds(name):
        return Client(platform.url, admin.post("/api/v1/providers", json={"name": name, "kind": "oo-fonds"}).json()["api_key"])

    fonds, other_fonds = oo_fonds("Fonds A"), oo_fonds("Fonds B")
    code, today = f"budget-{uuid.uuid4().hex[:6]}", date.today()
    scheme = {"code": code, "name": "Scholingsbudget", "funder": "Fonds A", "valid_from": str(today - timedelta(days=30)),
              "valid_until": str(today + timedelta(days=365)), "eligible_situations": ["werkgever"]}
    created = fonds.post("/api/v1/funding-schemes", json=scheme)
    assert (created.status_code, created.json()["version"]) == (201, 1)

    def in_profile():
        answer = anonymous.get("/api/v1/search", params={"situation": "werkgever"}).json()
        return code in [s["code"] for s in answer["profile"]["funding_schemes"]]

    def listed():
        return code in [s["code"] for s in anonymous.get("/api/v1/funding-schemes").json()["items"]]

    word = f"budgetcursus{code[-6:]}"
    provider.post("/api/v1/courses", json={**a_course(f"Cursus {word}", funding_schemes=[code]), "publish": True})

    def on_hit():
        return anonymous.get("/api/v1/search", params={"q": word}).json()["hits"][0]["funding_schemes"]

    eventually(in_profile, message="search knows the scheme")
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": word}).json()["total"] == 1, message="findable")
    assert on_hit() == [code]

    def funded():
        return anonymous.get("/api/v1/search", params={"q": word, "funding": code}).json()["total"]

    assert funded() == 1
    url = f"/api/v1/funding-schemes/{code}"
    got = anonymous.get(url)
    assert (got.json()["version"], got.headers["ETag"]) == (1, '"1"')
    ended = {**scheme, "valid_until": str(today - timedelta(days=1))}
    v1 = {"If-Match": "1"}
    assert anonymous.put(url, json=ended, headers=v1).status_code == 401
    assert other_fonds.put(url, json=ended, headers=v1).status_code == 403     # another fund's scheme
    assert provider.put(url, json=ended, headers=v1).status_code == 403        # not a fund at all
    assert fonds.put(url, json=ended).status_code == 428
    renamed = fonds.put(url, json={**ended, "code": "ander"}, headers=v1)
    assert (renamed.status_code, renamed.json()["errors"][0]["field"]) == (422, "code")
    backwards = fonds.put(url, json={**ended, "valid_until": "2000-01-01"}, headers=v1)
    assert (backwards.status_code, backwards.json()["errors"][0]["field"]) == (422, "valid_until")
    missing = f"/api/v1/funding-schemes/geen-{code}"
    assert fonds.put(missing, json={**ended, "code": f"geen-{code}"}, headers=v1).status_code == 404
    assert anonymous.get(missing).status_code == 404
    assert anonymous.get(url).json()["valid_until"] == scheme["valid_until"]    # refused: nothing changed

    changed = fonds.put(url, json=ended, headers=v1)
    assert (changed.status_code, changed.json()["version"], changed.headers["ETag"]) == (200, 2, '"2"')
    assert fonds.put(url, json=ended, headers=v1).status_code == 412             # stale
    assert fonds.put(url, json=ended, headers={"If-Match": "2"}).json()["version"] == 2   # the same: no change
    assert anonymous.get(url).json()["valid_until"] == ended["valid_until"]     # ended, still readable
    assert not listed()
    eventually(lambda: not in_profile(), message="search drops the ended scheme")
    assert on_hit() == [] and funded() == 0                # the course still names it; it pays for nothing
    reopened = admin.put(url, json=scheme, headers={"If-Match": "2"})          # an admin may too
    assert (reopened.status_code, reopened.json()["version"]) == (200, 3) and listed()
    eventually(in_profile, message="search has the reopened scheme")
    assert on_hit() == [code] and funded() == 1

    def scheme_events():
        return [(e["event_type"], e["payload"]["version"], e["payload"]["scheme"]["valid_until"])
                for e in watch.drain() if e["event_type"].startswith("funding_scheme") and e["payload"]["code"] == code]

    eventually(lambda: len(scheme_events()) >= 3, message="three scheme events")
    assert scheme_events() == [("funding_scheme_published", 1, scheme["valid_until"]),
                               ("funding_scheme_updated", 2, ended["valid_until"]),
                               ("funding_scheme_updated", 3, scheme["valid_until"])]


def test_a_provider_finds_its_courses_by_status_and_by_its_own_id(provider, admin, platform):
    """An administration that knows only its own ids finds the course to PUT to by external_id,
    and a provider sees its drafts (or withdrawn courses) apart from the rest."""
    other = Client(platform.url, admin.post("/api/v1/providers", json={"name": "B", "kind": "opleider"}).json()["api_key"])
    tag = uuid.uuid4().hex[:6]
    draft = provider.post("/api/v1/courses", json=a_course("Concept", external_id=f"D-{tag}")).json()
    live = provider.post("/api/v1/courses", json={**a_course("Live", external_id=f"L-{tag}"), "publish": True}).json()
    gone = provider.post("/api/v1/courses", json={**a_course("Weg", external_id=f"W-{tag}"), "publish": True}).json()
    provider.post(f"/api/v1/courses/{gone['id']}/withdraw")
    other.post("/api/v1/courses", json=a_course("Van B", external_id=f"L-{tag}"))    # the same id, another provider

    def mine(**params):
        answer = provider.get("/api/v1/providers/me/courses", params={"page_size": 100, **params}).json()
        return answer["total"], [c["id"] for c in answer["items"]]

    assert mine(external_id=f"L-{tag}") == (1, [live["id"]])
    assert mine(external_id=f"X-{tag}") == (0, [])
    drafts, withdrawn = mine(status="draft"), mine(status="withdrawn")
    assert draft["id"] in drafts[1] and live["id"] not in drafts[1] and gone["id"] not in drafts[1]
    assert gone["id"] in withdrawn[1] and draft["id"] not in withdrawn[1]
    assert mine(status="published", external_id=f"D-{tag}") == (0, [])
    assert mine()[0] == mine(status="draft")[0] + mine(status="published")[0] + mine(status="withdrawn")[0]
    bad = provider.get("/api/v1/providers/me/courses", params={"status": "concept"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "status")


def test_a_draft_can_be_deleted_and_a_course_once_published_cannot(provider, anonymous, watch):
    """A draft made by mistake goes, and its external_id is free again; a course that was public
    stays on record (withdraw it). Deleting a draft tells no one: no one was told of it."""
    draft = provider.post("/api/v1/courses", json=a_course("Per ongeluk", external_id="OOPS-1")).json()
    provider.put(f"/api/v1/courses/{draft['id']}", json=a_course("Per ongeluk 2", external_id="OOPS-1"),
                 headers={"If-Match": "1"})                      # history to go with it
    assert anonymous.delete(f"/api/v1/courses/{draft['id']}").status_code == 401
    assert provider.delete(f"/api/v1/courses/{draft['id']}").status_code == 204
    assert provider.get(f"/api/v1/courses/{draft['id']}").status_code == 404
    assert provider.delete(f"/api/v1/courses/{draft['id']}").status_code == 404
    assert provider.get("/api/v1/providers/me/courses", params={"external_id": "OOPS-1"}).json()["total"] == 0
    again = provider.post("/api/v1/courses", json=a_course("Nu goed", external_id="OOPS-1"))
    assert again.status_code == 201 and again.json()["id"] != draft["id"]

    live = provider.post("/api/v1/courses", json={**a_course("Openbaar", external_id="LIVE-1"), "publish": True}).json()
    refused = provider.delete(f"/api/v1/courses/{live['id']}")
    assert refused.status_code == 409 and "withdraw" in refused.json()["detail"]
    provider.post(f"/api/v1/courses/{live['id']}/withdraw")
    assert provider.delete(f"/api/v1/courses/{live['id']}").status_code == 409
    assert provider.get(f"/api/v1/courses/{live['id']}").json()["status"] == "withdrawn"
    assert provider.delete("/api/v1/courses/not-a-uuid").status_code == 404
    eventually(lambda: any(e["payload"].get("course", {}).get("id") == live["id"] for e in watch.drain()),
               message="the published course's events")
    assert not [e for e in watch.drain() if e["payload"].get("course", {}).get("id") in (draft["id"], again.json()["id"])]


def test_places_and_completeness_are_returned_to_the_provider(provider):
    course = a_course("Plaatsen")
    course["offerings"][0]["location"] = {"postcode": "9712cp"}
    created = provider.post("/api/v1/courses", json=course).json()
    location = created["offerings"][0]["location"]
    assert (location["postcode"], location["province"]) == ("9712 CP", "Groningen")
    assert 0 < created["quality"]["score"] < 100
    assert "url" in [m["field"] for m in created["quality"]["missing"]]
    course["offerings"][0]["location"] = {"city": "Atlantis"}
    answer = provider.post("/api/v1/courses", json={**course, "external_id": "P-2"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "offerings.0.location.city"


def test_ndjson_import_mixed_lines_reimport_and_full_sync(provider, anonymous, watch):
    word = f"importeer{uuid.uuid4().hex[:6]}"
    good = [a_course(f"{word} {n}", external_id=f"IMP-{n}") for n in range(3)]
    bad_title = {**a_course("x", external_id="IMP-BAD"), "title": ""}
    body = ndjson(good[0], "{not json", good[1], bad_title, "", good[2])
    report = provider.post("/api/v1/courses/import?format=ndjson", data=body,
                           headers={"Content-Type": "application/x-ndjson"}).json()
    assert report["accepted"] == 3
    assert [(r["line"], r["external_id"], r["errors"][0]["field"]) for r in report["rejected"]] == [
        (2, None, "body"), (4, "IMP-BAD", "title")]
    eventually(lambda: len(watch.about(provider.id)) == 3, message="three events")
    assert sorted(watch.about(provider.id)) == [("course_published", f"IMP-{n}", 1) for n in range(3)]
    eventually(lambda: found(anonymous, word, provider.get("/api/v1/providers/me/courses").json()["items"][0]["id"]),
               message="imported courses findable")

    again = provider.post("/api/v1/courses/import?format=ndjson", data=body).json()
    assert again["accepted"] == 3 and len(again["rejected"]) == 2
    changed = ndjson({**good[0], "title": f"{word} nieuw"}, good[1])
    sync = provider.post("/api/v1/courses/import?format=ndjson&mode=full-sync", data=changed).json()
    assert sync["withdrawn"] == ["IMP-2"]
    expected = [("course_published", f"IMP-{n}", 1) for n in range(3)] + [
        ("course_updated", "IMP-0", 2), ("course_withdrawn", "IMP-2", 2)]
    eventually(lambda: len(watch.about(provider.id)) >= 5, message="sync events")
    assert sorted(watch.about(provider.id)) == sorted(expected)   # the re-import emitted nothing

    imports = provider.get("/api/v1/courses/imports").json()["items"]
    assert [(i["mode"], i["status"], i["accepted"], i["withdrawn"]) for i in imports[:2]] == [
        ("full-sync", "finished", 2, 1), ("upsert", "finished", 3, 0)]
    one = provider.get(f"/api/v1/courses/imports/{sync['import_id']}").json()
    assert one["accepted"] == 2


def test_csv_import_groups_offerings_by_course(provider):
    start = date.today() + timedelta(days=40)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "title", "level", "sectors", "keywords", "offering_external_id", "start_date",
                     "end_date", "mode", "city", "postcode", "price_eur", "status"])
    writer.writerow(["CSV-1", "Heftruck", "mbo-2", "logistiek;bouw", "heftruck", "A", start, start, "klassikaal", "Venlo", "", "325", "open"])
    writer.writerow(["CSV-1", "Heftruck", "mbo-2", "logistiek;bouw", "heftruck", "B", start, start, "online", "", "", "300", "open"])
    writer.writerow(["CSV-2", "Reachtruck", "mbo-9", "logistiek", "", "A", start, start, "klassikaal", "Venlo", "", "1", "open"])
    writer.writerow(["CSV-3", "Orderpicker", "mbo-1", "logistiek", "", "A", start, start, "klassikaal", "Atlantis", "", "1", "open"])
    writer.writerow(["CSV-1", "Heftruck", "mbo-2", "", "", "C", start, start, "online", "", "", "1", "open"])
    report = provider.post("/api/v1/courses/import", data=out.getvalue().encode(),
                           headers={"Content-Type": "text/csv"}).json()
    assert report["accepted"] == 1
    assert [(r["line"], r["errors"][0]["field"]) for r in report["rejected"]] == [
        (6, "external_id"), (4, "level"), (5, "offerings.0.location.city")]
    course = provider.get("/api/v1/providers/me/courses").json()["items"][0]
    assert [o["external_id"] for o in course["offerings"]] == ["A", "B"]
    assert course["sectors"] == ["logistiek", "bouw"]


def test_csv_saved_by_a_dutch_spreadsheet_is_read(provider):
    """Excel in a Dutch locale saves plain "CSV" as Windows-1252, with ';' between cells
    (quoting a cell that holds one), a decimal comma in prices, shown with the euro sign, and
    dates as d-m-yyyy: read as they are meant when the charset is declared."""
    start = date.today() + timedelta(days=40)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["External_ID ", "Title", "level", "keywords", "offering_external_id", "start_date", "end_date",
                     "mode", "city", "price_eur", "status", "", ""])
    writer.writerow(["NL-1", "Heftruck, coördinator", "mbo-2", "heftruck;vorkheftruck", "A",
                     f"{start.day}-{start.month}-{start.year}", f"{start:%d-%m-%Y}", "klassikaal", "Venlo",
                     "€ 1.234,50", "open"])
    writer.writerow(["NL-1", "Heftruck, coördinator", "mbo-2", "", "B", start.isoformat(), start.isoformat(), "online", "",
                     "99", "open"])
    writer.writerow(["NL-1", "Heftruck, coördinator", "mbo-2", "", "C", start.isoformat(), start.isoformat(), "online", "",
                     "1.500", "open"])
    assert out.getvalue().count('"') == 2            # the keywords are quoted, the title's comma is not
    body = out.getvalue().encode("cp1252")
    report = provider.post("/api/v1/courses/import", data=body,
                           headers={"Content-Type": "text/csv; charset=windows-1252"}).json()
    assert (report["accepted"], report["rejected"]) == (1, [])
    course = provider.get("/api/v1/providers/me/courses").json()["items"][0]
    assert (course["title"], course["keywords"]) == ("Heftruck, coördinator", ["heftruck", "vorkheftruck"])
    first, second, third = course["offerings"]
    assert (first["start_date"], first["end_date"], first["price_eur"]) == (start.isoformat(), start.isoformat(),
                                                                            "1234.50")
    assert (second["price_eur"], third["price_eur"]) == ("99.00", "1500.00")      # the dot groups thousands


def test_a_tab_separated_export_with_decimal_commas_is_read(provider):
    """A Dutch spreadsheet saved as tab-separated text: tabs between cells, decimal commas."""
    start = (date.today() + timedelta(days=40)).isoformat()
    rows = [["external_id", "title", "level", "offering_external_id", "start_date", "end_date", "mode", "price_eur"],
            ["TAB-1", "Excel, de basis", "mbo-2", "A", start, start, "online", "295,5"],
            ["TAB-1", "Excel, de basis", "mbo-2", "B", start, start, "online", "1.234,50"]]
    body = "".join("\t".join(row) + "\n" for row in rows).encode()
    report = provider.post("/api/v1/courses/import", data=body, headers={"Content-Type": "text/csv"}).json()
    assert (report["accepted"], report["rejected"]) == (1, [])
    course = provider.get("/api/v1/providers/me/courses").json()["items"][0]
    assert course["title"] == "Excel, de basis"
    assert [o["price_eur"] for o in course["offerings"]] == ["295.50", "1234.50"]


def test_ooapi_import(provider):
    body = (ROOT / "tests/fixtures/ooapi_courses.json").read_bytes()
    report = provider.post("/api/v1/courses/import?format=ooapi", data=body,
                           headers={"Content-Type": "application/json"}).json()
    assert report["accepted"] == 1
    assert report["rejected"] == [{"line": 2, "external_id": "5b9d9a2e-5e4f-4b7a-9b0e-1c2d3e4f5a02",
                                   "errors": [{"field": "offerings.0.location.city",
                                               "message": "unknown place 'Atlantis' (a Dutch city or village name is expected; a postcode such as '1861 AB' places any address)"}]}]
    course = provider.get("/api/v1/providers/me/courses").json()["items"][0]
    assert (course["external_id"], course["title"], course["level"]) == ("OOAPI-LAS-2", "Lassen niveau 2", "mbo-2")
    assert course["study_load_hours"] == 60 and course["status"] == "published"
    first, second, third = course["offerings"]
    # the total costs, not the total plus the part the STAP subsidy covered
    assert (first["external_id"], first["mode"], first["price_eur"], first["location"]["province"]) == (
        "LAS2-2027-ZWO", "klassikaal", "1450.00", "Overijssel")
    assert first["location"]["postcode"] == "8017 CA"       # v5's postalCode
    assert (second["external_id"], second["mode"], second["location"]) == ("a2", "online", None)
    assert third["price_eur"] == "125.50"           # no total given: its costs with an amount, summed
    # seats: maxNumberStudents less enrolledNumberStudents; none left is full; none said: unknown
    assert [(o["seats_available"], o["status"]) for o in (first, second, third)] == [
        (12, "open"), (0, "full"), (None, "open")]
    # the course's teachingLanguage "en-GB" (a language tag in v5), an offering's "nld" (ISO 639-2)
    assert course["languages"] == ["en", "nl"]


def test_an_ooapi_offering_without_a_price_is_rejected_not_listed_as_free(provider):
    item = {"primaryCode": {"code": "OOAPI-GRATIS"}, "name": "Prijs onbekend", "level": "bachelor",
            "offerings": [{"offeringId": "x", "startDate": "2030-01-01", "modeOfDelivery": ["online"]}]}
    report = provider.post("/api/v1/courses/import?format=ooapi", json={"items": [item]}).json()
    assert report["accepted"] == 0
    assert [e["field"] for e in report["rejected"][0]["errors"]] == ["offerings.0.price_eur"]


def _ooapi_item(code: str, **fields) -> dict:
    return {"primaryCode": {"code": code}, "name": f"Cursus {code}", "description": "Een cursus.",
            "offerings": [{"offeringId": "x", "startDate": "2030-01-01", "modeOfDelivery": ["online"],
                           "priceInformation": [{"costType": "total costs", "amount": 100}]}], **fields}


def test_ooapi_bachelor_and_master_are_hbo_or_wo_and_credits_are_hours(provider):
    """OOAPI has one "bachelor": whether it is hbo or wo is the education specification's
    sector, else what the import says (higher_education), else hbo. An EC is 28 hours."""
    items = [
        _ooapi_item("UNI-BA", level="bachelor", educationSpecification={"sector": "university education"},
                    studyLoad={"studyLoadUnit": "ects", "value": 7.5}),
        _ooapi_item("HS-MA", level="master", educationSpecification={"sector": "higher professional education"},
                    ects=3),
        _ooapi_item("ANY-MA", level="Master", studyLoad={"studyLoadUnit": "contacttime", "value": 12}),
        _ooapi_item("MBO-3", level="secondary vocational education 3", studyLoad={"typeOfStudyLoad": "sbu", "value": 40}),
    ]

    def imported(query: str) -> dict:
        report = provider.post(f"/api/v1/courses/import?format=ooapi{query}", json={"items": items}).json()
        assert (report["accepted"], report["rejected"]) == (4, [])
        return {c["external_id"]: (c["level"], c["study_load_hours"])
                for c in provider.get("/api/v1/providers/me/courses").json()["items"]}

    assert imported("") == {"UNI-BA": ("wo-bachelor", 210), "HS-MA": ("hbo-master", 84),
                            "ANY-MA": ("hbo-master", None), "MBO-3": ("mbo-3", 40)}
    # a university's feed without sectors: its degrees are wo, a sector given still wins
    assert imported("&higher_education=wo") == {"UNI-BA": ("wo-bachelor", 210), "HS-MA": ("hbo-master", 84),
                                               "ANY-MA": ("wo-master", None), "MBO-3": ("mbo-3", 40)}


def test_an_ooapi_offering_is_placed_where_it_is_taught(provider):
    """An institution lists its postal address (a PO box at the head office) beside the place
    where a course is taught; the offering is there, not at the PO box."""
    head_office = {"addressType": "postal", "street": "Postbus 85", "postalCode": "3500 AB", "city": "Utrecht"}
    taught = {"addressType": "teaching", "street": "Campus 1", "postalCode": "3811 AA", "city": "Amersfoort"}
    course = _ooapi_item("ADRES", level="secondary vocational education 2", addresses=[head_office, taught])
    course["offerings"][0]["modeOfDelivery"] = ["situated"]
    only_postal = _ooapi_item("POSTBUS", level="secondary vocational education 2", addresses=[head_office])
    only_postal["offerings"][0]["modeOfDelivery"] = ["situated"]
    report = provider.post("/api/v1/courses/import?format=ooapi", json={"items": [course, only_postal]}).json()
    assert (report["accepted"], report["rejected"]) == (2, [])
    cities = {c["external_id"]: c["offerings"][0]["location"]["city"]
              for c in provider.get("/api/v1/providers/me/courses").json()["items"]}
    assert cities == {"ADRES": "Amersfoort", "POSTBUS": "Utrecht"}      # a postal address when it is all


def test_higher_education_is_said_only_of_an_ooapi_import(provider):
    before = provider.get("/api/v1/courses/imports").json()["total"]
    for query in ("format=ooapi&higher_education=universiteit", "format=ndjson&higher_education=wo"):
        answer = provider.post(f"/api/v1/courses/import?{query}", json={"items": [_ooapi_item("X", level="bachelor")]})
        assert answer.status_code == 422, query
        assert answer.json()["errors"][0]["field"] == "higher_education"
    assert provider.get("/api/v1/courses/imports").json()["total"] == before     # no import was started


def test_import_needs_a_known_format_and_mode(provider):
    assert provider.post("/api/v1/courses/import", data=b"x", headers={"Content-Type": "text/plain"}).status_code == 422
    answer = provider.post("/api/v1/courses/import?format=ndjson&mode=all", data=b"")
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "mode"


def test_import_progress_can_be_polled_while_it_runs(provider):
    """The body is streamed: after 800 lines (the first batch of 500 has gone to the catalogue,
    whatever the readers buffer) the upload pauses until the test has seen the progress of the
    running import, then finishes."""
    import threading

    word = f"voortgang{uuid.uuid4().hex[:6]}"
    first_batch_seen = threading.Event()

    def body():
        for n in range(900):
            if n == 800:
                assert first_batch_seen.wait(30), "progress was never seen"
            yield (json.dumps(a_course(f"{word} {n}", external_id=f"P-{n}")) + "\n").encode()

    result = {}
    upload = threading.Thread(target=lambda: result.update(report=provider.post(
        "/api/v1/courses/import?format=ndjson", data=body(),
        headers={"Content-Type": "application/x-ndjson"}).json()))
    upload.start()
    try:
        running = eventually(lambda: next((i for i in provider.get("/api/v1/courses/imports").json()["items"]
                                           if i["status"] == "running" and i["accepted"] >= 500), None),
                             timeout=30, message="a running import with its first batch accepted")
        assert running["accepted"] == 500 and running["finished_at"] is None
        one = provider.get(f"/api/v1/courses/imports/{running['id']}").json()
        assert one["status"] == "running" and one["accepted"] == 500
    finally:
        first_batch_seen.set()
        upload.join(60)
    assert result["report"]["accepted"] == 900
    done = provider.get(f"/api/v1/courses/imports/{running['id']}").json()
    assert done["status"] == "finished" and done["accepted"] == 900


def test_a_course_twice_in_a_big_import_ends_as_its_later_line_says(provider, watch):
    """The gateway sends a batch before the one before it is answered; the catalogue checks them
    side by side but stores them in file order."""
    filler = [a_course(f"Vulling {n}", external_id=f"VUL-{n}") for n in range(1200)]
    first, last = a_course("Eerste versie", external_id="DUBBEL-1"), a_course("Laatste versie", external_id="DUBBEL-1")
    body = ndjson(first, *filler[:700], last, *filler[700:])      # batches of 500: lines 1 and 702
    answer = provider.post("/api/v1/courses/import?format=ndjson", data=body,
                           headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1202 and answer.json()["rejected"] == []
    eventually(lambda: len(watch.about(provider.id)) == 1202, timeout=30, message="every event")
    assert [e for e in watch.about(provider.id) if e[1] == "DUBBEL-1"] == [
        ("course_published", "DUBBEL-1", 1), ("course_updated", "DUBBEL-1", 2)]
    course = next(c for c in _my_courses(provider) if c["external_id"] == "DUBBEL-1")
    assert (course["title"], course["version"]) == ("Laatste versie", 2)
    status = provider.get(f"/api/v1/courses/imports/{answer.json()['import_id']}").json()
    assert (status["status"], status["accepted"]) == ("finished", 1202)


def _my_courses(provider) -> list[dict]:
    out, page = [], 1
    while True:
        items = provider.get("/api/v1/providers/me/courses", params={"page": page, "page_size": 100}).json()["items"]
        out += items
        if len(items) < 100:
            return out
        page += 1


def test_an_import_abandoned_mid_file_ends_failed_and_withdraws_nothing(provider, platform):
    """A full sync whose client went away after one batch: the catalogue's sweep (a timer,
    every minute) marks it failed once it has stored nothing for 15 minutes; its provider sees
    "failed", not "running" for ever, and a batch that still comes is refused."""
    import psycopg
    from nameko.standalone.rpc import ClusterRpcProxy
    from services.catalogue.service import IMPORT_ABANDONED_AFTER
    from services.catalogue.store import CatalogueStore

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        import_id = rpc.catalogue.start_import(provider.id, "ndjson", "full-sync")
        rpc.catalogue.import_courses(provider.id, import_id, [{"line": 1, "course": a_course("Verlaten")}], 1)
        with psycopg.connect(platform.db_urls["catalogue"], autocommit=True) as conn:
            assert CatalogueStore(conn).fail_abandoned_imports(IMPORT_ABANDONED_AFTER) == []   # still fresh
            with conn.transaction():     # (the catalogue's own sweep waits for this one)
                conn.execute("UPDATE imports SET touched_at = now() - interval '16 minutes' WHERE id = %s",
                             (import_id,))
                assert [str(i) for i in CatalogueStore(conn).fail_abandoned_imports(IMPORT_ABANDONED_AFTER)] == [import_id]
            assert conn.execute("SELECT count(*) FROM import_seen WHERE import_id = %s", (import_id,)).fetchone()[0] == 0
        abandoned = provider.get(f"/api/v1/courses/imports/{import_id}").json()
        assert abandoned["status"] == "failed" and "no word came from the gateway" in abandoned["failure"]
        with pytest.raises(Exception, match="no running import"):
            rpc.catalogue.import_courses(provider.id, import_id, [{"line": 2, "course": a_course("Te laat")}], 2)


def test_a_slow_upload_is_not_taken_for_abandoned(provider, platform):
    """A client that uploads slowly has not filled a batch for a while: the gateway reading
    its body tells the catalogue so (every IMPORT_HEARTBEAT_SECONDS, 0.5 s in tests), so the
    sweep for abandoned imports leaves it running, and it finishes with every line."""
    import threading

    import psycopg

    from services.catalogue.store import CatalogueStore

    paused, resume = threading.Event(), threading.Event()

    def body():
        yield (json.dumps(a_course("Langzaam 1", external_id="LANGZAAM-1")) + "\n").encode()
        paused.set()
        assert resume.wait(30)
        yield (json.dumps(a_course("Langzaam 2", external_id="LANGZAAM-2")) + "\n").encode()

    result = {}
    upload = threading.Thread(target=lambda: result.update(report=provider.post(
        "/api/v1/courses/import?format=ndjson", data=body(), headers={"Content-Type": "application/x-ndjson"})))
    upload.start()
    try:
        assert paused.wait(30)
        running = eventually(lambda: next(iter(provider.get("/api/v1/courses/imports").json()["items"]), None),
                             timeout=30, message="the running import")
        time.sleep(2.0)         # four beats; no batch is stored (one line of 500)
        with psycopg.connect(platform.db_urls["catalogue"], autocommit=True) as conn:
            with conn.transaction():
                abandoned = CatalogueStore(conn).fail_abandoned_imports(1.5)
                raise psycopg.Rollback()       # what the sweep would take, nothing else changed
        assert running["id"] not in [str(i) for i in abandoned]
        assert provider.get(f"/api/v1/courses/imports/{running['id']}").json()["accepted"] == 0
    finally:
        resume.set()
        upload.join(60)
    assert result["report"].status_code == 200, result["report"].text
    assert result["report"].json()["accepted"] == 2
    finished = provider.get(f"/api/v1/courses/imports/{running['id']}").json()
    assert (finished["status"], finished["failure"]) == ("finished", None)


def test_an_upload_the_client_breaks_off_ends_failed_at_once(provider, platform):
    """The client's connection closes mid-body (chunked, no end): the gateway fails the import
    itself, without waiting for the sweep; the batch it had sent stays stored, and a full sync
    withdraws nothing."""
    import socket

    kept = provider.post("/api/v1/courses", json={**a_course("Blijft staan", external_id="BLIJFT-1"), "publish": True}).json()
    lines = b"".join((json.dumps(a_course(f"Afgebroken {n}", external_id=f"AF-{n}")) + "\n").encode()
                     for n in range(600))
    with socket.create_connection(("127.0.0.1", platform.gateway_port)) as sock:
        sock.sendall(b"POST /api/v1/courses/import?format=ndjson&mode=full-sync HTTP/1.1\r\n"
                     b"Host: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n"
                     + f"Authorization: Bearer {provider.token}\r\n\r\n".encode()
                     + f"{len(lines):x}\r\n".encode() + lines + b"\r\n")
        eventually(lambda: provider.get("/api/v1/courses/imports").json()["items"], timeout=30,
                   message="the running import")
    failed = eventually(lambda: next((i for i in provider.get("/api/v1/courses/imports").json()["items"]
                                      if i["status"] == "failed"), None), timeout=30, message="a failed import")
    assert (failed["accepted"], failed["withdrawn"]) == (500, 0)
    assert failed["failure"].startswith("the upload broke off before the end of the body")
    assert provider.get(f"/api/v1/courses/{kept['id']}").json()["status"] == "published"


def test_a_batch_that_arrives_before_the_one_before_it_waits_for_it(provider, platform):
    """With several catalogue instances batch 2 can be checked first: it is stored second."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        import_id = rpc.catalogue.start_import(provider.id, "ndjson", "upsert")
        second = rpc.catalogue.import_courses.call_async(
            provider.id, import_id, [{"line": 2, "course": a_course("Tweede partij", external_id="VOLGORDE-1")}], 2)
        time.sleep(0.5)                                                   # batch 2 is waiting now
        first = rpc.catalogue.import_courses(
            provider.id, import_id, [{"line": 1, "course": a_course("Eerste partij", external_id="VOLGORDE-1")}], 1)
        assert first["accepted"] == 1 and second.result()["accepted"] == 1
        rpc.catalogue.finish_import(provider.id, import_id, False)
    course = next(c for c in _my_courses(provider) if c["external_id"] == "VOLGORDE-1")
    assert (course["title"], course["version"]) == ("Tweede partij", 2)


def test_full_sync_withdraws_only_what_its_file_lacks_and_nothing_changed_meanwhile(provider, platform):
    """While a full sync runs, another import changes one of its courses and adds one, and a
    course is created by hand: the full sync withdraws only the old course its file lacked.
    (It withdrew every course another import had touched last, even one in its own file.)"""
    from nameko.standalone.rpc import ClusterRpcProxy

    def load(*courses):
        answer = provider.post("/api/v1/courses/import?format=ndjson", data=ndjson(*courses),
                               headers={"Content-Type": "application/x-ndjson"})
        assert answer.status_code == 200 and answer.json()["accepted"] == len(courses), answer.text

    load(*(a_course(f"Synchroon {k}", external_id=k) for k in ("OUD-1", "SYNC-1", "SYNC-2")))
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        import_id = rpc.catalogue.start_import(provider.id, "ndjson", "full-sync")
        stored = rpc.catalogue.import_courses(provider.id, import_id, [
            {"line": n, "course": a_course(f"Synchroon {k}", external_id=k)} for n, k in enumerate(("SYNC-1", "SYNC-2"), 1)], 1)
        assert stored["accepted"] == 2
        load(a_course("Synchroon 2, intussen bijgewerkt", external_id="SYNC-2"), a_course("Intussen", external_id="NIEUW-1"))
        by_hand = provider.post("/api/v1/courses", json={**a_course("Met de hand", external_id="NIEUW-2"), "publish": True})
        assert by_hand.status_code == 201, by_hand.text
        report = rpc.catalogue.finish_import(provider.id, import_id, True)
    assert report["withdrawn_external_ids"] == ["OUD-1"]
    assert {c["external_id"]: c["status"] for c in _my_courses(provider)} == {
        "OUD-1": "withdrawn", "SYNC-1": "published", "SYNC-2": "published", "NIEUW-1": "published",
        "NIEUW-2": "published"}


def test_one_external_id_posted_many_times_at_once_is_created_once(provider):
    """Concurrent creates of one external_id, and an import of it meanwhile: one wins, the
    others get the 409 a later create gets (two of them used to pass the check together,
    and the second insert failed on the unique key with a 500)."""
    from concurrent.futures import ThreadPoolExecutor

    for attempt in range(3):
        course = a_course("Tegelijk aangemaakt", external_id=f"RACE-{attempt}")
        body = ndjson(course)
        with ThreadPoolExecutor(8) as pool:
            posts = [pool.submit(provider.post, "/api/v1/courses", json=course) for _ in range(7)]
            imported = pool.submit(provider.post, "/api/v1/courses/import?format=ndjson", data=body,
                                   headers={"Content-Type": "application/x-ndjson"})
            codes = sorted(p.result().status_code for p in posts)
        assert imported.result().status_code == 200, imported.result().text
        assert set(codes) <= {201, 409} and codes.count(201) <= 1, codes
        assert [c["external_id"] for c in _my_courses(provider)].count(f"RACE-{attempt}") == 1
    taken = provider.post("/api/v1/courses", json=a_course("Nog een", external_id="RACE-0"))
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "external_id"
    other = provider.post("/api/v1/courses", json=a_course("Ander nummer", external_id="RACE-X")).json()
    renamed = provider.put(f"/api/v1/courses/{other['id']}", json=a_course("Ander nummer", external_id="RACE-1"),
                           headers={"If-Match": str(other["version"])})
    assert renamed.status_code == 409 and renamed.json()["errors"][0]["field"] == "external_id", renamed.text


def test_concurrent_imports_and_changes_never_write_one_version_twice(provider, watch):
    """Three imports of the same courses at once (one a full sync) and withdrawals meanwhile:
    every change gets a version of its own, so a consumer that keeps the newest version ends
    where the catalogue ends. (The batch read each course without a lock and wrote its version
    + 1: two concurrent writers both wrote version 3, one withdrawn, one published.)"""
    import threading

    courses = [a_course(f"Gelijktijdig {n}", external_id=f"CON-{n}") for n in range(150)]
    bodies = [ndjson(*({**c, "title": f"{c['title']} {k}"} for c in courses)) for k in "abc"]
    answers = []

    def load(body, mode):
        answers.append(provider.post(f"/api/v1/courses/import?format=ndjson&mode={mode}", data=body,
                                     headers={"Content-Type": "application/x-ndjson"}))

    provider.post("/api/v1/courses/import?format=ndjson", data=bodies[0], headers={"Content-Type": "application/x-ndjson"})
    threads = [threading.Thread(target=load, args=(body, mode)) for body, mode in
               zip(bodies, ("upsert", "full-sync", "upsert"))]
    for thread in threads:
        thread.start()
    ids = [c["id"] for c in provider.get("/api/v1/providers/me/courses", params={"page_size": 100}).json()["items"]]
    for course_id in ids[:30]:
        provider.post(f"/api/v1/courses/{course_id}/withdraw")
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text[:200] for a in answers]

    final = {}
    for page in (1, 2):
        for c in provider.get("/api/v1/providers/me/courses", params={"page": page, "page_size": 100}).json()["items"]:
            final[c["external_id"]] = (c["version"], c["status"])
    assert len(final) == 150
    def newest_versions():
        top = {}
        for _, external_id, version in watch.about(provider.id):
            top[external_id] = max(version, top.get(external_id, 0))
        return top

    eventually(lambda: newest_versions() == {k: v for k, (v, _) in final.items()}, timeout=30,
               message="events up to the final versions")
    events = watch.about(provider.id)
    seen = {}
    for event_type, external_id, version in events:
        assert (external_id, version) not in seen, f"{external_id} version {version} written twice"
        seen[(external_id, version)] = event_type
    newest = {}
    for (external_id, version), event_type in seen.items():
        if version > newest.get(external_id, (0, None))[0]:
            newest[external_id] = (version, event_type)
    # the newest event of each course says what the catalogue holds
    assert {k: "withdrawn" if t == "course_withdrawn" else "published" for k, (_, t) in newest.items()} == \
           {k: s for k, (_, s) in final.items()}
