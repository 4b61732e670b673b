"""Token buckets of the gateway's rate limits (services/gateway/limits.py), on a clock we move."""
from __future__ import annotations

from services.gateway.limits import Buckets


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_spends_its_burst_then_gets_tokens_back_at_the_rate():
    clock = Clock()
    buckets = Buckets(per_minute=120, burst=3, clock=clock)       # 2 a second
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == 0.5                                # the next token in half a second
    assert buckets.take("b") == 0                                  # another client has its own bucket
    clock.now += 0.5
    assert buckets.take("a") == 0 and buckets.take("a") == 0.5
    clock.now += 60                                                # saved up, but never beyond the burst
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_no_limit_when_the_rate_is_zero():
    buckets = Buckets(per_minute=0, burst=1, clock=Clock())
    assert all(buckets.take("a") == 0 for _ in range(100))
