"""The intake rules, pure (no nameko, no SQL): what a valid request is, which team takes it, by
when it must be called back, and which steps an advisor may record. Each has its named cases in
tests/intake/test_domain.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from services import places
from services.chassis import quota, tokens
from services.contracts import contact, intake as intake_contract
from services.chassis.errors import Conflict, ValidationFailed

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NATIONAL_TEAM = "landelijk"
CONSENT_VERSION = intake_contract.CONSENT_VERSION   # the version of the consent text the pages show
TOKEN_PREFIX = {"person": "int_", "advisor": "adv_"}
PERSONAL_FIELDS = ("name", "email", "phone", "postcode", "message")   # erased; never in an event

# ---------------------------------------------------------------- tokens


def new_token(kind: str) -> str:
    return tokens.new_token(TOKEN_PREFIX[kind])


def worklist_search(words: str) -> dict | None:
    """An advisor's search of the team's list: a name (any part), a phone number (its last nine
    digits, however typed) or a reference (``SA-1A2B-3C4D``), as LIKE patterns; None for nothing."""
    words = " ".join(words.split())[:100]
    if not words:
        return None
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    digits = "".join(ch for ch in words if ch.isdigit())
    hexa = words.upper().removeprefix("SA").replace("-", "").replace(" ", "")
    return {"name": f"%{escaped}%", "phone": f"%{digits[-9:]}" if len(digits) >= 6 else "",
            "id": f"{hexa[:8].lower()}%" if len(hexa) == 8 and all(c in "0123456789ABCDEF" for c in hexa) else ""}


# a second request of the same person for the same course or situation within this time is the first
SAME_REQUEST_WINDOW = timedelta(days=1)

# how long intake keeps a person's token for the confirmation mail: longer than notify's retries
MAIL_TOKEN_DAYS = 2


def body_hash(key: str, new) -> str:
    """What a request asked, as a keyed hash: the same Idempotency-Key with another body is
    another request, refused (it must never be answered with the first one's token)."""
    return tokens.keyed_hash(key, new.model_dump_json())


keyed_hash = tokens.keyed_hash
wait_for_limit = quota.wait_for_limit

# ---------------------------------------------------------------- contact details
# (the rules are part of intake's contract: the gateway checks a request with them too)

phone_number, email_address, postcode = contact.phone_number, contact.email_address, contact.postcode
contact_details = contact.contact_details

# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class Region:
    """What an advisor team claims: provinces and four-digit postcode ranges."""
    code: str
    provinces: tuple[str, ...] = ()
    postcode_ranges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Whereabouts:
    """A postcode's four digits and province (either may be unknown)."""
    digits: int | None = None
    province: str | None = None


def whereabouts(postcode_text: str | None, province: str | None = None) -> Whereabouts:
    """Where a postcode (or just a province) is, for routing."""
    if not postcode_text:
        return Whereabouts(None, province)
    digits = int(postcode_text[:4])
    try:
        province = places.postcode(postcode_text).province or province
    except places.UnknownPlace:
        pass
    return Whereabouts(digits, province)


def route(regions: list[Region], person: Whereabouts | None, course_place: Whereabouts | None) -> str:
    """The team code: the person's postcode decides (a postcode range before a province);
    without one, the place of the course's next offering; else the national team."""
    for where in (person, course_place):
        if where is None or (where.digits is None and where.province is None):
            continue
        if where.digits is not None:
            for region in regions:
                if any(low <= where.digits <= high for low, high in region.postcode_ranges):
                    return region.code
        if where.province:
            for region in regions:
                if where.province in region.provinces:
                    return region.code
        return NATIONAL_TEAM       # a known place no region claims
    return NATIONAL_TEAM


def region_conflict(new: Region, others: list[Region]) -> dict | None:
    """The field a new team's claim overlaps another's on (409), or None."""
    for other in others:
        if other.code == new.code:
            return {"field": "code", "message": f"team {new.code} exists"}
        shared = set(new.provinces) & set(other.provinces)
        if shared:
            return {"field": "provinces", "message": f"{', '.join(sorted(shared))} belongs to team {other.code}"}
        for low, high in new.postcode_ranges:
            for o_low, o_high in other.postcode_ranges:
                if low <= o_high and o_low <= high:
                    return {"field": "postcode_ranges",
                            "message": f"{low}-{high} overlaps {o_low}-{o_high} of team {other.code}"}
    return None

# ---------------------------------------------------------------- the deadline


@dataclass(frozen=True)
class Calendar:
    """A team's office: working hours a callback may take, office hours, and the days it is
    closed beyond weekends and the Dutch public holidays (``holidays``' list)."""
    working_hours: float = 16            # two working days
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))   # Monday 0 .. Sunday 6
    closed_on_public_holidays: bool = True
    closed_on_good_friday: bool = False  # Goede Vrijdag is not a day off for everyone
    closed_on_liberation_day: bool = False   # 5 May outside lustrum years (in them it is a holiday)
    closing_days: frozenset[date] = field(default_factory=frozenset)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=year, language="nl"))


def is_working_day(day: date, calendar: Calendar) -> bool:
    if day.weekday() not in calendar.weekdays or day in calendar.closing_days:
        return False
    name = _public_holidays(day.year).get(day) if calendar.closed_on_public_holidays else None
    if name is not None:
        return name.lower() == "goede vrijdag" and not calendar.closed_on_good_friday
    if day.month == 5 and day.day == 5 and calendar.closed_on_liberation_day:
        return False
    return True


def _opening(day: date, calendar: Calendar) -> datetime:
    return datetime.combine(day, calendar.opens, AMSTERDAM)


def _closing(day: date, calendar: Calendar) -> datetime:
    return datetime.combine(day, calendar.closes, AMSTERDAM)


def add_working_time(start: datetime, working: timedelta, calendar: Calendar) -> datetime:
    """The moment ``working`` office time after ``start`` (office hours on working days,
    Europe/Amsterdam). Office hours hold no daylight-saving switch, so each day's hours are
    counted on its wall clock."""
    local = start.astimezone(AMSTERDAM)
    day, left = local.date(), working
    moment = max(local, _opening(day, calendar))
    while True:
        if is_working_day(day, calendar) and moment < _closing(day, calendar):
            available = _closing(day, calendar) - moment
            if left <= available:
                return moment + left
            left -= available
        day += timedelta(days=1)
        moment = _opening(day, calendar)


def working_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Office time from ``start`` to ``end`` (zero when ``end`` is not later)."""
    total, day = timedelta(0), start.astimezone(AMSTERDAM).date()
    end_local = end.astimezone(AMSTERDAM)
    while day <= end_local.date():
        if is_working_day(day, calendar):
            low = max(start.astimezone(AMSTERDAM), _opening(day, calendar))
            high = min(end_local, _closing(day, calendar))
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total


def callback_due_by(received_at: datetime, calendar: Calendar) -> datetime:
    """When a request received at ``received_at`` must have been called back: the team's
    working hours counted in office hours from then."""
    return add_working_time(received_at, timedelta(hours=calendar.working_hours), calendar)


def due_soon_at(received_at: datetime, calendar: Calendar) -> datetime:
    """When three quarters of the allowed working time have passed: the advisors are warned."""
    return add_working_time(received_at, timedelta(hours=calendar.working_hours * 0.75), calendar)


def resumed_deadline(paused_at: datetime, due: datetime, until: datetime, calendar: Calendar) -> datetime:
    """``waiting_for_person``: the clock stops at ``paused_at`` and runs again from ``until``
    (the moment agreed with the person) with the working time that was left."""
    return add_working_time(until, working_time_between(paused_at, due, calendar), calendar)


def in_office_hours(moment: datetime, calendar: Calendar) -> bool:
    local = moment.astimezone(AMSTERDAM)
    return (is_working_day(local.date(), calendar)
            and _opening(local.date(), calendar) <= local <= _closing(local.date(), calendar))

# ---------------------------------------------------------------- the advisor's steps


STEPS = intake_contract.STEPS    # step: (statuses it may follow, the status it leads to)
# once advice is given (or the request is closed) the callback has happened: no more warnings
CALLBACK_DONE = {"advised", "enrolled", "closed"}


def next_status(status: str, step: str) -> str:
    """The status after ``step``; Conflict (409) when the step cannot follow ``status``."""
    if step not in STEPS:
        raise ValidationFailed("unknown step", [{"field": "type", "message": f"one of {', '.join(STEPS)}"}])
    allowed, leads_to = STEPS[step]
    if status not in allowed:
        raise Conflict(f"{step} cannot follow status {status}",
                       [{"field": "type", "message": f"not possible when the intake is {status}"}])
    return leads_to
