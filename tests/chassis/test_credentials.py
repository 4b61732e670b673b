"""Credentials are stored as keyed hashes: a database copy without CREDENTIAL_KEY cannot check a
guess; hashes stored before keys existed are re-keyed at start-up and go on working; another key
revokes every credential; production refuses the development key."""
from __future__ import annotations

import hashlib

import psycopg
import pytest
from nameko.testing.services import entrypoint_hook

from services.catalogue.service import CatalogueService
from services.chassis import tokens
from services.chassis.errors import Unauthorized
from services.chassis.settings import ConfigurationError, DatabaseServiceSettings, config_of, load_settings


def test_a_keyed_hash_needs_the_key():
    token = tokens.new_token("adv_")
    one, other = tokens.credential_hash("k" * 20, token), tokens.credential_hash("x" * 20, token)
    assert one.startswith(tokens.KEYED) and one != other
    assert hashlib.sha256(token.encode()).hexdigest() not in one
    # an old plain hash becomes the same keyed hash the credential itself gives
    assert tokens.rekeyed("k" * 20, hashlib.sha256(token.encode()).hexdigest()) == one
    assert tokens.same_hash(one, tokens.credential_hash("k" * 20, token)) and not tokens.same_hash(one, other)


def test_old_hashes_are_rekeyed_at_start_up_and_another_key_revokes(rabbit_config, database, service_container):
    config = config_of(DatabaseServiceSettings, amqp_uri=rabbit_config["AMQP_URI"], database_url=database,
                       credential_key="the-first-credential-key")
    first = service_container(CatalogueService, config)
    first.start()
    with entrypoint_hook(first, "register_provider") as register:
        provider = register({"name": "Van voor de sleutels", "kind": "opleider"})
    first.stop()
    key = provider["api_key"]
    plain = hashlib.sha256(key.encode()).hexdigest()
    with psycopg.connect(database, autocommit=True) as conn:      # as a platform before keyed hashes stored it
        conn.execute("UPDATE providers SET api_key_hash = %s", (plain,))

    second = service_container(CatalogueService, config)
    second.start()
    with entrypoint_hook(second, "authenticate_provider") as authenticate:
        assert authenticate(key)["id"] == provider["id"]
    second.stop()
    with psycopg.connect(database) as conn:
        stored = conn.execute("SELECT api_key_hash FROM providers").fetchone()[0]
    assert stored == tokens.credential_hash("the-first-credential-key", key) and plain not in stored

    third = service_container(CatalogueService, {**config, "CREDENTIAL_KEY": "another-credential-key"})
    third.start()
    with entrypoint_hook(third, "authenticate_provider") as authenticate:
        with pytest.raises(Unauthorized):
            authenticate(key)


def test_production_refuses_the_development_key(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:5432/d")
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("CREDENTIAL_KEY", raising=False)
    with pytest.raises(ConfigurationError) as refused:
        load_settings(DatabaseServiceSettings)
    assert "CREDENTIAL_KEY" in str(refused.value)
    monkeypatch.setenv("CREDENTIAL_KEY", "a-real-key-for-production-" + "x" * 10)
    assert load_settings(DatabaseServiceSettings).credential_key.startswith("a-real-key")
