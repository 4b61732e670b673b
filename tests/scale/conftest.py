"""Fixtures of the scale-out tests: a three-node RabbitMQ cluster (deploy/local/rabbit_cluster.sh),
started for a module and removed by the same script afterwards. A module that runs the platform
on it says so with its own ``platform`` fixture (test_rabbit_cluster.py)."""
from __future__ import annotations

import os
import subprocess

import pytest
import requests

from tests.e2e.conftest import teams
from tests.infra import ROOT, Rabbit

__all__ = ["teams"]
CLUSTER = ROOT / "deploy" / "local" / "rabbit_cluster.sh"


def cluster_script(*args: str, timeout: float = 180) -> str:
    env = {**os.environ, "SA_PROFILE": "test"}
    for name in ("RUN_DIR", "AMQP_URI", "RABBIT_API_URI", "HOME_RABBIT"):   # env.sh derives them for the profile
        env.pop(name, None)
    return subprocess.run(["bash", str(CLUSTER), *args], env=env, check=True, capture_output=True, text=True,
                          timeout=timeout).stdout


class ClusterRabbit(Rabbit):
    """The cluster as the tests' Rabbit: vhosts with quorum queues by default, URIs listing every
    node (the services fail over along them), the management API of a node that is up."""

    def __init__(self):
        self.uris = cluster_script("uris").strip().split(";")
        self.apis = [f"http://127.0.0.1:{int(uri.rsplit(':', 1)[1].strip('/')) + 1}/api" for uri in self.uris]
        self.amqp_uri, self.auth = self.uris[0], ("guest", "guest")

    @property
    def api(self) -> str:
        for api in self.apis:
            try:
                if requests.get(f"{api}/overview", auth=self.auth, timeout=2).status_code == 200:
                    return api
            except requests.RequestException:
                continue
        raise RuntimeError("no node of the cluster answers")

    def create_vhost(self) -> str:
        name = f"sa_test_{os.urandom(5).hex()}"
        cluster_script("vhost", name)      # the management API of 3.10 ignores a default queue type
        return name

    def delete_vhost(self, name: str) -> None:
        """As on one node, but a node still down (a test that failed before restarting it) can keep
        the deletion of quorum queues waiting past the request's patience: the module's fixture
        removes the whole cluster afterwards anyway, so that is no error of the test."""
        try:
            super().delete_vhost(name)
        except requests.RequestException as exc:
            print(f"vhost {name} left to the cluster's removal: {exc}")

    def uri_for(self, vhost: str) -> str:
        return ";".join(uri + vhost for uri in self.uris)

    def running_nodes(self) -> int:
        return sum(1 for node in requests.get(f"{self.api}/nodes", auth=self.auth, timeout=10).json() if node.get("running"))


@pytest.fixture(scope="module")
def rabbit_cluster():
    cluster_script("clean")         # a new cluster, whatever an interrupted run left
    cluster_script("start")
    try:
        yield ClusterRabbit()
    finally:
        cluster_script("clean")
