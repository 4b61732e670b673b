"""The search service's contract: its RPC methods (``SearchClient``), the search request and
answer (the public contract of ``GET /api/v1/search``), and the demand events it publishes
(searches, clicks, views: no personal data)."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator

from services.chassis.clients import ServiceClient, remote
from services.contracts.courses import Mode, NetPrice, Situation, Strict
from services.contracts.events import Event
from services.contracts.filters import FILTERS, REPEATING, Filter


def _request_field(declared: Filter) -> tuple[Any, Any]:
    """A filter as a field of the request model: a list of values if it repeats, else one or none."""
    options = dict(declared.constraints)
    if declared.repeats:
        return list[declared.value], Field(default_factory=list, **options)
    default = options.pop("default", None)
    return (declared.value if default is not None else declared.value | None), Field(default=default, **options)


def _normal_forms() -> dict:
    return {f"_{f.name}_before": field_validator(f.name, mode="before")(lambda cls, v, _f=f.before: _f(v))
            for f in FILTERS if f.before}


# the words, every filter of ``contracts/filters.py``, the order and the page
SearchRequest = create_model(
    "SearchRequest", __base__=Strict, __module__=__name__, __validators__=_normal_forms(),
    __doc__="``GET /api/v1/search`` query parameters (the public contract: /openapi.json).",
    q=(Annotated[str, Field(max_length=200)] | None, None),
    **{f.name: _request_field(f) for f in FILTERS},
    sort=(Literal["relevance", "start_date", "price", "distance"], "relevance"),
    page=(Annotated[int, Field(ge=1, le=1000)], 1),
    page_size=(Annotated[int, Field(ge=1, le=100)], 20),
)


def search_params(args) -> dict:
    """A query string's values (werkzeug's MultiDict) as a SearchRequest takes them."""
    return {key: args.getlist(key) if key in REPEATING else args.get(key) for key in args.keys()}


class NextOffering(BaseModel):
    start_date: date
    mode: Mode
    city: str | None
    price_eur: Decimal


class SearchHit(BaseModel):
    course_id: str
    title: str
    provider: dict
    level: str
    sectors: list[str]
    credential: str
    snippet: str = Field(description=(
        "safe HTML: the course's text (escaped) around the matched words, which are in <mark>; no other tag"))
    next_offering: NextOffering | None = Field(description=(
        "the first open offering ahead that the search's offering filters hold for (else the course's first)"))
    distance_km: float | None = None
    situations: list[str] = Field(default_factory=list)
    funding_schemes: list[str] = Field(default_factory=list)   # its schemes valid today (that fit the profile, if one)
    languages: list[str] = Field(default_factory=list)
    net_price_from: NetPrice | None = Field(default=None, description=(
        "with a situation: what may remain to pay after the fitting scheme that pays the most, from the "
        "lowest price of the open offerings the search's offering filters hold for"))


class FundingSchemeBrief(BaseModel):
    code: str
    name: str
    funder: str
    valid_until: date | None
    max_amount_eur: Decimal | None = None


class Profile(BaseModel):
    """What ``situation=`` did to a search: courses marked for the situation ranked higher, and
    the funding schemes open to people in it."""
    situation: Situation
    boosted: bool
    funding_schemes: list[FundingSchemeBrief]


class SuggestRequest(Strict):
    q: Annotated[str, Field(min_length=2, max_length=60)]
    limit: Annotated[int, Field(ge=1, le=20)] = 8


SearchId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="the search_id of a search's answer")]


class Click(Strict):
    """``POST /api/v1/search/{search_id}/clicks``: which hit, at which place in the list."""
    search_id: SearchId
    course_id: uuid.UUID
    position: Annotated[int, Field(ge=1, le=100_000)]


class View(Strict):
    course_id: uuid.UUID
    search_id: SearchId | None = None


class ZeroResults(BaseModel):
    kind: Literal["nothing", "elsewhere", "filtered_out"]
    nearest_place: str | None = None
    distance_km: float | None = Field(default=None, description=(
        "elsewhere, from the place asked: how far the nearest place is (as the crow flies)"))


class SearchResponse(BaseModel):
    total: int
    page: int
    page_size: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
    search_id: str
    profile: Profile | None = None
    query: dict | None = Field(default=None, description=(
        "how the words were read: {synonyms_version, words: [{word, matches}], did_you_mean, all_words, place?}; "
        "did_you_mean: the words with each typo corrected, when one was (else null); "
        "all_words is false when no course had every word and the hits have some of them; place, "
        "when the words named one at their end or start (heftruck rotterdam): {words, near, radius_km, "
        "found} (searched near that city) or {words, province, found}; found is how many courses were "
        "found there, and 0 means none were: the hits are then of the words as typed, anywhere"))
    zero_results: ZeroResults | None = Field(default=None, description=(
        "when nothing was found, why: nothing anywhere, found only elsewhere (the nearest place that "
        "has it), or found but outside the dates, price or funding asked"))


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
    subject = "course_id"

    search_id: str
    course_id: uuid.UUID
    position: int


class CourseViewed(Event):
    """A course's page or API answer read, from a search when ``search_id`` says so."""

    event_type = "course_viewed"
    source = "search"
    subject = "course_id"

    course_id: uuid.UUID
    search_id: str | None = None


class SearchClient(ServiceClient):
    """The search service's RPC methods."""

    service = "search"

    @remote
    def health(self) -> dict:
        """The service and its database answer."""

    @remote
    def search(self, request: dict, client: str | None = None) -> dict:
        """A SearchResponse for a SearchRequest's values as the query string had them (checked
        there); ``client`` is who searched, as search_performed carries it."""

    @remote
    def browse(self, request: dict) -> dict:
        """A SearchResponse no person asked for (a course page's similar courses): no search_id,
        no search_performed."""

    @remote
    def suggest(self, request: dict) -> dict:
        """Words that complete a SuggestRequest's ``q``."""

    @remote
    def matching(self, request: dict, course_ids: list[str]) -> list[dict]:
        """Of ``course_ids``, the hits a SearchRequest finds (a saved search's alert)."""

    @remote
    def record_click(self, search_id: str, body: dict) -> None:
        """A hit opened from a search's result list (a Click)."""

    @remote
    def record_view(self, course_id: str, search_id: str | None) -> None:
        """A course read, from a search or not."""

    @remote
    def document_versions(self, after: str | None = None, limit: int = 1000) -> list[dict]:
        """The indexed courses' ids and versions by id after ``after`` (reconciliation)."""

    @remote
    def reindex(self) -> dict:
        """Rebuild the index from the catalogue."""
