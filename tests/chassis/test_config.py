"""A service with a missing or malformed variable refuses to start and names the variable."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.infra import ROOT


def start(service: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("AMQP_URI", "DATABASE_URL", "ADMIN_TOKEN", "APP_ENV", "GATEWAY_PORT")}
    return subprocess.run([sys.executable, "-m", "services.run", service], env={**clean, **env},
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env, variable, problem", [
    ({"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/"}, "DATABASE_URL", "is missing"),
    ({"DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}, "AMQP_URI", "is missing"),
    ({"AMQP_URI": "not a url", "DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}, "AMQP_URI", "is invalid"),
    ({"AMQP_URI": "amqp://h/", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL", "is invalid"),
    # a cluster's nodes: every part must be an AMQP URI
    ({"AMQP_URI": "amqp://a:5672/;http://b/", "DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}, "AMQP_URI",
     "is invalid"),
    ({"AMQP_URI": " ; ", "DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}, "AMQP_URI", "is invalid"),
    ({"AMQP_URI": "amqp://h/", "DATABASE_URL": "postgresql://h/x", "MAX_WORKERS": "many"}, "MAX_WORKERS", "is invalid"),
])
def test_catalogue_names_the_bad_variable(env, variable, problem):
    result = start("catalogue", **env)
    assert result.returncode == 2
    assert f"{variable} {problem}" in result.stderr, result.stderr


def test_gateway_in_production_needs_an_admin_token():
    result = start("gateway", AMQP_URI="amqp://h/", APP_ENV="production")
    assert result.returncode == 2
    assert "ADMIN_TOKEN is invalid: Value error, must be set when APP_ENV=production" in result.stderr


@pytest.mark.parametrize("token, env, why", [
    ("a" * 20, "development", "only 1 different characters"),
    ("abcabcabcabcabcabcabc", "test", "only 3 different characters"),
    ("our-Admin-password-2027", "production", "it holds the word 'admin'"),
    ("short-T0ken", "production", "at least 16 characters"),
])
def test_the_gateway_refuses_a_weak_admin_token(token, env, why):
    result = start("gateway", AMQP_URI="amqp://h/", APP_ENV=env, ADMIN_TOKEN=token)
    assert result.returncode == 2 and "ADMIN_TOKEN is invalid" in result.stderr and why in result.stderr, result.stderr


def test_unknown_service_is_a_usage_error():
    result = start("billing")
    assert result.returncode == 2 and "usage:" in result.stderr


def test_a_cluster_s_nodes_are_one_amqp_uri_each():
    from services.chassis.settings import ServiceSettings

    settings = ServiceSettings(amqp_uri="amqp://u:p@a:5672/v; amqp://u:p@b:5673/v")
    assert settings.nameko_config()["AMQP_URI"] == "amqp://u:p@a:5672/v;amqp://u:p@b:5673/v"
