"""Request and response models of the RPC calls between the gateway and the services."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, get_origin

from pydantic import AfterValidator, BaseModel, Field, HttpUrl, field_validator

from services.contracts.courses import Level, Mode, NetPrice, Province, ProviderKind, Sector, Situation, Strict


class NewProvider(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: ProviderKind
    website: HttpUrl | None = None
    kvk_number: Annotated[str, Field(pattern=r"^[0-9]{8}$")] | None = None


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email     # syntax only: no DNS here
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not an e-mail address: {exc}") from None


EmailAddress = Annotated[str, Field(max_length=254), AfterValidator(_email)]


class NewAnalyst(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: EmailAddress


# a bulk import's ``mode``: upsert only, or a full sync that also withdraws what its file lacks
UPSERT, FULL_SYNC = "upsert", "full-sync"
IMPORT_MODES = (UPSERT, FULL_SYNC)


class SearchRequest(Strict):
    """``GET /api/v1/search`` query parameters (the public contract: /openapi.json)."""

    q: Annotated[str, Field(max_length=200)] | None = None
    situation: Situation | None = None
    level: list[Level] = Field(default_factory=list)
    sector: list[Sector] = Field(default_factory=list)
    mode: list[Mode] = Field(default_factory=list)
    province: list[Province] = Field(default_factory=list)
    # taught in any of these (ISO 639-1: nl, en, pl, ro, ar, ...)
    language: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(default_factory=list, max_length=20)
    near: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    radius_km: Annotated[float, Field(gt=0, le=300)] = 25
    start_from: date | None = None
    start_to: date | None = None
    max_price: Annotated[Decimal, Field(ge=0)] | None = None
    funding: Annotated[str, Field(max_length=60)] | None = None
    sort: Literal["relevance", "start_date", "price", "distance"] = "relevance"
    page: Annotated[int, Field(ge=1, le=1000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 20

    @field_validator("language", mode="before")
    @classmethod
    def _language_in_lower_case(cls, codes):
        return [c.strip().lower() if isinstance(c, str) else c for c in codes] if isinstance(codes, list) else codes


# the search fields that repeat (``?level=2&level=3``): the request model's lists
SEARCH_LISTS = frozenset(name for name, f in SearchRequest.model_fields.items() if get_origin(f.annotation) is list)


def search_params(args) -> dict:
    """A query string's values (werkzeug's MultiDict) as a SearchRequest takes them."""
    return {key: args.getlist(key) if key in SEARCH_LISTS else args.get(key) for key in args.keys()}


# a list answer's paging (``GET /api/v1/providers/me/courses``): a page further than any list
# goes is a 422, not an offset the database cannot hold
LIST_MAX_PAGE = 100_000
LIST_MAX_PAGE_SIZE = 100


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


class SearchResponse(BaseModel):
    total: int
    page: int
    page_size: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
    search_id: str
    profile: Profile | None = None
    query: dict | None = Field(default=None, description=(
        "how the words were read: {synonyms_version, words: [{word, matches}], all_words, place?}; "
        "all_words is false when no course had every word and the hits have some of them; place, "
        "when the words named one at their end or start (heftruck rotterdam): {words, near, radius_km, "
        "found} (searched near that city) or {words, province, found}; found is how many courses were "
        "found there, and 0 means none were: the hits are then of the words as typed, anywhere"))
    zero_results: ZeroResults | None = Field(default=None, description=(
        "when nothing was found, why: nothing anywhere, found only elsewhere (the nearest place that "
        "has it), or found but outside the dates, price or funding asked"))


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
