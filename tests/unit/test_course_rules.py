"""The catalogue's course rules (services/catalogue/domain.py): validation with the field
named, lifecycle, API keys, locations, languages, sanitised descriptions."""
from __future__ import annotations

from datetime import date

import pytest

from services.catalogue import domain
from services.chassis.errors import Conflict, ValidationFailed

TODAY = date(2027, 1, 10)


def course(**overrides) -> dict:
    body = {"external_id": "VCA-B-01", "title": "VCA Basis", "level": "mbo-2", "offerings": [
        {"external_id": "A", "start_date": "2027-02-01", "end_date": "2027-02-02", "mode": "klassikaal",
         "location": {"city": "Groningen"}, "price_eur": 295, "status": "open"}]}
    body.update(overrides)
    return body


def errors_of(body: dict) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        domain.validate_course(body, TODAY)
    return [e["field"] for e in caught.value.errors]


def test_a_valid_course_passes():
    assert domain.validate_course(course(), TODAY).title == "VCA Basis"


@pytest.mark.parametrize("offering_change, field", [
    ({"price_eur": 1.234}, "offerings.0.price_eur"),
    ({"mode": "teleport"}, "offerings.0.mode"),
    ({"location": {}}, "offerings.0.location"),
    ({"start_date": "2026-12-01", "end_date": "2026-12-01"}, "offerings.0.start_date"),
    ({"location": {"city": "Venlo", "stad": "Venlo"}}, "offerings.0.location.stad"),
])
def test_offering_errors_name_their_path(offering_change, field):
    body = course()
    body["offerings"][0].update(offering_change)
    assert field in errors_of(body)


def test_a_past_closed_offering_is_allowed():
    body = course()
    body["offerings"][0].update(start_date="2026-12-01", end_date="2026-12-01", status="closed")
    assert domain.validate_course(body, TODAY).offerings[0].status == "closed"


def test_online_offering_needs_no_location_and_duplicates_are_refused():
    online = {"external_id": "B", "start_date": "2027-03-01", "end_date": "2027-03-01", "mode": "online", "price_eur": 0}
    assert len(domain.validate_course(course(offerings=[online]), TODAY).offerings) == 1
    assert "offerings" in errors_of(course(offerings=[online, online]))


def test_title_length_and_unknown_fields():
    assert errors_of(course(title="")) == ["title"]
    assert errors_of(course(title="x" * 201)) == ["title"]
    assert errors_of(course(colour="red")) == ["colour"]


def test_lifecycle_transitions():
    assert domain.transition("draft", "publish") == "published"
    assert domain.transition("withdrawn", "publish") == "published"
    assert domain.transition("published", "withdraw") == "withdrawn"
    with pytest.raises(Conflict):
        domain.transition("draft", "withdraw")


def test_api_keys_are_random():
    key = domain.new_api_key()
    assert key.startswith("sa_") and key != domain.new_api_key() and len(key) > 40


def test_locations_are_resolved_or_named_in_the_error():
    body = course()
    body["offerings"][0]["location"] = {"postcode": "2511ab"}
    location = domain.validate_course(body, TODAY).offerings[0].location
    assert (location.postcode, location.province) == ("2511 AB", "Zuid-Holland")
    assert location.lat == pytest.approx(52.08, abs=0.01)
    body["offerings"][0]["location"] = {"city": "Atlantis"}
    assert errors_of(body) == ["offerings.0.location.city"]
    body["offerings"][0]["location"] = {"city": "Venlo", "postcode": "0123 AB"}
    assert errors_of(body) == ["offerings.0.location.postcode"]


def test_languages_are_iso_codes():
    from services.contracts.courses import iso_639_1

    assert [iso_639_1(code) for code in ("nl", "nld", "dut", "FRY", "ger", "xx", "zzz", "", "nlx")] == \
        ["nl", "nl", "nl", "fy", "de", None, None, None, None]
    assert [iso_639_1(tag) for tag in ("nl-NL", "en-GB", "fy_NL", "xx-YY")] == ["nl", "en", "fy", None]   # RFC 3066
    assert errors_of(course(languages=["nl", "xx", "en", "qq"])) == ["languages.1", "languages.3"]
    assert domain.validate_course(course(languages=["en", "ar"]), TODAY).languages == ["en", "ar"]
    assert domain.validate_course(course(languages=["NL", " En "]), TODAY).languages == ["nl", "en"]


def test_descriptions_keep_simple_html_and_lose_scripts_and_handlers():
    body = course(description='<p onclick="steal()">Leer <b>veilig</b> werken<script>alert(1)</script>'
                              ' <a href="javascript:x()">hier</a> <a href="https://vca.nl">VCA</a></p>')
    clean = domain.validate_course(body, TODAY).description
    assert "<b>veilig</b>" in clean and 'href="https://vca.nl"' in clean
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
