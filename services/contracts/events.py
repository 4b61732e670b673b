"""Events: the facts services tell each other over RabbitMQ, wrapped in one envelope.

An event crosses the wire as ``EventEnvelope.model_dump(mode="json")`` on the exchange
``<source>.events`` with the event type as routing key. Payloads carry ids, never personal data.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from services.contracts.courses import Course, CourseStatus, FundingSchemeInput


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


class ProviderRegistered(Event):
    event_type = "provider_registered"
    source = "catalogue"

    provider_id: uuid.UUID
    name: str
    kind: str


class CourseHeadline(BaseModel):
    """The part of a course a consumer that does not index it reads (the rest of the event's
    course is ignored, not validated)."""

    title: str
    status: CourseStatus


class CourseChange(Event):
    """Any course event, read for its headline only. A consumer that needs the title and the
    status hands this to ``handles_batch(..., model=CourseChange)``: validating the whole
    course of each event (its offerings, places and dates) costs ~45 µs an event, six times
    what reading the headline costs, and a bulk import sends tens of thousands. Read only:
    it has no event type of its own, so it is never published."""

    source = "catalogue"

    course_id: uuid.UUID
    provider_id: uuid.UUID
    version: int
    course: CourseHeadline

    @property
    def published(self) -> bool:
        """Whether the course is published after this change (findable, open for intakes)."""
        return self.course.status == "published"


class CourseEvent(CourseChange):
    """A course change. ``course`` is the full current course, so no consumer needs an RPC
    back; ``version`` lets a consumer ignore an older event that arrives late."""

    course: Course


class CoursePublished(CourseEvent):
    event_type = "course_published"


class CourseUpdated(CourseEvent):
    event_type = "course_updated"


class CourseWithdrawn(CourseEvent):
    event_type = "course_withdrawn"


class FundingSchemePublished(Event):
    event_type = "funding_scheme_published"
    source = "catalogue"

    code: str
    scheme: FundingSchemeInput
    # every change raises it: a consumer ignores an older one that arrives late
    version: int = 1


class FundingSchemeUpdated(FundingSchemePublished):
    """Its publisher or an admin changed a scheme: ended it early (``valid_until``), corrected it."""

    event_type = "funding_scheme_updated"


class SearchPerformed(Event):
    """One search through the gateway. No personal data: the query text and filters only."""

    event_type = "search_performed"
    source = "search"

    search_id: str
    query: str | None
    filters: dict[str, Any]
    result_count: int
    zero_results: bool
    latency_ms: float
    cached: bool = False      # answered from the search service's answer cache
    # False: no course had every word of the query, and the answer holds courses with some of
    # them (demand the catalogue does not meet exactly); None for a search without words
    all_words: bool | None = None
    # the place read from the query's words and searched as one (heftruck rotterdam: near
    # Rotterdam): {words, near, radius_km} or {words, province}; None when there was none
    place: dict[str, Any] | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (ProviderRegistered, CoursePublished, CourseUpdated, CourseWithdrawn, FundingSchemePublished,
                FundingSchemeUpdated, SearchPerformed)
}
