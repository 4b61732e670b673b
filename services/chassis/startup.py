"""``@on_start``: run a service method once, in a normal worker, right after the service started
(a read model that rebuilds itself when its store is empty)."""
from __future__ import annotations

from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer


class OnStart(Entrypoint):
    def start(self):
        self.container.spawn_managed_thread(self._run, identifier=f"on_start.{self.method_name}")

    def _run(self):
        # Extensions start side by side: wait until the service consumes its queues, among
        # them the reply queue of its RPC proxies. A call made before that had its reply
        # dropped by the broker (no such queue yet) and waited for a retry.
        for extension in self.container.extensions:
            if isinstance(extension, QueueConsumer):
                extension._consumers_ready.wait()
        self.container.spawn_worker(self, (), {})


on_start = OnStart.decorator
