"""Catalogue rules, free of nameko and psycopg: validating a course, lifecycle transitions,
API keys, and what changed between two versions."""
from __future__ import annotations

import hashlib
import secrets
from datetime import date

from pydantic import ValidationError

from services import places
from services.chassis.errors import Conflict, ValidationFailed, field_errors
from services.contracts.courses import CourseInput

API_KEY_PREFIX = "sa_"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # A 256-bit random key needs no slow hash: sha256 cannot be brute-forced back to it.
    return hashlib.sha256(key.encode()).hexdigest()


def validate_course(data: dict, today: date) -> CourseInput:
    """Validate a provider's course; every error names its field path."""
    try:
        course = CourseInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("the course is not valid", field_errors(exc)) from None
    errors = []
    for i, offering in enumerate(course.offerings):
        if offering.start_date < today and offering.status != "closed":
            errors.append({"field": f"offerings.{i}.start_date",
                           "message": "a start date in the past is allowed only for status 'closed'"})
        if offering.location is not None:
            errors.extend(_resolve_location(offering.location, f"offerings.{i}.location"))
    if errors:
        raise ValidationFailed("the course is not valid", errors)
    return course


def _resolve_location(location, path: str) -> list[dict]:
    """Fill in the point and province of a location from its city (or else its postcode)."""
    if location.postcode:
        try:
            location.postcode = places.normalise_postcode(location.postcode)
        except places.UnknownPlace as exc:
            return [{"field": f"{path}.postcode", "message": str(exc)}]
    try:
        place = places.city(location.city) if location.city else places.postcode(location.postcode)
    except places.UnknownPlace as exc:
        return [{"field": f"{path}.city", "message": str(exc)}]
    location.lat, location.lon, location.province = place.lat, place.lon, place.province
    return []


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
