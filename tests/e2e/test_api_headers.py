"""What the NL API Design Rules ask of every answer that a linter of the OpenAPI document cannot
see, checked on the live API: the full version in an ``API-Version`` header (API-57), the
documents readable by anyone from any site (API-51), no cache keeping what someone's own request
answered, the security headers, errors as problem+json, no trailing slashes."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import Client
from tests.e2e.test_intake import person

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


@pytest.fixture
def answers(platform, provider, anonymous, admin) -> dict:
    """One of each kind of answer: public and private, read and written, an error of each sort."""
    missing = uuid.uuid4()
    return {
        "search": anonymous.get("/api/v1/search", params={"q": "heftruck"}),
        "openapi": anonymous.get("/openapi.json", headers={"Origin": "https://elders.example.org"}),
        "asyncapi": anonymous.get("/asyncapi.json"),
        "health": anonymous.get("/health"),
        "own courses": provider.get("/api/v1/providers/me/courses"),
        "intake": anonymous.post("/api/v1/intakes", json=person()),
        "providers": admin.get("/api/v1/providers"),
        "not found": anonymous.get(f"/api/v1/courses/{missing}"),
        "no such path": anonymous.get("/api/v1/nothing-here"),
        "trailing slash": anonymous.get("/api/v1/search/", params={"q": "heftruck"}),
        "wrong method": anonymous.delete("/api/v1/search"),
        "no token": Client(platform.url).get("/api/v1/providers/me/courses"),
        "bad body": provider.post("/api/v1/courses", json={"title": ""}),
        "bad query": anonymous.get("/api/v1/search", params={"page_size": "veel"}),
    }


def test_every_answer_carries_the_full_api_version(answers, anonymous):
    version = anonymous.get("/openapi.json").json()["info"]["version"]
    assert SEMVER.match(version), version
    for name, answer in answers.items():
        assert answer.headers.get("API-Version") == version, (name, answer.status_code, dict(answer.headers))


def test_the_security_headers_are_on_every_answer(answers):
    for name, answer in answers.items():
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", name
        assert answer.headers.get("X-Frame-Options") == "DENY", name
        assert "frame-ancestors 'none'" in answer.headers.get("Content-Security-Policy", ""), name
        assert "Strict-Transport-Security" not in answer.headers, name    # only in production (tests/hostile)


def test_nothing_personal_or_private_is_kept_by_a_cache(answers):
    for name in ("own courses", "intake", "providers", "no token", "bad body", "search", "not found"):
        assert answers[name].headers.get("Cache-Control") == "no-store", (name, answers[name].headers)


def test_the_documents_are_readable_by_anyone_from_any_site(answers):
    for name in ("openapi", "asyncapi"):
        answer = answers[name]
        assert answer.status_code == 200 and answer.json(), name
        assert answer.headers.get("Access-Control-Allow-Origin") == "*", name


def test_errors_are_problem_json_and_a_trailing_slash_is_not_another_address(answers):
    expected = {"not found": 404, "no such path": 404, "trailing slash": 404, "wrong method": 405, "no token": 401,
                "bad body": 422, "bad query": 422}
    for name, status in expected.items():
        answer = answers[name]
        assert answer.status_code == status, (name, answer.status_code, answer.text[:300])
        assert answer.headers["Content-Type"].startswith("application/problem+json"), name
        assert answer.json()["status"] == status, name


def test_a_moment_is_taken_with_any_offset_and_answered_in_utc(anonymous, teams):
    intake = anonymous.post("/api/v1/intakes", json=person()).json()
    assert datetime.fromisoformat(intake["callback_due_by"]).utcoffset() == timedelta(0), intake["callback_due_by"]
    north = teams["noord"]
    # "call me again tomorrow at 11", said from India (+05:30): the same moment, answered in UTC
    until = (datetime.now(timezone(timedelta(hours=5, minutes=30))) + timedelta(days=1)).replace(
        hour=11, minute=0, second=0, microsecond=0)
    step = north.post(f"/api/v1/intakes/{intake['id']}/events",
                      json={"type": "waiting_for_person", "until": until.isoformat()})
    assert step.status_code == 200, step.text
    read = north.get(f"/api/v1/intakes/{intake['id']}").json()
    paused = datetime.fromisoformat(read["paused_until"])
    assert paused == until and paused.utcoffset() == timedelta(0), read["paused_until"]
    assert read["paused_until"].startswith(until.astimezone(timezone.utc).strftime("%Y-%m-%dT05:30"))
    for moment in (read["received_at"], read["callback_due_by"]):
        assert datetime.fromisoformat(moment).utcoffset() == timedelta(0), moment
    # a moment without an offset is refused, with the field named
    bare = north.post(f"/api/v1/intakes/{intake['id']}/events",
                      json={"type": "waiting_for_person", "until": "2030-01-07T11:00:00"})
    assert bare.status_code == 422 and bare.headers["Content-Type"].startswith("application/problem+json")
    assert any("until" in (e.get("field") or "") or "until" in e.get("message", "") for e in bare.json()["errors"]), bare.text
