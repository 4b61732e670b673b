"""The intake service's settings (every default stated once, here)."""
from __future__ import annotations

from pydantic import Field

from services.chassis.settings import DatabaseServiceSettings


class Settings(DatabaseServiceSettings):
    intake_retention_days: int = Field(default=365, ge=1, description="days personal data of a finished request is kept")
    intake_hash_key: str = Field(default="dev-intake-hash-key", min_length=8,
                                 description="key of the hashes that count submissions per address and contact")
    # generous: a Leerwerkloket's event or a library shares one address; the per-contact limit and the
    # hidden field carry most of the weight
    intake_limit_per_address: int = Field(default=60, ge=1, description="intakes one client address may send an hour")
    intake_limit_per_contact: int = Field(default=3, ge=1, description="intakes for one e-mail address or phone a day")
    intake_erasure_log: str | None = Field(default=None, description=(
        "a file every erasure a person asks for is appended to (intake id and time, nothing personal), on "
        "storage apart from the database backups: after a restore, replay-erasures erases them again"))

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), "INTAKE_RETENTION_DAYS": self.intake_retention_days,
                "INTAKE_HASH_KEY": self.intake_hash_key,
                "INTAKE_LIMIT_PER_ADDRESS": self.intake_limit_per_address,
                "INTAKE_LIMIT_PER_CONTACT": self.intake_limit_per_contact,
                "INTAKE_ERASURE_LOG": self.intake_erasure_log}


