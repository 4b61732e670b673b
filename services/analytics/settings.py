"""The analytics service's settings (every default stated once, here)."""
from __future__ import annotations

from pydantic import Field

from services.chassis.settings import BatchWindow, DatabaseServiceSettings


class Settings(DatabaseServiceSettings):
    # the archive is read by people, not by a waiting request: larger batches (a search's
    # event cost analytics ~1.2 ms of CPU alone at the common 20 ms window)
    event_batch_window: BatchWindow = 0.25
    event_batch_size: int = Field(default=500, ge=1, le=10000,
                                  description="events archived in one transaction (one statement)")
    analytics_min_group: int = Field(default=5, ge=2, description="counts of people below this are hidden")
    analytics_min_searchers: int | None = Field(default=None, ge=1, description=(
        "a query that found nothing is listed only when this many different people searched it "
        "(default: ANALYTICS_MIN_GROUP)"))
    analytics_conversion_days: int = Field(default=90, ge=1, description="how long after a search its steps count")

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), "ANALYTICS_MIN_GROUP": self.analytics_min_group,
                "ANALYTICS_MIN_SEARCHERS": self.analytics_min_searchers,
                "ANALYTICS_CONVERSION_DAYS": self.analytics_conversion_days}


