"""Every message notify sends, declared once: what asks for it (an intake event, or one of notify's
own moments: a subscription asked for, an alert due), to whom, over which channel, the version of
its text, and the data its template is rendered with. A message's text is
``templates/<name>/{nl,en}.txt``. Planning (``planned``) and delivery (delivery.py) are two
generic loops over these declarations; a row stores the message's name, version and data, and is
rendered from those alone (as GOV.UK Notify keeps template id, version and personalisation).

To add a message: one ``Message`` here and its two template files."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from services.chassis import texts
from services.contracts.catalogue import CourseChangeWithPlaces, CourseUpdated
from services.contracts.intake import reference
from services.contracts.vocabulary import word
from services.notify import domain
from services.notify.domain import PERSON, PROVIDER, SUBSCRIBER, TEAM

# notify's own moments, beside the intake events
SUBSCRIBED, ALERT = "subscribed", "alert"


@dataclass(frozen=True)
class Recipient:
    """What delivery knows of a message's recipient when it renders it."""
    base: str                       # the gateway's public address, for links
    data: dict                      # what the planner stored with the message (never personal data)
    intake: dict | None = None      # intake's answer for the request (contact details, team, course)
    subscription: dict | None = None
    provider: dict | None = None
    links: dict = field(default_factory=dict)     # a subscriber's confirm and unsubscribe links


@dataclass(frozen=True)
class Message:
    name: str                       # also the template folder
    trigger: str                    # the event type, or SUBSCRIBED / ALERT
    audience: str                   # PERSON | TEAM | PROVIDER | SUBSCRIBER
    channel: str                    # "person" (e-mail, else SMS: decided when sent) | "email" | "webhook"
    version: int                    # of its text: part of the idempotency key
    context: Callable[[Recipient], dict] | None = None      # the template's data (a webhook has none)
    wanted: Callable[[dict | None], bool] = lambda provider: True   # a provider's message: does it take it


def _person(r: Recipient) -> dict:
    intake = r.intake
    return {"name": intake["name"], "team_name": intake["team"]["name"], "course_title": intake["course_title"],
            "due": texts.deadline_text(datetime.fromisoformat(intake["callback_due_by"]), intake["language"]),
            "reference": reference(intake["id"]),
            "status_url": f"{r.base}/aanvraag/{intake['id']}" + (f"?token={intake['token']}" if intake["token"] else "")}


def _team(r: Recipient) -> dict:
    intake = r.intake
    due = datetime.fromisoformat(r.data.get("callback_due_by") or intake["callback_due_by"])
    return {"team_name": intake["team"]["name"], "course_title": intake["course_title"],
            "situation_label": word("situation", intake["situation"], "nl"), "reference": reference(intake["id"]),
            "due": texts.deadline_text(due, "nl"), "intake_url": f"{r.base}/adviseurs/intakes/{intake['id']}"}


def _provider_lead(r: Recipient) -> dict:
    return {"provider_name": r.provider["name"], "course_title": r.intake["course_title"] or "",
            "lead_url": f"{r.base}/aanbieders/leads/{r.intake['id']}"}


def _subscriber(r: Recipient) -> dict:
    sub = r.subscription
    return {**r.data, **r.links, "query_text": domain.query_text(sub["query"], sub["language"]),
            "frequency_text": domain.frequency_text(sub["frequency"], sub["language"]),
            "search_url": domain.search_url(r.base, sub["query"])}


MESSAGES: dict[str, Message] = {m.name: m for m in (
    Message("intake_confirmation", "intake_submitted", PERSON, "person", 2, _person),
    Message("team_new_intake", "intake_submitted", TEAM, "email", 2, _team),
    Message("callback_due_soon", "callback_due_soon", TEAM, "email", 2, _team),
    Message("callback_overdue", "callback_overdue", TEAM, "email", 2, _team),
    Message("lead.created", "lead_shared", PROVIDER, "webhook", 1,
            wanted=lambda provider: bool(provider and provider.get("webhook"))),
    Message("provider_new_lead", "lead_shared", PROVIDER, "email", 2, _provider_lead,
            wanted=lambda provider: bool(provider and provider.get("lead_email"))),     # 2: the lead's page
    Message("saved_search_confirmation", SUBSCRIBED, SUBSCRIBER, "email", 1, _subscriber),
    Message("saved_search_alert", ALERT, SUBSCRIBER, "email", 1, _subscriber),
    # a course an alert listed now starts on another day (the day it told is no start of it any more)
    Message("course_start_moved", CourseUpdated.event_type, SUBSCRIBER, "email", 1, _subscriber),
)}


def recipient_ref(audience: str, facts: dict) -> str:
    """Who, as an id: ``intake:<id>``, ``team:<code>``, ``provider:<id>``, ``subscription:<id>``."""
    return {PERSON: lambda: f"intake:{facts['intake_id']}", TEAM: lambda: f"team:{facts['team']}",
            PROVIDER: lambda: f"provider:{facts.get('provider_id')}",
            SUBSCRIBER: lambda: f"subscription:{facts['subscription_id']}"}[audience]()


def planned(trigger: str, trigger_id, facts: dict, provider: dict | None = None, base: str = "",
            occurred_at: datetime | None = None, data: dict | None = None) -> list[dict]:
    """The message rows ``trigger`` (an event of id ``trigger_id``, or one of notify's moments)
    asks for, each under its idempotency key. What a template needs from the event (never
    personal data) travels in the row's data; a webhook's body is made here, once, so every
    attempt sends the same. ``provider``: the provider of the intake's course as notify knows it."""
    rows = []
    for message in MESSAGES.values():
        if message.trigger != trigger or not message.wanted(provider):
            continue
        recipient = recipient_ref(message.audience, facts)
        extra = dict(data or {})
        if facts.get("callback_due_by"):
            extra["callback_due_by"] = facts["callback_due_by"]
        if message.channel == "webhook":
            extra["body"] = {"type": message.name, "timestamp": (occurred_at or datetime.now(timezone.utc)).isoformat(), "data": {
                "intake_id": facts["intake_id"], "course_id": facts.get("course_id"), "situation": facts["situation"],
                "lead_url": f"{base}/api/v1/providers/me/leads/{facts['intake_id']}"}}
        rows.append({
            "id": str(uuid.uuid4()),
            "idempotency_key": domain.idempotency_key(str(trigger_id), recipient, message.name, message.version),
            "template": message.name, "template_version": message.version, "channel": message.channel,
            "audience": message.audience, "recipient_ref": recipient, "intake_id": facts.get("intake_id"),
            "provider_id": facts.get("provider_id") if message.audience == PROVIDER else None,
            "subscription_id": facts.get("subscription_id") if message.audience == SUBSCRIBER else None,
            "data": extra})
    return rows


def start_moved(event: CourseChangeWithPlaces, told: list[dict], provider: dict | None, base: str,
                today: date) -> tuple[list[dict], dict]:
    """The "start date moved" messages of a course update, to each saved search an alert told a
    start of it that is no start any more (``told``: their subscription ids, the start told, the
    version last looked at and their language; brought up to this version here), and the new
    start told to each."""
    starts, rows, moved = domain.open_starts(event.course, today), [], {}
    for one in told:
        if one["version_told"] >= event.version:        # an older update, arrived late
            continue
        one["version_told"] = event.version
        if new := domain.start_moved(was := one["start_told"], starts):
            one["start_told"] = moved[one["subscription_id"]] = new
            rows += planned(CourseUpdated.event_type, f"{event.course_id}:{event.version}",
                            {"subscription_id": one["subscription_id"]}, data=domain.start_moved_data(
                                event.course.title, (provider or {}).get("name") or "",
                                f"{base}/opleidingen/{event.course_id}", was, new, one["language"]))
    return rows, moved

