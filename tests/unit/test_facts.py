"""What an event means for the reports (services/analytics/facts.py), stated by hand: the rows of
the facts table that a few events make."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from services.analytics import facts
from services.contracts.intake import IntakeOutcomeRecorded
from services.contracts.search import SearchPerformed

AT = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)      # 2 March in Amsterdam


def made(event) -> list[dict]:
    return facts.of_envelopes([event.envelope()])


def test_a_search_that_found_nothing_is_a_search_and_a_zero_result_of_its_filters():
    event = SearchPerformed(search_id="s1", query="Lassen", filters={"sector": ["bouw", "techniek"], "level": ["mbo-2"],
                                                                   "situation": "werkzoekend"},
                            result_count=0, zero_results=True, latency_ms=3, place={"province": "Limburg"},
                            nearest_place="Venlo", zero_kind="elsewhere", client="c1")
    envelope = event.envelope()
    envelope.occurred_at = AT
    rows = facts.of_envelopes([envelope])
    assert [r["fact"] for r in rows] == ["search", "zero_result"]
    for row in rows:
        assert (row["sector"], row["level"], row["province"], row["situation"]) == ("meerdere", "mbo-2", "Limburg",
                                                                                    "werkzoekend")
        assert row["day"] == "2026-03-02" and row["search_id"] == "s1" and row["course_id"] is None
    assert (rows[1]["query"], rows[1]["kind"], rows[1]["place"], rows[1]["client"]) == ("Lassen", "elsewhere",
                                                                                        "Venlo", "c1")


def test_a_search_without_filters_has_none():
    [row] = made(SearchPerformed(search_id="s2", query=None, filters={}, result_count=3, zero_results=False,
                                 latency_ms=1))
    assert (row["fact"], row["sector"], row["level"], row["province"], row["situation"]) == ("search", "-", "-", "-",
                                                                                           "-")


def test_only_advice_and_enrolment_are_steps_of_the_funnel():
    intake, course = uuid.uuid4(), uuid.uuid4()

    def step(name):
        return made(IntakeOutcomeRecorded(intake_id=intake, team="noord", situation="werkgever", course_id=course,
                                          step=name, status="in_progress"))
    assert step("call_attempted") == [] and step("closed") == []
    [advice] = step("advice_given")
    assert (advice["fact"], advice["intake_id"], advice["course_id"], advice["situation"]) == (
        "advice", str(intake), str(course), "werkgever")
    assert advice["sector"] is None, "a fact about a course takes the course's dimensions at the roll-up"
    assert [r["fact"] for r in step("enrolled")] == ["enrolment"]


def test_an_event_its_contract_does_not_read_says_nothing_and_stops_nothing():
    from services.contracts.events import EventEnvelope

    unread = EventEnvelope(event_type="search_performed", source="search", payload={"search_id": "s3"})
    read = SearchPerformed(search_id="s4", query="vca", filters={}, result_count=1, zero_results=False,
                           latency_ms=2).envelope()
    assert [r["search_id"] for r in facts.of_envelopes([unread, read])] == ["s4"]

