"""How notify's rows look outside it: the delivery log."""
from __future__ import annotations

from services.notify import domain


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
