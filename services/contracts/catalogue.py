"""The catalogue service's contract: its RPC methods (``CatalogueClient``), their request
models, and the events it publishes (providers, courses, funding schemes). The course and
scheme models themselves are in ``courses.py``: every service reads them."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, ClassVar, Literal, TypedDict

from pydantic import BaseModel, Field, HttpUrl

from services.chassis.clients import SessionKeeper, remote
from services.contracts.courses import Course, CourseStatus, FundingSchemeInput, ProviderKind, Strict
from services.contracts.events import Event


class NewProvider(Strict):
    what: ClassVar[str] = "provider"

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: ProviderKind
    website: HttpUrl | None = None
    kvk_number: Annotated[str, Field(pattern=r"^[0-9]{8}$")] | None = None


# a bulk import's ``mode``: upsert only, or a full sync that also withdraws what its file lacks
UPSERT, FULL_SYNC = "upsert", "full-sync"


IMPORT_MODES = (UPSERT, FULL_SYNC)


class NewOoapiEndpoint(Strict):
    """``PUT /api/v1/providers/me/ooapi``: where the provider's OOAPI v5 API is, to sync from."""
    base_url: str = Field(max_length=2000, description=(
        "the OOAPI base URL (its /courses is read): https; http on loopback in development"))
    authorization: Annotated[str, Field(min_length=1, max_length=4000)] | None = Field(default=None, description=(
        "the Authorization header the endpoint wants (e.g. 'Bearer ...'): stored encrypted, never shown back; "
        "left out, the stored one is kept; null removes it"))
    schedule: Literal["nightly", "manual"] = Field(default="nightly", description=(
        "nightly: a sync every night (and on demand); manual: only on demand"))
    higher_education: Literal["hbo", "wo"] = Field(default="hbo", description=(
        "what a bachelor or master is when the endpoint does not say"))


class ProviderRegistered(Event):
    event_type = "provider_registered"
    source = "catalogue"
    subject = "provider_id"

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
    subject = "course_id"

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
    subject = "code"

    code: str
    scheme: FundingSchemeInput
    # every change raises it: a consumer ignores an older one that arrives late
    version: int = 1


class FundingSchemeUpdated(FundingSchemePublished):
    """Its publisher or an admin changed a scheme: ended it early (``valid_until``), corrected it."""

    event_type = "funding_scheme_updated"


class CourseVersion(TypedDict):
    course_id: str
    version: int


class CatalogueClient(SessionKeeper):
    """The catalogue service's RPC methods. An ``actor`` is who did it, as ``Principal.actor`` says it
    (``provider:<id>``, with ``:member:<id>`` when a member signed in as themselves); None: the provider."""

    service = "catalogue"

    # providers and their credentials

    @remote
    def register_provider(self, provider: NewProvider) -> dict:
        """A new provider with its API key (shown once)."""

    @remote
    def list_providers(self) -> list[dict]:
        """Every provider (admin)."""

    @remote
    def authenticate_provider(self, api_key: str) -> dict:
        """The provider whose key this is (id, name, kind); Unauthorized if none."""

    @remote
    def rotate_api_key(self, provider_id: str, actor: str = "admin") -> dict:
        """A new API key for the provider, made by ``actor``; the old one stops working."""

    @remote
    def api_key_of(self, provider_id: str) -> dict:
        """``{"active", "made_by", "made_by_name", "made_at", "last_used_at"}`` of the provider's key."""

    @remote
    def revoke_api_key(self, provider_id: str) -> dict:
        """The provider's key revoked."""

    # OOAPI endpoints

    @remote
    def set_ooapi_endpoint(self, provider_id: str, body: dict) -> dict:
        """Register or change the provider's OOAPI endpoint (a NewOoapiEndpoint, checked there)."""

    @remote
    def get_ooapi_endpoint(self, provider_id: str) -> dict:
        """The registered endpoint, its schedule and last sync."""

    @remote
    def delete_ooapi_endpoint(self, provider_id: str) -> None:
        """Stop syncing from it."""

    @remote
    def request_ooapi_sync(self, provider_id: str) -> dict:
        """A full sync now: ``{"import_id", "status"}``."""

    # courses

    @remote
    def create_course(self, provider_id: str, course: dict, publish: bool = False, actor: str | None = None) -> dict:
        """A new course (a CourseInput, checked there), published at once with ``publish``."""

    @remote
    def get_course(self, course_id: str, provider_id: str | None = None, situation: str | None = None) -> dict:
        """A course (a draft only for its provider); with ``situation``, its net_price_from."""

    @remote
    def update_course(self, provider_id: str, course_id: str, expected_version: int, course: dict | None,
                      actor: str | None = None) -> dict:
        """Replace a course changed from ``expected_version`` (``course`` None: only whose it is is checked)."""

    @remote
    def publish_course(self, provider_id: str, course_id: str, actor: str | None = None) -> dict:
        """Publish a draft or withdrawn course."""

    @remote
    def withdraw_course(self, provider_id: str, course_id: str, actor: str | None = None) -> dict:
        """Withdraw a published course."""

    @remote
    def delete_course(self, provider_id: str, course_id: str) -> None:
        """Delete a draft."""

    @remote
    def course_history(self, provider_id: str, course_id: str) -> list[dict]:
        """Who changed what, when."""

    @remote
    def list_provider_courses(self, provider_id: str, page: int = 1, page_size: int = 20, status: str | None = None,
                              external_id: str | None = None) -> dict:
        """A page of the provider's courses."""

    @remote
    def list_published_courses(self, after: str | None = None, limit: int = 500) -> list[dict]:
        """Published courses by id after ``after`` (search builds its index from them)."""

    @remote
    def course_versions(self, after: str | None = None, limit: int = 1000) -> list[CourseVersion]:
        """Every course's id and version by id after ``after`` (search's reconciliation)."""

    # imports

    @remote
    def start_import(self, provider_id: str, fmt: str, mode: str, actor: str | None = None) -> str:
        """A new import's id."""

    @remote
    def import_courses(self, provider_id: str, import_id: str, items: list[dict], seq: int | None = None,
                       rejected_before: list[dict] | None = None) -> dict:
        """One batch of an import: accepted and rejected."""

    @remote
    def touch_import(self, provider_id: str, import_id: str) -> bool:
        """The import is still alive (a slow upload's heartbeat); False once it is not running."""

    @remote
    def finish_import(self, provider_id: str, import_id: str, full_sync: bool, failure: str | None = None) -> dict:
        """The import's end (a full sync withdraws what it lacked), or its failure."""

    @remote
    def list_imports(self, provider_id: str, import_id: str | None = None) -> list[dict]:
        """The provider's imports, newest first (or the one asked for)."""

    # funding schemes

    @remote
    def publish_funding_scheme(self, published_by: str, scheme: dict) -> dict:
        """A new funding scheme (a FundingSchemeInput, checked there)."""

    @remote
    def change_funding_scheme(self, changed_by: str, code: str, expected_version: int, scheme: dict) -> dict:
        """A scheme replaced by its publisher or an admin."""

    @remote
    def get_funding_scheme(self, code: str) -> dict:
        """A scheme, valid today or not."""

    @remote
    def list_funding_schemes(self, expired_too: bool = False) -> list[dict]:
        """The schemes valid today (with ``expired_too``, every one)."""
