"""Too many requests (the public contract): a client beyond its rate limit gets a 429 problem with
Retry-After; other clients (another address, or a credential of their own) are not held back,
and /health is never limited. The gateway is restarted with a small limit for this test and
with the test platform's settings after it."""
from __future__ import annotations

import contextlib
import json
import time
from urllib.parse import urlparse

import urllib3

from tests.e2e.test_journey import a_course


@contextlib.contextmanager
def gateway_with(platform, services=("gateway",), **env):
    """The platform's ``services`` (the gateway unless said) restarted with ``env``, and restarted
    with the test platform's settings after."""
    def restart():
        for name in services:
            platform.restart(name)

    before = {name: platform.extra_env[name] for name in env if name in platform.extra_env}
    platform.extra_env.update(env)
    try:
        restart()
        yield
    finally:
        for name in env:
            platform.extra_env.pop(name)
        platform.extra_env.update(before)
        restart()


def client_from(platform, address: str) -> urllib3.HTTPConnectionPool:
    url = urlparse(platform.url)
    return urllib3.HTTPConnectionPool(url.hostname, url.port, source_address=(address, 0), retries=False)


def test_a_client_over_its_limit_gets_429_and_others_do_not(platform, provider):
    with gateway_with(platform, RATE_LIMIT_PER_MINUTE="60", RATE_LIMIT_BURST="5"):
        first, second = client_from(platform, "127.0.0.1"), client_from(platform, "127.0.0.2")
        statuses = [first.request("GET", "/api/v1/search?q=heftruck").status for _ in range(5)]
        assert statuses == [200] * 5
        refused = first.request("GET", "/api/v1/suggest?q=he")          # the limit is per client, not per route
        assert refused.status == 429
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert json.loads(refused.data)["status"] == 429
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 2
        assert second.request("GET", "/api/v1/search?q=heftruck").status == 200      # another address
        own_key = first.request("POST", "/api/v1/courses", body=json.dumps(a_course("Eigen sleutel")),
                                headers={"Authorization": f"Bearer {provider.token}",
                                         "Content-Type": "application/json"})
        assert own_key.status == 201, own_key.data                      # a credential is its own client
        assert all(first.request("GET", "/health").status == 200 for _ in range(8))
        time.sleep(wait)
        assert first.request("GET", "/api/v1/search?q=heftruck").status == 200      # a token came back
