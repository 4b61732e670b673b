"""The intake rules (services/intake/domain.py), each with its named cases: the callback
deadline (and a property test over thousands of moments), routing, contact details (a judged
table of phone numbers), the advisor's steps and the spam limits."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.chassis.errors import Conflict, ValidationFailed, validated
from services.contracts.intake import NewTeam
from services.intake import domain
from services.intake.domain import Calendar, Region, Whereabouts

NL = ZoneInfo("Europe/Amsterdam")
TEAM = Calendar()


def local(*args) -> datetime:
    return datetime(*args, tzinfo=NL)


# ------------------------------------------------------------------ the deadline: named cases

@pytest.mark.parametrize("case, received, calendar, due", [
    ("inside office hours", local(2027, 1, 11, 10, 0), TEAM, local(2027, 1, 13, 10, 0)),
    ("received in the evening: the clock starts the next morning", local(2027, 1, 11, 20, 0), TEAM,
     local(2027, 1, 13, 17, 0)),
    ("received at 16:59 on a Friday: one minute, then Monday and Tuesday", local(2027, 1, 15, 16, 59), TEAM,
     local(2027, 1, 19, 16, 59)),
    ("received on a Saturday", local(2027, 1, 16, 11, 0), TEAM, local(2027, 1, 19, 17, 0)),
    ("Koningsdag on a Tuesday is closed", local(2027, 4, 26, 9, 0), TEAM, local(2027, 4, 28, 17, 0)),
    ("Koningsdag on a Sunday is on Saturday 26 April: Monday 28 April is a working day",
     local(2025, 4, 25, 16, 0), TEAM, local(2025, 4, 29, 16, 0)),
    ("Goede Vrijdag open by default; the clocks go forward on Sunday; Easter Monday closed",
     local(2027, 3, 26, 13, 0), TEAM, local(2027, 3, 31, 13, 0)),
    ("a team closed on Goede Vrijdag", local(2027, 3, 25, 16, 0), Calendar(closed_on_good_friday=True),
     local(2027, 3, 31, 16, 0)),
    ("the clocks go back on Sunday 31 October", local(2027, 10, 29, 12, 0), TEAM, local(2027, 11, 2, 12, 0)),
    ("the year's turn: New Year's Day on a Friday", local(2026, 12, 31, 15, 0), TEAM, local(2027, 1, 5, 15, 0)),
    ("Bevrijdingsdag outside a lustrum year is open by default", local(2027, 5, 4, 9, 0), TEAM,
     local(2027, 5, 5, 17, 0)),
    ("a team closed on Bevrijdingsdag every year (then Hemelvaartsdag too)", local(2027, 5, 4, 9, 0),
     Calendar(closed_on_liberation_day=True), local(2027, 5, 7, 17, 0)),
    ("Bevrijdingsdag in a lustrum year is a holiday", local(2025, 5, 2, 9, 0), TEAM, local(2025, 5, 6, 17, 0)),
    ("a team's own closing day", local(2027, 1, 11, 10, 0), Calendar(closing_days=frozenset({date(2027, 1, 12)})),
     local(2027, 1, 14, 10, 0)),
    ("a team with other hours and a shorter promise", local(2027, 1, 11, 7, 0),
     Calendar(working_hours=4, opens=time(8, 30), closes=time(12, 0)), local(2027, 1, 12, 9, 0)),
])
def test_the_deadline(case, received, calendar, due):
    got = domain.callback_due_by(received, calendar)
    assert got == due, case
    assert got.utcoffset() == due.utcoffset(), "said in the right offset (daylight saving)"


def test_the_clock_counts_from_a_moment_given_in_utc():
    received = datetime(2027, 1, 11, 9, 0, tzinfo=timezone.utc)      # 10:00 in Amsterdam
    assert domain.callback_due_by(received, TEAM) == local(2027, 1, 13, 10, 0)


def test_the_warning_comes_at_three_quarters_of_the_working_time():
    received = local(2027, 1, 11, 9, 0)
    assert domain.due_soon_at(received, TEAM) == local(2027, 1, 12, 13, 0)      # 12 of 16 hours


def test_waiting_for_the_person_pauses_the_clock_until_the_agreed_moment():
    received = local(2027, 1, 11, 9, 0)                     # due Tuesday 17:00
    due = domain.callback_due_by(received, TEAM)
    paused_at = local(2027, 1, 11, 13, 0)                   # 12 working hours were left
    until = local(2027, 1, 18, 11, 0)                       # "call me next Monday at 11"
    assert domain.resumed_deadline(paused_at, due, until, TEAM) == local(2027, 1, 19, 15, 0)


@settings(max_examples=3000, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(timezone.utc)),
       st.sampled_from([TEAM, Calendar(closed_on_good_friday=True, closed_on_liberation_day=True),
                        Calendar(working_hours=40, opens=time(8, 0), closes=time(16, 30))]))
def test_a_deadline_always_falls_inside_office_hours_on_a_working_day(received, calendar):
    due = domain.callback_due_by(received, calendar)
    assert domain.in_office_hours(due, calendar)
    assert due > received
    assert domain.working_time_between(received, due, calendar) == timedelta(hours=calendar.working_hours)
    soon = domain.due_soon_at(received, calendar)
    assert received < soon <= due and domain.in_office_hours(soon, calendar)


# ------------------------------------------------------------------ routing

NORTH = Region("noord", ("Groningen", "Friesland", "Drenthe"))
UTRECHT_CITY = Region("utrecht-stad", (), ((3500, 3585),))
UTRECHT = Region("utrecht", ("Utrecht",))
REGIONS = [NORTH, UTRECHT_CITY, UTRECHT]


@pytest.mark.parametrize("case, person, course, team", [
    ("the person's postcode's province", domain.whereabouts("9712 CP"), None, "noord"),
    ("a postcode range before a province", domain.whereabouts("3511 AB"), None, "utrecht-stad"),
    ("the rest of the province", domain.whereabouts("3431 AA"), None, "utrecht"),
    ("the person's place wins over the course's", domain.whereabouts("9712 CP"), Whereabouts(3511, "Utrecht"), "noord"),
    ("without a postcode: the course's next offering", None, Whereabouts(None, "Friesland"), "noord"),
    ("without a postcode or course place: national", None, None, "landelijk"),
    ("a place no region claims: national", domain.whereabouts("1011 AB"), Whereabouts(None, "Friesland"), "landelijk"),
])
def test_routing(case, person, course, team):
    assert domain.route(REGIONS, person, course) == team, case


def test_two_teams_cannot_claim_the_same_province_or_overlapping_ranges():
    assert domain.region_conflict(Region("x", ("Groningen",)), REGIONS)["field"] == "provinces"
    assert domain.region_conflict(Region("y", (), ((3580, 3600),)), REGIONS)["field"] == "postcode_ranges"
    assert domain.region_conflict(Region("noord"), REGIONS)["field"] == "code"
    assert domain.region_conflict(Region("z", ("Limburg",), ((6000, 6499),)), REGIONS) is None


# ------------------------------------------------------------------ contact details

@pytest.mark.parametrize("typed, stored", [
    ("06 12345678", "+31612345678"),            # mobile, as people write it
    ("0612345678", "+31612345678"),
    ("06-1234 5678", "+31612345678"),
    ("+31 6 12345678", "+31612345678"),
    ("0031612345678", "+31612345678"),
    ("(06) 12 34 56 78", "+31612345678"),
    ("020-1234567", "+31201234567"),            # fixed lines
    ("010 123 4567", "+31101234567"),
    ("0591 123456", "+31591123456"),
    ("0031 20 1234567", "+31201234567"),
    ("085 123 4567", "+31851234567"),           # 085 and 088: companies' numbers, people answer them
    ("088 123 4567", "+31881234567"),
    ("+48 512 345 678", "+48512345678"),        # foreign: Polish, Romanian, Belgian, German, British, Turkish
    ("+40 721 234 567", "+40721234567"),
    ("+32 470 12 34 56", "+32470123456"),
    ("+49 151 23456789", "+4915123456789"),
    ("+44 7911 123456", "+447911123456"),
    ("+90 532 123 45 67", "+905321234567"),
])
def test_numbers_one_can_call_back_are_stored_in_e164(typed, stored):
    assert domain.phone_number(typed) == stored


@pytest.mark.parametrize("typed, says", [
    ("0800 1234", "0800"), ("0800 1234567", "0800"),           # free service numbers
    ("0900 1234", "0900"), ("0900 1234567", "0900"),           # paid
    ("0906 1234567", "0906"), ("0909 1234567", "0909"),
    ("097 123456789", "097"), ("0970 12345678", "097"),         # machine to machine
    ("14020", "14-nummer"), ("140 20", "14-nummer"), ("14 010", "14-nummer"),   # municipalities
    ("0612", "bestaat niet"), ("06 1234567", "bestaat niet"), ("06 123456789", "bestaat niet"),
    ("+31 20 123 456", "bestaat niet"), ("abc", "geen telefoonnummer"), ("", "geen telefoonnummer"),
])
def test_numbers_no_one_can_call_back_on_are_refused_in_dutch(typed, says):
    with pytest.raises(ValueError, match=says):
        domain.phone_number(typed)


def test_email_and_postcode():
    assert domain.email_address("Jan.Jansen@Example.NL") == "Jan.Jansen@example.nl"
    for bad in ("jan", "jan@", "jan@@example.nl", "jan @example.nl"):
        with pytest.raises(ValueError, match="e-mailadres"):
            domain.email_address(bad)
    assert domain.postcode("9712cp") == "9712 CP"
    for bad in ("9712", "0712 CP", "9712 C", "AB 9712"):
        with pytest.raises(ValueError, match="vier cijfers"):
            domain.postcode(bad)


def test_the_chosen_channel_must_be_there():
    _, errors = domain.contact_details("jan@example.nl", None, None, "phone")
    assert [e["field"] for e in errors] == ["phone"]
    _, errors = domain.contact_details(None, "0800 1234", None, "phone")
    assert [e["field"] for e in errors] == ["phone"] and "0800" in errors[0]["message"]
    details, errors = domain.contact_details("jan@example.nl", "06 12345678", "9712cp", "email")
    assert errors == [] and details == {"email": "jan@example.nl", "phone": "+31612345678", "postcode": "9712 CP"}


# ------------------------------------------------------------------ the advisor's steps

@pytest.mark.parametrize("status, step, after", [
    ("new", "call_attempted", "in_progress"), ("in_progress", "call_attempted", "in_progress"),
    ("new", "waiting_for_person", "in_progress"), ("in_progress", "advice_given", "advised"),
    ("new", "advice_given", "advised"), ("advised", "enrolled", "enrolled"), ("in_progress", "enrolled", "enrolled"),
    ("new", "closed", "closed"), ("enrolled", "closed", "closed"),
])
def test_possible_steps(status, step, after):
    assert domain.next_status(status, step) == after


@pytest.mark.parametrize("status, step", [
    ("new", "enrolled"), ("closed", "call_attempted"), ("closed", "closed"), ("advised", "call_attempted"),
    ("enrolled", "advice_given"), ("advised", "waiting_for_person"),
])
def test_impossible_steps_are_a_conflict(status, step):
    with pytest.raises(Conflict):
        domain.next_status(status, step)


# ------------------------------------------------------------------ spam limits

def test_a_limit_per_window_says_how_long_to_wait():
    now = datetime(2027, 1, 11, 12, 0, tzinfo=timezone.utc)
    hour = timedelta(hours=1)
    assert domain.wait_for_limit([now - timedelta(minutes=m) for m in (50, 20)], 3, hour, now) == 0
    wait = domain.wait_for_limit([now - timedelta(minutes=m) for m in (50, 20, 5)], 3, hour, now)
    assert 10 * 60 <= wait <= 10 * 60 + 2        # the oldest of the three leaves the window in 10 minutes
    assert domain.wait_for_limit([now - timedelta(hours=2)] * 5, 3, hour, now) == 0


@pytest.mark.parametrize("field", ["opens", "closes"])
def test_a_teams_hours_are_clock_times_without_a_zone(field):
    # found by schemathesis: "00:00:00Z" made the comparison of opens and closes raise (a 500)
    with pytest.raises(ValidationFailed) as refused:
        validated(NewTeam, {"code": "zee", "name": "Zeeland", field: "08:00:00Z"}, "advisor team")
    assert refused.value.errors[0]["field"] == field
    assert validated(NewTeam, {"code": "zee", "name": "Zeeland", "opens": "08:00"}, "advisor team").opens == time(8, 0)
