"""Events: the facts services tell each other over RabbitMQ, wrapped in one envelope.

An event crosses the wire as ``EventEnvelope.model_dump(mode="json")`` on the exchange
``<source>.events`` with the event type as routing key. Payloads carry ids, never personal data.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
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


class OfferingPlace(BaseModel):
    """Where an offering of a course runs, as a consumer that routes by place reads it."""

    postcode: str | None = None
    province: str | None = None


class OfferingHeadline(BaseModel):
    start_date: date
    status: str
    location: OfferingPlace | None = None


class CourseHeadline(BaseModel):
    """The part of a course a consumer that does not index it reads (the rest of the event's
    course is ignored, not validated)."""

    title: str
    status: CourseStatus


class CourseHeadlineWithPlaces(CourseHeadline):
    """The headline and where the course's offerings run (intake routes a request without a
    postcode by the place of the course's next offering)."""

    offerings: list[OfferingHeadline] = []

    def next_place(self, today: date) -> OfferingPlace | None:
        """The place of the first open offering ahead that has one (intake routes by it)."""
        ahead = sorted((o for o in self.offerings if o.status == "open" and o.start_date >= today and o.location),
                       key=lambda o: o.start_date)
        return ahead[0].location if ahead else None


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


class CourseChangeWithPlaces(CourseChange):
    """Any course event, read for its headline and its offerings' places. Read only."""

    course: CourseHeadlineWithPlaces


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
    # a search that found nothing, explained: "nothing" anywhere, found only "elsewhere" (outside
    # the province or radius asked; nearest_place: the closest place that has it), or
    # "filtered_out" (found, but not within the dates, price or funding asked)
    zero_kind: str | None = None
    nearest_place: str | None = None
    # who searched, as a keyed hash that changes every day: counts different people (a query only
    # a few searched is hidden in reports) without following anyone from day to day
    client: str | None = None


class SearchResultClicked(Event):
    """A hit of a search opened from its result list (no personal data)."""

    event_type = "search_result_clicked"
    source = "search"

    search_id: str
    course_id: uuid.UUID
    position: int


class CourseViewed(Event):
    """A course's page or API answer read, from a search when ``search_id`` says so."""

    event_type = "course_viewed"
    source = "search"

    course_id: uuid.UUID
    search_id: str | None = None


class IntakeFacts(Event):
    """What every intake event says of its request: ids and non-personal facts only (never a
    name, an e-mail address or a phone number: analytics keeps every event for years)."""

    source = "intake"

    intake_id: uuid.UUID
    team: str
    situation: str
    course_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None


class IntakeSubmitted(IntakeFacts):
    """A person asked to be called back (``search_id`` ties it to the search it came from)."""

    event_type = "intake_submitted"

    search_id: str | None = None
    preferred_contact: str
    language: str
    share_with_provider: bool
    callback_due_by: datetime


class IntakeAssigned(IntakeFacts):
    """The request went to this advisor team (by the person's postcode, the course's place, or
    the national team)."""

    event_type = "intake_assigned"

    routed_by: str            # postcode | course | national


class CallbackDueSoon(IntakeFacts):
    """Three quarters of the allowed working time have passed and nobody gave advice yet."""

    event_type = "callback_due_soon"

    callback_due_by: datetime


class CallbackOverdue(IntakeFacts):
    """The callback deadline passed without advice given."""

    event_type = "callback_overdue"

    callback_due_by: datetime


class IntakeOutcomeRecorded(IntakeFacts):
    """An advisor recorded a step (call_attempted, waiting_for_person, advice_given, enrolled,
    closed); no note travels, only the step and the status it led to."""

    event_type = "intake_outcome_recorded"

    step: str
    status: str
    callback_due_by: datetime | None = None


class IntakeErased(IntakeFacts):
    """The person's data was erased (on their request or after the retention period):
    every service removes what it holds about this intake."""

    event_type = "intake_erased"

    reason: str               # person | retention


class LeadShared(IntakeFacts):
    """The person allowed the course's provider to receive their contact details: notify sends
    the provider a thin signed webhook (ids and a link), the provider reads the details through
    an authenticated, logged request."""

    event_type = "lead_shared"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (ProviderRegistered, CoursePublished, CourseUpdated, CourseWithdrawn, FundingSchemePublished,
                FundingSchemeUpdated, SearchPerformed, SearchResultClicked, CourseViewed, IntakeSubmitted, IntakeAssigned, CallbackDueSoon,
                CallbackOverdue, IntakeOutcomeRecorded, IntakeErased, LeadShared)
}
