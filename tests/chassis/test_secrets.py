"""Every secret of every service, walked from the services' own settings models: production
refuses each at its development default and anything short, so a key added tomorrow with a
default printed in this repository cannot reach production (finding 2 of the outside security
test: four keys with public defaults that production accepted, one of which gave every person's
link). Which setting is a secret is decided here by its name, independently of the rule the
settings apply."""
from __future__ import annotations

import importlib
import os
import secrets

import pytest

from services.chassis.settings import ConfigurationError, load_settings
from services.run import SERVICES

WORDS = ("key", "token", "secret", "password")
BASE = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/", "DATABASE_URL": "postgresql://u@127.0.0.1:5432/d",
        "APP_ENV": "production", "SMS_PROVIDER": "none", "OPENSEARCH_URL": "https://search.example.nl:9200",
        # the gateway's staff sign-in switched on, so that its client secret is one more secret to walk
        "OIDC_ISSUER": "https://login.example.nl", "OIDC_CLIENT_ID": "scholingsalliantie"}


def settings_of(service: str):
    return importlib.import_module(f"services.{service}.service").Settings


def secret_names(cls) -> list[str]:
    return [name for name in cls.model_fields if any(word in name for word in WORDS)]


CASES = [(service, name) for service in SERVICES for name in secret_names(settings_of(service))]


def test_the_walk_finds_the_secrets_we_know():
    assert {"credential_key", "admin_token", "ooapi_secret_key", "intake_hash_key", "notify_hash_key",
            "notify_token_key", "opensearch_password"} <= {name for _, name in CASES}


def strong_env(cls) -> dict:
    return {**BASE, **{name.upper(): secrets.token_urlsafe(32) for name in secret_names(cls)}}


@pytest.fixture
def environment(monkeypatch):
    def set_to(values: dict):
        for name in list(os.environ):
            if any(word.upper() in name for word in WORDS) or name in BASE:
                monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_to


@pytest.mark.parametrize("service, name", CASES)
def test_production_refuses_a_secret_at_its_default(environment, service, name, attack):
    cls = settings_of(service)
    env = strong_env(cls)
    environment(env)
    assert load_settings(cls)       # every secret strong: it starts
    del env[name.upper()]
    environment(env)
    try:
        unset = load_settings(cls)
    except ConfigurationError as refused:
        assert name.upper() in str(refused)
    else:   # accepted only as no secret at all (an optional feature's credential, left off)
        assert getattr(unset, name) is None, f"{service} runs in production with {name.upper()} at its default"
    attack(name="2. secrets at their public defaults", tried="every secret setting of every service left at its "
           "default, or short, with APP_ENV=production", held="each service refuses to start and names the setting")


@pytest.mark.parametrize("service, name", CASES)
@pytest.mark.parametrize("weak", ["x" * 40, "Sh0rt-but-r4ndom-l00king"])
def test_production_refuses_a_short_or_simple_secret(environment, service, name, weak):
    cls = settings_of(service)
    environment({**strong_env(cls), name.upper(): weak})
    with pytest.raises(ConfigurationError) as refused:
        load_settings(cls)
    assert name.upper() in str(refused.value)


def test_development_keeps_its_defaults(environment):
    environment({"AMQP_URI": BASE["AMQP_URI"], "DATABASE_URL": BASE["DATABASE_URL"]})
    for service in SERVICES:
        assert load_settings(settings_of(service))


def test_the_openid_sign_in_is_set_whole_or_not_at_all(environment):
    gateway = settings_of("gateway")
    strong = strong_env(gateway)
    environment({k: v for k, v in strong.items() if not k.startswith("OIDC_")})
    assert load_settings(gateway).oidc_issuer is None          # production without it starts
    environment({**strong, "OIDC_CLIENT_ID": ""})
    with pytest.raises(ConfigurationError, match="OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together"):
        load_settings(gateway)
    environment({**strong, "OIDC_ISSUER": "http://login.example.nl"})
    with pytest.raises(ConfigurationError, match="OIDC_ISSUER must be an https:// address"):
        load_settings(gateway)
