"""The retention timer of a real intake service (in-process, on a database of its own): the
personal data of a request finished longer ago than INTAKE_RETENTION_DAYS is erased and
``intake_erased`` goes out through the outbox; a recent one and an open one keep theirs."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from nameko.testing.services import entrypoint_hook

from services.chassis.settings import config_of
from services.intake.service import IntakeService, Settings


def insert(conn, status: str, finished_days_ago: int) -> uuid.UUID:
    intake_id = uuid.uuid4()
    now = datetime.now(timezone.utc)
    conn.execute(
        """INSERT INTO intakes (id, status, team, routed_by, situation, preferred_contact, language,
               share_with_provider, consent, token_hash, name, email, phone, received_at, callback_due_by,
               due_soon_at, updated_at)
           VALUES (%(id)s, %(status)s, 'landelijk', 'national', 'werkzoekend', 'phone', 'nl', false, '{}',
               %(hash)s, 'Oud Verzoek', 'oud@example.nl', '+31612345678', %(at)s, %(at)s, %(at)s, %(at)s)""",
        {"id": intake_id, "status": status, "hash": uuid.uuid4().hex, "at": now - timedelta(days=finished_days_ago)})
    return intake_id


def test_finished_requests_past_the_retention_period_are_erased(rabbit_config, database, service_container):
    container = service_container(IntakeService, config_of(
        Settings, amqp_uri=rabbit_config["AMQP_URI"], database_url=database, intake_retention_days=30))
    container.start()                      # migrates the database
    with psycopg.connect(database, autocommit=True) as conn:
        old = insert(conn, "closed", 31)
        recent = insert(conn, "closed", 29)
        open_old = insert(conn, "in_progress", 400)
        with entrypoint_hook(container, "purge_expired") as purge:
            purge()
        names = dict(conn.execute("SELECT id, name FROM intakes").fetchall())
        assert names[old] is None and names[recent] == "Oud Verzoek" and names[open_old] == "Oud Verzoek"
        erased = conn.execute("SELECT envelope->'payload' FROM outbox WHERE event_type = 'intake_erased'").fetchall()
        assert [e[0]["intake_id"] for e in erased] == [str(old)] and erased[0][0]["reason"] == "retention"
        assert "Oud" not in str(erased)
