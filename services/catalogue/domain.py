"""Catalogue rules, free of nameko and psycopg: validating a course, lifecycle transitions,
API keys, and what changed between two versions."""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal
from typing import get_args

import nh3
from cryptography.fernet import Fernet, InvalidToken

from services import places
from services.chassis.errors import Conflict, ValidationFailed, validated
from services.chassis.texts import AMSTERDAM
from services.contracts.courses import Course, CourseInput, Situation, iso_639_1, net_price_from, scheme_open_to

API_KEY_PREFIX = "sa_"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def validate_course(data: dict, today: date) -> CourseInput:
    """Validate a provider's course; every error names its field path."""
    course = validated(CourseInput, data, "course")
    course.description = sanitise_html(course.description)
    errors = [{"field": f"languages.{i}", "message": f"{code!r} is not a language code (ISO 639-1, such as 'nl' or 'en')"}
              for i, code in enumerate(course.languages) if iso_639_1(code) != code]
    for i, offering in enumerate(course.offerings):
        if offering.start_date < today and offering.status != "closed":
            errors.append({"field": f"offerings.{i}.start_date",
                           "message": "a start date in the past is allowed only for status 'closed'"})
        if offering.location is not None:
            errors.extend(_resolve_location(offering.location, f"offerings.{i}.location"))
    if errors:
        raise ValidationFailed("the course is not valid", errors)
    return course


# Simple HTML is allowed in descriptions; scripts, styles, event handlers and javascript: links are not.
ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}


def sanitise_html(text: str) -> str:
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"})


def _resolve_location(location, path: str) -> list[dict]:
    """Fill in the point and province of a location from its city and postcode (places.locate)."""
    if location.postcode:
        try:
            location.postcode = places.normalise_postcode(location.postcode)
        except places.UnknownPlace as exc:
            return [{"field": f"{path}.postcode", "message": str(exc)}]
    try:
        place = places.locate(location.city, location.postcode)
    except places.UnknownPlace as exc:
        return [{"field": f"{path}.city", "message": str(exc)}]
    location.lat, location.lon, location.province = place.lat, place.lon, place.province
    return []


# (points, field, what is missing) — together 100 points. Required fields earn nothing: they are always there.
COMPLETENESS_RULES = (
    (20, "description", "a description of at least 300 characters (10 points from 100)",
     lambda c: 20 if len(c.description) >= 300 else 10 if len(c.description) >= 100 else 0),
    (10, "keywords", "at least 3 keywords", lambda c: 10 if len(c.keywords) >= 3 else 5 * bool(c.keywords)),
    (10, "sectors", "the sectors it is for", lambda c: 10 * bool(c.sectors)),
    (10, "situations", "the situations it suits", lambda c: 10 * bool(c.situations)),
    (5, "credential", "the credential it leads to", lambda c: 5 * (c.credential != "geen")),
    (10, "study_load_hours", "the study load in hours", lambda c: 10 * (c.study_load_hours is not None)),
    (10, "url", "a link to the course page", lambda c: 10 * (c.url is not None)),
    (5, "funding_schemes", "the funding schemes that pay for it", lambda c: 5 * bool(c.funding_schemes)),
    (10, "offerings", "an open offering with a date and price", lambda c: 10 * any(o.status == "open" for o in c.offerings)),
    (10, "offerings.seats_available", "the seats available in every offering",
     lambda c: 10 * bool(c.offerings and all(o.seats_available is not None for o in c.offerings))),
)


def completeness(course: CourseInput) -> dict:
    """How complete a course is (0–100) and what would make it more complete."""
    score, missing = 0, []
    for points, field, hint, rule in COMPLETENESS_RULES:
        earned = rule(course)
        score += earned
        if earned < points:
            missing.append({"field": field, "message": f"add {hint}"})
    return {"score": score, "missing": missing}


def import_action(existing: dict | None, data: dict) -> str:
    """What importing ``data`` does to the stored course: create, update (published, changed),
    publish (a draft or withdrawn one), or nothing (published and unchanged: no event)."""
    if existing is None:
        return "create"
    if existing["status"] != "published":
        return "publish"
    return "unchanged" if existing["data"] == data else "update"


TRANSITIONS = {
    "publish": ({"draft", "withdrawn", "published"}, "published"),
    "withdraw": ({"published", "withdrawn"}, "withdrawn"),
}


def transition(status: str, action: str) -> str:
    allowed_from, target = TRANSITIONS[action]
    if status not in allowed_from:
        raise Conflict(f"a {status} course cannot be {action}ed")
    return target


def changed_fields(before: dict, after: dict) -> list[str]:
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def situation_asked(situation: str) -> str:
    """A situation a course's answer is asked for (``?situation=``), or a 422 naming it."""
    if situation not in get_args(Situation):
        raise ValidationFailed("situation is not one of the five ways in",
                               [{"field": "situation", "message": f"one of {list(get_args(Situation))}"}])
    return situation


def course_net_price(course: Course, situation: str, schemes: list[dict], today: date) -> dict | None:
    """What may remain to pay for ``course`` for someone in ``situation`` (its answer's
    ``net_price_from``): its open offerings ahead, less the most one of ``schemes`` (valid today)
    pays that the course names and that is open to the situation (no situations listed: all)."""
    fitting = [(s["code"], s.get("max_amount_eur")) for s in schemes if s["code"] in course.funding_schemes
               and scheme_open_to(s, situation)]
    prices = [o.price_eur for o in course.offerings if o.status == "open" and o.start_date >= today]
    return net_price_from(prices, [(code, None if amount is None else Decimal(str(amount))) for code, amount in fitting])


# a provider's OOAPI endpoint

def seal(secret_key: str, text: str) -> str:
    """``text`` (an authorization header) encrypted and authenticated with a key derived from
    ``secret_key`` (Fernet: AES-128-CBC with HMAC-SHA256)."""
    return _fernet(secret_key).encrypt(text.encode()).decode()


def unseal(secret_key: str, sealed: str) -> str:
    """What ``seal`` sealed; ``ValueError`` when it was sealed with another key or altered."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise ValueError("the stored authorization cannot be read with OOAPI_SECRET_KEY "
                         "(was the key changed? enter the authorization again)") from None


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"ooapi-authorization\x1f" + secret_key.encode()).digest()))


def next_nightly_sync(now: datetime, hour: int, provider_id: str) -> datetime:
    """When a provider's next nightly sync is due: tonight's (or tomorrow night's) ``hour`` in
    Amsterdam, at a minute of its own (from its id), so institutions' servers are not all called
    at once and one provider's time does not move from night to night."""
    minute = int(hashlib.sha256(str(provider_id).encode()).hexdigest(), 16) % 60
    local = now.astimezone(AMSTERDAM)
    at = datetime.combine(local.date(), dtime(hour, minute), tzinfo=AMSTERDAM)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), dtime(hour, minute), tzinfo=AMSTERDAM)
    return at.astimezone(timezone.utc)
