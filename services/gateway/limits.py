"""Rate limits: each client gets a token bucket, ``RATE_LIMIT_PER_MINUTE`` tokens a minute up to
``RATE_LIMIT_BURST`` saved; a request without a token is a 429 with ``Retry-After``.

A client is its credential when it sends one (a provider's key, the analyst or admin token:
hashed, never kept), else its address, so clients behind one address with their own keys do
not share a bucket. (The gateway is meant to face clients directly: behind a reverse proxy every
anonymous client would have the proxy's address.) Buckets live in the gateway process (a deployment with several gateways
gives each its own); the least recently seen are forgotten beyond ``MAX_CLIENTS``.
``RATE_LIMIT_PER_MINUTE=0`` turns limits off (the test platform and the benchmarks do).
"""
from __future__ import annotations

import hashlib
import math
import time

from cachetools import LRUCache
from nameko.extensions import DependencyProvider

from services.gateway.problems import Problem

MAX_CLIENTS = 100_000


class Buckets:
    """Token buckets per client key."""

    def __init__(self, per_minute: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._buckets: LRUCache = LRUCache(maxsize=MAX_CLIENTS)   # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 when there was one, else the seconds until there is."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


def client_key(request) -> str:
    credential = request.headers.get("Authorization")
    if credential:
        return "credential:" + hashlib.sha256(credential.encode()).hexdigest()
    return "address:" + (request.remote_addr or "unknown")


class RateLimits(DependencyProvider):
    """Injects a function that answers 429 (a ``Problem``) when the request's client has no token left."""

    def setup(self):
        config = self.container.config
        self.buckets = Buckets(float(config["RATE_LIMIT_PER_MINUTE"]), int(config["RATE_LIMIT_BURST"]))
        # the pages have a policy of their own: a person clicks less often than a client calls
        self.page_buckets = Buckets(float(config["PAGE_RATE_LIMIT_PER_MINUTE"]), int(config["PAGE_RATE_LIMIT_BURST"]))

    def get_dependency(self, worker_ctx):
        return self.check

    def check(self, request, pages: bool = False) -> None:
        wait = (self.page_buckets if pages else self.buckets).take(client_key(request))
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise Problem(429, "Too many requests",
                          f"this client sent more than its rate limit allows; try again in {retry_after} s",
                          headers={"Retry-After": str(retry_after)})
