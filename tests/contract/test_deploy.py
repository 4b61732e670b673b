"""docker-compose.yml cannot run here (no Docker engine); check it stays consistent with the
local run: the same services, started the same way, configured by the same variables."""
from __future__ import annotations

import importlib

import yaml

from services.run import SERVICES
from tests.infra import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_runs_with_the_local_start_command():
    services = compose()["services"]
    # beside the services: the infrastructure, and the mail catcher notify sends to
    assert set(SERVICES) | {"rabbitmq", "postgres", "opensearch", "mailcatcher"} == set(services)
    assert "services.notify.mailcatcher" in services["mailcatcher"]["entrypoint"]
    assert services["notify"]["environment"]["SMTP_URL"] == "smtp://mailcatcher:1025"
    for name in SERVICES:
        assert services[name]["command"] == [name]
    assert "services.run" in (ROOT / "deploy/docker/Dockerfile").read_text()
    assert "-m services.run" in (ROOT / "deploy/local/platform.sh").read_text()


def test_every_variable_is_one_the_service_reads():
    for name in SERVICES:
        settings = importlib.import_module(f"services.{name}.service").Settings
        known = {field.upper() for field in settings.model_fields}
        env = set(compose()["services"][name]["environment"])
        assert env <= known, f"{name}: {env - known} are not read by the service"
        required = {f.upper() for f, info in settings.model_fields.items() if info.is_required()}
        assert required <= env, f"{name}: compose does not set {required - env}"


def test_every_secret_comes_from_the_environment_and_opensearch_stays_inside(attack):
    """Each secret a service reads is passed from the environment, none is written in the file;
    OpenSearch publishes no port and keeps its security plugin on (finding 13 of the outside
    security test: 9200 open on every interface with security off)."""
    services = compose()["services"]
    for name in SERVICES:
        settings = importlib.import_module(f"services.{name}.service").Settings
        env = services[name]["environment"]
        for field in settings.model_fields:
            if any(word in field for word in ("key", "token", "secret", "password")):
                assert field.upper() in env, f"{name}: compose does not pass {field.upper()}"
        for variable, value in env.items():
            if any(word in variable.lower() for word in ("key", "token", "secret", "password")):
                assert str(value).startswith("${"), f"{name}: {variable} is written in the file"
    opensearch = services["opensearch"]
    assert "ports" not in opensearch
    assert "DISABLE_SECURITY_PLUGIN" not in opensearch["environment"]
    assert opensearch["environment"]["OPENSEARCH_INITIAL_ADMIN_PASSWORD"].startswith("${")
    assert services["search"]["environment"]["OPENSEARCH_URL"].startswith("https://")
    attack(name="13. OpenSearch open in compose", tried="docker-compose.yml read for ports and the security plugin",
           held="no published port, security on, credentials from the environment")


def test_every_service_waits_for_the_broker_and_the_database():
    """A service's own depends_on replaces the shared one (YAML merge keys do not merge the maps
    inside): search, which also waits for OpenSearch, did not wait for RabbitMQ and PostgreSQL."""
    for name in SERVICES:
        depends = compose()["services"][name]["depends_on"]
        for infra in ("rabbitmq", "postgres"):
            assert depends.get(infra) == {"condition": "service_healthy"}, f"{name} does not wait for {infra}"


def test_postgres_gets_one_database_per_service():
    dbs = compose()["services"]["postgres"]["environment"]["POSTGRES_MULTIPLE_DATABASES"].split(",")
    assert sorted(dbs) == sorted(s for s in SERVICES if s != "gateway")


def test_openapi_lists_every_gateway_route():
    """The OpenAPI document stays true: every HTTP route of the gateway is in it, and back."""
    import inspect
    import re

    from services.gateway import openapi, service

    entrypoints = [(name, entrypoint) for name, member in inspect.getmembers(service.GatewayService)
                   for entrypoint in getattr(member, "nameko_entrypoints", ())]
    routes = {(entrypoint.method.lower(), re.sub(r"<(\w+)>", r"{\1}", entrypoint.url)) for _, entrypoint in entrypoints}
    # every route is served by a method of its own: none hides another
    assert len(routes) == len(entrypoints) == len({name for name, _ in entrypoints}) > 80
    documented = {(method, path) for path, item in openapi.document()["paths"].items()
                  for method in item if method != "parameters"}
    assert routes - {("get", "/openapi.json")} == documented
