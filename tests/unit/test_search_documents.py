"""The search document of a course and the offering a hit shows (services/search/documents.py,
rules.py)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from services.contracts.courses import Course
from services.search.documents import build_document
from services.search.rules import next_offering
from tests.unit.test_course_rules import TODAY, course


def test_search_document_keeps_bookable_offerings_and_picks_the_next_open_one():
    body = course()
    body["offerings"] += [
        {"external_id": "C", "start_date": "2027-01-20", "end_date": "2027-01-20", "mode": "online",
         "price_eur": 100, "status": "full"},
        {"external_id": "D", "start_date": "2027-01-15", "end_date": "2027-01-15", "mode": "online",
         "price_eur": 100, "status": "cancelled"},
    ]
    now = datetime.now(timezone.utc)
    full = Course.model_validate({**body, "id": uuid.uuid4(), "version": 2, "status": "published",
                                  "provider": {"id": uuid.uuid4(), "name": "P"}, "created_at": now, "updated_at": now})
    doc = build_document(full, published=True)
    assert [o["external_id"] for o in doc["offerings"]] == ["C", "A"]
    assert doc["modes"] == ["klassikaal", "online"] and doc["last_start"] == date(2027, 2, 1)
    assert next_offering(doc["offerings"], TODAY)["city"] == "Groningen"    # open beats full
    assert next_offering(doc["offerings"], date(2027, 3, 1)) is None
