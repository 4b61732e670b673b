"""How the intake service answers: a request, its status for the person, everything held about
them (the export), a team. Pure shaping of store rows into JSON-ready dicts."""
from __future__ import annotations

from services.chassis.wire import moment

# what the person sees of a step: never an advisor's note, never who
PERSON_STEPS = {"submitted", "call_attempted", "waiting_for_person", "advice_given", "enrolled", "closed", "erased"}


def intake_json(row: dict) -> dict:
    return {
        "id": row["id"], "status": row["status"], "team": {"code": row["team"], "name": row["team_name"]},
        "routed_by": row["routed_by"], "situation": row["situation"], "course_id": row["course_id"],
        "course_title": row["course_title"], "provider_id": row["provider_id"], "search_id": row["search_id"],
        "preferred_contact": row["preferred_contact"], "language": row["language"],
        "share_with_provider": row["share_with_provider"], "consent": row["consent"],
        "name": row["name"], "email": row["email"], "phone": row["phone"], "postcode": row["postcode"],
        "message": row["message"], "received_at": moment(row["received_at"]),
        "callback_due_by": moment(row["callback_due_by"]), "paused_until": moment(row["paused_until"]),
        "overdue": bool(row.get("overdue")), "erased": row["erased_at"] is not None,
    }


def recipient_json(row: dict, team_addresses: list[str], token: str) -> dict:
    """An intake as notify addresses its messages about it."""
    return {
        "id": row["id"], "status": row["status"], "situation": row["situation"], "language": row["language"],
        "name": row["name"], "email": row["email"], "phone": row["phone"],
        "preferred_contact": row["preferred_contact"], "token": token,
        "team": {"code": row["team"], "name": row["team_name"], "addresses": team_addresses},
        "course_id": row["course_id"], "course_title": row["course_title"], "provider_id": row["provider_id"],
        "received_at": moment(row["received_at"]), "callback_due_by": moment(row["callback_due_by"]),
    }


def history_json(history: list[dict], with_notes: bool) -> list[dict]:
    out = []
    for h in history:
        entry = {"type": h["type"], "at": moment(h["at"])}
        if with_notes:
            entry.update(actor=h["actor"], note=h["note"])
        out.append(entry)
    return out


def status_json(row: dict, history: list[dict]) -> dict:
    return {"id": row["id"], "status": row["status"],
            "team": {"code": row["team"], "name": row["team_name"], "phone": row.get("team_phone")},
            "callback_due_by": moment(row["callback_due_by"]), "paused_until": moment(row["paused_until"]),
            "history": history_json([h for h in history if h["type"] in PERSON_STEPS], with_notes=False)}


def export_json(row: dict, history: list[dict], access_log: list[dict]) -> dict:
    intake = intake_json(row)
    intake.pop("overdue")
    return {"intake": intake, "history": history_json(history, with_notes=False),
            "access_log": [{"who": a["who"], "role": a["role"], "at": moment(a["at"]), "what": a["what"]}
                           for a in access_log]}


def team_json(row: dict) -> dict:
    return {"code": row["code"], "name": row["name"], "provinces": list(row["provinces"]),
            "postcode_ranges": [[f"{low:04d}", f"{high:04d}"] for low, high in row["postcode_ranges"]],
            "email": row["email"], "phone": row.get("phone"), "working_hours": float(row["working_hours"]),
            "opens": row["opens"].strftime("%H:%M"), "closes": row["closes"].strftime("%H:%M"),
            "weekdays": list(row["weekdays"]), "closed_on_public_holidays": row["closed_on_public_holidays"],
            "closed_on_good_friday": row["closed_on_good_friday"],
            "closed_on_liberation_day": row["closed_on_liberation_day"],
            "closing_days": [d.isoformat() for d in row["closing_days"]]}
