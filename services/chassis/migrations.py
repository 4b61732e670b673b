"""Plain SQL migrations: ``NNNN_name.sql`` files applied once each, in order, recorded in
``schema_migrations``. An advisory lock lets several instances start at the same time."""
from __future__ import annotations

import logging
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

CHASSIS_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_310_452  # any constant: serialises migration runs on one database


def migrate(conn: psycopg.Connection, *folders: tuple[str, Path]) -> list[str]:
    """Apply pending migrations from each ``(namespace, folder)``; returns what it applied."""
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   namespace text NOT NULL, name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (namespace, name))"""
        )
        done = {(ns, name) for ns, name in conn.execute("SELECT namespace, name FROM schema_migrations")}
        for namespace, folder in folders:
            for path in sorted(Path(folder).glob("*.sql")):
                if (namespace, path.name) in done:
                    continue
                log.info("applying migration %s/%s", namespace, path.name)
                conn.execute(path.read_text())
                conn.execute(
                    "INSERT INTO schema_migrations (namespace, name) VALUES (%s, %s)", (namespace, path.name)
                )
                applied.append(f"{namespace}/{path.name}")
    return applied
