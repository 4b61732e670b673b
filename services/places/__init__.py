"""Dutch places and postcodes, resolved without network: city names from GeoNames (678 places
with province and municipality, CC BY 4.0, see README); postcodes by the place and province a
list of four-digit postcodes gives them (ODbL, see README), placed at that place where GeoNames
knows it, else at the place of the nearest-numbered postcode it knows. Shared by the catalogue
(offering locations, ``locate``) and search (``near``)."""
from __future__ import annotations

import bisect
import csv
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("places_nl.csv")
POSTCODES = Path(__file__).with_name("postcodes_nl.csv")
POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})\s*$")
POSTCODE_DIGITS = re.compile(r"^\s*[1-9][0-9]{3}\s*$")      # as people type it for where they are

# Names people use that GeoNames spells otherwise.
ALIASES = {
    "the hague": "Den Haag", "'s-gravenhage": "Den Haag", "s-gravenhage": "Den Haag",
    "den bosch": "'s-Hertogenbosch", "s-hertogenbosch": "'s-Hertogenbosch",
    "almere": "Almere Stad", "katwijk": "Katwijk aan Zee",
}

# The two-digit postcode region → a central place in it. A postcode resolves to that place's
# point and province: accurate to the region (typically 10–25 km, at most 43 km), not to the street.
POSTCODE_REGIONS = {
    10: "Amsterdam", 11: "Amstelveen", 12: "Hilversum", 13: "Almere Stad", 14: "Purmerend",
    15: "Zaandam", 16: "Hoorn", 17: "Heerhugowaard", 18: "Alkmaar", 19: "Beverwijk",
    20: "Haarlem", 21: "Hoofddorp", 22: "Katwijk aan Zee", 23: "Leiden", 24: "Alphen aan den Rijn",
    25: "Den Haag", 26: "Delft", 27: "Zoetermeer", 28: "Gouda", 29: "Capelle aan den IJssel",
    30: "Rotterdam", 31: "Schiedam", 32: "Spijkenisse", 33: "Dordrecht", 34: "Nieuwegein",
    35: "Utrecht", 36: "Maarssen", 37: "Zeist", 38: "Amersfoort", 39: "Veenendaal",
    40: "Tiel", 41: "Culemborg", 42: "Gorinchem", 43: "Middelburg", 44: "Goes",
    45: "Terneuzen", 46: "Bergen op Zoom", 47: "Roosendaal", 48: "Breda", 49: "Oosterhout",
    50: "Tilburg", 51: "Waalwijk", 52: "'s-Hertogenbosch", 53: "Zaltbommel", 54: "Uden",
    55: "Veldhoven", 56: "Eindhoven", 57: "Helmond", 58: "Venray", 59: "Venlo",
    60: "Weert", 61: "Sittard", 62: "Maastricht", 63: "Heerlen", 64: "Heerlen",
    65: "Nijmegen", 66: "Elst", 67: "Ede", 68: "Arnhem", 69: "Zevenaar",
    70: "Doetinchem", 71: "Winterswijk", 72: "Zutphen", 73: "Apeldoorn", 74: "Deventer",
    75: "Enschede", 76: "Almelo", 77: "Hardenberg", 78: "Emmen", 79: "Hoogeveen",
    80: "Zwolle", 81: "Raalte", 82: "Lelystad", 83: "Emmeloord", 84: "Heerenveen",
    85: "Joure", 86: "Sneek", 87: "Bolsward", 88: "Franeker", 89: "Leeuwarden",
    90: "Grou", 91: "Dokkum", 92: "Drachten", 93: "Leek", 94: "Assen",
    95: "Stadskanaal", 96: "Hoogezand", 97: "Groningen", 98: "Zuidhorn", 99: "Appingedam",
}


@dataclass(frozen=True)
class Place:
    name: str
    province: str
    municipality: str
    lat: float
    lon: float


class UnknownPlace(ValueError):
    pass


def fold(name: str) -> str:
    """A name as compared: accents and case folded, spaces collapsed."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", folded.strip().lower())


# A city farther than this from its postcode's region is another place of that name than the one
# we know. Checked against the 2,049 postcodes of postcodes_nl.csv whose place GeoNames knows:
# every place lies within 43 km of its region's central place (Den Burg, Texel), every namesake
# of another region 45 km or more from it (Heusden near Helmond is not Heusden near Den Bosch).
SAME_PLACE_KM = 45


@functools.cache
def _places() -> dict[str, list[Place]]:
    """Every place under its folded name; several places share a name (two Hengelos): the
    municipality's own seat comes first."""
    places: dict[str, list[Place]] = {}
    with DATA.open(newline="", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            place = Place(row["name"], row["province"], row["municipality"], float(row["lat"]), float(row["lon"]))
            namesakes = places.setdefault(fold(place.name), [])
            namesakes.insert(0, place) if place.municipality == place.name else namesakes.append(place)
    return places


def _of_name(name: str) -> list[Place]:
    """GeoNames' places of this name or alias, the municipality's seat first (none: empty)."""
    return _places().get(fold(ALIASES.get(fold(name), name)), [])


def _namesakes(name: str) -> list[Place]:
    namesakes = _of_name(name)
    if not namesakes:
        raise UnknownPlace(f"unknown place {name!r} (a Dutch city or village name is expected; "
                           "a postcode such as '1861 AB' places any address)")
    return namesakes


def city(name: str) -> Place:
    """A place by name: GeoNames' (the municipality's seat among namesakes), else one the postcode
    list knows (a village GeoNames lacks: Zuiderwoude, Bergen L) at its postcode's point, unless
    its postcodes lie far apart (Den Hoorn is on Texel and near Delft: the postcode says which)."""
    try:
        return _namesakes(name)[0]
    except UnknownPlace:
        codes = _postcodes_of().get(fold(name))
        if not codes:
            raise
    if _apart(codes):
        raise UnknownPlace(f"{name!r} is the name of more than one place: add its postcode")
    return _postcode_place(codes[0])


def known(name: str) -> Place | None:
    """The place GeoNames has by this name (the municipality's seat among namesakes), or None.
    The postcode list is not asked: its 4,072 place names include many words (search reads place
    names out of the words people type)."""
    namesakes = _of_name(name)
    return namesakes[0] if namesakes else None


@functools.cache
def known_names() -> frozenset[str]:
    """Every name ``known`` knows, folded (aliases too)."""
    return frozenset(_places()) | frozenset(ALIASES)


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); search's in-memory backend has it for many points at once."""
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))


def km(a: Place, b: Place) -> float:
    return km_between(a.lat, a.lon, b.lat, b.lon)


def _namesake_near(name: str, point: Place) -> Place | None:
    """The GeoNames place of this name nearest ``point``, if within SAME_PLACE_KM of it."""
    try:
        nearest = min(_namesakes(name), key=lambda place: km(place, point))
    except UnknownPlace:
        return None
    return nearest if km(nearest, point) <= SAME_PLACE_KM else None


def locate(name: str | None, code: str | None) -> Place:
    """An address's place from its city, its postcode, or both. With both, the postcode tells
    which of several namesakes is meant (Valkenburg in Zuid-Holland or in Limburg), and a city we
    know only elsewhere, or not at all, is placed by its postcode instead."""
    if not code:
        return city(name)
    by_postcode = postcode(code)
    return (_namesake_near(name, by_postcode) if name else None) or by_postcode


def normalise_postcode(postcode: str) -> str:
    match = POSTCODE.match(postcode)
    if not match:
        raise UnknownPlace(f"{postcode!r} is not a Dutch postcode like '1234 AB'")
    return f"{match.group(1)} {match.group(2).upper()}"


@functools.cache
def _postcode_places() -> dict[int, tuple[str, str]]:
    """Four-digit postcode -> its place's name and its province ('' where the list has none)."""
    with POSTCODES.open(newline="", encoding="utf-8") as source:
        return {int(row["postcode"]): (row["place"], row["province"]) for row in csv.DictReader(source)}


@functools.cache
def _postcodes_of() -> dict[str, list[int]]:
    """A place's folded name, as the list writes it -> its four-digit postcodes. The list tells
    some namesakes apart by a province tag ('Bergen' is in Noord-Holland, 'Bergen L' in Limburg)."""
    names: dict[str, list[int]] = {}
    for code, (name, _) in sorted(_postcode_places().items()):
        names.setdefault(fold(name), []).append(code)
    return names


def _apart(codes: list[int]) -> bool:
    """Whether postcodes lie in regions too far apart to be one place (namesakes)."""
    centres = [_region_centre(code) for code in {code // 100 * 100 for code in codes}]
    return any(km(a, b) > SAME_PLACE_KM for a in centres for b in centres)


def where(value: str) -> Place:
    """What a person types for where they are: a postcode, its four digits alone (``3511``), or
    a city or village name."""
    if POSTCODE.match(value):
        return postcode(value)
    if POSTCODE_DIGITS.match(value):
        return _postcode_place(int(value))
    return city(value)


def postcode(value: str) -> Place:
    """A postcode's place (``_postcode_place``), or UnknownPlace for one malformed."""
    return _postcode_place(int(normalise_postcode(value)[:4]))


@functools.cache       # at most the 9,000 four-digit codes; an import asks for the same ones again and again
def _postcode_place(code: int) -> Place:
    """The place of a four-digit postcode: the one it belongs to where GeoNames knows it (the
    namesake nearest its region's centre), else a point near it, that of the nearest-numbered
    postcode of its region whose place GeoNames knows (Dutch postcodes are numbered by area:
    measured on postcodes of known places, 6 km off at the median and 16 km at the 90th
    percentile, where the region's centre was 10 and 25 km off), in the province the postcode
    list gives if it gives one (for the postcodes of places GeoNames knows, the region's
    province was wrong for 5.6%, the list's for 0.3%), else the region's."""
    region = _region_centre(code)
    name, province = _postcode_places().get(code, ("", ""))
    nearest = _namesake_near(name, region) if name else None
    if nearest is not None:
        return nearest
    codes, known = _known_postcodes().get(code // 100, ([], []))
    point = region
    if codes:
        at = bisect.bisect_left(codes, code)
        point = known[min((i for i in (at - 1, at) if 0 <= i < len(codes)), key=lambda i: abs(codes[i] - code))]
    # the list mixes up the provinces of namesakes (Den Hoorn 2635, Rozenburg 1437): its
    # province counts only for a name that is one place
    if not (province and not _apart(_postcodes_of()[fold(name)])):
        province = region.province
    return Place(name or region.name, province, "", point.lat, point.lon)


def _region_centre(code: int) -> Place:
    return _namesakes(POSTCODE_REGIONS[code // 100])[0]


@functools.cache
def _known_postcodes() -> dict[int, tuple[list[int], list[Place]]]:
    """Per two-digit region, in order, the postcodes whose place GeoNames knows, and those places."""
    known: dict[int, tuple[list[int], list[Place]]] = {}
    for code, (name, _) in sorted(_postcode_places().items()):
        place = _namesake_near(name, _region_centre(code))
        if place is not None:
            codes, places = known.setdefault(code // 100, ([], []))
            codes.append(code)
            places.append(place)
    return known
