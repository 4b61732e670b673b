"""The search document of a course: what is indexed and shown, derived from the catalogue's
course alone (no I/O), so both backends and the tests build it the same way."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Callable

from services import places
from services.contracts.courses import Course
from services.contracts.rpc import SearchRequest
from services.search.analysis import STOP_WORDS, default_lexicon, tokens

BOOKABLE = {"open", "full"}
# Bump when what is indexed changes: a read model built with another version is rebuilt at start.
ANALYSIS_VERSION = "4"
TAG = re.compile(r"<[^>]*>")


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
        "credential": course.credential,
        "funding": course.funding_schemes,
        "offerings": [_offering(o) for o in offerings],
        "modes": sorted({o.mode for o in offerings}),
        "provinces": sorted({o.location.province for o in offerings if o.location and o.location.province}),
        "last_start": max((o.start_date for o in offerings), default=None),
        "analysis": ANALYSIS_VERSION,
        # compound parts, indexed with the lowest weight: heftruck finds Heftruckchauffeur
        "compounds": " ".join(lexicon.parts(f"{title_words} {description}")),
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


def next_offering(offerings: list[dict], today: date, fits: Callable[[dict], bool] | None = None) -> dict | None:
    """The first open offering that has not started yet (else the first bookable one ahead).
    With ``fits`` (a search's offering filters, ``offering_filters``), the first open one ahead
    that they hold for: the offering the course was found by, not one in another city."""
    ahead = [o for o in offerings if date.fromisoformat(o["start_date"]) >= today]
    chosen = next((o for o in ahead if o["status"] == "open" and fits(o)), None) if fits else None
    if chosen is None:
        chosen = next((o for o in ahead if o["status"] == "open"), ahead[0] if ahead else None)
    if chosen is None:
        return None
    return {k: chosen[k] for k in ("start_date", "mode", "city", "price_eur")}


def offering_filters(req: SearchRequest, point: tuple[float, float] | None) -> Callable[[dict], bool] | None:
    """Whether an offering (of a document) passes the request's offering filters, which hold for
    one and the same offering; None when the request has none."""
    if not (req.start_from or req.start_to or req.max_price is not None or req.mode or req.province or point):
        return None

    def fits(o: dict) -> bool:
        start = date.fromisoformat(o["start_date"])
        return ((req.start_from is None or start >= req.start_from)
                and (req.start_to is None or start <= req.start_to)
                and (req.max_price is None or Decimal(o["price_eur"]) <= req.max_price)
                and (not req.mode or o["mode"] in req.mode)
                and (not req.province or o["province"] in req.province)
                and (point is None or (o["lat"] is not None
                                       and places.km_between(*point, o["lat"], o["lon"]) <= req.radius_km)))
    return fits
