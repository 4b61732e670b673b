"""The browser tests' own set-up: this pytest process imports no eventlet (Playwright's sync API
hangs under it), starts a platform of its own on the test profile's RabbitMQ and PostgreSQL
(from the environment deploy/local/env.sh exports) and Debian's chromium. Run by `make test`
after the main suite: pytest tests/browser --confcutdir=tests/browser."""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.infra import ADMIN_TOKEN, ROOT, OpenIdServer, Platform, Postgres, Rabbit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def platform():
    rabbit = Rabbit(os.environ["AMQP_URI"], os.environ["RABBIT_API_URI"])
    postgres = Postgres(os.environ["PG_ADMIN_URL"])
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(rabbit, postgres, log_dir)
    # staff sign in with a real OpenID provider too (beside the keys and tokens of development)
    running.openid = OpenIdServer([running.url + "/inloggen/terug"], log_dir / f"{running.prefix}-openid.log")
    try:
        running.openid.start()
        running.extra_env.update(running.openid.settings)
        running.start()
        yield running
    finally:
        running.stop()
        running.openid.stop()


@pytest.fixture(scope="session")
def world(platform):
    """A provider with a published course in Venlo, a team for the north with an advisor."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    provider = requests.post(f"{platform.url}/api/v1/providers", headers=admin, timeout=30,
                             json={"name": "ROC Browser", "kind": "onderwijsinstelling"}).json()
    key = {"Authorization": f"Bearer {provider['api_key']}"}
    course = requests.post(f"{platform.url}/api/v1/courses", headers=key, timeout=30, json={
        "external_id": f"B-{uuid.uuid4().hex[:6]}", "title": "Heftruck rijden met certificaat", "publish": True,
        "description": "Veilig werken met de heftruck: theorie en praktijk.", "level": "mbo-2",
        "sectors": ["logistiek"], "situations": ["werkzoekend"], "keywords": ["heftruck"],
        "offerings": [{"external_id": "O-1", "start_date": "2030-03-01", "end_date": "2030-03-02", "mode": "klassikaal",
                       "location": {"city": "Venlo"}, "price_eur": 325, "seats_available": 8}]}).json()
    requests.post(f"{platform.url}/api/v1/advisor-teams", headers=admin, timeout=30, json={
        "code": "noord", "name": "Leerwerkloket Noord", "provinces": ["Groningen", "Friesland", "Drenthe"]})
    advisor = requests.post(f"{platform.url}/api/v1/advisors", headers=admin, timeout=30,
                            json={"name": "Adviseur", "email": "a@loket.example.nl", "team": "noord"}).json()
    analyst = requests.post(f"{platform.url}/api/v1/analysts", headers=admin, timeout=30,
                            json={"name": "Ana", "email": "ana@example.nl"}).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:       # searchable and known to intake
        found = requests.get(f"{platform.url}/api/v1/search", params={"q": "heftruck"}, timeout=30).json()
        if found["total"]:
            break
        time.sleep(0.3)
    return {"provider_key": provider["api_key"], "provider_id": provider["id"], "course": course, "advisor_token": advisor["token"],
            "analyst_token": analyst["token"]}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = ROOT / ".run" / "test" / "screenshots" / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder
