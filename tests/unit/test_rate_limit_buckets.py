"""The token buckets of the gateway's rate limits, and what one process takes of another's count."""
from __future__ import annotations

from services.gateway.limits import Buckets


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_bucket_lets_a_burst_through_then_a_token_at_the_rate():
    clock = Clock()
    buckets = Buckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == 1.0
    clock.now = 1.0
    assert buckets.take("a") == 0 and buckets.take("b") == 0
    assert buckets.taken_since_last() == {"a": 4, "b": 1} and buckets.taken_since_last() == {}


def test_what_another_process_let_through_is_gone_here_too_down_to_a_debt_of_one_burst():
    clock = Clock()
    one, other = Buckets(60, 10, clock), Buckets(60, 10, clock)
    for n in range(12):                    # a client alternating between two processes, shared at once
        (one if n % 2 else other).take("c")
        for source, target in ((one, other), (other, one)):
            for key, count in source.taken_since_last().items():
                target.spend(key, count)
    assert one.take("c") > 0 and other.take("c") > 0      # 10 together, not 10 each
    one.spend("c", 100)
    clock.now = 20.0                                      # a debt of at most one burst: 10 s at 1/s
    assert one.take("c") == 0


def test_no_limit_takes_nothing():
    buckets = Buckets(0, 1)
    assert all(buckets.take("a") == 0 for _ in range(100))
    buckets.spend("a", 5)
    assert buckets.take("a") == 0
