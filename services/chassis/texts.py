"""How moments read to a person, in Dutch or English (babel's locale data): the same words in a
mail, on a page and in an SMS."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def today(moment: datetime | None = None) -> date:
    """The day it is in the Netherlands at ``moment`` (now): the day of a fact, a report's period
    and a page's quick periods. The processes run in UTC, where an hour or two a night is still
    yesterday."""
    return (moment or datetime.now(AMSTERDAM)).astimezone(AMSTERDAM).date()


def deadline_text(moment: datetime, language: str) -> str:
    """"dinsdag 14 januari, 17:00": a moment as a person reads it, in Amsterdam time."""
    return format_datetime(moment, "EEEE d MMMM, HH:mm", tzinfo=AMSTERDAM, locale=_locale(language))


def day_text(day: date, language: str) -> str:
    """"14 januari 2027"."""
    return format_date(day, "d MMMM yyyy", locale=_locale(language))


def weekday_text(day: date, language: str) -> str:
    """"maandag 7 december 2026": a day on a page."""
    return format_date(day, "EEEE d MMMM yyyy", locale=_locale(language))


def price_text(amount, language: str) -> str:
    """"€ 295", "€ 25.000", "€ 295,50" (English: "€295", "€25,000", "€295.50"): whole euros
    without cents."""
    value = Decimal(str(amount))
    cents = value != value.to_integral_value()
    pattern = "¤\u00a0#,##0.00" if cents else "¤\u00a0#,##0"
    return format_currency(value, "EUR", format=pattern if language != "en" else pattern.replace("\u00a0", ""),
                           locale=_locale(language), currency_digits=False)


def _locale(language: str) -> str:
    return "en" if language == "en" else "nl"
