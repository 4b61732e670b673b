"""What each event means for the reports, declared once: a function per event type turns the
typed event into rows of the narrow ``facts`` table (one fact each: a search, a view, an intake,
...), written in the same batch as the archive. The demand per day, the zero-result searches,
the funnel and the reports are GROUP BYs over these rows; nothing else reads an event's payload
for its meaning.

A fact's dimensions are what the event says: a search's are its filters (the one value chosen,
``meerdere`` for several, ``-`` for none); a fact about a course leaves them empty (None) and the
roll-up takes the course's own, as the catalogue last announced it."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from typing import Callable

from pydantic import ValidationError

from services.chassis.texts import AMSTERDAM
from services.contracts.catalogue import FundingSchemePublished
from services.contracts.events import Event, EventEnvelope
from services.contracts.intake import IntakeOutcomeRecorded, IntakeSubmitted
from services.contracts.registry import EVENT_TYPES
from services.contracts.search import CourseViewed, SearchPerformed, SearchResultClicked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fact:
    fact: str                               # what happened: search, zero_result, view, intake, ...
    course_id: str | None = None
    search_id: str | None = None
    intake_id: str | None = None
    sector: str | None = None               # None: the course's
    level: str | None = None
    province: str | None = None
    situation: str = "-"
    # a search that found nothing: its words, why (nothing, elsewhere, filtered_out), the nearest
    # place that has it, and who searched (a keyed hash that changes daily)
    query: str | None = None
    kind: str | None = None
    place: str | None = None
    client: str | None = None


@dataclass(frozen=True)
class Count:
    """A count the demand rollup keeps per day and dimension: of one fact."""
    column: str                             # as the demand and supply reports name it
    fact: str
    people: bool = False                    # a count of people: hidden in a report when small


FACTS: dict[str, Callable[[Event], list[Fact]]] = {}


def of(event: type[Event]):
    """The facts of one event type."""
    def declare(function):
        FACTS[event.event_type] = function
        return function
    return declare


# the counts of the demand rollup, in the order the demand report shows them
DEMAND = (Count("searches", "search"), Count("zero_result_searches", "zero_result"), Count("clicks", "click"),
          Count("views", "view"), Count("intakes", "intake", people=True), Count("advice", "advice", people=True),
          Count("enrolments", "enrolment", people=True), Count("schemes_published", "scheme_published"))
# the funnel: its steps in order, each the facts that make it (a search's first view or click,
# then its first intake, that intake's advice and enrolment)
FUNNEL = (("search",), ("view", "click"), ("intake",), ("advice",), ("enrolment",))


def one_of(values) -> str:
    """A filter list as one dimension value."""
    return "-" if not values else values[0] if len(values) == 1 else "meerdere"


@of(SearchPerformed)
def searched(e: SearchPerformed) -> list[Fact]:
    filters = e.filters or {}
    province = one_of(filters.get("province"))
    dims = {"search_id": e.search_id, "sector": one_of(filters.get("sector")), "level": one_of(filters.get("level")),
            "province": province if province != "-" else (e.place or {}).get("province") or "-",
            "situation": filters.get("situation") or "-"}
    facts = [Fact("search", **dims)]
    if e.zero_results:
        facts.append(Fact("zero_result", **dims, query=e.query, kind=e.zero_kind or "nothing",
                          place=e.nearest_place, client=e.client))
    return facts


@of(SearchResultClicked)
def clicked(e: SearchResultClicked) -> list[Fact]:
    return [Fact("click", course_id=str(e.course_id), search_id=e.search_id)]


@of(CourseViewed)
def viewed(e: CourseViewed) -> list[Fact]:
    return [Fact("view", course_id=str(e.course_id), search_id=e.search_id)]


@of(IntakeSubmitted)
def asked(e: IntakeSubmitted) -> list[Fact]:
    return [Fact("intake", course_id=e.course_id and str(e.course_id), search_id=e.search_id,
                 intake_id=str(e.intake_id), situation=e.situation)]


@of(FundingSchemePublished)
def scheme_published(e: FundingSchemePublished) -> list[Fact]:
    """A new funding scheme, counted for the sectors, levels and situations it is for."""
    scheme = e.scheme
    return [Fact("scheme_published", sector=one_of(scheme.eligible_sectors), level=one_of(scheme.eligible_levels),
                 province="-", situation=one_of(scheme.eligible_situations))]


STEP_FACTS = {"advice_given": "advice", "enrolled": "enrolment"}


@of(IntakeOutcomeRecorded)
def outcome(e: IntakeOutcomeRecorded) -> list[Fact]:
    if e.step not in STEP_FACTS:
        return []
    return [Fact(STEP_FACTS[e.step], course_id=e.course_id and str(e.course_id), intake_id=str(e.intake_id),
                 situation=e.situation)]


def of_envelopes(envelopes: list[EventEnvelope]) -> list[dict]:
    """The facts table's rows of a batch of events as they arrive."""
    return _facts([(e.event_type, e.payload, e.event_id, e.occurred_at, None) for e in envelopes])


def of_archive(archived: list[dict]) -> list[dict]:
    """The facts table's rows of archived events (``event_type``, ``payload``, ``event_id``,
    ``occurred_at``, ``received_at``): the facts of an archive from before them, and a replay's."""
    return _facts([(a["event_type"], a["payload"], a["event_id"], a["occurred_at"], a["received_at"])
                   for a in archived])


def _facts(events: list[tuple]) -> list[dict]:
    """Each event read through its contract, then its fact function. One its contract does not
    read is archived all the same and says nothing (counted in one warning per batch and type)."""
    out, unread = [], {}
    for event_type, payload, event_id, occurred_at, received_at in events:
        if event_type not in FACTS:
            continue
        try:
            event = EVENT_TYPES[event_type].model_validate(payload)
        except ValidationError:
            unread[event_type] = unread.get(event_type, 0) + 1
            continue
        rows = _rows(event, event_id, occurred_at)
        out += rows if received_at is None else [{**r, "received_at": received_at.isoformat()} for r in rows]
    for event_type, n in unread.items():
        log.warning("%d %s events do not read as their contract: archived, but no facts", n, event_type)
    return out


def _rows(event: Event, event_id, occurred_at) -> list[dict]:
    day: date = occurred_at.astimezone(AMSTERDAM).date()
    return [{**asdict(f), "event_id": str(event_id), "at": occurred_at.isoformat(), "day": day.isoformat()}
            for f in FACTS[event.event_type](event)]
