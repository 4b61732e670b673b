"""A process's liveness file: touched every HEARTBEAT_SECONDS from its event loop while the
container runs, never once it stopped, and not at all unless configured."""
from __future__ import annotations

import time

from nameko.rpc import rpc

from services.chassis.health import HealthMixin
from tests.infra import eventually


class Beating(HealthMixin):
    name = "beating"

    @rpc
    def nothing(self):
        return None


def test_a_running_service_touches_its_heartbeat_file_and_a_stopped_one_does_not(rabbit_config, service_container,
                                                                               tmp_path):
    path = tmp_path / "alive"
    container = service_container(Beating, {**rabbit_config, "HEARTBEAT_FILE": str(path), "HEARTBEAT_SECONDS": 0.1})
    container.start()
    first = eventually(lambda: path.exists() and path.stat().st_mtime_ns, timeout=5, message="heartbeat file made")
    eventually(lambda: path.stat().st_mtime_ns > first, timeout=5, message="heartbeat file touched again")
    container.stop()
    stopped = path.stat().st_mtime_ns
    time.sleep(0.5)
    assert path.stat().st_mtime_ns == stopped


def test_without_a_heartbeat_file_nothing_is_written(rabbit_config, service_container, tmp_path):
    container = service_container(Beating, dict(rabbit_config))
    container.start()
    time.sleep(0.3)
    container.stop()
    assert list(tmp_path.iterdir()) == []
