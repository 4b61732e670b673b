"""Writes deploy/k8s/scholingsalliantie.yaml: the platform on Kubernetes, from the declarations
below (one per service), so six Deployments are not six copies of one. The suite renders it
again and compares, and validates every object offline (tests/contract/test_k8s.py).

    python -m deploy.k8s.render            # rewrite the file
    python -m deploy.k8s.render --check    # exit 1 when the file is not what this renders

What runs where:
- every service a Deployment of the one image (deploy/docker/Dockerfile), its service as the
  argument; liveness and readiness of a process from its heartbeat file (HEARTBEAT_FILE,
  services/chassis/health.py), the gateway's from its own HTTP answer (/openapi.json: no RPC, so
  a slow service does not take every gateway out of its Service); a PodDisruptionBudget each;
- the gateway scaled by CPU (HorizontalPodAutoscaler), the consumers by the length of their
  busiest queue (KEDA's RabbitMQ scaler);
- RabbitMQ through the Cluster Operator (RabbitmqCluster, three nodes) and the Messaging Topology
  Operator (a vhost whose durable queues are quorum queues); PostgreSQL through CloudNativePG (a
  primary and a synchronous standby; the services use the -rw Service, always the primary);
  OpenSearch as a StatefulSet of three nodes;
- secrets from Secrets: CloudNativePG's own (postgres-app), and platform-rabbitmq (the services'
  RabbitMQ user) and platform-secrets, which the operator of the platform creates
  (docs/scale-out.md).

Resources come from measurements (docs/benchmarks.md, docs/scale-out.md): a service process
holds 70-82 MiB idle and the catalogue 104-111 MiB after a 100,000-offering import; one
eventlet process uses at most one core. Search's memory grows with the catalogue (its engine
and caches): its limit is a bound to check with `make bench-scale` at national size.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

NAMESPACE = "scholingsalliantie"
IMAGE = "scholingsalliantie:0.1.0"      # built from deploy/docker/Dockerfile and pushed by the operator
OUT = Path(__file__).with_name("scholingsalliantie.yaml")
VHOST = "scholingsalliantie"
HEARTBEAT = "/tmp/alive"

# service: replicas at least, CPU and memory (request, limit), its own variables, the secrets it
# reads (variable: key in platform-secrets), and the queue KEDA scales it by (None: not by KEDA)
SERVICES = {
    "catalogue": dict(replicas=2, cpu=("200m", "1"), memory=("160Mi", "512Mi"), queue="rpc-catalogue",
                      env={}, secrets=("CREDENTIAL_KEY", "OOAPI_SECRET_KEY")),
    "search": dict(replicas=2, cpu=("500m", "1"), memory=("512Mi", "2Gi"),
                   queue="evt-catalogue-course_published--search.handle_course_published",
                   env={"SEARCH_BACKEND": "opensearch", "OPENSEARCH_URL": "https://opensearch:9200",
                        "OPENSEARCH_USER": "admin", "OPENSEARCH_SHARDS": "3", "OPENSEARCH_REPLICAS": "1"},
                   secrets=("CREDENTIAL_KEY", "OPENSEARCH_PASSWORD")),
    "intake": dict(replicas=2, cpu=("200m", "1"), memory=("128Mi", "512Mi"), queue="rpc-intake",
                   env={"INTAKE_ERASURE_LOG": "/var/lib/intake-erasures/erasures.log"},
                   secrets=("CREDENTIAL_KEY", "INTAKE_HASH_KEY")),
    "notify": dict(replicas=2, cpu=("100m", "1"), memory=("128Mi", "512Mi"), queue="evt-intake-#--notify.handle_intake_events",
                   env={"PUBLIC_BASE_URL": "https://scholingsalliantie.example.nl"},
                   secrets=("CREDENTIAL_KEY", "NOTIFY_HASH_KEY", "NOTIFY_TOKEN_KEY", "SMTP_URL")),
    "analytics": dict(replicas=2, cpu=("200m", "1"), memory=("160Mi", "1Gi"),
                      queue="evt-search-#--analytics.handle_search_event", env={}, secrets=("CREDENTIAL_KEY",)),
    "gateway": dict(replicas=2, cpu=("250m", "1"), memory=("128Mi", "512Mi"), queue=None,
                    env={"GATEWAY_HOST": "0.0.0.0", "GATEWAY_PORT": "8000", "TRUSTED_PROXIES": "10.0.0.0/8"},
                    secrets=("ADMIN_TOKEN",),
                    # staff sign-in with the alliance's OpenID provider: set these keys to switch it on
                    optional_secrets=("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")),
}
SHARED_ENV = {"APP_ENV": "production", "HEARTBEAT_FILE": HEARTBEAT, "HEARTBEAT_SECONDS": "10"}


def meta(name: str, **labels) -> dict:
    return {"name": name, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/part-of": NAMESPACE, **labels}}


def secret_env(variable: str, secret: str, key: str, optional: bool = False) -> dict:
    return {"name": variable, "valueFrom": {"secretKeyRef": {"name": secret, "key": key,
                                                             **({"optional": True} if optional else {})}}}


def env_of(service: str, spec: dict) -> list[dict]:
    env = [secret_env("RABBITMQ_USER", "platform-rabbitmq", "username"),
           secret_env("RABBITMQ_PASSWORD", "platform-rabbitmq", "password"),
           # Kubernetes expands $(NAME) of variables listed before this one
           {"name": "AMQP_URI", "value": f"amqp://$(RABBITMQ_USER):$(RABBITMQ_PASSWORD)@rabbitmq:5672/{VHOST}"}]
    if service != "gateway":
        env += [secret_env("PG_USER", "postgres-app", "username"), secret_env("PG_PASSWORD", "postgres-app", "password"),
                {"name": "DATABASE_URL", "value": f"postgresql://$(PG_USER):$(PG_PASSWORD)@postgres-rw:5432/{service}"}]
    env += [{"name": k, "value": v} for k, v in {**SHARED_ENV, **spec["env"]}.items()]
    env += [secret_env(variable, "platform-secrets", variable.lower().replace("_", "-")) for variable in spec["secrets"]]
    env += [secret_env(variable, "platform-secrets", variable.lower().replace("_", "-"), optional=True)
            for variable in spec.get("optional_secrets", ())]
    return env


def probes(service: str) -> dict:
    if service == "gateway":
        http = {"httpGet": {"path": "/openapi.json", "port": 8000}}
        return {"readinessProbe": {**http, "periodSeconds": 5, "failureThreshold": 3},
                "livenessProbe": {**http, "initialDelaySeconds": 10, "periodSeconds": 20, "failureThreshold": 3}}
    # the heartbeat is at most 10 s old while the process's event loop runs
    fresh = {"exec": {"command": ["sh", "-c", f"test $(( $(date +%s) - $(stat -c %Y {HEARTBEAT}) )) -lt 45"]}}
    return {"readinessProbe": {**fresh, "initialDelaySeconds": 5, "periodSeconds": 10},
            "livenessProbe": {**fresh, "initialDelaySeconds": 30, "periodSeconds": 20, "failureThreshold": 3}}


def deployment(service: str, spec: dict) -> dict:
    labels = {"app.kubernetes.io/name": service}
    container = {
        "name": service, "image": IMAGE, "args": [service], "env": env_of(service, spec),
        "resources": {"requests": {"cpu": spec["cpu"][0], "memory": spec["memory"][0]},
                      "limits": {"cpu": spec["cpu"][1], "memory": spec["memory"][1]}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "readOnlyRootFilesystem": True,
                            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        **probes(service),
    }
    volumes = [{"name": "tmp", "emptyDir": {}}]
    if service == "gateway":
        container["ports"] = [{"name": "http", "containerPort": 8000}]
    if service == "intake":       # the erasure log outlives a pod, apart from the database and its backups
        container["volumeMounts"].append({"name": "erasures", "mountPath": "/var/lib/intake-erasures"})
        volumes.append({"name": "erasures", "persistentVolumeClaim": {"claimName": "intake-erasures"}})
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(service, **labels),
            "spec": {"replicas": spec["replicas"], "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": {"app.kubernetes.io/part-of": NAMESPACE, **labels}},
                                  "spec": {"containers": [container], "volumes": volumes,
                                           "terminationGracePeriodSeconds": 30}}}}


def budget(service: str) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(service),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": service}}}}


def scaler(service: str, spec: dict) -> dict:
    if spec["queue"] is None:     # the gateway: by CPU
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta(service),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
                         "minReplicas": spec["replicas"], "maxReplicas": 10,
                         "metrics": [{"type": "Resource", "resource": {
                             "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta(service),
            "spec": {"scaleTargetRef": {"name": service}, "minReplicaCount": spec["replicas"], "maxReplicaCount": 8,
                     "triggers": [{"type": "rabbitmq", "authenticationRef": {"name": "rabbitmq"},
                                   "metadata": {"protocol": "amqp", "mode": "QueueLength", "value": "200",
                                                "queueName": spec["queue"], "vhostName": VHOST}}]}}


def infrastructure() -> list[dict]:
    app = {"app.kubernetes.io/name": "opensearch"}
    opensearch_env = {
        "cluster.name": "scholingsalliantie", "node.name": "$(POD_NAME)",
        "discovery.seed_hosts": "opensearch-0.opensearch-nodes,opensearch-1.opensearch-nodes,opensearch-2.opensearch-nodes",
        "cluster.initial_cluster_manager_nodes": "opensearch-0,opensearch-1,opensearch-2",
        "OPENSEARCH_JAVA_OPTS": "-Xms1g -Xmx1g"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta("intake-erasures"),
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("gateway"),
         "spec": {"selector": {"app.kubernetes.io/name": "gateway"}, "ports": [{"name": "http", "port": 80, "targetPort": 8000}]}},
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster", "metadata": meta("rabbitmq"),
         "spec": {"replicas": 3, "image": "rabbitmq:3.13-management",
                  "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
                  "rabbitmq": {"additionalConfig": "cluster_partition_handling = pause_minority\n"}}},
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Vhost", "metadata": meta(VHOST),
         "spec": {"name": VHOST, "defaultQueueType": "quorum", "rabbitmqClusterReference": {"name": "rabbitmq"}}},
        # the services' own user, its credentials from the Secret platform-rabbitmq (username, password)
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "User", "metadata": meta("platform"),
         "spec": {"tags": [], "importCredentialsSecret": {"name": "platform-rabbitmq"},
                  "rabbitmqClusterReference": {"name": "rabbitmq"}}},
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Permission", "metadata": meta("platform-on-vhost"),
         "spec": {"vhost": VHOST, "userReference": {"name": "platform"},
                  "permissions": {"configure": ".*", "write": ".*", "read": ".*"},
                  "rabbitmqClusterReference": {"name": "rabbitmq"}}},
        {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication", "metadata": meta("rabbitmq"),
         "spec": {"secretTargetRef": [{"parameter": "host", "name": "platform-secrets", "key": "keda-amqp-uri"}]}},
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": meta("postgres"),
         "spec": {"instances": 2, "imageName": "ghcr.io/cloudnative-pg/postgresql:15",
                  # an accepted write is on both instances before the service answers
                  "minSyncReplicas": 1, "maxSyncReplicas": 1,
                  "bootstrap": {"initdb": {"database": "catalogue", "owner": "app"}},
                  "storage": {"size": "20Gi"},
                  "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}}},
        *[{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database", "metadata": meta(f"db-{name}"),
           "spec": {"name": name, "owner": "app", "cluster": {"name": "postgres"}}}
          for name in SERVICES if name not in ("gateway", "catalogue")],
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("opensearch-nodes", **app),
         "spec": {"clusterIP": "None", "selector": app,
                  "ports": [{"name": "http", "port": 9200}, {"name": "transport", "port": 9300}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("opensearch", **app),
         "spec": {"selector": app, "ports": [{"name": "http", "port": 9200}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("opensearch", **app),
         "spec": {"serviceName": "opensearch-nodes", "replicas": 3, "selector": {"matchLabels": app},
                  "template": {"metadata": {"labels": {"app.kubernetes.io/part-of": NAMESPACE, **app}}, "spec": {
                      "containers": [{
                          "name": "opensearch", "image": "opensearchproject/opensearch:2.17.1",
                          "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                  *[{"name": k, "value": v} for k, v in opensearch_env.items()],
                                  secret_env("OPENSEARCH_INITIAL_ADMIN_PASSWORD", "platform-secrets", "opensearch-password")],
                          "ports": [{"containerPort": 9200, "name": "http"}, {"containerPort": 9300, "name": "transport"}],
                          "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
                          "readinessProbe": {"tcpSocket": {"port": 9200}, "periodSeconds": 10},
                          "volumeMounts": [{"name": "data", "mountPath": "/usr/share/opensearch/data"}]}]}},
                  "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}]}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("opensearch"),
         "spec": {"maxUnavailable": 1, "selector": {"matchLabels": app}}},
    ]


def objects() -> list[dict]:
    platform = []
    for service, spec in SERVICES.items():
        platform += [deployment(service, spec), budget(service), scaler(service, spec)]
    return infrastructure() + platform


def render() -> str:
    header = "# Generated by `python -m deploy.k8s.render` from deploy/k8s/render.py: edit that, not this.\n"
    return header + yaml.safe_dump_all(objects(), sort_keys=False, width=120)


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if OUT.read_text() != text:
            print(f"{OUT} is not what deploy/k8s/render.py renders: run python -m deploy.k8s.render", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(objects())} objects)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
