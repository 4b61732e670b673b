"""The rules of notify, pure: the idempotency key and the ids
derived from it, how a channel's answer is classified, when a failed message is tried again,
what a webhook URL may be, how an SMS is counted, and when a saved search's alert is due."""
from __future__ import annotations

import re

import base64
import hashlib
import random
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode


from services.chassis.texts import AMSTERDAM, day_text
from services.chassis.urls import outbound_url_problem
from services.contracts.filters import FILTERS


# GOV.UK Notify's vocabulary. A message is final once delivered or permanently failed, or when a
# temporary or technical failure has used up its retries (then it is dead-lettered too).
CREATED, SENDING, DELIVERED = "created", "sending", "delivered"
TEMPORARY, PERMANENT, TECHNICAL = "temporary-failure", "permanent-failure", "technical-failure"
STATUSES = (CREATED, SENDING, DELIVERED, TEMPORARY, PERMANENT, TECHNICAL)

# audiences: people are protected by a limit per recipient; work addresses (a team's mailbox, a
# provider's system) receive every message, however many intakes arrive at once
PERSON, TEAM, PROVIDER, SUBSCRIBER = "person", "team", "provider", "subscriber"
LIMITED_AUDIENCES = (PERSON, SUBSCRIBER)


def idempotency_key(event_id: str, recipient: str, template: str, version: int) -> str:
    """One message per (event, recipient, template, version): a unique key, so a redelivered
    event or a second notify process inserts nothing new."""
    return hashlib.sha256(f"{event_id}|{recipient}|{template}|{version}".encode()).hexdigest()[:40]


def message_id_header(key: str, domain: str) -> str:
    """The e-mail ``Message-ID``: the same for every attempt, so a duplicate (sent, then the
    process died before it could record so) is recognisable downstream."""
    return f"<{key}@{domain}>"


def webhook_id(key: str) -> str:
    return f"msg_{key}"


# ---------------------------------------------------------------- answers and retries


@dataclass(frozen=True)
class Outcome:
    status: str             # delivered | temporary-failure | permanent-failure | technical-failure
    reason: str | None = None
    retry: bool = True      # a failure tried again later (not: a message held back by a limit)
    retry_after: float | None = None    # seconds the receiver asked us to wait (429/503 Retry-After)


def smtp_outcome(code: int, text: str) -> Outcome:
    """An SMTP reply: 2xx accepted, 4xx try again later, 5xx never (a 550: no such mailbox) but
    for the ones that say our login or encryption is wrong (a technical failure, tried again)."""
    if 200 <= code < 300:
        return Outcome(DELIVERED)
    reason = f"SMTP {code} {text}".strip()[:500]
    if code in SMTP_OUR_SETTINGS:       # the server refuses us, not the recipient: tried again
        return Outcome(TECHNICAL, f"{reason} (check SMTP_URL: login or STARTTLS)")
    return Outcome(TEMPORARY if 400 <= code < 500 else PERMANENT, reason)


# authentication required, too weak, failed; encryption required: our settings, not the address
SMTP_OUR_SETTINGS = (530, 534, 535, 538)


def webhook_outcome(status_code: int, retry_after: float | None = None) -> Outcome:
    """Standard Webhooks: a 2xx ends it; 408, 429 and 5xx are tried again (not before the
    receiver's Retry-After); another 4xx is the receiver saying no (a 410 also disables the webhook)."""
    if 200 <= status_code < 300:
        return Outcome(DELIVERED)
    if status_code in (408, 429) or status_code >= 500:
        return Outcome(TEMPORARY, f"HTTP {status_code}", retry_after=retry_after)
    return Outcome(PERMANENT, f"HTTP {status_code}" + (": the receiver is gone; webhook disabled"
                                                       if status_code == 410 else ""))


def next_attempt(attempts: int, delays: list[float], now: datetime, rand=random.random,
                 at_least: float | None = None) -> datetime | None:
    """When a message that failed ``attempts`` times is tried again: the schedule's delay with
    ±20% jitter (so many failures do not come back at once), and not sooner than ``at_least``
    seconds (a receiver's Retry-After); None once the schedule is used up."""
    if attempts > len(delays):
        return None
    delay = max(delays[attempts - 1] * (0.8 + 0.4 * rand()), at_least or 0)
    return now + timedelta(seconds=delay)


MAX_RETRY_AFTER = 86400     # a receiver asking for more than a day is waited for a day


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """An HTTP Retry-After (delay-seconds, or an HTTP-date) as seconds from ``now``; None for
    none or one that cannot be read."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return min(max((moment - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def within_limit(sent_in_window: int, limit: int) -> bool:
    return sent_in_window < limit


# ---------------------------------------------------------------- webhooks


# where a webhook may go: services/chassis/urls.py (outbound_url_problem)
webhook_url_problem = outbound_url_problem


# ---------------------------------------------------------------- text


# GSM 03.38: the basic set costs one septet a character, the extension set two; a character in
# neither makes the whole message UCS-2 (two bytes a character). Segments of a long message hold
# 153 septets or 67 UCS-2 characters (a header joins them).
GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> tuple[str, int]:
    """The encoding an SMS needs and how many segments it is sent as."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        septets = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return "GSM-7", 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else -(-units // 67)


# typography a text editor puts in, sent as the GSM-7 character that looks the same
GSM_LOOKALIKES = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " "})


def sms_text(text: str) -> str:
    """An SMS in GSM-7 where it can be: a letter outside it that only differs by its accent
    (ë, ï, ô) is sent without it, and typographic dashes and quotes as plain ones, so one Dutch
    name does not double the cost; a letter with no such twin (a Polish ł, an emoji) leaves the
    message UCS-2."""
    out = []
    for c in text.translate(GSM_LOOKALIKES):
        if c in GSM_BASIC or c in GSM_EXTENSION:
            out.append(c)
            continue
        base = unicodedata.normalize("NFD", c)[0]
        out.append(base if base in GSM_BASIC else c)
    return "".join(out)


# ---------------------------------------------------------------- saved searches

FREQUENCIES = ("immediate", "daily", "weekly")
DIGEST_AT = time(7, 0)      # daily and weekly alerts go out at 07:00, weekly on Mondays


def next_alert_at(frequency: str, now: datetime, immediate_every: float) -> datetime:
    if frequency == "immediate":
        return now + timedelta(seconds=immediate_every)
    local = now.astimezone(AMSTERDAM)
    day = local.date() + timedelta(days=1)
    if frequency == "weekly":
        day = local.date() + timedelta(days=7 - local.weekday())
    return datetime.combine(day, DIGEST_AT, tzinfo=AMSTERDAM)


def subscription_links(base: str, confirm_token: str, unsubscribe_token: str) -> dict:
    """The links of a saved search's mail: confirming and ending it each open a page with one
    button that POSTs (a mail scanner's GET changes nothing); the mail's List-Unsubscribe
    header names the API's one-click POST (RFC 8058)."""
    return {"confirm_url": f"{base}/zoekopdrachten/bevestigen?token={confirm_token}",
            "unsubscribe_url": f"{base}/zoekopdrachten/afmelden?token={unsubscribe_token}",
            "one_click_url": f"{base}/api/v1/saved-searches/unsubscribe?token={unsubscribe_token}"}


# the words of a saved search are the asker's: a link in them would go out from our sender
LINK_LIKE = re.compile(r"\S*(://|www\.|@|\.[a-z]{2,}\b)\S*", re.IGNORECASE)
QUERY_WORDS_SHOWN = 80


def query_words(q: str) -> str:
    """The words of a search as a mail may repeat them: without anything that looks like a link,
    an address or a domain (a mail program would make it clickable), and not too many."""
    words = " ".join(LINK_LIKE.sub(" ", q).split())
    return words if len(words) <= QUERY_WORDS_SHOWN else words[:QUERY_WORDS_SHOWN].rsplit(" ", 1)[0] + " …"


def query_text(query: dict, language: str = "nl") -> str:
    """A saved search in words: "heftruck · mbo-2 · in het Pools · Utrecht"."""
    parts = [words] if query.get("q") and (words := query_words(query["q"])) else []
    for declared in FILTERS:        # each as the filter's declaration says it
        value = query.get(declared.name)
        if value not in (None, "", []) and declared.in_mail:
            parts += declared.in_words(value if isinstance(value, list) else [value], language)
    return " · ".join(parts) or ("alle opleidingen" if language == "nl" else "all courses")


# providers whose addresses ignore dots in the local part (a.b@gmail.com is ab@gmail.com)
DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalised_address(email: str) -> str:
    """One mailbox however it is written, to count saved searches per address: lower case, no
    ``+tag``, and no dots where the provider ignores them."""
    local, _, domain_part = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain_part in DOTLESS:
        local, domain_part = local.replace(".", ""), DOTLESS[domain_part]
    return f"{local}@{domain_part}"


def search_url(base: str, query: dict) -> str:
    return f"{base}/zoeken?" + urlencode([(k, v) for k, values in query.items()
                                          for v in (values if isinstance(values, list) else [values])])


FREQUENCY_TEXT = {"nl": {"immediate": "direct", "daily": "dagelijks", "weekly": "wekelijks"},
                  "en": {"immediate": "straight away", "daily": "daily", "weekly": "weekly"}}


def frequency_text(frequency: str, language: str) -> str:
    return FREQUENCY_TEXT["en" if language == "en" else "nl"][frequency]


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def alert_courses(hits: list[dict], base: str, language: str) -> list[dict]:
    """The courses of an alert as its template lists them (no personal data)."""
    out = []
    for hit in hits:
        start = (hit.get("next_offering") or {}).get("start_date")
        out.append({"course_id": hit["course_id"], "title": hit["title"], "provider": hit["provider"]["name"],
                    "start": start and day_text(date.fromisoformat(start), language),
                    "url": f"{base}/opleidingen/{hit['course_id']}"})
    return out


def open_starts(course, today: date) -> list[date]:
    """The start dates ahead of a course's open offerings (a course event's headline)."""
    return sorted({o.start_date for o in course.offerings if o.status == "open" and o.start_date >= today})


def start_moved(told: date | None, starts: list[date]) -> date | None:
    """The course's first start ahead, when the start an alert told is no start of it any more
    (and it has one); else None."""
    if told is None or not starts or told in starts:
        return None
    return starts[0]


def start_moved_data(course_title: str, provider: str, course_url: str, told: date, starts: date,
                     language: str) -> dict:
    """What the "start date moved" mail says (no personal data)."""
    return {"course_title": course_title, "provider": provider, "course_url": course_url,
            "started": day_text(told, language), "starts": day_text(starts, language)}

