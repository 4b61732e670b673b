"""The platform on a three-node RabbitMQ cluster with quorum queues: a node killed (SIGKILL) in
the middle of a 10,000-course import and a burst of 500 intakes loses and doubles nothing, and
the node comes back and rejoins."""
from __future__ import annotations

import time

import pytest

from tests.faults.test_broker_restart import mid_import_and_burst
from tests.infra import ROOT, Platform, eventually
from tests.scale.conftest import cluster_script

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def platform(rabbit_cluster, postgres, mail_server):
    """The whole platform on the cluster (its own vhost and databases)."""
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(rabbit_cluster, postgres, log_dir, extra_env={"SMTP_URL": mail_server.url})
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_every_durable_queue_is_a_quorum_queue(platform, rabbit_cluster):
    queues = rabbit_cluster.queues(platform.vhost)
    durable = {q["name"]: q["type"] for q in queues if q["durable"]}
    # the services' RPC and event queues at least (their retry and dead queues come with a failure)
    assert {"rpc-intake", "rpc-catalogue", "rpc-search"} <= set(durable), sorted(durable)
    assert any(name.startswith("evt-catalogue-course_published--search") for name in durable), sorted(durable)
    assert set(durable.values()) == {"quorum"}, {n: t for n, t in durable.items() if t != "quorum"}
    # what must not outlive its connection stays a classic, exclusive or auto-deleted queue
    assert all(q["type"] == "classic" for q in queues if not q["durable"])


def test_a_node_killed_mid_import_and_mid_burst_loses_and_doubles_nothing(platform, provider, anonymous, teams,
                                                                         rabbit_cluster, mail_server, reliability):
    def kill_first_node():
        # node 1 is the first of every service's URIs: all their connections are there
        cluster_script("kill", "1")
    mid_import_and_burst(platform, provider, mail_server, reliability, kill_first_node,
                         injected="RabbitMQ cluster: node 1 of 3 killed (SIGKILL)")
    assert rabbit_cluster.running_nodes() == 2
    # searches go out without publisher confirms (services/chassis/replies.py): they still arrive
    # and are answered on the two nodes left
    for _ in range(20):
        assert anonymous.get("/api/v1/search", params={"q": "broker"}, timeout=10).status_code == 200
    cluster_script("start-node", "1")
    eventually(lambda: rabbit_cluster.running_nodes() == 3, timeout=120, interval=1, message="node 1 rejoined")
    # and serves again: the platform still answers through it
    started = time.monotonic()
    assert provider.get("/api/v1/providers/me/courses", params={"page_size": 1}).status_code == 200
    assert time.monotonic() - started < 5
