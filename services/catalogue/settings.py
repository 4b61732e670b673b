"""The catalogue's settings (every default stated once, here)."""
from __future__ import annotations


from pydantic import Field, model_validator

from services.chassis.settings import DatabaseServiceSettings

DEV_OOAPI_SECRET_KEY = "dev-ooapi-secret-key"


class Settings(DatabaseServiceSettings):
    ooapi_secret_key: str = Field(default=DEV_OOAPI_SECRET_KEY, min_length=8, description=(
        "key the OOAPI endpoints' authorization headers are encrypted with (keep it secret; changing it "
        "makes the stored ones unreadable: providers enter them again)"))
    ooapi_sync_hour: int = Field(default=2, ge=0, le=23, description=(
        "the hour (Amsterdam time) of the nightly syncs; each provider gets its own minute in it"))
    ooapi_requests_per_second: float = Field(default=2, gt=0, le=100, description=(
        "requests a sync makes to one institution's server per second at most"))
    ooapi_timeout_seconds: float = Field(default=10, gt=0, description="seconds an OOAPI server may take to answer")
    ooapi_retries: int = Field(default=3, ge=0, le=10, description="retries of a request that timed out or got 429/5xx")
    ooapi_retry_seconds: float = Field(default=2, ge=0, description="the first wait before a retry; each next one doubles")
    ooapi_page_size: int = Field(default=100, description="pageSize asked of the endpoint: 10, 20, 50, 100 or 250")
    ooapi_lease_seconds: float = Field(default=120, gt=0, description=(
        "how long a sync's hold on an endpoint lasts without a word from its process"))

    @model_validator(mode="after")
    def _consistent(self):
        if self.ooapi_page_size not in (10, 20, 50, 100, 250):
            raise ValueError("OOAPI_PAGE_SIZE must be 10, 20, 50, 100 or 250 (OOAPI's page sizes)")
        if self.ooapi_lease_seconds < 4 * self.ooapi_timeout_seconds:
            raise ValueError("OOAPI_LEASE_SECONDS must be at least 4 x OOAPI_TIMEOUT_SECONDS")
        return self

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), "APP_ENV": self.app_env, "OOAPI_SECRET_KEY": self.ooapi_secret_key,
                "OOAPI_SYNC_HOUR": self.ooapi_sync_hour, "OOAPI_REQUESTS_PER_SECOND": self.ooapi_requests_per_second,
                "OOAPI_TIMEOUT_SECONDS": self.ooapi_timeout_seconds, "OOAPI_RETRIES": self.ooapi_retries,
                "OOAPI_RETRY_SECONDS": self.ooapi_retry_seconds, "OOAPI_PAGE_SIZE": self.ooapi_page_size,
                "OOAPI_LEASE_SECONDS": self.ooapi_lease_seconds}
