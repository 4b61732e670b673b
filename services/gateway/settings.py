"""The gateway's settings (every default stated once, here) and the rule for a weak admin token."""
from __future__ import annotations

import logging

from pydantic import Field, field_validator, model_validator

from services.chassis.settings import ServiceSettings
from services.gateway.http import proxy_networks

DEV_ADMIN_TOKEN = "dev-admin-token"


WEAK_WORDS = ("admin", "password", "wachtwoord", "secret", "geheim", "changeme", "token", "test", "dev")


def weak_token(token: str, production: bool) -> str | None:
    """Why ``token`` is too easy to guess for the admin, or None. Its length is checked apart
    (16 at least). Few different characters is weak anywhere; a word people pick, in production."""
    if len(set(token)) < 10:
        return f"only {len(set(token))} different characters"
    if production and (word := next((w for w in WEAK_WORDS if w in token.lower()), None)):
        return f"it holds the word {word!r}"
    return None


class Settings(ServiceSettings):
    admin_token: str | None = Field(default=None, validate_default=True, min_length=16)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    rpc_timeout_seconds: float = Field(default=30, gt=0)
    api_contact_name: str = Field(default="Scholingsalliantie", min_length=1, description=(
        "who answers questions about the API: the OpenAPI document's info.contact (its url is PUBLIC_BASE_URL)"))
    api_contact_email: str = Field(default="api@scholingsalliantie.nl", pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    import_heartbeat_seconds: float = Field(
        default=60, gt=0, description="how often the gateway tells the catalogue it is still reading an import's body")
    rate_limit_per_minute: float = Field(default=1200, ge=0,
                                         description="requests a client may send a minute (0: no limit)")
    rate_limit_burst: int = Field(default=200, ge=1, description="requests a client may save up")
    page_rate_limit_per_minute: float = Field(default=300, ge=0, description="pages a client may ask a minute (0: no limit)")
    page_rate_limit_burst: int = Field(default=60, ge=1, description="pages a client may save up")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description=(
        "largest request body but an import's (which streams): beyond it a 413 before the body is read"))
    socket_timeout_seconds: float = Field(default=60, gt=0, description=(
        "how long a client may stay silent mid-request (a slow client cannot hold a connection for ever)"))
    trusted_proxies: str = Field(default="", description=(
        "addresses or networks of the reverse proxies in front of the gateway, comma-separated: only from them "
        "are X-Forwarded-For and X-Forwarded-Proto believed"))
    request_deadline_seconds: float = Field(default=30, gt=0, description=(
        "how long a client may take to send a request's head and body, from its first byte (an upload that "
        "streams excepted)"))
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1024, description=(
        "largest file a provider uploads on the import page"))
    upload_slots: int = Field(default=5, ge=1, description=(
        "uploads (imports) one gateway process reads at once, half its workers; beyond: 503 with Retry-After"))

    # staff sign in on the pages with their organisation's OpenID provider (docs/sign-in.md); unset:
    # only the key and token sign-in of development
    oidc_issuer: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", description=(
        "the OpenID provider's issuer URL (its discovery document is <issuer>/.well-known/openid-configuration)"))
    oidc_client_id: str | None = Field(default=None, min_length=1, description="the gateway's client id at the provider")
    oidc_client_secret: str | None = Field(default=None, min_length=8, json_schema_extra={"optional_secret": True},
                                           description="the gateway's client secret at the provider")
    oidc_label: str = Field(default="je organisatie-account", min_length=1, max_length=60, description=(
        "what the sign-in button names the provider after 'Inloggen met' (e.g. 'Entra ID', 'eHerkenning')"))

    @model_validator(mode="after")
    def _oidc_whole(self):
        given = [name.upper() for name in ("oidc_issuer", "oidc_client_id", "oidc_client_secret") if getattr(self, name)]
        if given and len(given) < 3:
            raise ValueError(f"OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together: only {', '.join(given)} is set")
        if self.oidc_issuer and self.app_env == "production" and not self.oidc_issuer.startswith("https://"):
            raise ValueError("OIDC_ISSUER must be an https:// address when APP_ENV=production")
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            proxy_networks(value)
        except ValueError as exc:
            raise ValueError(f"must be addresses or networks separated by commas: {exc}") from None
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value, info):
        production = info.data.get("app_env") == "production"
        if value is None and production:
            raise ValueError("must be set when APP_ENV=production")
        if value is not None and (weak := weak_token(value, production)):
            raise ValueError(f"is weak ({weak}): use a random one, "
                             "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return value

    def nameko_config(self) -> dict:
        config = super().nameko_config()
        config["WEB_SERVER_ADDRESS"] = f"{self.gateway_host}:{self.gateway_port}"
        config["ADMIN_TOKEN"] = self.admin_token or DEV_ADMIN_TOKEN
        # every other setting as its variable's name says (as notify's settings do)
        config.update({name.upper(): getattr(self, name) for name in (
            "rpc_timeout_seconds", "import_heartbeat_seconds", "rate_limit_per_minute", "rate_limit_burst",
            "page_rate_limit_per_minute", "page_rate_limit_burst", "max_body_bytes", "socket_timeout_seconds",
            "request_deadline_seconds", "trusted_proxies", "max_upload_bytes", "upload_slots", "api_contact_name",
            "api_contact_email", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_label")})
        if self.admin_token is None:
            logging.getLogger("gateway").warning(
                "ADMIN_TOKEN is not set: the admin token is %r (development only)", DEV_ADMIN_TOKEN)
        return config
