"""The day a report or a page means is the Dutch one, as the facts' days are: between midnight
in Amsterdam and midnight in UTC the processes (in UTC) still said yesterday, and a report's
default period ended before the facts of the night (make test-scale met it at 23:40 UTC)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from services.analytics import reports
from services.chassis.texts import today


def test_the_dutch_day_begins_before_the_utc_one():
    assert today(datetime(2026, 12, 6, 23, 40, tzinfo=timezone.utc)) == date(2026, 12, 7)     # CET, +1
    assert today(datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc)) == date(2026, 7, 2)       # CEST, +2
    assert today(datetime(2026, 7, 1, 21, 30, tzinfo=timezone.utc)) == date(2026, 7, 1)


def test_a_report_s_period_ends_on_the_dutch_day(monkeypatch):
    monkeypatch.setattr(reports, "today", lambda: date(2026, 12, 7))
    period = reports.Period()
    assert period.to == date(2026, 12, 7) and period.from_ == date(2026, 9, 9)
