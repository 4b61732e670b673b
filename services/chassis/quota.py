"""How long a client or a contact waits before one more of something fits its limit (intake
requests, saved searches): a pure rule over the times of the earlier ones."""
from __future__ import annotations

from datetime import datetime, timedelta


def wait_for_limit(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until one more submission fits ``limit`` per ``window`` (0: it fits now), given
    the earlier ones' ``times`` within the window (oldest first)."""
    recent = [t for t in times if t > now - window]
    if len(recent) < limit:
        return 0
    return max(1, int((recent[len(recent) - limit] + window - now).total_seconds()) + 1)
