"""Events: the facts services tell each other over RabbitMQ, wrapped in one envelope. Each
service's events are declared in its contract module (``contracts/<service>.py``); every one is
listed in ``registry.py``.

An event crosses the wire as ``EventEnvelope.model_dump(mode="json")`` on the exchange
``<source>.events`` with the event type as routing key. Payloads carry ids, never personal data.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EventEnvelope(BaseModel):
    """What every event looks like on the wire."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    source: str
    occurred_at: datetime = Field(default_factory=utcnow)
    schema_version: int = 1
    payload: dict[str, Any]


class Event(BaseModel):
    """Base of every event payload; subclasses name their type and source service."""

    event_type: ClassVar[str]
    source: ClassVar[str]
    schema_version: ClassVar[int] = 1
    subject: ClassVar[str | None] = None    # the payload's field naming the one thing it is about (CloudEvents)

    def envelope(self, event_id: uuid.UUID | None = None) -> EventEnvelope:
        return EventEnvelope(
            event_id=event_id or uuid.uuid4(),
            event_type=self.event_type,
            source=self.source,
            schema_version=self.schema_version,
            payload=self.model_dump(mode="json"),
        )

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope):
        return cls.model_validate(envelope.payload)
