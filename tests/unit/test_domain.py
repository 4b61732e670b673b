"""Pure rules, no I/O: course validation, lifecycle, search documents, settings."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.catalogue import domain
from services.chassis.errors import Conflict, ValidationFailed
from services.chassis.settings import ConfigurationError, DatabaseServiceSettings, load_settings
from services.contracts.courses import Course
from services.search.documents import build_document, next_offering

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


def test_api_keys_are_random_and_hashed():
    key = domain.new_api_key()
    assert key.startswith("sa_") and key != domain.new_api_key()
    assert domain.hash_api_key(key) != key and len(domain.hash_api_key(key)) == 64


def test_search_document_keeps_bookable_offerings_and_picks_the_next_open_one():
    body = course()
    body["offerings"] += [
        {"external_id": "C", "start_date": "2027-01-20", "end_date": "2027-01-20", "mode": "online",
         "price_eur": 100, "status": "full"},
        {"external_id": "D", "start_date": "2027-01-15", "end_date": "2027-01-15", "mode": "online",
         "price_eur": 100, "status": "cancelled"},
    ]
    now = datetime.now(timezone.utc)
    full = Course.model_validate({**body, "id": uuid.uuid4(), "version": 2, "status": "published",
                                  "provider": {"id": uuid.uuid4(), "name": "P"}, "created_at": now, "updated_at": now})
    doc = build_document(full, published=True)
    assert [o["external_id"] for o in doc["offerings"]] == ["C", "A"]
    assert doc["modes"] == ["klassikaal", "online"] and doc["last_start"] == date(2027, 2, 1)
    assert next_offering(doc["offerings"], TODAY)["city"] == "Groningen"    # open beats full
    assert next_offering(doc["offerings"], date(2027, 3, 1)) is None


def test_settings_name_the_variable(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL is missing"):
        load_settings(DatabaseServiceSettings)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/catalogue")
    monkeypatch.setenv("EVENT_RETRY_DELAYS", "[0.5, 2]")
    assert load_settings(DatabaseServiceSettings).event_retry_delays == [0.5, 2]


def test_places_resolve_cities_aliases_and_postcodes():
    from services import places

    assert places.city("Den Haag").province == "Zuid-Holland"
    assert places.city("  venlo ").name == "Venlo"
    assert places.city("Hengelo").province == "Overijssel"          # the municipality's own seat
    assert places.postcode("9712cp").name == "Groningen"
    # a postcode is placed at its own place where GeoNames knows it: 1791 is Den Burg on Texel,
    # 43 km from its region's centre (Heerhugowaard)
    assert (places.postcode("1791 AB").name, places.postcode("1791 AB").municipality) == ("Den Burg", "Texel")
    # else near the nearest-numbered postcode whose place GeoNames knows, in the province the
    # postcode list gives: Abcoude (1391) is in Utrecht (its region's centre, Almere, in Flevoland)
    abcoude = places.postcode("1391 AB")
    assert (abcoude.name, abcoude.province) == ("Abcoude", "Utrecht")
    assert places.km_between(abcoude.lat, abcoude.lon, 52.27, 4.97) < 10        # Almere is 20 km off
    # ... unless the list has that place's name more than once: it mixes up namesakes' provinces
    assert places.postcode("2635 AB").province == "Zuid-Holland"        # Den Hoorn near Delft, not on Texel
    # where a person is: a postcode, its four digits, or a name
    assert [places.where(v).name for v in ("3511 AB", "3511", " 9712 ", "Utrecht")] == \
        ["Utrecht", "Utrecht", "Groningen", "Utrecht"]
    # a village GeoNames lacks is found by name in the postcode list, at its postcode's point
    assert places.city("Zuiderwoude").province == "Noord-Holland"
    assert places.city("Bergen L").province == "Limburg"                # the list's name for it
    with pytest.raises(places.UnknownPlace, match="more than one place"):
        places.city("Den Hoorn")                                        # Texel or Delft: say which
    assert places.normalise_postcode("9712cp") == "9712 CP"
    # every postcode region points at a place that exists
    assert {places.city(name).name for name in places.POSTCODE_REGIONS.values()}
    with pytest.raises(places.UnknownPlace):
        places.city("Atlantis")


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


def test_a_postcode_tells_which_place_of_a_name_is_meant():
    from services import places

    def where(city, postcode):
        body = course()
        body["offerings"][0]["location"] = {"city": city, "postcode": postcode}
        return domain.validate_course(body, TODAY).offerings[0].location

    # Two Hengelos: alone the name is the municipality's seat; the postcode picks the other one.
    assert where("Hengelo", None).province == "Overijssel"
    in_bronckhorst = where("Hengelo", "7255 AB")
    assert (in_bronckhorst.province, in_bronckhorst.lat) == ("Gelderland", pytest.approx(52.05, abs=0.01))
    assert where("Hengelo", "7551 AB").province == "Overijssel"
    # Valkenburg near Katwijk is not the Limburg one we know: the postcode region places it.
    near_katwijk = where("Valkenburg", "2235 AB")
    assert near_katwijk.province == "Zuid-Holland"
    assert places.km_between(near_katwijk.lat, near_katwijk.lon, 52.18, 4.43) < 15
    assert where("Valkenburg", "6301 AB").lat == pytest.approx(places.city("Valkenburg").lat)
    # A village we do not know by name, with its postcode, is placed by the postcode: no 422.
    # Heusden near Helmond (5725) is not the municipality near Den Bosch we know, 46 km away
    assert places.km_between(where("Heusden", "5725 AB").lat, where("Heusden", "5725 AB").lon, 51.48, 5.66) < 15
    bergen = where("Bergen", "1861 AB")
    assert (bergen.province, bergen.city, bergen.postcode) == ("Noord-Holland", "Bergen", "1861 AB")
    assert places.km_between(bergen.lat, bergen.lon, 52.67, 4.70) < 15


def test_descriptions_keep_simple_html_and_lose_scripts_and_handlers():
    body = course(description='<p onclick="steal()">Leer <b>veilig</b> werken<script>alert(1)</script>'
                              ' <a href="javascript:x()">hier</a> <a href="https://vca.nl">VCA</a></p>')
    clean = domain.validate_course(body, TODAY).description
    assert "<b>veilig</b>" in clean and 'href="https://vca.nl"' in clean
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean


def test_an_answer_is_served_only_under_the_generation_it_was_computed_at():
    from services.search.answers import KeptPerGeneration

    answers = KeptPerGeneration(2)
    answers.put("heftruck", 7, {"total": 3})
    assert answers.get("heftruck", 7) == {"total": 3}
    assert answers.get("heftruck", 8) is None             # the read model changed since
    answers.put("heftruck", 9, {"total": 4})
    answers.put("heftruck", 8, {"total": 99})             # a slower search that started earlier
    assert answers.get("heftruck", 9) == {"total": 4}
    answers.put("lassen", 9, {"total": 1})
    answers.put("vca", 9, {"total": 2})                   # over the limit: the least recently used goes
    assert answers.get("heftruck", 9) is None and answers.get("vca", 9) == {"total": 2}
    none_kept = KeptPerGeneration(0)
    none_kept.put("heftruck", 1, {"total": 3})
    assert none_kept.get("heftruck", 1) is None
