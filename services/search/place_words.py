"""A place in the search box. People type where as well as what: ``heftruck rotterdam``,
``vca in den bosch``, ``zorg limburg``. No course text says "Rotterdam", so read as words such a
search found heftruck courses anywhere (the place was one word of two matched by none). Read
here, the place's words become ``near`` (a city) or ``province`` (a province name) and the rest
is the text searched; the search service falls back to the words as typed when that finds nothing.

Only the words at the end or at the start of the query are read as a place, after an optional
``in``/``bij``/``in de buurt van``...; a city is one GeoNames knows (places.known), never a name of
the postcode list, whose 4,072 villages include many words; a whole postcode (3511 AB) is one too."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from services import places
from services.places import Place

LONGEST = 4         # words of the longest place name people type (Ouderkerk aan de Amstel)
# what people put before a place ("in de buurt van utrecht")
PREPOSITIONS = frozenset(tuple(p.split()) for p in (
    "in", "bij", "rond", "nabij", "vlakbij", "dichtbij", "omgeving", "regio", "near", "in de buurt van",
    "in de omgeving van", "in de regio", "omgeving van", "regio van", "buurt van", "rondom"))
LONGEST_PREPOSITION = max(map(len, PREPOSITIONS))
# Province names as people type them → the province. Groningen and Utrecht are read as their
# city (near it, within the radius), as people more often mean the city.
PROVINCES = {
    "drenthe": "Drenthe", "flevoland": "Flevoland", "friesland": "Friesland", "fryslan": "Friesland",
    "gelderland": "Gelderland", "limburg": "Limburg", "brabant": "Noord-Brabant",
    "noord-brabant": "Noord-Brabant", "noord brabant": "Noord-Brabant", "noord-holland": "Noord-Holland",
    "noord holland": "Noord-Holland", "overijssel": "Overijssel", "zeeland": "Zeeland",
    "zuid-holland": "Zuid-Holland", "zuid holland": "Zuid-Holland",
}
# Place names that are also Dutch (or English) words someone may search for: houten (wooden),
# dieren (animals), tegelen (to tile), klimmen (to climb), leiden (to lead: een team leiden),
# best. Alone they stay words; after "in" or "bij" they are places. The list: the names of
# places_nl.csv found in the Debian wdutch word list, less those whose word nobody would search
# for in a course (gouda, kampen, delft...), plus English words (born, son, made, grave). Of the
# relevance catalogue's course texts, only "leiden" and "amsterdam" are words that name a place.
WORDS_FIRST = frozenset({
    "baak", "balk", "beek", "berg", "best", "borger", "born", "dalen", "dieren", "duiven", "eerde",
    "ens", "goor", "grave", "halfweg", "haren", "heer", "houten", "huizen", "klimmen", "leek",
    "leesten", "leeuwen", "leiden", "losser", "made", "marken", "monster", "nes", "reek", "ruinen", "sibbe",
    "sluis", "son", "tegelen", "tuk", "villapark", "voorst", "vries", "zetten",
})
SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class PlaceWords:
    said: str                   # the words that named the place, as typed
    rest: str | None            # what is left to search for (None: the place was all)
    place: Place | None = None  # a city: near it
    province: str | None = None

    def described(self, radius_km: float) -> dict:
        """How the answer read the place (the answer's ``query.place``)."""
        if self.province:
            return {"words": self.said, "province": self.province}
        return {"words": self.said, "near": self.place.name, "radius_km": radius_km}


@functools.lru_cache(maxsize=4096)      # read for every search, cached answers too; popular ones repeat
def place_words(q: str) -> PlaceWords | None:
    """The place the query names at its end or start (the longest name first), or None."""
    words = [w for w in SEPARATORS.split(q.strip()) if w]
    folded = [w.lower() if w.isascii() else places.fold(w) for w in words]    # (fold, the common case fast)
    lead = _leading_preposition(folded)
    for size in range(min(LONGEST, len(words) - lead), 0, -1):
        for start in dict.fromkeys((len(words) - size, lead)):     # the end first
            found = _named(words, folded, start, size)
            if found:
                return found
    return None


def _preposition_before(folded: list[str], start: int) -> int:
    """How many of the words before ``start`` say "in" (in, bij, in de buurt van, ...), the most first."""
    return next((n for n in range(min(LONGEST_PREPOSITION, start), 0, -1)
                 if tuple(folded[start - n:start]) in PREPOSITIONS), 0)


def _leading_preposition(folded: list[str]) -> int:
    """How many words at the start say "in" before a place (the most that leaves a word)."""
    return next((n for n in range(min(LONGEST_PREPOSITION, len(folded) - 1), 0, -1)
                 if tuple(folded[:n]) in PREPOSITIONS), 0)


@functools.cache
def _first_words() -> frozenset[str]:
    """The first word of every place and province name: a span starting otherwise names none."""
    return frozenset(name.split()[0] for name in (*places.known_names(), *PROVINCES))


def _named(words: list[str], folded: list[str], start: int, size: int) -> PlaceWords | None:
    if not (words[start][:1].isdigit() or folded[start] in _first_words()):
        return None     # (most spans of most queries)
    name = " ".join(folded[start:start + size])
    # what says "in" before the name is part of what says the place, and makes it a place
    first = start - _preposition_before(folded, start)
    said = " ".join(words[first:start + size])
    rest = " ".join(words[:first] + words[start + size:]) or None
    if name in PROVINCES:
        return PlaceWords(said, rest, province=PROVINCES[name])
    if name in WORDS_FIRST and first == start:
        return None
    # a whole postcode (3511 AB): its four digits alone are too often a year or a number (excel 2016)
    try:
        place = places.postcode(name) if places.POSTCODE.match(name) else places.known(name)
    except places.UnknownPlace:
        return None
    return PlaceWords(said, rest, place=place) if place else None
