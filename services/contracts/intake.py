"""Request models of the intake service's RPC calls (the gateway passes bodies through as they
came; intake validates into these and names every bad field)."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from services.contracts.courses import Province, Situation, Strict
from services.contracts.rpc import EmailAddress

Name = Annotated[str, Field(min_length=1, max_length=200)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=2, max_length=40)]
IntakeStatus = Literal["new", "in_progress", "advised", "enrolled", "closed"]
StepType = Literal["call_attempted", "waiting_for_person", "advice_given", "enrolled", "closed"]


class NewIntake(Strict):
    """``POST /api/v1/intakes``. The contact fields are checked by the intake's own rules
    (email-validator, phonenumbers, postcodes) so their messages are Dutch and name the field."""
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
            raise ValueError("zonder toestemming kunnen wij u niet terugbellen")
        return value


class NewTeam(Strict):
    code: Slug
    name: Name
    provinces: list[Province] = []
    postcode_ranges: list[tuple[Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")],
                                Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")]]] = []
    email: EmailAddress | None = None
    working_hours: Annotated[float, Field(gt=0, le=200)] = 16
    opens: time = time(9, 0)
    closes: time = time(17, 0)
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
