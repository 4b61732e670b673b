"""The search filters, each declared once: its query parameter, what kind of filter it is, whether
it repeats, its words (NL and EN) and, for a course facet, how it is read from a course.

Everything that knows a filter reads it from here: the search request model
(``contracts/search.py``), both search backends (a course facet kept as tags needs nothing more
in either), the explanation of a search without results (a filter that ``narrows``), the
gateway's query parameters and the search page's labels and options, and notify's words for a
saved search. It is part of the search contract (the gateway and notify read it), so it lives
with the contracts, not inside the search service."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Callable, Literal, get_args, get_origin

from pydantic import Field

from services.contracts.courses import Course, Credential, Level, Mode, Province, Sector, Situation
from services.contracts.vocabulary import words_of

Kind = Literal["course", "offering", "place", "situation"]


@dataclass(frozen=True)
class Filter:
    name: str                               # the query parameter, and the facet's name in an answer
    kind: Kind                              # course: a course's values; offering: an offering's
    labels: tuple[str, str]                 # the field in words: (Dutch, English)
    value: Any                              # the type of one value (a Literal: the values it takes)
    repeats: bool = False                   # ?level=mbo-2&level=mbo-3: any of them
    # a course facet: the course's values. Kept as tags, the backends need nothing else; kept as
    # bits, the postgres engine has a column of its own for it (the oldest facets: faster counts)
    of_course: Callable[[Course], list[str]] | None = None
    kept: Literal["tags", "bits"] = "tags"
    # a search that finds nothing, but something without this filter, was "filtered_out"
    narrows: bool = False
    constraints: dict = field(default_factory=dict)             # more of its pydantic Field
    before: Callable[[Any], Any] | None = None                  # a value's normal form, before it is checked
    words: dict[str, tuple[str, str]] = field(default_factory=dict)   # its values in words (nl, en)
    name_of: Callable[[str, str], str] | None = None            # or a value's name: (value, language)
    # how a saved search's mail says it: each value (the default), in a phrase ("in het {}"), or not
    phrase: tuple[str, str] | None = None
    in_mail: bool = True

    @property
    def values(self) -> tuple[str, ...]:
        """Every value it takes (empty: any value of its type)."""
        return get_args(self.value) if get_origin(self.value) is Literal else ()

    def label(self, lang: str) -> str:
        return self.labels[0 if lang == "nl" else 1]

    def value_text(self, value: str, lang: str) -> str:
        """A value in words (as it is, where no words are declared)."""
        if self.name_of is not None:
            return self.name_of(value, lang)
        said = self.words.get(value)
        return said[0 if lang == "nl" else 1] if said else value

    def in_words(self, values: list[str], lang: str) -> list[str]:
        """What a saved search's mail says of these values of it."""
        names = [self.value_text(str(v), lang) for v in values]
        if self.phrase is None:
            return names
        return [self.phrase[0 if lang == "nl" else 1].format((" of " if lang == "nl" else " or ").join(names))]


def _language_name(code: str, lang: str) -> str:
    from babel import Locale
    return Locale(lang).languages.get(code, code)


def _lower(codes):
    return [c.strip().lower() if isinstance(c, str) else c for c in codes] if isinstance(codes, list) else codes


FILTERS: tuple[Filter, ...] = (
    Filter("situation", "situation", ("Jouw situatie", "Your situation"), Situation,
           of_course=lambda c: c.situations, kept="bits", words=words_of("situation")),
    Filter("level", "course", ("Niveau", "Level"), Level, repeats=True, of_course=lambda c: [c.level], kept="bits",
           words=words_of("level")),
    Filter("sector", "course", ("Sector", "Sector"), Sector, repeats=True, of_course=lambda c: c.sectors, kept="bits",
           words=words_of("sector")),
    Filter("mode", "offering", ("Vorm", "Mode"), Mode, repeats=True, words=words_of("mode")),
    Filter("province", "offering", ("Provincie", "Province"), Province, repeats=True),
    # taught in any of these (ISO 639-1: nl, en, pl, ro, ar, ...)
    Filter("language", "course", ("Taal van de les", "Language taught in"),
           Annotated[str, Field(pattern=r"^[a-z]{2}$")], repeats=True,
           of_course=lambda c: c.languages, constraints={"max_length": 20}, before=_lower, name_of=_language_name,
           phrase=("in het {}", "in {}")),
    Filter("near", "place", ("Plaats of postcode", "Place or postcode"), str,
           constraints={"min_length": 1, "max_length": 100}),
    Filter("radius_km", "place", ("Binnen hoeveel kilometer", "Within how many kilometres"), float,
           constraints={"gt": 0, "le": 300, "default": 25}, in_mail=False),
    Filter("start_from", "offering", ("Start vanaf", "Starting from"), date, narrows=True, in_mail=False),
    Filter("start_to", "offering", ("Start uiterlijk", "Starting by"), date, narrows=True, in_mail=False),
    Filter("max_price", "offering", ("Hoogste prijs in euro", "Highest price in euros"), Decimal,
           constraints={"ge": 0}, narrows=True, in_mail=False),
    Filter("funding", "course", ("Regeling", "Funding scheme"), str, constraints={"max_length": 60},
           narrows=True),
    # what a course leads to: any of these
    Filter("credential", "course", ("Diploma of certificaat", "Diploma or certificate"), Credential, repeats=True,
           of_course=lambda c: [c.credential], words=words_of("credential")),
)
# the course facets the backends keep as tags (a column per value in the postgres engine, a
# keyword field under ``tags`` in OpenSearch)
TAGS = tuple(f for f in FILTERS if f.of_course is not None and f.kept == "tags")
REPEATING = frozenset(f.name for f in FILTERS if f.repeats)
NARROWING = tuple(f.name for f in FILTERS if f.narrows)


def tags_of(course: Course) -> dict[str, list[str]]:
    """A course's values of every facet kept as tags."""
    return {f.name: sorted(set(f.of_course(course))) for f in TAGS}
