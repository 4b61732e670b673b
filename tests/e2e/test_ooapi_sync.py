"""An institution connects its OOAPI endpoint instead of uploading a file: the catalogue pages
through its /courses and each course's offerings over real HTTP (tests/ooapi_server.py), on
demand and on its schedule, with the full-sync semantics of an import; a server that fails
midway or answers garbage fails the sync, which withdraws nothing."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.infra import eventually
from tests.ooapi_server import OoapiServer

START = date.today() + timedelta(days=40)


def course(n: int, **fields) -> dict:
    return {"courseId": f"c-{n:03}", "primaryCode": {"codeType": "identifier", "code": f"SYNC-{n:03}"},
            "name": [{"language": "nl-NL", "value": f"Lassen deel {n}"}], "abbreviation": f"L{n}",
            "description": [{"language": "nl-NL", "value": "Lassen met TIG en elektrode."}],
            "teachingLanguage": "nld", "level": "secondary vocational education 2", **fields}


def offering(code: str, **fields) -> dict:
    return {"offeringId": code, "primaryCode": {"codeType": "offeringCode", "code": code}, "offeringType": "course",
            "name": [{"language": "nl-NL", "value": code}], "teachingLanguage": "nld", "resultExpected": True,
            "startDate": START.isoformat(), "endDate": (START + timedelta(days=5)).isoformat(),
            "modeOfDelivery": ["on campus"], "priceInformation": [{"costType": "total costs", "amount": "450.00"}],
            "addresses": [{"addressType": "teaching", "city": "Zwolle", "postalCode": "8017 CA"}], **fields}


def catalogue_of(n: int) -> tuple[list[dict], dict]:
    courses = [course(i) for i in range(1, n + 1)]
    return courses, {c["courseId"]: [offering(f"O-{c['courseId']}")] for c in courses}


def sync(provider) -> dict:
    asked = provider.post("/api/v1/providers/me/ooapi-sync")
    assert asked.status_code == 202, asked.text
    assert asked.headers["Location"] == f"/api/v1/courses/imports/{asked.json()['import_id']}"
    return eventually(lambda: (lambda i: i if i["status"] != "running" else None)(
        provider.get(asked.headers["Location"]).json()), timeout=30, message="the sync finished")


def my_courses(provider) -> dict[str, dict]:
    items = provider.get("/api/v1/providers/me/courses", params={"page_size": 100}).json()["items"]
    return {c["external_id"]: c for c in items}


def test_an_endpoint_is_registered_without_its_secret_ever_shown_back(provider):
    assert provider.get("/api/v1/providers/me/ooapi").status_code == 404
    assert provider.post("/api/v1/providers/me/ooapi-sync").status_code == 404
    for url, problem in (("ftp://roc.example.nl/ooapi", "https"), ("https://user:pw@roc.example.nl/", "user name"),
                         ("http://roc.example.nl/ooapi", "loopback")):
        bad = provider.put("/api/v1/providers/me/ooapi", json={"base_url": url})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "base_url", bad.text
        assert problem in bad.json()["errors"][0]["message"]
    assert provider.put("/api/v1/providers/me/ooapi", json={"base_url": "https://x", "colour": 1}).status_code == 422
    put = provider.put("/api/v1/providers/me/ooapi", json={"base_url": "https://roc.example.nl/ooapi/v5",
                                                           "authorization": "Bearer geheim-123"})
    assert put.status_code == 200, put.text
    assert "geheim" not in put.text and put.json()["has_authorization"] is True
    # nightly by default, at 02:mm Amsterdam time, within a day
    due = datetime.fromisoformat(put.json()["next_sync_at"])
    assert due.astimezone(ZoneInfo("Europe/Amsterdam")).hour == 2
    assert timedelta(0) < due - datetime.now(timezone.utc) <= timedelta(days=1)
    # left out, the authorization stays; null removes it; manual: no schedule
    kept = provider.put("/api/v1/providers/me/ooapi", json={"base_url": "https://roc.example.nl/v5", "schedule": "manual"})
    assert kept.json()["has_authorization"] is True and kept.json()["next_sync_at"] is None
    gone = provider.put("/api/v1/providers/me/ooapi", json={"base_url": "https://roc.example.nl/v5", "authorization": None})
    assert gone.json()["has_authorization"] is False
    assert "geheim" not in provider.get("/api/v1/providers/me/ooapi").text
    assert provider.delete("/api/v1/providers/me/ooapi").status_code == 204
    assert provider.get("/api/v1/providers/me/ooapi").status_code == 404


def test_a_sync_pages_through_the_endpoint_and_withdraws_what_is_gone(provider, platform):
    courses, offerings = catalogue_of(23)               # three pages of 10 (OOAPI_PAGE_SIZE in the tests)
    # a master whose sector only its expanded programs say; a course whose offerings the server lacks;
    # a price given as its parts; several modes of delivery
    courses[4] = course(5, level="master", programs=["p-1"])
    expanded = {"c-005": {"programs": [{"programId": "p-1", "sector": "university education"}]}}
    del offerings["c-007"]
    offerings["c-009"] = [offering("O-c-009", priceInformation=[{"costType": "total costs", "amountWithoutVat": "300",
                                                                  "vatAmount": "63"}], modeOfDelivery=["online", "on campus"])]
    with OoapiServer(courses, offerings, expanded) as server:
        assert provider.put("/api/v1/providers/me/ooapi", json={
            "base_url": server.url, "authorization": "Bearer sleutel-1", "schedule": "manual"}).status_code == 200
        report = sync(provider)
        assert (report["status"], report["accepted"], report["rejected"], report["withdrawn"]) == ("finished", 22, 1, 0), report
        assert report["format"] == "ooapi-sync" and report["mode"] == "full-sync"
        assert [(r["line"], r["external_id"]) for r in report["rejected_items"]] == [(7, "SYNC-007")]
        assert "404" in report["rejected_items"][0]["errors"][0]["message"]
        pages = [r["query"] for r in server.requests if r["path"].endswith("/courses")]
        assert [(q["pageNumber"], q["pageSize"]) for q in pages] == [("1", "10"), ("2", "10"), ("3", "10")]
        assert {r["authorization"] for r in server.requests} == {"Bearer sleutel-1"}
        expands = [r for r in server.requests if "expand" in r["query"]]
        assert [r["path"] for r in expands] == ["/ooapi/v5/courses/c-005"]
        gaps = [b["at"] - a["at"] for a, b in zip(server.requests, server.requests[1:])]
        # OOAPI_REQUESTS_PER_SECOND=50 in the tests: the rate over the sync, as the server saw it (one
        # request's arrival may lag its sending by a few ms on a busy machine, the next one's not)
        assert (server.requests[-1]["at"] - server.requests[0]["at"]) / len(gaps) >= 1 / 50 * 0.95, gaps
        # and no two requests together: a late arrival shortens the next gap as much as it lengthens
        # its own, so each two gaps side by side hold two requests' time (CI met a lone gap of 9 ms)
        assert min(a + b for a, b in zip(gaps, gaps[1:])) >= 2 / 50 * 0.5, gaps

        mine = my_courses(provider)
        assert len(mine) == 22 and all(c["status"] == "published" for c in mine.values())
        assert mine["SYNC-005"]["level"] == "wo-master"
        parts = mine["SYNC-009"]["offerings"][0]
        assert (parts["price_eur"], parts["mode"], parts["location"]["city"]) == ("363.00", "blended", "Zwolle")
        endpoint = provider.get("/api/v1/providers/me/ooapi").json()
        assert endpoint["last_sync"]["import_id"] == report["id"] and endpoint["sync_under_way"] is None

        # the institution drops two courses: the next sync withdraws them, and only them
        server.courses = [c for c in server.courses if c["courseId"] not in ("c-001", "c-002")]
        again = sync(provider)
        assert (again["status"], again["accepted"], again["withdrawn"]) == ("finished", 20, 2), again
        mine = my_courses(provider)
        assert {k for k, c in mine.items() if c["status"] == "withdrawn"} == {"SYNC-001", "SYNC-002"}

        # nightly: when its time has come, the timer syncs without being asked
        assert provider.put("/api/v1/providers/me/ooapi", json={"base_url": server.url}).json()["schedule"] == "nightly"
        server.courses.append(course(99))
        server.offerings["c-099"] = [offering("O-c-099")]
        with psycopg.connect(platform.db_urls["catalogue"], autocommit=True) as db:
            db.execute("UPDATE ooapi_endpoints SET next_sync_at = now() - interval '1 second' WHERE provider_id = %s",
                       (provider.id,))
        eventually(lambda: "SYNC-099" in my_courses(provider), timeout=30, message="the scheduled sync ran")
        endpoint = eventually(lambda: (lambda e: e if e["last_sync"]["accepted"] == 21 else None)(
            provider.get("/api/v1/providers/me/ooapi").json()), message="the scheduled sync recorded")
        assert datetime.fromisoformat(endpoint["next_sync_at"]) > datetime.now(timezone.utc)     # the next night


@pytest.mark.parametrize("failure", ["fails midway", "answers garbage", "refuses us"])
def test_a_server_that_fails_fails_the_sync_and_withdraws_nothing(provider, failure):
    courses, offerings = catalogue_of(25)
    with OoapiServer(courses, offerings) as server:
        provider.put("/api/v1/providers/me/ooapi", json={"base_url": server.url, "schedule": "manual"})
        # a 429 with Retry-After is waited for, then the page is read: the first sync succeeds
        server.scripted["/ooapi/v5/courses"] = [(429, {"Retry-After": "1"})]
        first = sync(provider)
        assert (first["status"], first["accepted"]) == ("finished", 25), first
        asked = [r for r in server.requests if r["path"] == "/ooapi/v5/courses"]
        assert asked[1]["at"] - asked[0]["at"] >= 0.95
        before = len(server.requests)
        if failure == "fails midway":        # after the first page and one course's offerings: 500
            server.fail_after = before + 2
        elif failure == "answers garbage":
            server.garbage.add("/ooapi/v5/courses")
        else:
            server.scripted["/ooapi/v5/courses"] = [(401, {})]
        server.courses = courses[:3]        # had the sync gone through, 22 courses would be withdrawn
        failed = sync(provider)
        assert failed["status"] == "failed" and failed["withdrawn"] == 0, failed
        reason = {"fails midway": "HTTP 500", "answers garbage": "not JSON", "refuses us": "authorization"}[failure]
        assert reason in failed["failure"], failed["failure"]
        if failure == "fails midway":       # retried (OOAPI_RETRIES=2) before it gave up
            assert server.paths()[-3:] == [server.paths()[-1]] * 3
        mine = my_courses(provider)
        assert len(mine) == 25 and all(c["status"] == "published" for c in mine.values())
        assert provider.get("/api/v1/providers/me/ooapi").json()["last_sync"]["status"] == "failed"


def test_a_sync_asked_for_twice_is_one_sync(provider):
    courses, offerings = catalogue_of(3)
    with OoapiServer(courses, offerings) as server:
        provider.put("/api/v1/providers/me/ooapi", json={"base_url": server.url, "schedule": "manual"})
        first = provider.post("/api/v1/providers/me/ooapi-sync").json()["import_id"]
        second = provider.post("/api/v1/providers/me/ooapi-sync").json()["import_id"]
        assert first == second
        assert str(uuid.UUID(first)) == first
        eventually(lambda: provider.get(f"/api/v1/courses/imports/{first}").json()["status"] == "finished",
                   timeout=30, message="the sync finished")
