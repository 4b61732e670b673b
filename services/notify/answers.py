"""How notify's rows look outside it: the delivery log."""
from __future__ import annotations

from services.chassis.wire import moment
from services.notify import domain


def message_json(row: dict) -> dict:
    return {
        "id": row["id"], "template": row["template"], "channel": row["channel"], "status": row["status"],
        "final": row["final"], "attempts": row["attempts"], "reason": row["reason"],
        "intake_id": row["intake_id"], "provider_id": row["provider_id"], "subscription_id": row["subscription_id"],
        "created_at": moment(row["created_at"]), "finished_at": moment(row["finished_at"]),
        "next_attempt_at": None if row["final"] else moment(row["next_attempt_at"]),
        "webhook_id": domain.webhook_id(row["idempotency_key"]) if row["channel"] == "webhook" else None,
    }
