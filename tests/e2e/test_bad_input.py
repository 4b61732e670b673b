"""Bad input gets a clear problem+json answer naming the field, and changes nothing."""
from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from tests.e2e.test_catalogue import ndjson
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


def test_an_if_match_no_course_can_reach_is_412_and_changes_nothing(provider):
    course = provider.post("/api/v1/courses", json=a_course("Lassen")).json()
    answer = provider.put(f"/api/v1/courses/{course['id']}", json={**a_course("Lassen nieuw"), "external_id": course["external_id"]},
                          headers={"If-Match": "99999999999999999999"})
    body = assert_problem(answer, 412)
    assert body["errors"][0]["field"] == "If-Match"
    after = provider.get(f"/api/v1/courses/{course['id']}").json()
    assert (after["title"], after["version"]) == ("Lassen", 1)


@pytest.mark.parametrize("params, field", [({"page": "99999999999999999999"}, "page"), ({"page": "0"}, "page"),
                                           ({"page_size": "101"}, "page_size")])
def test_a_page_out_of_range_is_422_naming_it(provider, params, field):
    body = assert_problem(provider.get("/api/v1/providers/me/courses", params=params), 422)
    assert body["errors"][0]["field"] == field


def test_an_import_line_that_is_not_utf8_is_rejected_and_the_rest_stored(provider):
    good = [a_course(f"Utf {n}", external_id=f"UTF-{n}") for n in range(2)]
    body = b"\xef\xbb\xbf" + ndjson(good[0]) + b"\n" + b'{"title": "Caf\xe9"}\n' + ndjson(good[1])
    answer = provider.post("/api/v1/courses/import?format=ndjson", data=body,
                           headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["accepted"] == 2      # the first line starts with a BOM: read, not rejected
    assert [(r["line"], r["errors"]) for r in report["rejected"]] == [
        (2, [{"field": "body", "message": "line is not UTF-8 text"}])]
    assert sorted(c["external_id"] for c in provider.get("/api/v1/providers/me/courses").json()["items"]) == \
        ["UTF-0", "UTF-1"]


def test_a_csv_row_that_is_not_utf8_keeps_its_whole_course_out(provider):
    start = (date.today() + timedelta(days=40)).isoformat()
    header = "external_id,title,level,offering_external_id,start_date,end_date,mode,city,price_eur\n"
    rows = [f"CSV-A,Lassen,mbo-2,O1,{start},{start},klassikaal,Venlo,100\n".encode(),
            f"CSV-B,Solderen,mbo-2,O1,{start},{start},klassikaal,Venlo,100\n".encode(),
            f"CSV-B,Solderen,mbo-2,O2,{start},{start},klassikaal,Gen".encode() + b"\xe8ve\n",   # Latin-1
            f"CSV-B,Solderen,mbo-2,O3,{start},{start},online,,100\n".encode(),
            f"CSV-C,Frezen,mbo-2,O1,{start},{start},online,,100\n".encode()]
    answer = provider.post("/api/v1/courses/import?format=csv", data=header.encode() + b"".join(rows),
                           headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["accepted"] == 2
    assert [(r["line"], r["errors"][0]["message"]) for r in report["rejected"]] == [
        (4, "the row is not UTF-8 text; its course is not stored")]
    stored = provider.get("/api/v1/providers/me/courses").json()["items"]
    assert sorted(c["external_id"] for c in stored) == ["CSV-A", "CSV-C"]


def test_a_csv_column_no_course_has_is_named_and_nothing_stored(provider):
    """A misspelt column (``prijs_eur``) would otherwise leave every price out unnoticed."""
    start = (date.today() + timedelta(days=40)).isoformat()
    body = ("external_id,title,level,offering_external_id,start_date,end_date,mode,prijs_eur\n"
            f"CSV-P,Lassen,mbo-2,O1,{start},{start},online,100\n").encode()
    answer = provider.post("/api/v1/courses/import?format=csv", data=body, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    (rejected,) = answer.json()["rejected"]
    assert (rejected["line"], rejected["errors"][0]["field"]) == (1, "header")
    assert "['prijs_eur']" in rejected["errors"][0]["message"] and "price_eur" in rejected["errors"][0]["message"]
    assert answer.json()["accepted"] == 0
    assert provider.get("/api/v1/providers/me/courses").json()["items"] == []


@pytest.mark.parametrize("fmt, content_type, message", [
    ("csv", "text/csv; charset=utf-16", "cannot be read line by line"),
    ("csv", "text/csv; charset=klingon", "unknown charset 'klingon'"),
    ("csv", "text/csv; charset=base64", "cannot be read line by line"),      # a codec, not a charset
    ("ooapi", "application/json; charset=latin-1", "JSON, which is UTF-8"),
])
def test_an_import_in_a_charset_it_cannot_read_is_refused_before_it_starts(provider, fmt, content_type, message):
    answer = provider.post(f"/api/v1/courses/import?format={fmt}", data=b"external_id,title,level\n",
                           headers={"Content-Type": content_type})
    assert answer.status_code == 422, answer.text
    error, = answer.json()["errors"]
    assert error["field"] == "Content-Type" and message in error["message"]
    assert provider.get("/api/v1/courses/imports").json()["items"] == []


def test_ooapi_items_of_another_shape_are_rejected_by_position(provider):
    body = json.dumps({"items": [7, {"name": 3}, {"name": "Lassen", "offerings": [
        {"startDate": "2030-01-01", "priceInformation": [{"amount": "gratis"}]}]}]}).encode()
    answer = provider.post("/api/v1/courses/import?format=ooapi", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert [(r["line"], r["errors"][0]["field"]) for r in answer.json()["rejected"]] == [
        (1, "items.0"), (2, "items.1"), (3, "items.2")]
    assert answer.json()["accepted"] == 0
    assert course_count(provider) == 0


@pytest.mark.parametrize("change, field", [
    (lambda c: c.update(title="Las\u0000sen"), "title"),
    (lambda c: c.update(keywords=["ok", "n\u0000"]), "keywords.1"),
    (lambda c: c["offerings"][0].update(seats_available=10**20), "offerings.0.seats_available"),
])
def test_a_value_no_database_or_message_can_hold_is_422_naming_it(provider, change, field):
    course = a_course("Lassen")
    change(course)
    body = assert_problem(provider.post("/api/v1/courses", json=course), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert course_count(provider) == 0


def test_json_nested_too_deeply_is_400(provider):
    answer = provider.post("/api/v1/courses", data="[" * 100_000 + "]" * 100_000,
                           headers={"Content-Type": "application/json"})
    assert "nested too deeply" in assert_problem(answer, 400)["detail"]


def test_a_query_with_a_nul_is_422_naming_the_parameter(anonymous):
    body = assert_problem(anonymous.get("/api/v1/search", params={"q": "las\u0000sen", "level": "mbo-2"}), 422)
    assert body["errors"] == [{"field": "q", "message": "a NUL character is not allowed"}]


@pytest.mark.parametrize("path", ["/api/v1/funding-schemes/a%00b", "/api/v1/courses/a%00b",
                                  "/api/v1/courses/imports/a%00b"])
def test_an_id_with_a_nul_is_404_not_500(provider, path):
    assert_problem(provider.get(path), 404)


def test_an_unknown_path_or_method_is_problem_json(anonymous):
    assert_problem(anonymous.get("/api/v1/no-such-thing"), 404)
    answer = anonymous.request("DELETE", "/api/v1/search")
    assert_problem(answer, 405)
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD"}


def test_import_lines_no_database_or_message_can_hold_are_rejected_by_field(provider):
    good = a_course("Goed", external_id="NUL-OK")
    body = ndjson({**a_course("Nul"), "title": "N\u0000ul"}, good, {**a_course("Groot"), "study_load_hours": 10**20})
    answer = provider.post("/api/v1/courses/import?format=ndjson", data=body,
                           headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    assert [(r["line"], r["errors"][0]["field"]) for r in answer.json()["rejected"]] == [
        (1, "title"), (3, "study_load_hours")]
    csv_body = b"external_id,title,level\nCSV-NUL,Fr\x00ezen,geen\nCSV-OK,Frezen,geen\n"
    answer = provider.post("/api/v1/courses/import?format=csv", data=csv_body, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert [(r["line"], r["errors"][0]["message"]) for r in answer.json()["rejected"]] == [
        (2, "the row holds a NUL character; its course is not stored")]
    assert sorted(c["external_id"] for c in provider.get("/api/v1/providers/me/courses").json()["items"]) == \
        ["CSV-OK", "NUL-OK"]


def test_a_csv_row_the_csv_reader_cannot_read_is_rejected_alone(provider):
    body = b"external_id,title,level\nCSV-1,Lassen,geen\nCSV-2,\"" + b"x" * 200_000 + b"\",geen\nCSV-3,Frezen,geen\n"
    answer = provider.post("/api/v1/courses/import?format=csv", data=body, headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert [(r["line"], r["errors"][0]["message"].split(":")[0]) for r in answer.json()["rejected"]] == [
        (3, "the row cannot be read as CSV")]
    assert answer.json()["accepted"] == 2


def test_limits_a_body_a_line_a_page_and_a_slow_client(provider, anonymous, platform):
    """A body over MAX_BODY_BYTES is a 413 before it is read (an import streams and is not held
    to it); an import line over 1 MiB is rejected and the lines after it are read; page sizes
    are capped; a client that stops mid-request is cut off."""
    import socket as sockets
    from urllib.parse import urlparse

    from tests.e2e.test_journey import a_course

    huge = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for path in ("/api/v1/courses", "/api/v1/intakes"):
        answer = provider.post(path, data=huge, headers={"Content-Type": "application/json"})
        assert answer.status_code == 413 and answer.json()["errors"][0]["field"] == "body", (path, answer.text[:200])
    chunked = provider.post("/api/v1/courses", data=iter([huge[:1 << 20], huge[1 << 20:]]),
                            headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    good = a_course("Na een lange regel", external_id="LIMIT-2")
    body = b'{"external_id": "LIMIT-1", "title": "' + b"y" * (1024 * 1024 + 10) + b'"}\n' + \
        json.dumps(good).encode() + b"\n"
    report = provider.post("/api/v1/courses/import?format=ndjson", data=body,
                           headers={"Content-Type": "application/x-ndjson"}).json()
    assert report["accepted"] == 1 and [r["line"] for r in report["rejected"]] == [1]
    assert "longer than 1024 KiB" in report["rejected"][0]["errors"][0]["message"]
    for path, size in (("/api/v1/search", "101"), ("/api/v1/providers/me/courses", "101")):
        capped = provider.get(path, params={"page_size": size})
        assert capped.status_code == 422 and capped.json()["errors"][0]["field"] == "page_size", path
    # headers begun and never finished: the gateway closes the connection (SOCKET_TIMEOUT_SECONDS)
    where = urlparse(platform.url)
    with sockets.create_connection((where.hostname, where.port), timeout=30) as slow:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert slow.recv(1024) == b""             # closed by the server, not answered
        assert time.monotonic() - started < 20
