"""The OOAPI v5 mapping (services/contracts/ooapi.py) tried with the specification's own values:
its enumerations and the example of each schema (tests/fixtures/ooapi_v5_spec.json, copied from
the v5 specification), not only with a fixture of ours. Each mapped course must also pass the
catalogue's validation, so nothing the specification allows is rejected or lost on the way."""
from __future__ import annotations

import json
import typing
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.catalogue import domain
from services.contracts.courses import Level, Mode
from services.contracts.ooapi import ooapi_course

SPEC = json.loads((Path(__file__).parents[1] / "fixtures/ooapi_v5_spec.json").read_text())
ENUM, EXAMPLE = SPEC["enumerations"], SPEC["examples"]
TODAY = date(2030, 1, 1)


def offering(**fields) -> dict:
    return {**EXAMPLE["OfferingProperties"], **EXAMPLE["CourseOffering"], "priceInformation": [EXAMPLE["Cost"]],
            "addresses": [EXAMPLE["Address"]], "modeOfDelivery": ["situated"], **fields}


def course(**fields) -> dict:
    return {"primaryCode": EXAMPLE["IdentifierEntry"], **EXAMPLE["CourseProperties"],
            "description": [{"language": "en-GB", "value": "HCI research methods."}],
            "studyLoad": EXAMPLE["StudyLoadDescriptor"], "offerings": [offering()], **fields}


def mapped(item: dict) -> dict:
    """The mapped course, checked as the catalogue checks an import (raises if it refuses it)."""
    result = ooapi_course(item)
    domain.validate_course(result, TODAY)
    return result


def test_the_specifications_example_course_is_taken_whole():
    result = mapped(course())
    only = result["offerings"][0]
    assert (result["external_id"], result["title"]) == ("1234qwe12", "Academic and Professional Writing")
    assert result["languages"] == ["nl"]                      # teachingLanguage "nld" (ISO 639-2)
    assert result["study_load_hours"] == 84                   # 3 EC of 28 hours
    assert result["url"].startswith("https://osiris.uu.nl/")
    assert only["external_id"] == "INFOMQNM-20FS"
    assert (only["start_date"], only["end_date"]) == ("2031-08-21", "2031-10-23")
    assert only["location"] == {"city": "Utrecht", "postcode": "3511 EP"}
    assert only["seats_available"] == 50                      # 200 places, 150 enrolled
    assert Decimal(only["price_eur"]) == Decimal("340.84")


def test_a_cost_given_as_its_parts_is_their_sum_vat_included():
    parts = {k: v for k, v in EXAMPLE["Cost"].items() if k != "amount"}     # Cost.yaml requires only costType
    result = mapped(course(offerings=[offering(priceInformation=[parts])]))
    assert Decimal(result["offerings"][0]["price_eur"]) == Decimal("300.84") + Decimal("40")
    without_vat_only = {"costType": "total costs", "amountWithoutVat": "300.84"}
    assert Decimal(ooapi_course(course(offerings=[offering(priceInformation=[without_vat_only])]))
                   ["offerings"][0]["price_eur"]) == Decimal("300.84")
    vat_only = {"costType": "total costs", "vatAmount": "40"}     # says nothing of the price: rejected, not free
    assert "price_eur" not in ooapi_course(course(offerings=[offering(priceInformation=[vat_only])]))["offerings"][0]


def test_every_cost_type_of_the_specification_gives_a_price():
    for cost_type in ENUM["costType"]:
        cost = {**EXAMPLE["Cost"], "costType": cost_type}
        assert Decimal(mapped(course(offerings=[offering(priceInformation=[cost])]))["offerings"][0]["price_eur"]) \
            == Decimal("340.84"), cost_type


@pytest.mark.parametrize("where", ["program", "program's education specification", "education specification"])
def test_a_degree_is_wo_or_hbo_by_the_sector_its_programs_or_specification_give(where):
    program = EXAMPLE["ProgramProperties"]                  # sector: university education
    if where == "program":
        fields = {"programs": [{"programId": "p1", **program}]}
    elif where == "program's education specification":
        fields = {"programs": [{**{k: v for k, v in program.items() if k != "sector"},
                                "educationSpecification": {"sector": "university education"}}]}
    else:
        fields = {"educationSpecification": {"sector": "university education"}}
    for level in ("bachelor", "master"):
        assert mapped(course(level=level, **fields))["level"] == f"wo-{level}"
    hbo = {"programs": [{**program, "sector": "higher professional education"}]}
    assert mapped(course(**hbo))["level"] == "hbo-master"
    # programs not expanded (only their ids): the feed's own default, hbo unless it says wo
    assert ooapi_course(course(programs=["123e4567-e89b-12d3-a456-426614174000"]))["level"] == "hbo-master"
    assert ooapi_course(course(programs=["p1"]), higher_education="wo")["level"] == "wo-master"


def test_every_level_of_the_specification_is_one_of_ours():
    ours = set(typing.get_args(Level))
    for level in ENUM["level"]:
        assert mapped(course(level=level.strip()))["level"] in ours, level


@pytest.mark.parametrize("modes, expected", [
    (["online", "on campus"], "blended"), (["on campus", "online"], "blended"), (["situated", "distance-learning"], "blended"),
    (["hybrid"], "blended"), (["hybrid", "situated"], "blended"), (["situated", "on campus"], "klassikaal"),
    (["on campus"], "klassikaal"), (["online"], "online"), (["distance-learning", "online"], "online"), ([], "klassikaal"),
])
def test_several_modes_of_delivery_are_blended_or_the_physical_one_and_keep_the_address(modes, expected):
    result = mapped(course(offerings=[offering(modeOfDelivery=modes)]))["offerings"][0]
    assert result["mode"] == expected
    assert ("location" in result) == (expected != "online")
    if expected != "online":
        assert result["location"]["city"] == "Utrecht"


def test_every_mode_of_delivery_of_the_specification_is_one_of_ours():
    for mode in ENUM["modesOfDelivery"]:
        assert mapped(course(offerings=[offering(modeOfDelivery=[mode])]))["offerings"][0]["mode"] in typing.get_args(Mode)


def test_every_address_type_places_an_offering_and_teaching_wins():
    for address_type in ENUM["addressType"]:
        address = {**EXAMPLE["Address"], "addressType": address_type}
        assert mapped(course(offerings=[offering(addresses=[address])]))["offerings"][0]["location"]["city"] == "Utrecht"
    postal = {"addressType": "postal", "city": "Amsterdam", "postalCode": "1012 AB"}
    assert mapped(course(offerings=[offering(addresses=[postal, EXAMPLE["Address"]])]))[
        "offerings"][0]["location"]["city"] == "Utrecht"


def test_a_study_load_in_hours_sbu_or_ec_is_hours_and_other_units_say_nothing():
    hours = {unit: ooapi_course(course(studyLoad={"studyLoadUnit": unit, "value": 3})).get("study_load_hours")
             for unit in ENUM["studyLoadUnit"]}
    assert hours == {"contacttime": None, "ects": 84, "sbu": 3, "sp": None, "hour": 3}


def test_a_nightly_sync_is_due_at_the_hour_in_amsterdam_at_a_minute_of_the_providers_own():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    amsterdam = ZoneInfo("Europe/Amsterdam")
    evening = datetime(2027, 3, 27, 20, 0, tzinfo=amsterdam)          # the night the clocks go forward
    due = domain.next_nightly_sync(evening, 2, "provider-a")
    local = due.astimezone(amsterdam)
    assert (local.date(), local.hour) == (date(2027, 3, 28), 3)      # 02:mm does not exist that night: an hour on
    assert due.tzinfo == timezone.utc and due > evening
    after = domain.next_nightly_sync(due, 2, "provider-a")        # at its own time: the next night's
    assert after.astimezone(amsterdam).date() == date(2027, 3, 29)
    assert after.astimezone(amsterdam).minute == local.minute
    minutes = {domain.next_nightly_sync(evening, 2, f"p-{n}").astimezone(amsterdam).minute for n in range(40)}
    assert len(minutes) > 15                                       # spread over the hour


def test_a_sealed_authorization_opens_only_with_its_key():
    sealed = domain.seal("key-one-1234", "Bearer abc")
    assert "abc" not in sealed and domain.unseal("key-one-1234", sealed) == "Bearer abc"
    with pytest.raises(ValueError, match="OOAPI_SECRET_KEY"):
        domain.unseal("key-two-1234", sealed)
