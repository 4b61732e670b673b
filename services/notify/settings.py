"""The notify service's settings (every default stated once, here) and its deadline on RPC calls."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from services.chassis.settings import DatabaseServiceSettings


class Settings(DatabaseServiceSettings):
    smtp_url: str = Field(default="smtp://127.0.0.1:1025", description=(
        "where mail goes: smtp://host:port, smtp+starttls://user:password@host:587, smtps://user:password@host:465"))
    sms_provider: Literal["log", "none"] = Field(default="log", description=(
        "the SMS adapter (log: written to the log, not sent; none: no SMS is sent)"))
    notify_test_system: bool = Field(default=False, description=(
        "this production deployment is a test system: the log SMS adapter is allowed (else production refuses it)"))
    notify_mail_from: str = "Scholingsalliantie <noreply@scholingsalliantie.nl>"
    notify_hash_key: str = Field(default="dev-notify-hash-key", min_length=8,
                                 description="key of the hashes kept of delivered messages' recipients")
    notify_token_key: str = Field(default="dev-notify-token-key", min_length=8,
                                  description="key the saved searches' confirm and unsubscribe links are derived with")
    notify_batch_size: int = Field(default=100, ge=1, le=1000, description="messages one process claims at a time")
    notify_lease_seconds: float = Field(default=120, gt=0, description="how long a claimed message is left to its process")
    notify_send_timeout: float = Field(default=10, gt=0, description="seconds an SMTP server or webhook receiver may take")
    notify_rpc_timeout: float = Field(default=15, gt=0, description="seconds intake or search may take to answer")
    notify_mail_retry_seconds: list[float] = Field(
        default=[60, 300, 1800, 7200, 21600], description="waits before each retry of a mail or SMS, then dead-letter")
    notify_webhook_retry_seconds: list[float] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000, 36000],
        description="waits before each retry of a webhook (the Standard Webhooks schedule), then dead-letter")
    notify_limit_per_recipient: int = Field(default=10, ge=1, description="messages a person may get an hour")
    notify_subscriptions_per_address: int = Field(default=3, ge=1, description=(
        "saved searches one mailbox may be asked for a day (the address normalised: case, +tag, ignored dots)"))
    notify_subscriptions_per_client: int = Field(default=10, ge=1, description=(
        "saved searches one client address may ask an hour"))
    notify_pending_days: int = Field(default=7, ge=1, description="days an unconfirmed saved search is kept")
    notify_alert_seconds: float = Field(default=60, gt=0, description="how often 'immediate' saved searches are looked at")
    notify_body_days: int = Field(default=7, ge=0, description="days a sent message's text is kept for support")

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self):
        if self.app_env == "production" and self.sms_provider == "log" and not self.notify_test_system:
            raise ValueError("SMS_PROVIDER=log writes messages to the log instead of sending them: production "
                             "refuses it unless NOTIFY_TEST_SYSTEM=true says this is a test system")
        if self.notify_lease_seconds < 4 * self.notify_send_timeout:
            raise ValueError("NOTIFY_LEASE_SECONDS must be at least 4 x NOTIFY_SEND_TIMEOUT "
                             "(a batch stops sending well before its lease runs out)")
        return self

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), **{name.upper(): getattr(self, name) for name in (
            "app_env", "smtp_url", "sms_provider", "notify_mail_from", "notify_hash_key",
            "notify_token_key", "notify_batch_size", "notify_lease_seconds", "notify_send_timeout",
            "notify_rpc_timeout", "notify_mail_retry_seconds", "notify_webhook_retry_seconds",
            "notify_limit_per_recipient", "notify_alert_seconds", "notify_body_days",
            "notify_subscriptions_per_address", "notify_subscriptions_per_client", "notify_pending_days")},
            "NOTIFY_MESSAGE_DOMAIN": self.notify_mail_from.rpartition("@")[2].strip("> ") or "localhost"}

