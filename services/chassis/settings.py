"""Service configuration from environment variables, failing at start-up with a message
that names the variable when one is missing or malformed."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, AmqpDsn, Field, PostgresDsn, TypeAdapter, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.chassis import wire
from services.contracts.cloudevents import DEFAULT_SOURCE


class ConfigurationError(SystemExit):
    """Raised (and exits the process with status 2) when the environment is wrong."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message

    def __str__(self):
        return self.message


DEV_CREDENTIAL_KEY = "dev-credential-key-not-secret"

# A setting is a secret when its name says so; production refuses such a setting at its
# development default and anything shorter than 32 bytes or of few different characters, so the
# next key added cannot go to production with a value printed in this repository.
SECRET_NAME = re.compile(r"(^|_)(key|token|password|secret)$")
MIN_SECRET_BYTES = 32
MIN_SECRET_CHARACTERS = 12
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def secret_problem(value: str | None, default: object) -> str | None:
    """Why ``value`` is no secret production may run with, or None."""
    if value is None:
        return "must be set when APP_ENV=production"
    if value == default:
        return "must not be its development default when APP_ENV=production"
    if len(value.encode()) < MIN_SECRET_BYTES or len(set(value)) < MIN_SECRET_CHARACTERS:
        return (f"must be at least {MIN_SECRET_BYTES} random bytes when APP_ENV=production "
                f"(generate one: {GENERATE})")
    return None


def _amqp_uris(value: str) -> str:
    """One AMQP URI, or several separated by ``;``: the nodes of a RabbitMQ cluster, which kombu
    (under nameko and the chassis' own channels) tries in turn when a connection fails."""
    parts = [part.strip() for part in value.split(";") if part.strip()]
    if not parts:
        raise ValueError("needs at least one amqp:// URI")
    return ";".join(str(TypeAdapter(AmqpDsn).validate_python(part)) for part in parts)


AmqpUris = Annotated[str, AfterValidator(_amqp_uris)]

# a service may wait longer for its batches (analytics): it sets its own default
BatchWindow = Annotated[float, Field(ge=0, le=5, description="seconds a batch waits for more events after its first")]


class ServiceSettings(BaseSettings):
    """What every service reads. Subclass to add a service's own variables."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_ignore_empty=True)

    amqp_uri: AmqpUris = Field(description="RabbitMQ, e.g. amqp://guest:guest@127.0.0.1:5672/; a cluster's "
                                           "nodes separated by ';' (amqp://a:5672/;amqp://b:5672/)")
    database_url: PostgresDsn | None = Field(
        default=None, description="PostgreSQL database of this service, postgresql://user@host:port/db"
    )
    max_workers: int = Field(default=10, ge=1, le=1000)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    event_retry_delays: list[float] = Field(
        default=[1, 5, 30, 120],
        description="seconds between attempts of a failing event handler, then dead-letter",
    )
    event_batch_size: int = Field(default=100, ge=1, le=10000,
                                  description="events a batching handler applies in one transaction")
    event_batch_window: BatchWindow = 0.02
    heartbeat_file: str | None = Field(default=None, description=(
        "a file each process touches every HEARTBEAT_SECONDS: the liveness probe of one process (Kubernetes)"))
    heartbeat_seconds: float = Field(default=10, gt=0, le=300)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    app_env: Literal["development", "test", "production"] = "development"
    public_base_url: str = Field(default="http://127.0.0.1:8000", description=(
        "the gateway's public address: links in messages, and where events' CloudEvents dataschema points"))
    cloudevents_source: str = Field(default=DEFAULT_SOURCE, pattern=r"^urn:nld:(oin|kvk):\d+(:\S+)?$", description=(
        "the alliance's URN in every event's CloudEvents source (its OIN, urn:nld:oin:<20 digits>:systeem:<name>, "
        "or urn:nld:kvk:<number>); the service's name is added"))

    @model_validator(mode="after")
    def _real_secrets_in_production(self):
        if self.app_env != "production":
            return self
        # a secret may be left unset where its feature is off (``optional_secret``: the OpenID sign-in)
        problems = [f"{name.upper()} {problem}" for name, field in type(self).model_fields.items()
                    if SECRET_NAME.search(name)
                    and not (getattr(self, name) is None and (field.json_schema_extra or {}).get("optional_secret"))
                    and (problem := secret_problem(getattr(self, name), field.default))]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def nameko_config(self) -> dict:
        return {
            "AMQP_URI": str(self.amqp_uri),
            "APP_ENV": self.app_env,
            "DATABASE_URL": str(self.database_url) if self.database_url else None,
            "max_workers": self.max_workers,
            "OUTBOX_POLL_SECONDS": self.outbox_poll_seconds,
            "EVENT_RETRY_DELAYS": self.event_retry_delays,
            "EVENT_BATCH_SIZE": self.event_batch_size,
            "EVENT_BATCH_WINDOW": self.event_batch_window,
            "HEARTBEAT_FILE": self.heartbeat_file, "HEARTBEAT_SECONDS": self.heartbeat_seconds,
            "PUBLIC_BASE_URL": self.public_base_url.rstrip("/"), "CLOUDEVENTS_SOURCE": self.cloudevents_source,
            **wire.nameko_config(),
            "LOGGING": {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
                # credentials and contact details masked in every line (services/chassis/logmask.py)
                "filters": {"personal": {"()": "services.chassis.logmask.MaskPersonalData"}},
                "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                                         "filters": ["personal"]}},
                "root": {"level": self.log_level, "handlers": ["console"]},
                "loggers": {
                    "nameko": {"level": "WARNING"}, "kombu": {"level": "WARNING"},
                    # "(expected) error" warnings carry a traceback for every 4xx: too loud
                    "nameko.containers": {"level": "ERROR"},
                },
            },
        }


class DatabaseServiceSettings(ServiceSettings):
    """A service that owns a database: DATABASE_URL is required."""

    database_url: PostgresDsn = Field(description="PostgreSQL database of this service")
    db_wait_seconds: float = Field(default=5, gt=0, description=(
        "how long a request waits for a database connection before it is answered 503 (the database away)"))
    credential_key: str = Field(default=DEV_CREDENTIAL_KEY, min_length=16, description=(
        "key of the hashes the service stores of the API keys and tokens it issues (keep it secret; "
        "changing it revokes them all)"))

    outbound_allow_loopback: bool = Field(default=False, description=(
        "let the platform call loopback addresses a provider gives (webhooks, OOAPI): development and tests "
        "only; every other address that is not public is refused always"))

    @model_validator(mode="after")
    def _no_loopback_in_production(self):
        if self.app_env == "production" and self.outbound_allow_loopback:
            raise ValueError("OUTBOUND_ALLOW_LOOPBACK must be false when APP_ENV=production")
        return self

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), "DB_WAIT_SECONDS": self.db_wait_seconds,
                "CREDENTIAL_KEY": self.credential_key, "OUTBOUND_ALLOW_LOOPBACK": self.outbound_allow_loopback}


def load_settings(cls: type[ServiceSettings], required: tuple[str, ...] = ()) -> ServiceSettings:
    """Read ``cls`` from the environment; ``required`` names optional fields a caller needs."""
    try:
        settings = cls()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            if not err["loc"]:        # a rule over several settings names them itself
                lines.append(f"  {err['msg'].removeprefix('Value error, ')}")
                continue
            problem = "is missing" if err["type"] == "missing" else f"is invalid: {err['msg']}"
            lines.append(f"  {str(err['loc'][0]).upper()} {problem}")
        raise ConfigurationError("configuration error:\n" + "\n".join(lines)) from None
    missing = [name.upper() for name in required if getattr(settings, name) in (None, "")]
    if missing:
        raise ConfigurationError(
            "configuration error:\n" + "\n".join(f"  {name} is missing" for name in missing)
        )
    return settings


def config_of(cls: type[ServiceSettings], **values) -> dict:
    """The nameko config a service started with these settings would run with: ``values`` by
    field name, every other setting its default (or its environment variable). For containers
    and backends that tests and benchmarks start in-process, so they run with the defaults a
    deployed service has, stated once, in the settings model."""
    return cls(**values).nameko_config()


def cloudevents_config(config: dict) -> tuple[str, str]:
    """What an event's CloudEvents headers need of a service's config: the alliance's URN and the
    gateway's public address (their defaults, where a test's bare config lacks them)."""
    fields = ServiceSettings.model_fields
    return (config.get("CLOUDEVENTS_SOURCE") or fields["cloudevents_source"].default,
            (config.get("PUBLIC_BASE_URL") or fields["public_base_url"].default).rstrip("/"))
