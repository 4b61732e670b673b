"""Bad input gets a clear problem+json answer naming the field, and changes nothing."""
from __future__ import annotations

import pytest

from tests.e2e.test_journey import a_course


def course_count(provider) -> int:
    return provider.get("/api/v1/providers/me/courses").json()["total"]


def assert_problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status and body["title"] and "detail" in body
    return body


def test_malformed_json_is_400_and_stores_nothing(provider):
    before = course_count(provider)
    answer = provider.post("/api/v1/courses", data='{"title": "VCA", ', headers={"Content-Type": "application/json"})
    assert_problem(answer, 400)
    assert course_count(provider) == before


def test_missing_title_is_422_naming_title(provider):
    before = course_count(provider)
    course = a_course("x")
    del course["title"]
    body = assert_problem(provider.post("/api/v1/courses", json=course), 422)
    assert {"field": "title", "message": "Field required"} in body["errors"]
    assert course_count(provider) == before


@pytest.mark.parametrize("change, field", [
    (lambda c: c["offerings"][0].update(end_date="2000-01-01"), "offerings.0.end_date"),
    (lambda c: c["offerings"][0].pop("location"), "offerings.0.location"),
    (lambda c: c["offerings"][0].update(start_date="2001-01-01", end_date="2001-01-02"), "offerings.0.start_date"),
    (lambda c: c.update(level="mbo-9"), "level"),
    (lambda c: c.update(colour="red"), "colour"),
    (lambda c: c["offerings"][0].update(price_eur=-1), "offerings.0.price_eur"),
])
def test_invalid_course_names_the_field(provider, change, field):
    course = a_course("Lassen")
    change(course)
    body = assert_problem(provider.post("/api/v1/courses", json=course), 422)
    assert field in [e["field"] for e in body["errors"]], body


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sa_not-a-key"}, {"Authorization": "Basic abc"}])
def test_missing_or_unknown_token_is_401(anonymous, provider, headers):
    before = course_count(provider)
    answer = anonymous.post("/api/v1/courses", json=a_course("VCA"), headers=headers)
    assert_problem(answer, 401)
    assert course_count(provider) == before


def test_provider_cannot_register_providers(provider, admin):
    before = admin.get("/api/v1/providers").json()["total"]
    assert_problem(provider.post("/api/v1/providers", json={"name": "X", "kind": "opleider"}), 403)
    assert admin.get("/api/v1/providers").json()["total"] == before


def test_another_providers_course_is_forbidden(provider, admin, platform):
    from tests.conftest import Client

    other = admin.post("/api/v1/providers", json={"name": "Ander ROC", "kind": "onderwijsinstelling"}).json()
    theirs = Client(platform.url, other["api_key"]).post(
        "/api/v1/courses", json={**a_course("Theirs"), "publish": True}).json()
    assert_problem(provider.post(f"/api/v1/courses/{theirs['id']}/withdraw"), 403)
    draft = Client(platform.url, other["api_key"]).post("/api/v1/courses", json=a_course("Draft")).json()
    assert_problem(provider.get(f"/api/v1/courses/{draft['id']}"), 404)


def test_unknown_search_parameter_is_422(anonymous):
    body = assert_problem(anonymous.get("/api/v1/search", params={"levle": "mbo-2"}), 422)
    assert body["errors"][0]["field"] == "levle"
