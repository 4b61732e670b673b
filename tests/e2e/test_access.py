"""Who may do what: one table of every gateway route × role, with the status each role gets, and
a test generated from it. A route the gateway serves without a row here fails the test, so a new
route cannot ship without someone deciding who may call it.

Roles: anonymous, provider A (an O&O-fonds, owner of the resources the table names), provider B
(a training provider, owns nothing of A's), the advisors of team north and of team south (the
intake is north's), an analyst, the admin, and the person (holder of their request's link token;
``-`` where the person is simply anonymous). The API gets credentials as ``Authorization: Bearer``,
the pages as the sign-in cookies a browser would hold. ``in`` is the sign-in form (200): a page
that asks who you are instead of showing what is not yours.

A row's ``fresh`` names what each case gets new (a course to delete, a provider whose key is
revoked, ...), so one case cannot change what the next one sees; ``me`` gives the provider
columns new providers of A's and B's kind for routes that change the caller's own settings.
"""
from __future__ import annotations


import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
import requests
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.gateway.service import GatewayService
from tests.conftest import Client
from tests.e2e.test_catalogue import ndjson
from tests.e2e.test_intake import person, published_course
from tests.e2e.test_journey import a_course
from tests.infra import ADMIN_TOKEN, eventually
from tests.receivers import WebhookReceiver

ROLES = ("anonymous", "provider_a", "provider_b", "advisor_north", "advisor_south", "analyst", "admin", "person")
CSRF = "c" * 32


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: str                  # one status (or "in", or "-") per role, in the order of ROLES
    fresh: str | None = None     # a maker of MAKERS: new path parameters for each case
    body: str | None = None      # a maker of BODIES: the request's body for each case
    me: bool = False             # the provider columns are new providers (the route changes the caller)
    query: dict = field(default_factory=dict)


R = Row
TABLE = [
    # operations and documents
    R("GET", "/health", "200 200 200 200 200 200 200 -"),
    R("GET", "/openapi.json", "200 200 200 200 200 200 200 -"),
    R("GET", "/asyncapi.json", "200 200 200 200 200 200 200 -"),
    # providers and their keys (the admin's)
    R("POST", "/api/v1/providers", "401 403 403 403 403 403 201 -", body="provider"),
    R("GET", "/api/v1/providers", "401 403 403 403 403 403 200 -"),
    R("POST", "/api/v1/providers/me/api-key", "401 201 201 403 403 403 403 -", me=True),
    R("POST", "/api/v1/providers/<provider_id>/api-key", "401 403 403 403 403 403 201 -", fresh="provider"),
    R("DELETE", "/api/v1/providers/<provider_id>/api-key", "401 403 403 403 403 403 200 -", fresh="provider"),
    # a provider's own settings
    R("PUT", "/api/v1/providers/me/ooapi", "401 200 200 403 403 403 403 -", body="ooapi", me=True),
    R("GET", "/api/v1/providers/me/ooapi", "401 200 404 403 403 403 403 -"),
    R("DELETE", "/api/v1/providers/me/ooapi", "401 204 204 403 403 403 403 -", me=True),
    R("POST", "/api/v1/providers/me/ooapi-sync", "401 202 202 403 403 403 403 -", me=True),
    R("PUT", "/api/v1/providers/me/webhook", "401 200 200 403 403 403 403 -", body="webhook", me=True),
    R("DELETE", "/api/v1/providers/me/webhook", "401 204 204 403 403 403 403 -", me=True),
    R("PUT", "/api/v1/providers/me/lead-email", "401 200 200 403 403 403 403 -", body="lead_email", me=True),
    R("GET", "/api/v1/providers/me/webhook/deliveries", "401 200 200 403 403 403 403 -"),
    R("POST", "/api/v1/providers/me/webhook/deliveries/<message_id>/replay", "401 202 404 403 403 403 403 -"),
    R("GET", "/api/v1/providers/me/courses", "401 200 200 403 403 403 403 -"),
    R("GET", "/api/v1/providers/me/leads", "401 200 200 403 403 403 403 -"),
    R("GET", "/api/v1/providers/me/leads/<intake_id>", "401 200 404 403 403 403 403 -"),
    # courses (A's)
    R("POST", "/api/v1/courses", "401 201 201 403 403 403 403 -", body="course"),
    R("POST", "/api/v1/courses/import", "401 200 200 403 403 403 403 -", body="ndjson", query={"format": "ndjson"}),
    R("GET", "/api/v1/courses/imports", "401 200 200 403 403 403 403 -"),
    R("GET", "/api/v1/courses/imports/<import_id>", "401 200 404 403 403 403 403 -"),
    R("GET", "/api/v1/courses/<course_id>", "200 200 200 200 200 200 200 -"),
    R("GET", "/api/v1/courses/<course_id>", "404 200 404 404 404 404 404 -", fresh="draft"),
    R("PUT", "/api/v1/courses/<course_id>", "401 200 403 403 403 403 403 -", fresh="published", body="course_again"),
    R("POST", "/api/v1/courses/<course_id>/publish", "401 200 404 403 403 403 403 -", fresh="draft"),
    R("POST", "/api/v1/courses/<course_id>/withdraw", "401 200 403 403 403 403 403 -", fresh="published"),
    R("DELETE", "/api/v1/courses/<course_id>", "401 204 404 403 403 403 403 -", fresh="draft"),
    R("GET", "/api/v1/courses/<course_id>/history", "401 200 403 403 403 403 403 -"),
    # funding schemes (an O&O-fonds's or the admin's)
    R("POST", "/api/v1/funding-schemes", "401 201 403 403 403 403 201 -", body="scheme"),
    R("GET", "/api/v1/funding-schemes", "200 200 200 200 200 200 200 -"),
    R("GET", "/api/v1/funding-schemes/<code>", "200 200 200 200 200 200 200 -"),
    R("PUT", "/api/v1/funding-schemes/<code>", "401 200 403 403 403 403 200 -", fresh="scheme", body="scheme_again"),
    # search and what people do with it
    R("GET", "/api/v1/search", "200 200 200 200 200 200 200 -", query={"q": "heftruck"}),
    R("GET", "/api/v1/suggest", "200 200 200 200 200 200 200 -", query={"q": "heft"}),
    R("POST", "/api/v1/search/<search_id>/clicks", "204 204 204 204 204 204 204 -", body="click"),
    # teams, advisors and analysts (the admin's)
    R("POST", "/api/v1/advisor-teams", "401 403 403 403 403 403 201 -", body="team"),
    R("GET", "/api/v1/advisor-teams", "401 403 403 403 403 403 200 -"),
    R("POST", "/api/v1/advisors", "401 403 403 403 403 403 201 -", body="advisor"),
    R("DELETE", "/api/v1/advisors/<advisor_id>", "401 403 403 403 403 403 204 -", fresh="advisor"),
    R("POST", "/api/v1/analysts", "401 403 403 403 403 403 201 -", body="analyst"),
    R("DELETE", "/api/v1/analysts/<analyst_id>", "401 403 403 403 403 403 204 -", fresh="analyst"),
    # intakes: the person's (by the link token), the advisors' (their team's), the admin's (all)
    R("POST", "/api/v1/intakes", "201 201 201 201 201 201 201 -", body="intake"),
    R("GET", "/api/v1/intakes/<intake_id>/status", "401 401 401 401 401 401 401 200"),
    R("GET", "/api/v1/intakes/<intake_id>/export", "401 401 401 401 401 401 401 200"),
    R("DELETE", "/api/v1/intakes/<intake_id>", "401 401 401 401 401 401 401 204", fresh="intake"),
    R("GET", "/api/v1/intakes", "401 403 403 200 200 403 200 -"),
    R("GET", "/api/v1/intakes/<intake_id>", "401 403 403 200 404 403 200 -"),
    R("POST", "/api/v1/intakes/<intake_id>/events", "401 403 403 200 404 403 200 -", fresh="intake", body="step"),
    # notifications and saved searches
    R("GET", "/api/v1/notifications", "401 403 403 403 403 403 200 -"),
    R("POST", "/api/v1/saved-searches", "202 202 202 202 202 202 202 -", body="saved_search"),
    R("POST", "/api/v1/saved-searches/confirm", "404 404 404 404 404 404 404 -", body="unknown_token"),
    R("POST", "/api/v1/saved-searches/unsubscribe", "404 404 404 404 404 404 404 -", query={"token": "sub_x"}),
    # analytics (analysts' and the admin's)
    R("GET", "/api/v1/analytics/demand", "401 403 403 403 403 200 200 -"),
    R("GET", "/api/v1/analytics/zero-results", "401 403 403 403 403 200 200 -"),
    R("GET", "/api/v1/analytics/funnel", "401 403 403 403 403 200 200 -"),
    R("GET", "/api/v1/analytics/supply-demand", "401 403 403 403 403 200 200 -"),
    R("GET", "/api/v1/events/stream", "401 403 403 403 403 200 200 -"),
    # the public pages
    R("GET", "/", "200 200 200 200 200 200 200 -"),
    R("GET", "/static/<name>", "200 200 200 200 200 200 200 -"),
    R("GET", "/zoeken", "200 200 200 200 200 200 200 -", query={"q": "heftruck"}),
    R("POST", "/zoeken/bewaren", "303 303 303 303 303 303 303 -", body="save_search"),
    R("GET", "/toegankelijkheid", "200 200 200 200 200 200 200 -"),
    R("GET", "/opleidingen/<course_id>", "200 200 200 200 200 200 200 -"),
    R("GET", "/opleidingen/<course_id>", "404 404 404 404 404 404 404 -", fresh="draft"),
    R("GET", "/aanvragen", "200 200 200 200 200 200 200 -"),
    R("GET", "/opleidingen/<course_id>/aanvragen", "200 200 200 200 200 200 200 -"),
    R("POST", "/aanvragen", "303 303 303 303 303 303 303 -", body="intake_form"),
    R("POST", "/opleidingen/<course_id>/aanvragen", "303 303 303 303 303 303 303 -", body="intake_form"),
    R("GET", "/aanvraag/<intake_id>", "404 404 404 404 404 404 404 200"),
    R("GET", "/aanvraag/<intake_id>/gegevens", "404 404 404 404 404 404 404 200"),
    R("GET", "/aanvraag/<intake_id>/gegevens/bekijken", "404 404 404 404 404 404 404 200"),
    R("GET", "/aanvraag/<intake_id>/wissen", "404 404 404 404 404 404 404 200"),
    R("POST", "/aanvraag/<intake_id>/wissen", "404 404 404 404 404 404 404 200", fresh="intake", body="form"),
    R("GET", "/zoekopdrachten/bevestigen", "200 200 200 200 200 200 200 -"),
    R("POST", "/zoekopdrachten/bevestigen", "404 404 404 404 404 404 404 -", body="unknown_token_form"),
    R("GET", "/zoekopdrachten/afmelden", "200 200 200 200 200 200 200 -"),
    R("POST", "/zoekopdrachten/afmelden", "404 404 404 404 404 404 404 -", body="unknown_token_form"),
    # the work pages: each role signs in with its own key or token
    R("POST", "/aanbieders/inloggen", "401 303 303 401 401 401 401 -", body="sign_in"),
    R("POST", "/adviseurs/inloggen", "401 401 401 303 303 401 303 -", body="sign_in"),
    R("POST", "/analyse/inloggen", "401 401 401 401 401 303 303 -", body="sign_in"),
    R("POST", "/uitloggen", "303 303 303 303 303 303 303 -", body="form"),
    R("GET", "/aanbieders", "in 200 200 in in in in -"),
    R("POST", "/aanbieders/import", "303 303 303 303 303 303 303 -", body="upload"),
    R("GET", "/aanbieders/import/<import_id>", "303 200 404 303 303 303 303 -"),
    R("GET", "/aanbieders/leads/<intake_id>", "303 200 404 303 303 303 303 -"),
    R("GET", "/aanbieders/import/<import_id>/afgekeurd.csv", "303 200 404 303 303 303 303 -"),
    R("GET", "/aanbieders/sjabloon.csv", "200 200 200 200 200 200 200 -"),
    R("GET", "/aanbieders/opleidingen/<course_id>", "303 200 404 303 303 303 303 -"),
    R("POST", "/aanbieders/opleidingen/<course_id>", "303 303 404 303 303 303 303 -", fresh="published",
      body="course_form"),
    R("GET", "/aanbieders/opleidingen/<course_id>/terugtrekken", "303 200 404 303 303 303 303 -"),
    R("POST", "/aanbieders/opleidingen/<course_id>/terugtrekken", "303 303 404 303 303 303 303 -", fresh="published",
      body="form"),
    R("POST", "/aanbieders/opleidingen/<course_id>/publiceren", "303 303 404 303 303 303 303 -", fresh="draft",
      body="form"),
    R("GET", "/adviseurs", "in in in 200 200 in 200 -"),
    R("GET", "/adviseurs/intakes/<intake_id>", "in in in 200 404 in 200 -"),
    R("POST", "/adviseurs/intakes/<intake_id>", "303 303 303 303 404 303 303 -", fresh="intake", body="step_form"),
    R("GET", "/analyse", "in in in in in 200 200 -"),
    R("GET", "/analyse/rapport/<report>", "303 303 303 303 303 200 200 -"),
    # members who sign in as themselves: the admin invites the first beheerder; a provider's key is
    # the provider's own credential and may too; an advisor's or analyst's token is one person's
    R("GET", "/api/v1/providers/<provider_id>/members", "401 200 403 403 403 403 200 -"),
    R("POST", "/api/v1/providers/<provider_id>/members", "401 201 403 403 403 403 201 -", body="member"),
    R("DELETE", "/api/v1/providers/<provider_id>/members/<member_id>", "401 204 403 403 403 403 204 -",
      fresh="provider_member"),
    R("GET", "/api/v1/advisor-teams/<team>/members", "401 403 403 200 403 403 200 -"),
    R("POST", "/api/v1/advisor-teams/<team>/members", "401 403 403 403 403 403 201 -", body="member"),
    R("DELETE", "/api/v1/advisor-teams/<team>/members/<member_id>", "401 403 403 403 403 403 204 -",
      fresh="team_member"),
    R("GET", "/api/v1/analysts/members", "401 403 403 403 403 200 200 -"),
    R("POST", "/api/v1/analysts/members", "401 403 403 403 403 403 201 -", body="member"),
    R("DELETE", "/api/v1/analysts/members/<member_id>", "401 403 403 403 403 403 204 -", fresh="analyst_member"),
    R("GET", "/aanbieders/leden", "in 200 200 in in in in -"),
    R("POST", "/aanbieders/leden", "303 303 303 303 303 303 303 -", body="member_form"),
    R("GET", "/adviseurs/leden", "in in in 200 200 in 404 -"),
    R("POST", "/adviseurs/leden", "303 303 303 403 403 303 303 -", body="member_form"),
    R("GET", "/analyse/leden", "in in in in in 200 404 -"),
    R("POST", "/analyse/leden", "303 303 303 303 303 403 303 -", body="member_form"),
    # signing in with the organisation's OpenID provider: on to it; its answer without this
    # browser's own sign-in under way signs no one in
    R("GET", "/aanbieders/inloggen/organisatie", "303 303 303 303 303 303 303 -"),
    R("GET", "/adviseurs/inloggen/organisatie", "303 303 303 303 303 303 303 -"),
    R("GET", "/analyse/inloggen/organisatie", "303 303 303 303 303 303 303 -"),
    R("GET", "/inloggen/terug", "401 401 401 401 401 401 401 -", query={"state": "s", "code": "c"}),
]


# ------------------------------------------------------------------ the world the table is about

@pytest.fixture(scope="module")
def world(platform, teams):
    admin = Client(platform.url, ADMIN_TOKEN)
    a, b = new_provider(admin, platform, "oo-fonds"), new_provider(admin, platform, "opleider")
    analyst = admin.post("/api/v1/analysts", json={"name": "Analist", "email": "analist@example.nl"})
    assert analyst.status_code == 201, analyst.text
    tokens = {"anonymous": None, "provider_a": a.token, "provider_b": b.token, "advisor_north": teams["noord"].token,
              "advisor_south": teams["zuid"].token, "analyst": analyst.json()["token"], "admin": ADMIN_TOKEN}
    course = published_course(a, platform)
    with WebhookReceiver() as receiver:
        assert a.put("/api/v1/providers/me/webhook", json={"url": receiver.url}).status_code == 200
        shared = Client(platform.url).post("/api/v1/intakes", json=person(course_id=course["id"], share_with_provider=True))
        assert shared.status_code == 201, shared.text
        delivered = eventually(lambda: a.get("/api/v1/providers/me/webhook/deliveries").json()["items"], timeout=20,
                               message="A's lead delivered to its webhook")
        a.delete("/api/v1/providers/me/webhook")
    imported = a.post("/api/v1/courses/import?format=ndjson", data=ndjson(a_course("Geïmporteerd")))
    assert imported.status_code == 200, imported.text
    scheme = a.post("/api/v1/funding-schemes", json=scheme_body())
    assert scheme.status_code == 201, scheme.text
    assert a.put("/api/v1/providers/me/ooapi", json={"base_url": "https://roc.example.nl/ooapi/v5",
                                                     "schedule": "manual"}).status_code == 200
    search = Client(platform.url).get("/api/v1/search", params={"q": "heftruck"}).json()
    params = {"course_id": course["id"], "intake_id": shared.json()["id"], "import_id": imported.json()["import_id"],
              "code": scheme.json()["code"], "message_id": delivered[0]["id"], "search_id": search["search_id"],
              "name": "site.css", "report": "demand", "provider_id": a.id, "team": "noord"}
    return World(platform, admin, a, b, tokens, params, shared.json()["token"])


@dataclass
class World:
    platform: object
    admin: Client
    a: Client
    b: Client
    tokens: dict
    params: dict
    person_token: str


def new_provider(admin: Client, platform, kind: str) -> Client:
    answer = admin.post("/api/v1/providers", json={"name": f"{kind} {uuid.uuid4().hex[:6]}", "kind": kind})
    assert answer.status_code == 201, answer.text
    client = Client(platform.url, answer.json()["api_key"])
    client.id = answer.json()["id"]
    return client


def scheme_body() -> dict:
    today = date.today()
    return {"code": f"regeling-{uuid.uuid4().hex[:6]}", "name": "Scholingsbudget", "funder": "Fonds",
            "valid_from": str(today - timedelta(days=1)), "valid_until": str(today + timedelta(days=365)),
            "max_amount_eur": 1000, "eligible_sectors": ["logistiek"], "eligible_situations": ["werkzoekend"]}


def _created(answer: requests.Response) -> dict:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


MAKERS = {   # what a case gets new: its path parameters (and the person's token)
    "draft": lambda w: {"course_id": _created(w.a.post("/api/v1/courses", json=a_course("Concept")))["id"]},
    "published": lambda w: {"course_id": _created(w.a.post("/api/v1/courses", json={**a_course("Gepubliceerd"),
                                                                                     "publish": True}))["id"]},
    "provider": lambda w: {"provider_id": new_provider(w.admin, w.platform, "opleider").id},
    "advisor": lambda w: {"advisor_id": _created(w.admin.post("/api/v1/advisors", json={
        "name": "Tijdelijk", "email": f"t{uuid.uuid4().hex[:6]}@loket.example.nl", "team": "noord"}))["id"]},
    "analyst": lambda w: {"analyst_id": _created(w.admin.post("/api/v1/analysts", json={
        "name": "Tijdelijk", "email": f"t{uuid.uuid4().hex[:6]}@example.nl"}))["id"]},
    "intake": lambda w: (lambda i: {"intake_id": i["id"], "person_token": i["token"]})(
        _created(Client(w.platform.url).post("/api/v1/intakes", json=person()))),
    "scheme": lambda w: {"code": _created(w.a.post("/api/v1/funding-schemes", json=scheme_body()))["code"]},
    "provider_member": lambda w: {"member_id": _member(w, f"/api/v1/providers/{w.a.id}")},
    "team_member": lambda w: {"member_id": _member(w, "/api/v1/advisor-teams/noord")},
    "analyst_member": lambda w: {"member_id": _member(w, "/api/v1/analysts")},
}


def _member(w, organisation: str) -> str:
    return _created(w.admin.post(f"{organisation}/members", json={"email": f"m{uuid.uuid4().hex[:8]}@example.nl"}))["id"]


def _course_again(w, params, role, token):
    course = w.a.get(f"/api/v1/courses/{params['course_id']}").json()
    return {"json": {**course, "title": "Bijgewerkt"}, "headers": {"If-Match": f'"{course["version"]}"'}}


def _scheme_again(w, params, role, token):
    scheme = w.a.get(f"/api/v1/funding-schemes/{params['code']}")
    return {"json": {**scheme.json(), "name": "Bijgewerkt"}, "headers": {"If-Match": scheme.headers["ETag"]}}


def _course_form(w, params, role, token):
    course = w.a.get(f"/api/v1/courses/{params['course_id']}").json()
    return {"data": {"csrf": CSRF, "version": course["version"], "title": "Bijgewerkt op de pagina",
                     "description": course["description"]}}


BODIES = {   # (world, path parameters, role, the role's token) -> the request's body
    "provider": lambda w, p, role, t: {"json": {"name": f"Nieuw {uuid.uuid4().hex[:6]}", "kind": "opleider"}},
    "ooapi": lambda w, p, role, t: {"json": {"base_url": "https://roc.example.nl/ooapi/v5", "schedule": "manual"}},
    "webhook": lambda w, p, role, t: {"json": {"url": "https://hooks.example.nl/leads"}},
    "lead_email": lambda w, p, role, t: {"json": {"email": "leads@opleider.example.nl"}},
    "course": lambda w, p, role, t: {"json": a_course("Nieuw")},
    "ndjson": lambda w, p, role, t: {"data": ndjson(a_course("Geïmporteerd"))},
    "course_again": _course_again,
    "course_form": _course_form,
    "scheme": lambda w, p, role, t: {"json": scheme_body()},
    "scheme_again": _scheme_again,
    "click": lambda w, p, role, t: {"json": {"course_id": w.params["course_id"], "position": 1}},
    "team": lambda w, p, role, t: {"json": {"code": f"t{uuid.uuid4().hex[:6]}", "name": "Leerwerkloket Test",
                                      "provinces": ["Zeeland"]}},
    "advisor": lambda w, p, role, t: {"json": {"name": "Nieuw", "email": f"n{uuid.uuid4().hex[:6]}@loket.example.nl",
                                         "team": "noord"}},
    "analyst": lambda w, p, role, t: {"json": {"name": "Nieuw", "email": f"n{uuid.uuid4().hex[:6]}@example.nl"}},
    "intake": lambda w, p, role, t: {"json": person()},
    "step": lambda w, p, role, t: {"json": {"type": "call_attempted"}},
    "saved_search": lambda w, p, role, t: {"json": {"email": f"z{uuid.uuid4().hex[:6]}@example.nl",
                                              "query": {"q": "heftruck"}}},
    "unknown_token": lambda w, p, role, t: {"json": {"token": "sub_" + uuid.uuid4().hex}},
    "form": lambda w, p, role, t: {"data": {"csrf": CSRF, "token": p["person_token"] if role == "person" else ""}},
    "unknown_token_form": lambda w, p, role, t: {"data": {"csrf": CSRF, "token": "sub_" + uuid.uuid4().hex}},
    "intake_form": lambda w, p, role, t: {"data": {"csrf": CSRF, "stap": "versturen",
                                                   **{k: v for k, v in person().items() if k != "consent"},
                                             "consent": "ja"}},
    "save_search": lambda w, p, role, t: {"data": {"csrf": CSRF, "q": "heftruck", "level": "mbo-2",
                                                   "email": f"bewaar.{uuid.uuid4().hex[:8]}@example.nl"}},
    "sign_in": lambda w, p, role, t: {"data": {"csrf": CSRF, "token": t or ""}},
    "upload": lambda w, p, role, t: {"data": {"csrf": CSRF, "format": "ndjson"},
                               "files": {"file": ("cursussen.ndjson", ndjson(a_course("Via de pagina")))}},
    "step_form": lambda w, p, role, t: {"data": {"csrf": CSRF, "type": "call_attempted"}},
    "member": lambda w, p, role, t: {"json": {"email": f"lid.{uuid.uuid4().hex[:8]}@example.nl"}},
    "member_form": lambda w, p, role, t: {"data": {"csrf": CSRF, "email": f"lid.{uuid.uuid4().hex[:8]}@example.nl",
                                                   "role": "medewerker"}},
}


# ------------------------------------------------------------------ the test generated from the table

CASES = [pytest.param(row, role, id=f"{row.method} {row.path}{' (' + row.fresh + ')' if row.fresh else ''} as {role}")
         for row in TABLE for role, status in zip(ROLES, row.expect.split()) if status != "-"]


@pytest.mark.parametrize("row, role", CASES)
def test_each_role_gets_what_the_table_says(world, row, role):
    expected = row.expect.split()[ROLES.index(role)]
    params = dict(world.params)
    if row.fresh:
        params.update(MAKERS[row.fresh](world))
    token = world.tokens.get(role)
    if row.me and role in ("provider_a", "provider_b"):
        caller = new_provider(world.admin, world.platform, "oo-fonds" if role == "provider_a" else "opleider")
        caller.put("/api/v1/providers/me/ooapi", json={"base_url": "https://roc.example.nl/ooapi/v5", "schedule": "manual"})
        caller.put("/api/v1/providers/me/webhook", json={"url": "https://hooks.example.nl/leads"})
        token = caller.token
    path = row.path
    for name, value in params.items():
        path = path.replace(f"<{name}>", str(value))
    query = dict(row.query)
    if role == "person" and "<intake_id>" in row.path and row.method == "GET":
        query["token"] = params.get("person_token", world.person_token)
    kwargs = BODIES[row.body](world, params, role, token) if row.body else {}
    if role == "person" and row.method == "DELETE":
        query["token"] = params["person_token"]
    answer = send(world.platform.url, row.method, path, query, token, kwargs)
    if expected == "in":
        assert answer.status_code == 200 and 'type="password"' in answer.text, (answer.status_code, answer.text[:300])
    else:
        assert answer.status_code == int(expected), (answer.status_code, answer.text[:300])


def send(base: str, method: str, path: str, query: dict, token: str | None, kwargs: dict) -> requests.Response:
    headers, cookies = dict(kwargs.pop("headers", {})), {"sa_csrf": CSRF}
    if not token:
        pass
    elif path.startswith("/api/") or path in ("/health", "/openapi.json", "/asyncapi.json"):
        headers["Authorization"] = f"Bearer {token}"
    else:      # a page: the browser of someone signed in (each work area has its own session cookie)
        cookies.update(sessions_of(base, token))
    url = base + path + ("?" + urlencode(query) if query else "")
    with requests.request(method, url, headers=headers, cookies=cookies, allow_redirects=False, timeout=30,
                          stream=True, **kwargs) as answer:
        if "text/event-stream" not in answer.headers.get("Content-Type", ""):
            answer.content        # read whole; an event stream is left after its status
        return answer


def sessions_of(base: str, token: str) -> dict:
    """The session cookies a browser gets by signing in with ``token`` in every work area that
    takes it (the cookie holds a session id, never the credential); new ones each time, since a
    row may sign out."""
    got = {}
    for path in ("/aanbieders/inloggen", "/adviseurs/inloggen", "/analyse/inloggen"):
        answer = requests.post(base + path, data={"csrf": CSRF, "token": token}, cookies={"sa_csrf": CSRF},
                               allow_redirects=False, timeout=30)
        got.update({name: value for name, value in answer.cookies.items() if name != "sa_csrf"})
    return got


def served_routes() -> set[tuple[str, str]]:
    routes = set()
    for name in dir(GatewayService):
        for entrypoint in getattr(getattr(GatewayService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            routes.add((entrypoint.method, entrypoint.url))
    return routes


def test_every_route_has_a_row_and_every_row_a_route():
    tabled = {(row.method, row.path) for row in TABLE}
    served = served_routes()
    assert len(served) > 80
    assert served - tabled == set(), "routes without a row in the access table"
    assert tabled - served == set(), "rows for routes the gateway does not serve"
    for row in TABLE:
        assert len(row.expect.split()) == len(ROLES), row
