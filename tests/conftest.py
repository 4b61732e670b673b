"""Fixtures over the real RabbitMQ and PostgreSQL that `make test` starts."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import requests

from tests.infra import ADMIN_TOKEN, ROOT, OpenIdServer, Platform, Postgres, Rabbit

# the browser tests run in a pytest process of their own, without eventlet (tests/browser/conftest.py)
collect_ignore = ["browser"]


def pytest_collection_modifyitems(items):
    # Tests that restart the broker go last, so the others never see it away.
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


@pytest.fixture(scope="session")
def rabbit(request) -> Rabbit:
    broker = Rabbit(request.config.getoption("RABBIT_AMQP_URI"), request.config.getoption("RABBIT_API_URI"))
    broker.delete_stale_vhosts()
    return broker


@pytest.fixture(scope="session", autouse=True)
def _stale_vhosts_removed_first(request):
    """Stale test vhosts go before nameko's session vhost exists (else the clean-up, run when
    the first test needs the broker, would remove a vhost that is in use)."""
    request.getfixturevalue("rabbit")


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    url = os.environ.get("PG_ADMIN_URL")
    if not url:
        pytest.exit("PG_ADMIN_URL is not set: run the suite with `make test`", returncode=2)
    server = Postgres(url)
    server.drop_stale()
    return server


@pytest.fixture(scope="session")
def mail_server():
    """A real SMTP server every notify of the tests sends to."""
    from tests.receivers import MailServer

    server = MailServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def platform(rabbit, postgres, mail_server, tmp_path_factory):
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    # the gateway's import heartbeat often enough for a test to see it
    erasures = tmp_path_factory.mktemp("intake") / "erasures.log"
    running = Platform(rabbit, postgres, log_dir, extra_env={"IMPORT_HEARTBEAT_SECONDS": "0.5",
                                                             "INTAKE_ERASURE_LOG": str(erasures),
                                                             "SMTP_URL": mail_server.url})
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


@pytest.fixture
def service_container(container_factory, monkeypatch):
    """nameko's ``container_factory`` with the process prepared as ``services.run`` prepares it
    (services/chassis/runtime.py), the patches undone after the test."""
    from services.chassis import replies, runtime

    def make(service_cls, config: dict):
        runtime.prepare(service_cls, monkeypatch.setattr)
        return container_factory(service_cls, config)

    yield make
    replies.REPLIES.drop()      # the kept channels of this test's vhost
    replies.REQUESTS.drop()


@pytest.fixture
def database(postgres):
    """A throw-away database for one test, dropped afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}_unit"
    url = postgres.create(name)
    try:
        yield url
    finally:
        postgres.drop(name)


class Client:
    """The public HTTP API as a user of it sees it."""

    def __init__(self, base: str, token: str | None = None):
        self.base, self.token = base, token
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))     # the caller's dict stays as it was
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def admin(platform) -> Client:
    return Client(platform.url, ADMIN_TOKEN)


@pytest.fixture
def anonymous(platform) -> Client:
    return Client(platform.url)


@pytest.fixture
def provider(admin, platform) -> Client:
    """A freshly registered provider, authenticated with its API key."""
    answer = admin.post("/api/v1/providers", json={"name": f"Opleider {uuid.uuid4().hex[:6]}", "kind": "opleider"})
    assert answer.status_code == 201, answer.text
    client = Client(platform.url, answer.json()["api_key"])
    client.id = answer.json()["id"]
    return client


@pytest.fixture
def reliability(request):
    """``reliability(scenario=..., injected=..., accepted=..., found=..., duplicates=..., refused=...,
    recover_seconds=...)``: one row of the fault scenarios' report, appended to
    SA_RELIABILITY_OUT (``make reliability`` renders it: bench/reliability.py)."""
    def record(**row):
        path = Path(os.environ.get("SA_RELIABILITY_OUT", ROOT / ".run" / "test" / "reliability.jsonl"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"test": request.node.nodeid, **row}) + "\n")
    return record


@pytest.fixture
def attack(request):
    """``attack(name=..., tried=..., held=...)``: one row of the attacks' table of ``make
    reliability`` (bench/reliability.py), recorded by a hostile test once its assertions held."""
    def record(**row):
        path = Path(os.environ.get("SA_RELIABILITY_OUT", ROOT / ".run" / "test" / "reliability.jsonl"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"test": request.node.nodeid, "kind": "attack", **row}) + "\n")
    return record
