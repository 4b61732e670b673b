"""The intake service's contract: its RPC methods (``IntakeClient``), their request models
(intake validates into them and names every bad field), and the events it publishes (the facts
of a request: ids, never a name, address or phone number)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, ClassVar, Literal, NotRequired, TypedDict

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.chassis.clients import SessionKeeper, remote
from services.contracts import contact
from services.contracts.common import EmailAddress
from services.contracts.courses import Province, Situation, Strict
from services.contracts.events import Event

Name = Annotated[str, Field(min_length=1, max_length=200)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=2, max_length=40)]
IntakeStatus = Literal["new", "in_progress", "advised", "enrolled", "closed"]
StepType = Literal["call_attempted", "waiting_for_person", "advice_given", "enrolled", "closed"]


# step: (the statuses it may follow, the status it leads to). Intake refuses any other step (409);
# the advisors' page offers only the steps that can follow the request's status.
STEPS: dict[str, tuple[frozenset[str], str]] = {
    "call_attempted": (frozenset({"new", "in_progress"}), "in_progress"),
    "waiting_for_person": (frozenset({"new", "in_progress"}), "in_progress"),
    "advice_given": (frozenset({"new", "in_progress"}), "advised"),
    "enrolled": (frozenset({"in_progress", "advised"}), "enrolled"),
    "closed": (frozenset({"new", "in_progress", "advised", "enrolled"}), "closed"),
}


def steps_after(status: str) -> list[str]:
    """The steps that can follow ``status``, in the order an advisor takes them."""
    return [step for step, (after, _) in STEPS.items() if status in after]


class NewIntake(Strict):
    """``POST /api/v1/intakes``. The contact fields are checked by the intake's own rules
    (email-validator, phonenumbers, postcodes) so their messages are Dutch and name the field."""
    what: ClassVar[str] = "intake request"

    course_id: str | None = None
    search_id: Annotated[str, Field(max_length=64)] | None = None
    situation: Situation
    name: Name
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    message: Annotated[str, Field(max_length=2000)] | None = None
    preferred_contact: Literal["phone", "email"]
    language: Literal["nl", "en"] = "nl"
    share_with_provider: bool = False
    consent: bool
    website: Annotated[str, Field(max_length=500)] | None = None    # the honeypot: people leave it empty

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError(contact.said("consent"))
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _all_at_once(cls, data, handler):
        """Every bad field in one round: the contact rules (``contracts/contact.py``) run beside
        the fields' own checks, not after them."""
        try:
            model, errors = handler(data), []
        except ValidationError as exc:
            model, errors = None, exc.errors()
        if isinstance(data, dict):
            text = {k: data.get(k) if isinstance(data.get(k), str) else None for k in ("email", "phone", "postcode")}
            _, found = contact.contact_details(text["email"], text["phone"], text["postcode"],
                                               data.get("preferred_contact"))
            flagged = {e["loc"][0] for e in errors if e.get("loc")}
            errors += [{"type": PydanticCustomError("contact", e["message"]), "loc": (e["field"],),
                        "input": data.get(e["field"])} for e in found if e["field"] not in flagged]
        if errors:
            order = {name: i for i, name in enumerate(cls.model_fields)}
            errors.sort(key=lambda e: order.get(e["loc"][0] if e.get("loc") else "", len(order)))
            raise ValidationError.from_exception_data(cls.__name__, [
                {"type": e["type"], "loc": e["loc"], "input": e.get("input"), **({"ctx": e["ctx"]} if e.get("ctx")
                                                                                    else {})}
                for e in errors])
        return model


# a clock time without a zone: "time-local" in the document (NL API Design Rules, /core/date-time)
ClockTime = Annotated[time, Field(json_schema_extra={"format": "time-local"})]


class NewTeam(Strict):
    what: ClassVar[str] = "advisor team"

    code: Slug
    name: Name
    provinces: list[Province] = []
    postcode_ranges: list[tuple[Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")],
                                Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")]]] = []
    email: EmailAddress | None = None
    phone: Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9][0-9 ()-]{5,18}$", description=(
        "the team's number people can call, shown on their status page"))] | None = None
    working_hours: Annotated[float, Field(gt=0, le=200)] = 16
    opens: ClockTime = time(9, 0)
    closes: ClockTime = time(17, 0)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = [0, 1, 2, 3, 4]    # Monday 0 .. Sunday 6
    closed_on_public_holidays: bool = True
    closed_on_good_friday: bool = False
    closed_on_liberation_day: bool = False
    closing_days: list[date] = []

    @field_validator("opens", "closes")
    @classmethod
    def _clock_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a clock time without a zone: the team's own hours, Amsterdam time")
        return value

    @model_validator(mode="after")
    def _ranges_and_hours(self):
        for i, (low, high) in enumerate(self.postcode_ranges):
            if int(low) > int(high):
                raise ValueError(f"postcode_ranges.{i}: the first postcode comes before the second")
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class NewAdvisor(Strict):
    what: ClassVar[str] = "advisor"

    name: Name
    email: EmailAddress
    team: Slug


class NewStep(Strict):
    """``POST /api/v1/intakes/{id}/events``: ``until`` (waiting_for_person) is the moment agreed
    with the person to call again."""
    type: StepType
    note: Annotated[str, Field(max_length=4000)] | None = None
    until: datetime | None = None

    @model_validator(mode="after")
    def _until(self):
        if self.type == "waiting_for_person" and self.until is None:
            raise ValueError("waiting_for_person needs until: the moment agreed with the person")
        if self.until is not None and self.until.tzinfo is None:
            raise ValueError("until needs a time zone offset")
        return self


# the consent a person gives with a request, as the pages show it; its version is recorded with it
CONSENT_VERSION = "2026-12-01"
CONSENT_TEXT = {
    "nl": ("Ik geef toestemming dat het Leerwerkloket in mijn regio mijn gegevens gebruikt om mij terug te bellen "
           "over scholing. Mijn gegevens worden niet langer dan een jaar na afloop bewaard. Ik kan ze altijd inzien, "
           "downloaden en laten wissen met de link die ik krijg."),
    "en": ("I agree that the Leerwerkloket of my region uses my details to call me back about training. My details "
           "are kept no longer than a year after my request is finished. I can always see, download and erase them "
           "with the link I receive."),
}


class IntakeFacts(Event):
    """What every intake event says of its request: ids and non-personal facts only (never a
    name, an e-mail address or a phone number: analytics keeps every event for years)."""

    source = "intake"
    subject = "intake_id"

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


def reference(intake_id: str) -> str:
    """A request's reference as a person reads it out on the phone: ``SA-1A2B-3C4D`` (the start of
    its id; the advisors' list finds a request by it)."""
    hexa = str(intake_id).replace("-", "")[:8].upper()
    return f"SA-{hexa[:4]}-{hexa[4:]}"


class IntakeReceipt(TypedDict):
    """What a person gets back for a request: the team that calls, by when, and the token of
    their status, export and erasure links (None for what a bot sent: nothing was kept)."""

    id: str
    status: str
    team: str | None
    callback_due_by: str | None
    token: str | None
    already_requested: NotRequired[bool]    # the same person asked the same that day: their request


class IntakeClient(SessionKeeper):
    """The intake service's RPC methods."""

    service = "intake"

    # teams and advisors

    @remote
    def create_team(self, team: NewTeam) -> dict:
        """A new advisor team."""

    @remote
    def list_teams(self) -> list[dict]:
        """The teams, landelijk first."""

    @remote
    def create_advisor(self, advisor: NewAdvisor) -> dict:
        """A new advisor with its token (shown once)."""

    @remote
    def revoke_advisor(self, advisor_id: str) -> None:
        """The advisor's token stops working."""

    @remote
    def authenticate_advisor(self, token: str) -> dict:
        """The advisor whose token this is (id, name, team); Unauthorized if none."""

    # the person

    @remote
    def submit_intake(self, intake: NewIntake, client_address: str | None = None,
                      request_id: str | None = None) -> IntakeReceipt:
        """A person's request; ``request_id`` becomes its id (the same request twice is one)."""

    @remote
    def intake_status(self, intake_id: str, token: str) -> dict:
        """The person's view of their request."""

    @remote
    def export_intake(self, intake_id: str, token: str) -> dict:
        """Everything held about the person, with the log of who read it."""

    @remote
    def erase_intake(self, intake_id: str, token: str) -> None:
        """The person's data erased everywhere."""

    # advisors and providers

    @remote
    def worklist(self, principal: dict, status: str | None, overdue: bool, mine: bool, words: str,
                 page: int, page_size: int) -> dict:
        """The advisors' page's list: with names (each read logged), filters and a search."""

    @remote
    def list_intakes(self, principal: dict, status: str | None, overdue: bool, page: int, page_size: int) -> dict:
        """A page of the advisor's team's requests (an admin: every team's)."""

    @remote
    def read_intake(self, principal: dict, intake_id: str) -> dict:
        """One request with the person's contact details (the read is logged)."""

    @remote
    def record_step(self, principal: dict, intake_id: str, body: dict) -> dict:
        """An advisor's step (a NewStep, checked there, after whose request it is)."""

    @remote
    def provider_leads(self, provider_id: str, page: int, page_size: int) -> dict:
        """A page of the requests about the provider's courses that may be shared."""

    @remote
    def provider_lead(self, provider: dict, intake_id: str) -> dict:
        """A shared lead's contact details (the read is logged)."""

    # other services

    @remote
    def known_course(self, course_id: str) -> dict | None:
        """What intake knows of a course (its title, provider and place), or None."""

    @remote
    def recipients(self, intake_ids: list[str]) -> dict[str, dict | None]:
        """Where notify reaches each person (None: erased)."""

    @remote
    def replay_erasures(self, intake_ids: list[str]) -> dict:
        """Publish intake_erased again for these (a consumer that missed one)."""
