"""The course model of the public API: what a provider sends (``CourseInput``) and what the
platform stores and tells others (``Course``). Validation errors name the field path."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, ValidationInfo, field_validator, model_validator

Level = Literal[
    "praktijkleren", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo-associate-degree",
    "hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master", "nt2", "geen",
]
Sector = Literal[
    "bouw", "techniek", "zorg-welzijn", "ict", "logistiek", "handel-retail", "horeca-toerisme",
    "onderwijs", "overheid", "financiele-dienstverlening", "landbouw-groen", "industrie",
    "energie", "cultuur-media", "transport", "schoonmaak-facilitair", "algemeen",
]
Province = Literal["Drenthe", "Flevoland", "Friesland", "Gelderland", "Groningen", "Limburg", "Noord-Brabant",
                   "Noord-Holland", "Overijssel", "Utrecht", "Zeeland", "Zuid-Holland"]
Situation = Literal["eigen-werk", "andere-sector", "werkgever", "werkzoekend", "zelfstandige"]
Credential = Literal[
    "diploma", "certificaat", "deelcertificaat", "microcredential", "bewijs-van-deelname", "geen",
]
Mode = Literal["klassikaal", "online", "blended", "incompany"]
OfferingStatus = Literal["open", "full", "closed", "cancelled"]
CourseStatus = Literal["draft", "published", "withdrawn"]
ProviderKind = Literal["oo-fonds", "brancheorganisatie", "onderwijsinstelling", "opleider", "overheid"]

ExternalId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")]
Slug = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")]


def iso_639_1(code: str) -> str | None:
    """Our language code (ISO 639-1, two letters) for an ISO 639-1 or 639-2 code (three letters,
    terminology or bibliographic form: ``nld``, ``dut``), or for a language tag (RFC 3066:
    ``nl-NL``, its first part); None for no language, or one without a two-letter code. From
    pycountry's copy of the ISO tables."""
    code = code.strip().lower().replace("_", "-").split("-")[0]
    if len(code) == 2:
        language = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        language = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    else:
        language = None
    return getattr(language, "alpha_2", None)


class Strict(BaseModel):
    """Unknown fields are rejected with their name instead of silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Location(Strict):
    street: Annotated[str, Field(max_length=200, description="street and number, shown on the course page")] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    # Filled in by the platform when it resolves the place; a provider need not send them.
    lat: float | None = None
    lon: float | None = None
    province: str | None = None

    @model_validator(mode="after")
    def _city_or_postcode(self):
        if not self.city and not self.postcode:
            raise ValueError("a location needs a city or a postcode")
        return self


class Offering(Strict):
    external_id: ExternalId
    start_date: date
    end_date: date
    mode: Mode
    location: Location | None = Field(default=None, validate_default=True)
    price_eur: Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)]
    seats_available: Annotated[int, Field(ge=0)] | None = None
    status: OfferingStatus = "open"
    schedule: Annotated[str, Field(max_length=200, description=(
        "when the lessons are, in words: 'dinsdagavond 19.00-21.30, 8 weken'"))] | None = None

    @field_validator("price_eur")
    @classmethod
    def _cents(cls, price: Decimal) -> Decimal:
        return price.quantize(Decimal("0.01"))  # always two decimals: "295.00"

    # field validators (not a model validator) so the error names the field itself
    @field_validator("end_date")
    @classmethod
    def _end_not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start_date")
        if start is not None and end < start:
            raise ValueError("end_date is before start_date")
        return end

    @field_validator("location")
    @classmethod
    def _location_unless_online(cls, location, info: ValidationInfo):
        mode = info.data.get("mode")
        if location is None and mode is not None and mode != "online":
            raise ValueError(f"an offering with mode {mode!r} needs a location")
        return location


def _one_line(text: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("must be one line: no line breaks or other control characters")
    return text


# a title is shown in mails, pages and subjects: a line break would start a paragraph of its own
OneLine = Annotated[str, AfterValidator(_one_line)]


class CourseInput(Strict):
    """A course as a provider sends it (POST/PUT /api/v1/courses)."""

    external_id: ExternalId
    title: Annotated[OneLine, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=20000)] = ""
    keywords: list[Annotated[OneLine, Field(min_length=1, max_length=60)]] = Field(default_factory=list, max_length=50)
    level: Level
    sectors: list[Sector] = Field(default_factory=list, max_length=17)
    situations: list[Situation] = Field(default_factory=list, max_length=5)
    credential: Credential = "geen"
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(default_factory=lambda: ["nl"])
    study_load_hours: Annotated[int, Field(ge=0, le=10000)] | None = None
    entry_requirements: Annotated[str, Field(max_length=2000, description=(
        "what a person needs before starting (a diploma, a driving licence, a language level), in words"))] = ""
    url: HttpUrl | None = None
    funding_schemes: list[Slug] = Field(default_factory=list, max_length=50)
    offerings: list[Offering] = Field(default_factory=list, max_length=1000)

    @field_validator("languages", mode="before")
    @classmethod
    def _languages_in_lower_case(cls, languages):
        # 'NL' in a spreadsheet's languages column means nl
        return [v.strip().lower() if isinstance(v, str) else v for v in languages] if isinstance(languages, list) else languages

    @field_validator("offerings")
    @classmethod
    def _unique_offerings(cls, offerings: list[Offering]) -> list[Offering]:
        seen = set()
        for offering in offerings:
            if offering.external_id in seen:
                raise ValueError(f"offering external_id {offering.external_id!r} appears twice")
            seen.add(offering.external_id)
        return offerings


class ProviderRef(BaseModel):
    id: uuid.UUID
    name: str


# What the platform sets on a course and a provider may not: a PUT that sends them back (a client
# that read the course, changed a field and sent it whole, or reused its POST body) has them
# ignored, while any other unknown field is still refused.
PLATFORM_SET_FIELDS = frozenset({"id", "version", "status", "provider", "quality", "created_at", "updated_at",
                                 "publish"})


class Course(CourseInput):
    """A course as the platform holds it: the provider's input plus identity and lifecycle."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    version: int
    status: CourseStatus
    provider: ProviderRef
    created_at: datetime
    updated_at: datetime


class FundingSchemeInput(Strict):
    """A funding scheme (regeling) as an admin or an O&O-fonds publishes it."""

    code: Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z0-9-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    funder: Annotated[str, Field(min_length=1, max_length=200)]
    valid_from: date
    valid_until: date | None = None
    max_amount_eur: Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)] | None = None
    eligible_sectors: list[Sector] = Field(default_factory=list)
    eligible_situations: list[Situation] = Field(default_factory=list)
    eligible_levels: list[Level] = Field(default_factory=list)

    @field_validator("valid_until")
    @classmethod
    def _until_not_before_from(cls, until: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if until is not None and start is not None and until < start:
            raise ValueError("valid_until is before valid_from")
        return until


class FundingScheme(FundingSchemeInput):
    """A funding scheme as the platform answers it: its input and its version (``If-Match``)."""

    version: int


class NetPrice(BaseModel):
    """What may remain to pay for a course after a funding scheme (``net_price_from``): the
    lowest price among the offerings considered, less the most one fitting scheme pays."""
    price_eur: Decimal = Field(description="what may remain to pay, never below zero")
    scheme: str = Field(description="the code of the scheme it assumes (the one that pays the most)")
    before_eur: Decimal = Field(description="the lowest price it starts from, VAT included")


def scheme_open_to(scheme: dict, situation: str) -> bool:
    """A funding scheme (as JSON) is open to people in ``situation``: it lists the situation, or
    lists none (open to all)."""
    return not scheme.get("eligible_situations") or situation in scheme["eligible_situations"]


def net_price_from(prices: list[Decimal], schemes: list[tuple[str, Decimal | None]]) -> dict | None:
    """``NetPrice`` (as JSON) of the lowest of ``prices`` after the scheme of ``schemes`` (code,
    the most it pays) that pays the most: schemes are not added up (one pays, as a rule), and
    one that names no amount is not assumed to pay anything. None without a price or an amount."""
    amounts = [(Decimal(str(amount)), code) for code, amount in schemes if amount is not None]
    if not prices or not amounts:
        return None
    lowest = min(Decimal(str(p)) for p in prices)
    most, code = max(amounts, key=lambda a: (a[0], [-ord(ch) for ch in a[1]]))    # ties: the first code
    cents = Decimal("0.01")
    return {"price_eur": str(max(Decimal(0), lowest - most).quantize(cents)), "scheme": code,
            "before_eur": str(lowest.quantize(cents))}
