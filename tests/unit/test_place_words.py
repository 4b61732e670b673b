"""Reading a place out of the search words (services/search/place_words.py)."""
from __future__ import annotations

import pytest

from services.search.place_words import place_words


@pytest.mark.parametrize("q, rest, near, province, said", [
    ("heftruck rotterdam", "heftruck", "Rotterdam", None, "rotterdam"),
    ("vca in den bosch", "vca", "'s-Hertogenbosch", None, "in den bosch"),
    ("Den Haag excel", "excel", "Den Haag", None, "Den Haag"),            # at the start; its Dutch name
    ("in Rotterdam heftruck", "heftruck", "Rotterdam", None, "in Rotterdam"),
    ("excel, 's-Gravenhage", "excel", "Den Haag", None, "'s-Gravenhage"),
    ("ouderkerk aan de amstel vca", "vca", "Ouderkerk aan de Amstel", None, "ouderkerk aan de amstel"),
    ("zorg noord brabant", "zorg", None, "Noord-Brabant", "noord brabant"),
    ("coördinator Fryslân", "coördinator", None, "Friesland", "Fryslân"),
    ("heftruck zeeland", "heftruck", None, "Zeeland", "zeeland"),           # the province, not the village
    ("rotterdam", None, "Rotterdam", None, "rotterdam"),
    ("cursus bij best", "cursus", "Best", None, "bij best"),                # a word, made a place by "bij"
    ("vca in Leiden", "vca", "Leiden", None, "in Leiden"),
    ("heftruck in de buurt van utrecht", "heftruck", "Utrecht", None, "in de buurt van utrecht"),
    ("in de regio Zwolle lassen", "lassen", "Zwolle", None, "in de regio Zwolle"),
    ("vca 3511 AB", "vca", "Utrecht", None, "3511 AB"),                     # a whole postcode
    ("1011ab heftruck", "heftruck", "Amsterdam", None, "1011ab"),
])
def test_a_place_is_read(q, rest, near, province, said):
    found = place_words(q)
    assert found is not None
    assert (found.rest, found.place.name if found.place else None, found.province, found.said) == (
        rest, near, province, said)


@pytest.mark.parametrize("q", [
    "heftruck", "best practices", "houten kozijnen", "dieren verzorgen", "best", "heftruck in", "in",
    "verpleegkunde", "lassen", "tegelen", "rotterdamse haven", "in de buurt van",
    "teams leiden", "excel 2016", "vca 3511",     # four digits alone are a year or a number as often as a postcode
])
def test_words_stay_words(q):
    assert place_words(q) is None


def test_described():
    assert place_words("vca utrecht").described(10) == {"words": "utrecht", "near": "Utrecht", "radius_km": 10}
    assert place_words("vca limburg").described(10) == {"words": "limburg", "province": "Limburg"}
