"""The Kubernetes manifests (deploy/k8s/scholingsalliantie.yaml) are what deploy/k8s/render.py
renders, every object of a built-in kind is valid for Kubernetes 1.37 (kubernetes-validate,
strict, offline), the operators' objects carry what their operators need, and every service is
deployed with what it reads."""
from __future__ import annotations

import importlib

import kubernetes_validate
import pytest
import yaml

from deploy.k8s import render
from services.run import SERVICES
from tests.infra import ROOT

MANIFEST = ROOT / "deploy" / "k8s" / "scholingsalliantie.yaml"
OPERATOR_KINDS = {("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("rabbitmq.com/v1beta1", "Vhost"),
                  ("rabbitmq.com/v1beta1", "Permission"), ("rabbitmq.com/v1beta1", "User"), ("keda.sh/v1alpha1", "ScaledObject"),
                  ("keda.sh/v1alpha1", "TriggerAuthentication"), ("postgresql.cnpg.io/v1", "Cluster"),
                  ("postgresql.cnpg.io/v1", "Database")}


def objects() -> list[dict]:
    return [o for o in yaml.safe_load_all(MANIFEST.read_text()) if o]


def of_kind(kind: str) -> dict:
    return {o["metadata"]["name"]: o for o in objects() if o["kind"] == kind}


def test_the_file_is_what_the_declarations_render():
    assert MANIFEST.read_text() == render.render(), "run: python -m deploy.k8s.render"


@pytest.mark.parametrize("obj", [o for o in objects() if (o["apiVersion"], o["kind"]) not in OPERATOR_KINDS],
                         ids=lambda o: f"{o['kind']}/{o['metadata']['name']}")
def test_each_built_in_object_is_valid_kubernetes(obj):
    kubernetes_validate.validate(obj, "1.37.0", strict=True)      # raises on the first error


def test_only_the_operators_kinds_are_left_unvalidated():
    kinds = {(o["apiVersion"], o["kind"]) for o in objects()}
    unknown = set()
    for obj in objects():
        try:
            kubernetes_validate.validate(obj, "1.37.0", strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unknown.add((obj["apiVersion"], obj["kind"]))
    assert unknown == OPERATOR_KINDS & kinds


def test_every_service_is_deployed_with_probes_limits_a_budget_and_a_scaler():
    deployments, budgets = of_kind("Deployment"), of_kind("PodDisruptionBudget")
    scalers = {**of_kind("ScaledObject"), **of_kind("HorizontalPodAutoscaler")}
    assert set(deployments) == set(SERVICES)
    for name in SERVICES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == [name]
        assert container["livenessProbe"] and container["readinessProbe"]
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}
        assert budgets[name]["spec"]["minAvailable"] == 1
        assert deployments[name]["spec"]["replicas"] >= 2
    assert of_kind("HorizontalPodAutoscaler")["gateway"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    for name in set(SERVICES) - {"gateway"}:
        trigger = scalers[name]["spec"]["triggers"][0]
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["mode"] == "QueueLength"


def test_every_variable_is_one_the_service_reads_and_every_required_one_is_set():
    for name, deployment in of_kind("Deployment").items():
        settings = importlib.import_module(f"services.{name}.service").Settings
        known = {field.upper() for field in settings.model_fields}
        env = {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        helpers = {"RABBITMQ_USER", "RABBITMQ_PASSWORD", "PG_USER", "PG_PASSWORD"}   # parts of the URIs
        assert env - helpers <= known, f"{name}: {env - helpers - known} are not read by the service"
        required = {f.upper() for f, info in settings.model_fields.items() if info.is_required()}
        assert required <= env, f"{name}: not set: {required - env}"
        for variable in env:        # secrets come from Secrets, never written in the file
            entry = next(e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == variable)
            if any(word in variable.lower() for word in ("key", "token", "secret", "password")):
                assert "secretKeyRef" in entry.get("valueFrom", {}), f"{name}: {variable} is written in the file"


def test_the_brokers_queues_are_quorum_queues_and_a_write_waits_for_the_standby():
    assert of_kind("RabbitmqCluster")["rabbitmq"]["spec"]["replicas"] == 3
    vhost = next(iter(of_kind("Vhost").values()))["spec"]
    assert vhost["defaultQueueType"] == "quorum"
    for deployment in of_kind("Deployment").values():
        env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["AMQP_URI"].endswith("/" + vhost["name"])
    postgres = of_kind("Cluster")["postgres"]["spec"]
    assert postgres["instances"] == 2 and postgres["minSyncReplicas"] == 1
    databases = {o["spec"]["name"] for o in of_kind("Database").values()} | {postgres["bootstrap"]["initdb"]["database"]}
    assert databases == set(SERVICES) - {"gateway"}
    assert of_kind("StatefulSet")["opensearch"]["spec"]["replicas"] == 3
