"""How moments read to a person, in Dutch or English (babel's locale data): the same words in a
mail, on a page and in an SMS."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def deadline_text(moment: datetime, language: str) -> str:
    """"dinsdag 14 januari, 17:00": a moment as a person reads it, in Amsterdam time."""
    return format_datetime(moment, "EEEE d MMMM, HH:mm", tzinfo=AMSTERDAM, locale=_locale(language))


def day_text(day: date, language: str) -> str:
    """"14 januari 2027"."""
    return format_date(day, "d MMMM yyyy", locale=_locale(language))


def _locale(language: str) -> str:
    return "en" if language == "en" else "nl"
