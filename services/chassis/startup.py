"""``@on_start``: run a service method once, in a normal worker, right after the service started
(a read model that rebuilds itself when its store is empty)."""
from __future__ import annotations

from nameko.extensions import Entrypoint


class OnStart(Entrypoint):
    def start(self):
        self.container.spawn_managed_thread(self._run, identifier=f"on_start.{self.method_name}")

    def _run(self):
        self.container.spawn_worker(self, (), {})


on_start = OnStart.decorator
