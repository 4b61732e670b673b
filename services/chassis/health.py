"""Health plumbing: every service answers the ``health`` RPC; the gateway's /health asks them all.
With ``HEARTBEAT_FILE`` set, each process also touches that file every ``HEARTBEAT_SECONDS``
from its own event loop: a liveness probe of this one process (Kubernetes, deploy/k8s), where
the ``health`` RPC is answered by whichever process of the service takes it."""
from __future__ import annotations

import logging
from pathlib import Path

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from services.chassis.postgres import database_attribute


log = logging.getLogger(__name__)


class Heartbeat(DependencyProvider):
    """Touches ``HEARTBEAT_FILE`` every ``HEARTBEAT_SECONDS`` while the container runs (nothing
    when the file is not configured). A hub that is blocked or a process that hangs stops it."""

    def setup(self):
        self.path = self.container.config.get("HEARTBEAT_FILE")
        self.seconds = float(self.container.config.get("HEARTBEAT_SECONDS", 10))
        self._running = False

    def start(self):
        if self.path:
            self._running = True
            self.container.spawn_managed_thread(self._beat)

    def stop(self):
        self._running = False

    def kill(self):
        self._running = False

    def _beat(self):
        path = Path(self.path)
        while self._running:
            try:
                path.touch()
            except OSError as exc:      # the probe fails on its own; say why once a beat
                log.warning("cannot touch the heartbeat file %s: %s", path, exc)
            eventlet.sleep(self.seconds)


class HealthMixin:
    """Mix into a service class: ``health()`` checks the service's database in a transaction;
    ``heartbeat`` keeps the process's liveness file fresh."""

    heartbeat = Heartbeat()

    @rpc
    def health(self) -> dict:
        try:
            attr = database_attribute(type(self))
        except TypeError:
            return {"status": "ok"}
        with getattr(self, attr).transaction() as tx:
            tx.ping()
        return {"status": "ok"}
