"""Searching as people who came here to work do: in their own language, comparing courses by
what they would still pay after the scheme that fits their situation. Through the gateway, on
the whole platform (the search service's read model follows the catalogue's events)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.e2e.test_journey import a_course
from tests.infra import eventually


def _scheme(admin, situations: list[str], max_amount) -> str:
    code = f"r-{uuid.uuid4().hex[:8]}"
    today = date.today()
    created = admin.post("/api/v1/funding-schemes", json={
        "code": code, "name": f"Regeling {code}", "funder": "Fonds", "valid_from": str(today - timedelta(days=1)),
        "max_amount_eur": max_amount, "eligible_situations": situations})
    assert created.status_code == 201, created.text
    return code


def _offering(external_id: str, price: float, days: int = 30) -> dict:
    start = (date.today() + timedelta(days=days)).isoformat()
    return {"external_id": external_id, "start_date": start, "end_date": start, "mode": "klassikaal",
            "location": {"city": "Venlo"}, "price_eur": price, "status": "open"}


def test_a_search_in_ones_own_language_and_what_remains_to_pay(provider, admin, anonymous):
    word = f"vca{uuid.uuid4().hex[:6]}"
    small = _scheme(admin, ["werkzoekend"], 250)          # pays at most 250 to job seekers
    large = _scheme(admin, ["werkgever"], 5000)           # pays everything, but only for employers
    vague = _scheme(admin, [], None)                      # names no amount: assumed to pay nothing

    def publish(title: str, languages: list[str], prices: list[float], schemes: list[str]) -> str:
        body = a_course(f"{title} {word}", keywords=[word], languages=languages, funding_schemes=schemes,
                        offerings=[_offering(f"O-{i}", p, 30 + i) for i, p in enumerate(prices)])
        answer = provider.post("/api/v1/courses", json={**body, "publish": True})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    polish = publish("VCA po polsku", ["pl", "nl"], [395, 295], [small, large])
    romanian = publish("VCA în limba română", ["ro"], [180], [small, vague])
    dutch = publish("VCA Basis", ["nl"], [325], [vague])

    def search(**params) -> dict:
        answer = anonymous.get("/api/v1/search", params={"q": word, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    eventually(lambda: search()["total"] == 3, message="the three courses indexed")
    everyone = search()
    assert everyone["facets"]["language"] == {"nl": 2, "pl": 1, "ro": 1}
    assert {h["course_id"] for h in search(language="pl")["hits"]} == {polish}
    either = search(language=["pl", "ro"])
    assert {h["course_id"] for h in either["hits"]} == {polish, romanian}
    assert either["facets"]["language"] == {"nl": 2, "pl": 1, "ro": 1}      # its own filter left out
    assert next(h for h in either["hits"] if h["course_id"] == romanian)["languages"] == ["ro"]
    bad = anonymous.get("/api/v1/search", params={"q": word, "language": "polish"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("language")

    # no situation: nothing is assumed
    assert all(h["net_price_from"] is None for h in everyone["hits"])
    seeker = {h["course_id"]: h["net_price_from"] for h in search(situation="werkzoekend")["hits"]}
    assert seeker[polish] == {"price_eur": "45.00", "scheme": small, "before_eur": "295.00"}   # the lowest price
    assert seeker[romanian] == {"price_eur": "0.00", "scheme": small, "before_eur": "180.00"}  # never below zero
    assert seeker[dutch] is None                         # its only scheme names no amount
    employer = {h["course_id"]: h["net_price_from"] for h in search(situation="werkgever")["hits"]}
    assert employer[polish]["scheme"] == large and employer[polish]["price_eur"] == "0.00"
    assert employer[romanian] is None                    # the small scheme is not open to employers
    # an offering filter: from the offerings the course was found by
    assert {h["course_id"]: h["net_price_from"] for h in search(situation="werkzoekend", start_to=str(
        date.today() + timedelta(days=30)))["hits"]}[polish]["before_eur"] == "395.00"

    # the course's own answer says the same for a situation
    read = anonymous.get(f"/api/v1/courses/{polish}", params={"situation": "werkzoekend"})
    assert read.status_code == 200 and read.json()["net_price_from"] == seeker[polish]
    assert "net_price_from" not in anonymous.get(f"/api/v1/courses/{polish}").json()
    wrong = anonymous.get(f"/api/v1/courses/{polish}", params={"situation": "student"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "situation"
