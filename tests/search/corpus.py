"""The relevance catalogue (tests/fixtures/relevance_catalogue.json) as catalogue courses, with
dates relative to today and places resolved as the catalogue would."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from services import places
from services.contracts.courses import Course

FIXTURE = Path(__file__).parents[1] / "fixtures" / "relevance_catalogue.json"
NAMESPACE = uuid.UUID("6f1c3f0e-5a5e-4c1e-9a51-2b1f3b7a0c11")


def course_id(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key))


def raw_courses() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["courses"]


def courses(today: date | None = None) -> list[Course]:
    today = today or date.today()
    now = datetime.now(timezone.utc)
    result = []
    for position, raw in enumerate(raw_courses()):
        offerings = []
        for o in raw["offerings"]:
            start = today + timedelta(days=o["start_in_days"])
            location = None
            if o["city"]:
                place = places.city(o["city"])
                location = {"city": place.name, "lat": place.lat, "lon": place.lon, "province": place.province}
            offerings.append({"external_id": o["external_id"], "start_date": start,
                              "end_date": start + timedelta(days=o["days"]), "mode": o["mode"],
                              "location": location, "price_eur": o["price_eur"]})
        result.append(Course.model_validate({
            "id": course_id(raw["key"]), "version": 1, "status": "published",
            "provider": {"id": str(uuid.uuid5(NAMESPACE, raw["provider"])), "name": raw["provider"]},
            "created_at": now, "updated_at": now, "external_id": raw["key"],
            "title": raw["title"], "description": raw["description"], "keywords": raw["keywords"],
            "level": raw["level"], "sectors": raw["sectors"], "situations": raw["situations"],
            "credential": raw["credential"], "funding_schemes": raw["funding_schemes"], "offerings": offerings,
            "languages": raw.get("languages") or taught_in(position),
        }))
    return result


def taught_in(position: int) -> list[str]:
    """The languages of the fixture's courses, which do not say: Dutch, and some also (or only)
    in Polish, Romanian, English or Arabic, as courses for people who came here to work are."""
    if position % 9 == 4:
        return ["en"]
    return ["nl"] + [code for code, every in (("pl", 4), ("ro", 6), ("ar", 10)) if position % every == 1]
