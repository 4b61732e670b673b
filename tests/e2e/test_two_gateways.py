"""Two gateway processes in front of one platform, as a deployment that scales the gateway runs
them: a client's rate limit holds across both (they share what each let through over RabbitMQ),
and a key rotated or revoked through one is refused by the other at the next request."""
from __future__ import annotations

import re
import time

import pytest
import requests

from tests.conftest import Client
from tests.e2e.test_rate_limits import gateway_with
from tests.infra import ADMIN_TOKEN, eventually, form_token, free_port

LIMITS = {"RATE_LIMIT_PER_MINUTE": "60", "RATE_LIMIT_BURST": "10"}


@pytest.fixture(scope="module")
def gateways(platform):
    """The platform's gateway and a second one, both with a small limit: their two base URLs."""
    port = free_port()
    with gateway_with(platform, **LIMITS):
        platform.start_service("gateway-other", GATEWAY_PORT=str(port))
        second = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(second + "/health", timeout=5).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, platform.log_tail("gateway-other")
                time.sleep(0.3)
            yield platform.url, second
        finally:
            platform.stop_service("gateway-other")


def new_key(base: str) -> tuple[str, str]:
    answer = Client(base, ADMIN_TOKEN).post("/api/v1/providers", json={"name": "Twee poorten", "kind": "opleider"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["api_key"]


def test_two_gateways_do_not_double_a_clients_allowance(gateways):
    _, key = new_key(gateways[0])
    clients = [Client(base, key) for base in gateways]
    started, statuses = time.monotonic(), []
    for n in range(40):                  # a client spreading its requests over both processes
        statuses.append((n % 2, clients[n % 2].get("/api/v1/suggest", params={"q": "he"}).status_code))
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    allowed = sum(1 for _, status in statuses if status == 200)
    # one allowance: the burst and a token a second; two processes counting alone would let 20+ through
    assert 10 <= allowed <= 10 + elapsed * 1 + 3, (allowed, elapsed, statuses)
    assert {g for g, status in statuses if status == 429} == {0, 1}, "both processes held the client back"
    assert all(status in (200, 429) for _, status in statuses)
    # another client is not held back by this one, on either process
    other = new_key(gateways[1])[1]
    assert all(Client(base, other).get("/api/v1/suggest", params={"q": "he"}).status_code == 200 for base in gateways)


def test_a_key_rotated_or_revoked_through_one_gateway_is_refused_by_the_other(gateways):
    first, second = gateways
    provider_id, old = new_key(first)
    assert Client(second, old).get("/api/v1/providers/me/courses").status_code == 200
    rotated = Client(first, ADMIN_TOKEN).post(f"/api/v1/providers/{provider_id}/api-key")
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()["api_key"]
    assert Client(second, old).get("/api/v1/providers/me/courses").status_code == 401
    assert Client(second, new).get("/api/v1/providers/me/courses").status_code == 200
    assert Client(second, ADMIN_TOKEN).delete(f"/api/v1/providers/{provider_id}/api-key").status_code == 200
    assert Client(first, new).get("/api/v1/providers/me/courses").status_code == 401


def test_an_import_sent_through_one_gateway_is_read_on_the_other(gateways):
    """No gateway keeps an import in its memory: the page of an upload through the first shows
    its progress, its end and every rejected line (the unreadable one too) on the second."""
    first, second = gateways
    _, key = new_key(first)
    session = requests.Session()
    login = session.get(first + "/aanbieders").text
    session.post(first + "/aanbieders/inloggen", data={"csrf": form_token(login), "token": key})
    home = session.get(first + "/aanbieders").text
    lines = ('{"external_id": "T-1", "title": "Goed", "level": "mbo-2"}\n'
             'dit is geen json\n'
             '{"external_id": "T-3", "title": "", "level": "mbo-2"}\n')
    upload = session.post(first + "/aanbieders/import", allow_redirects=False,
                          data={"csrf": form_token(home), "format": "ndjson", "mode": "upsert"},
                          files={"file": ("cursussen.ndjson", lines.encode(), "application/x-ndjson")})
    assert upload.status_code == 303, upload.text[:300]
    done = eventually(lambda: (lambda p: p if "Inlezen: klaar" in p else None)(
        session.get(second + upload.headers["Location"]).text), timeout=30, message="the import, read on the other")
    text = re.sub(r"<[^>]+>", "", done)
    assert "1 regel goed" in text and "2 afgekeurd" in text, text[:2000]
    assert "Regel 2" in text and "Regel 3" in text and "kolom" not in text      # NDJSON: a field, not a column
