"""docker-compose.yml cannot run here (no Docker engine); check it stays consistent with the
local run: the same services, started the same way, configured by the same variables."""
from __future__ import annotations

import importlib
import re

import yaml

from services.run import SERVICES
from tests.infra import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_runs_with_the_local_start_command():
    services = compose()["services"]
    # beside the services: the infrastructure, and the mail catcher notify sends to
    assert set(SERVICES) | {"rabbitmq", "postgres", "opensearch", "mailcatcher"} == {
        name for name, service in services.items() if "profiles" not in service}
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
    for env in ({"OPENSEARCH_PASSWORD": "Pw-1x"}, CLUSTER):     # alone and in the cluster
        assert all(url.startswith("https://") for url in service_env("search", env)["OPENSEARCH_URL"].split(","))
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

    from services.gateway import service
    from tests.contract.test_api_design_rules import served_document

    entrypoints = [(name, entrypoint) for name, member in inspect.getmembers(service.GatewayService)
                   for entrypoint in getattr(member, "nameko_entrypoints", ())]
    routes = {(entrypoint.method.lower(), re.sub(r"<(\w+)>", r"{\1}", entrypoint.url)) for _, entrypoint in entrypoints}
    # every route is served by a method of its own: none hides another
    assert len(routes) == len(entrypoints) == len({name for name, _ in entrypoints}) > 80
    documented = {(method, path) for path, item in served_document()["paths"].items()
                  for method in item if method != "parameters"}
    assert routes - {("get", "/openapi.json")} == documented


def interpolated(value, env: dict) -> str:
    """A value as compose reads it: ${VAR}, ${VAR:-default} and ${VAR:?error} from ``env``."""
    def one(match):
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        assert op != ":?", f"{name} must be set: {rest}"
        return rest if op == ":-" else ""
    return re.sub(r"\$\{([A-Z0-9_]+)(:-|:\?)?([^}]*)\}", one, str(value))


def env_file(path: str) -> dict:
    lines = (ROOT / path).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


CLUSTER = {**env_file("deploy/docker/cluster.env"), "OPENSEARCH_PASSWORD": "Pw-1x", "RABBITMQ_ERLANG_COOKIE": "c00kie"}


def service_env(name: str, env: dict) -> dict:
    return {k: interpolated(v, env) for k, v in compose()["services"][name].get("environment", {}).items()}


def test_the_cluster_profile_adds_two_rabbitmq_and_two_opensearch_nodes_and_nothing_else():
    services = compose()["services"]
    profiled = {name for name, service in services.items() if "profiles" in service}
    assert profiled == {"rabbitmq-2", "rabbitmq-3", "opensearch-2", "opensearch-3"}
    assert all(services[name]["profiles"] == ["cluster"] for name in profiled)


def test_the_rabbitmq_nodes_find_each_other_and_declare_quorum_queues():
    services = compose()["services"]
    conf = (ROOT / "deploy/docker/rabbitmq.conf").read_text()
    settings = dict(line.split(" = ", 1) for line in conf.splitlines() if line.strip() and not line.startswith("#"))
    listed = {v for k, v in settings.items() if k.startswith("cluster_formation.classic_config.nodes.")}
    nodes = ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]
    assert listed == {f"rabbit@{node}" for node in nodes}
    assert settings["default_queue_type"] == "quorum"
    assert settings["cluster_partition_handling"] == "pause_minority"
    for node in nodes:
        assert services[node]["hostname"] == node           # the node name rabbitmq.conf lists
        assert any(v.startswith("./deploy/docker/rabbitmq.conf:/etc/rabbitmq/conf.d/") for v in services[node]["volumes"])
        # one cookie for all three, from the shell, never from a file of this repository
        assert service_env(node, CLUSTER)["RABBITMQ_ERLANG_COOKIE"] == "c00kie"
    secrets = [k for k in env_file("deploy/docker/cluster.env")
               if any(word in k.lower() for word in ("cookie", "password", "secret", "key", "token"))]
    assert not secrets, f"cluster.env holds secrets: {secrets}"


def test_in_the_cluster_every_service_knows_every_rabbitmq_node_and_alone_only_the_one():
    from services.chassis.settings import AmqpUris
    from pydantic import TypeAdapter

    for name in SERVICES:
        alone = service_env(name, {"OPENSEARCH_PASSWORD": "Pw-1x"})["AMQP_URI"]
        assert alone == "amqp://guest:guest@rabbitmq:5672/"
        uris = TypeAdapter(AmqpUris).validate_python(service_env(name, CLUSTER)["AMQP_URI"]).split(";")
        assert [re.match(r"amqp://[^@]+@([^:/]+)", uri).group(1) for uri in uris] == ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]


def test_the_opensearch_nodes_form_one_cluster_and_search_keeps_a_replica_on_it():
    nodes = ["opensearch", "opensearch-2", "opensearch-3"]
    alone = service_env("opensearch", {"OPENSEARCH_PASSWORD": "Pw-1x"})
    # empty settings are left out by the image: alone it is a single node with nothing to join
    assert alone["discovery.type"] == "single-node"
    assert alone["discovery.seed_hosts"] == alone["cluster.initial_cluster_manager_nodes"] == ""
    names = set()
    for node in nodes:
        env = service_env(node, CLUSTER)
        assert env["cluster.name"] == "scholingsalliantie"
        assert env.get("discovery.type", "zen") == "zen"
        assert env["discovery.seed_hosts"].split(",") == nodes
        assert env["cluster.initial_cluster_manager_nodes"].split(",") == nodes
        assert env["OPENSEARCH_INITIAL_ADMIN_PASSWORD"] == "Pw-1x"
        assert "ports" not in compose()["services"][node]
        names.add(env["node.name"])
    assert names == set(nodes)
    search = service_env("search", CLUSTER)
    assert [url.split("//")[1].split(":")[0] for url in search["OPENSEARCH_URL"].split(",")] == nodes
    assert search["OPENSEARCH_REPLICAS"] == "1"
    assert service_env("search", {"OPENSEARCH_PASSWORD": "Pw-1x"})["OPENSEARCH_REPLICAS"] == "0"
