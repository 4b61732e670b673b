"""Rate limits: each client gets a token bucket, ``RATE_LIMIT_PER_MINUTE`` tokens a minute up to
``RATE_LIMIT_BURST`` saved; a request without a token is a 429 with ``Retry-After``.

A client is its credential when it sends one that was verified (a provider's key, the analyst or
admin token), else its address, so clients behind one address with their own keys do not share a bucket. (The
gateway is meant to face clients directly: behind a reverse proxy every anonymous client would
have the proxy's address.) Either is kept only as a keyed hash. The least recently seen clients
are forgotten beyond ``MAX_CLIENTS``. ``RATE_LIMIT_PER_MINUTE=0`` turns limits off (the test
platform and the benchmarks do).

Several gateway processes hold one allowance per client, not one each: every process keeps the
buckets in memory (no request waits for another process) and tells the others over RabbitMQ, every
``SHARE_SECONDS``, how many tokens each client took from it (a fanout exchange; each process its
own exclusive queue). A process takes what the others took from its own buckets, down to a debt
of one burst, so a client that was let through twice during the lag is held back as long after.
While RabbitMQ is away each process counts alone, and catches up with nothing it missed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import time
import uuid
from collections import Counter
from datetime import date

import eventlet
from cachetools import LRUCache
from kombu import Connection, Exchange, Queue
from nameko.extensions import DependencyProvider

from services.gateway.problems import Problem

log = logging.getLogger(__name__)
MAX_CLIENTS = 100_000
SHARE_SECONDS = 0.1
EXCHANGE = Exchange("gateway.rate_limits", type="fanout", durable=False, auto_delete=False)


class Buckets:
    """Token buckets per client key."""

    def __init__(self, per_minute: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._buckets: LRUCache = LRUCache(maxsize=MAX_CLIENTS)   # key -> (tokens, at)
        self.taken: Counter = Counter()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 when there was one, else the seconds until there is."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            self.taken[key] += 1
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def spend(self, key: str, count: int) -> None:
        """Another gateway process let ``key`` through ``count`` times: those tokens are gone here too."""
        if self.rate <= 0:
            return
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        self._buckets[key] = (max(-float(self.burst), tokens - count), now)

    def taken_since_last(self) -> dict[str, int]:
        """What this process let through since it last told the others."""
        taken, self.taken = dict(self.taken), Counter()
        return taken


def client_key(request, secret: str, verified: bool = False) -> str:
    """The client as a keyed hash (``secret``: every gateway process has the same, the admin
    token): what the processes tell each other is neither a credential nor an address. The
    credential is the client only when it was ``verified``: else anyone could be a new client
    each request with a made-up one."""
    credential = request.headers.get("Authorization") if verified else None
    raw = "credential:" + credential if credential else "address:" + (request.remote_addr or "unknown")
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()[:32]


def searcher(request, secret: str, verified: bool, day: date) -> str:
    """Who searched, for the demand reports: the client (as ``client_key``) hashed with the day,
    so a report can count different people without following one across days."""
    return hmac.new(secret.encode(), f"{day.isoformat()}|{client_key(request, secret, verified)}".encode(),
                    hashlib.sha256).hexdigest()[:24]


class RateLimits(DependencyProvider):
    """Injects a function that answers 429 (a ``Problem``) when the request's client has no token left."""

    def setup(self):
        config = self.container.config
        self.secret = config["ADMIN_TOKEN"]
        self.buckets = Buckets(float(config["RATE_LIMIT_PER_MINUTE"]), int(config["RATE_LIMIT_BURST"]))
        # the pages have a policy of their own: a person clicks less often than a client calls
        self.page_buckets = Buckets(float(config["PAGE_RATE_LIMIT_PER_MINUTE"]), int(config["PAGE_RATE_LIMIT_BURST"]))
        self.sharing = Sharing(config["AMQP_URI"], {"api": self.buckets, "pages": self.page_buckets})

    def start(self):
        if self.buckets.rate > 0 or self.page_buckets.rate > 0:
            self.container.spawn_managed_thread(self.sharing.run, identifier="rate-limit-sharing")

    def stop(self):
        self.sharing.running = False

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.check

    def check(self, request, pages: bool = False, verified: bool = False) -> None:
        wait = (self.page_buckets if pages else self.buckets).take(client_key(request, self.secret, verified))
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise Problem(429, "Too many requests",
                          f"this client sent more than its rate limit allows; try again in {retry_after} s",
                          headers={"Retry-After": str(retry_after)})


class Sharing:
    """Tells the other gateway processes what this one let through, and takes what they did."""

    def __init__(self, amqp_uri: str, buckets: dict[str, Buckets]):
        self.amqp_uri, self.buckets = amqp_uri, buckets
        self.me = uuid.uuid4().hex
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                with Connection(self.amqp_uri, heartbeat=30) as conn:
                    self._share(conn)
            except Exception as exc:        # the broker away: count alone, try again
                log.warning("rate limits not shared with other gateway processes for now: %s", exc)
                eventlet.sleep(1)

    def _share(self, conn) -> None:
        queue = Queue(f"gateway.rate_limits.{self.me}", exchange=EXCHANGE, exclusive=True, auto_delete=True,
                      durable=False)
        producer = conn.Producer(exchange=EXCHANGE)
        with conn.Consumer(queue, callbacks=[self._received], accept=["json"], no_ack=True):
            while self.running:
                taken = {name: b.taken_since_last() for name, b in self.buckets.items()}
                if any(taken.values()):
                    producer.publish({"from": self.me, "taken": taken}, serializer="json", delivery_mode=1,
                                     declare=[EXCHANGE], retry=False)
                try:
                    conn.drain_events(timeout=SHARE_SECONDS)
                except TimeoutError:
                    pass
                conn.heartbeat_check()

    def _received(self, body, message) -> None:
        if isinstance(body, (str, bytes)):
            body = json.loads(body)
        if body.get("from") == self.me:
            return
        for name, taken in body.get("taken", {}).items():
            if name in self.buckets:
                for key, count in taken.items():
                    self.buckets[name].spend(key, int(count))
