"""How messages are written on the wire: JSON, encoded and decoded with orjson.

kombu's own JSON serializer (the stdlib encoder with a type-marking hook) took 7% of the search
service's time per search, encoding its ~20 kB answer (twice: nameko checks that a
result serialises before it sends it); orjson does the same in a twentieth. The
content type stays ``application/json`` and the text plain JSON, so other consumers of our
exchanges (analysts' own queues) and nameko clients with the default serializer read and write it
as before. Payloads are already plain JSON (contracts dump with ``mode="json"``); the few other
types a handler might return are written as JSON texts."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import orjson
from nameko.constants import ACCEPT_CONFIG_KEY, SERIALIZER_CONFIG_KEY, SERIALIZERS_CONFIG_KEY

NAME = "orjson"
CONTENT_TYPE = "application/json"


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode(value) -> bytes:
    return orjson.dumps(value, default=_plain, option=orjson.OPT_NON_STR_KEYS)


def decode(text: str | bytes):
    return orjson.loads(text)


def nameko_config() -> dict:
    """The nameko settings that make every publisher and consumer of a service use it (it is
    registered for ``application/json``, so messages from clients using kombu's serializer
    are read by it too)."""
    return {
        SERIALIZERS_CONFIG_KEY: {NAME: {"encoder": f"{__name__}.encode", "decoder": f"{__name__}.decode",
                               "content_type": CONTENT_TYPE, "content_encoding": "utf-8"}},
        SERIALIZER_CONFIG_KEY: NAME,
        ACCEPT_CONFIG_KEY: [NAME],
    }


def moment(value: datetime | None) -> str | None:
    """A moment as the API answers it: RFC 3339 in UTC (the NL API Design Rules; pages show Dutch time)."""
    return None if value is None else value.astimezone(timezone.utc).isoformat()
