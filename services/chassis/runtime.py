"""How a process is prepared to run a service, in one place: ``services.run`` calls ``prepare``
before its container starts, and so do the tests' in-process containers (with pytest's
monkeypatch, so the patches are undone after each test), so tests run what production runs."""
from __future__ import annotations

from typing import Callable

from services.chassis import acks, consumers, replies
from services.chassis.postgres import assert_cooperative_psycopg


def patches(service_cls) -> list[tuple[object, str, object]]:
    """Every nameko patch a process running ``service_cls`` has: replies and unconfirmed
    requests on kept channels (replies.py), acknowledgements that survive a dropped connection
    (consumers.py) and, for a service whose requests only read, acknowledgements a few at a
    time (acks.py)."""
    found = replies.patches() + consumers.patches()
    if getattr(service_cls, "requests_only_read", False):
        found += acks.patches()     # after: its consumer replaces the safe one (and is safe itself)
    return found


def prepare(service_cls, patch: Callable[[object, str, object], None] = setattr) -> None:
    """Check psycopg waits cooperatively under eventlet and install ``patches(service_cls)``."""
    assert_cooperative_psycopg()
    for owner, attribute, value in patches(service_cls):
        patch(owner, attribute, value)
