"""Intake's erasure log: every erasure a person asks for, appended as ``<intake id> <time>`` to a
file kept apart from the database backups (INTAKE_ERASURE_LOG). After a restore from a backup,
``python -m deploy.local.backup replay-erasures`` erases again each intake erased since the backup
was taken, so an erased person stays erased. Nothing personal is in it: an id means something
only in intake's own database."""
from __future__ import annotations

import os
from datetime import datetime


def log_erasure(path: str | None, intake_id, at: datetime) -> None:
    """Append one erasure, on disk before returning (none configured: nothing)."""
    if not path:
        return
    with open(path, "a", encoding="ascii") as log:
        log.write(f"{intake_id} {at.isoformat()}\n")
        log.flush()
        os.fsync(log.fileno())
