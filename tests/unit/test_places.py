"""Places without network (services/places): cities, aliases, postcodes, namesakes."""
from __future__ import annotations

import pytest

from services.catalogue import domain
from tests.unit.test_course_rules import TODAY, course


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
