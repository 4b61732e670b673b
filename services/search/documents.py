"""The search document of a course: what is indexed and shown, derived from the catalogue's
course alone (no I/O), so both backends and the tests build it the same way."""
from __future__ import annotations

import html
import re

from services.contracts.courses import Course
from services.contracts.filters import TAGS, tags_of
from services.contracts.vocabulary import VOCABULARY
from services.search.analysis import STOP_WORDS, default_lexicon, tokens

BOOKABLE = {"open", "full"}
# Bump when what is indexed changes: a read model built with another version is rebuilt at start.
# The facets kept as tags are part of it: a facet declared (contracts/filters.py) rebuilds it.
ANALYSIS_VERSION = "7+" + ",".join(f.name for f in TAGS)
TAG = re.compile(r"<[^>]*>")
# the backends mark matched words with these (characters no course text needs), and
# ``snippet_html`` makes the snippet safe HTML: the provider's text escaped, then the marks
MARK_START, MARK_STOP = "\ue000", "\ue001"


def snippet_html(raw: str | None) -> str:
    """A hit's snippet as the API promises it: plain text (the description's own tags gone, its
    entities read), escaped, with only ``<mark>`` around the matched words."""
    text = html.unescape(TAG.sub(" ", raw or ""))
    return html.escape(" ".join(text.split()), quote=False).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def build_document(course: Course, published: bool) -> dict:
    lexicon = default_lexicon()
    title_words = " ".join([course.title, *course.keywords])
    description = TAG.sub(" ", course.description)
    offerings = sorted(
        (o for o in course.offerings if o.status in BOOKABLE),
        key=lambda o: (o.start_date, o.external_id),
    )
    return {
        "course_id": course.id,
        "version": course.version,
        "published": published,
        "provider_id": course.provider.id,
        "provider_name": course.provider.name,
        "title": course.title,
        "description": course.description,
        "keywords": course.keywords,
        "level": course.level,
        "sectors": course.sectors,
        "situations": course.situations,
        "languages": course.languages,
        "credential": course.credential,
        "tags": tags_of(course),         # the course facets kept as tags, by filter name
        "funding": course.funding_schemes,
        "offerings": [_offering(o) for o in offerings],
        "modes": sorted({o.mode for o in offerings}),
        "provinces": sorted({o.location.province for o in offerings if o.location and o.location.province}),
        "last_start": max((o.start_date for o in offerings), default=None),
        "analysis": ANALYSIS_VERSION,
        # compound parts, indexed with the lowest weight: heftruck finds Heftruckchauffeur; and
        # the course's sectors, level and credential in words (Dutch and English), so that
        # horeca finds a horeca course whose text does not say so, and mbo 4 one of mbo-4
        "compounds": " ".join([*lexicon.parts(f"{title_words} {description}"), *facet_words(course)]),
        # what suggest completes from: title and keyword words, whole keywords. Not the parts
        # of compounds: completing 'ned' to 'neder' (of nederlands) or 'he' to 'heft' and 'heden'
        # offers fragments nobody types; a part is offered where a course has it as a word.
        "suggest_terms": sorted({
            *(w for w in tokens(title_words) if len(w) >= 3 and w not in STOP_WORDS),
            *(" ".join(tokens(k)) for k in course.keywords if len(tokens(k)) > 1),
        }),
        # every word, for typo tolerance
        "terms": sorted({w for w in tokens(f"{title_words} {description}")
                         if len(w) >= 3 and w.isalpha()}),
    }


def facet_words(course: Course) -> list[str]:
    """A course's sectors, level and credential as people say them (the vocabulary's words, in
    both languages), for the text index."""
    said = [("sector", code) for code in course.sectors] + [("level", course.level)]
    if course.credential != "geen":
        said.append(("credential", course.credential))
    return [words for kind, code in said for words in VOCABULARY[kind].get(code, ()) if words]


def _offering(o) -> dict:
    return {
        "external_id": o.external_id,
        "start_date": o.start_date.isoformat(),
        "end_date": o.end_date.isoformat(),
        "mode": o.mode,
        "status": o.status,
        "city": o.location.city if o.location else None,
        "province": o.location.province if o.location else None,
        "lat": o.location.lat if o.location else None,
        "lon": o.location.lon if o.location else None,
        "price_eur": str(o.price_eur),
    }
