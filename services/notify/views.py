"""How notify's rows look outside it: the delivery log, and planned messages as rows."""
from __future__ import annotations

import uuid

from services.contracts.events import EventEnvelope
from services.notify import domain
from services.notify.templates import VERSIONS


def planned_rows(envelope: EventEnvelope, planned: list[domain.Planned], base: str, data: dict | None = None) -> list[dict]:
    """The message rows an event asks for, each under its idempotency key. What a template needs
    from the event (never personal data) travels in ``data``; a webhook's body is made here, once,
    so every attempt sends the same."""
    facts = envelope.payload
    rows = []
    for p in planned:
        extra = dict(data or {})
        if facts.get("callback_due_by"):
            extra["callback_due_by"] = facts["callback_due_by"]
        if p.channel == "webhook":
            extra["body"] = {"type": p.template, "timestamp": envelope.occurred_at.isoformat(), "data": {
                "intake_id": facts["intake_id"], "course_id": facts.get("course_id"), "situation": facts["situation"],
                "lead_url": f"{base}/api/v1/providers/me/leads/{facts['intake_id']}"}}
        rows.append({
            "id": str(uuid.uuid4()),
            "idempotency_key": domain.idempotency_key(str(envelope.event_id), p.recipient, p.template, VERSIONS[p.template]),
            "template": p.template, "template_version": VERSIONS[p.template], "channel": p.channel,
            "audience": p.audience, "recipient_ref": p.recipient, "intake_id": facts.get("intake_id"),
            "provider_id": facts.get("provider_id") if p.audience == domain.PROVIDER else None,
            "subscription_id": p.recipient.partition(":")[2] if p.audience == domain.SUBSCRIBER else None,
            "data": extra})
    return rows


def message_json(row: dict) -> dict:
    return {
        "id": row["id"], "template": row["template"], "channel": row["channel"], "status": row["status"],
        "final": row["final"], "attempts": row["attempts"], "reason": row["reason"],
        "intake_id": row["intake_id"], "provider_id": row["provider_id"], "subscription_id": row["subscription_id"],
        "created_at": _at(row["created_at"]), "finished_at": _at(row["finished_at"]),
        "next_attempt_at": None if row["final"] else _at(row["next_attempt_at"]),
        "webhook_id": domain.webhook_id(row["idempotency_key"]) if row["channel"] == "webhook" else None,
    }


def _at(value):
    return None if value is None else value.isoformat()
