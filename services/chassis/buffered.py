"""Events that record what happened for statistics, not a change of state (``search_performed``):
a worker hands them over and goes on; one green thread publishes whatever arrived in the last
``WINDOW`` seconds back to back on one channel.

nameko's ``EventDispatcher`` acquires a pooled connection and producer, declares the exchange and
wraps the publish in a retry policy for every event: a search's event cost the search service about
as much CPU as answering it from the answer cache, and analytics one wake-up per event.
Published in bursts, it costs the search service a fraction of that and analytics about half, and
it no longer delays the answer it describes.

What it gives up and keeps: the events of the last window are only in memory, so a crash of the
service loses them; a graceful stop publishes them first. Each burst waits once for RabbitMQ's
confirms of all its events, so an event leaves memory only once RabbitMQ has it (nameko's
unconfirmed publish, used before, could lose events to a broker restart unnoticed). While RabbitMQ is away they wait (at most
``MAX_WAITING``, oldest dropped first, with a warning) and go out once it is back, in the order
they were dispatched; a burst whose confirms were lost is sent again (consumers skip an
event id they have seen). Each event is its own persistent AMQP message, as ``EventDispatcher``
would publish it.
"""
from __future__ import annotations

import collections
import logging

from amqp import Message
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from services.chassis import wire
from services.chassis.channels import ConfirmedChannel
from services.chassis.outbox import CONFIRM_SECONDS
from services.chassis.settings import cloudevents_config
from services.contracts.cloudevents import amqp_headers

log = logging.getLogger(__name__)

WINDOW = 0.05             # seconds an event may wait for others to go out with it
MAX_WAITING = 100_000     # events kept while the broker is away
RETRY_SECONDS = 2.0


class BufferedDispatcher(DependencyProvider):
    """Injects ``dispatch(envelope)``, which returns at once (see the module): an event's
    ``EventEnvelope`` as it crosses the wire (``model_dump(mode="json")``), published with its
    CloudEvents headers under its event type."""

    def __init__(self, window: float = WINDOW, **kwargs):
        super().__init__(**kwargs)
        self.window = window

    def setup(self):
        config = self.container.config
        self.amqp_uri = config["AMQP_URI"]
        self.cloudevents = cloudevents_config(config)
        self.exchange = get_event_exchange(self.container.service_name, config)
        self._waiting: collections.deque = collections.deque()
        self._dropped = 0
        self._arrived: Event | None = None
        self._stopped = Event()
        self._amqp = ConfirmedChannel(self.amqp_uri, self.exchange)
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="buffered events")

    def stop(self):
        """After the workers: what they dispatched goes out now, before the service stops."""
        self._running = False
        if not self._stopped.ready():
            self._stopped.send(True)
        self._wake()
        if self._thread is not None:
            self._thread.wait()          # its last pass publishes what is waiting
        if self._waiting:
            log.warning("%d %s events could not be published before stopping", len(self._waiting),
                        self.exchange.name)
        self._amqp.drop()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self._amqp.drop()

    def get_dependency(self, worker_ctx):
        return self.dispatch

    def dispatch(self, envelope: dict) -> None:
        if len(self._waiting) >= MAX_WAITING:
            self._waiting.popleft()
            self._dropped += 1
        self._waiting.append((envelope["event_type"], wire.encode(envelope), amqp_headers(envelope, *self.cloudevents)))
        self._wake()

    def _wake(self):
        if self._arrived is not None and not self._arrived.ready():
            self._arrived.send(True)

    def _run(self):
        while self._running:
            self._arrived = Event()
            if not self._waiting:
                self._arrived.wait()
            self._stopped.wait(self.window)        # the others of this burst (not when stopping)
            if self._waiting and not self._publish_waiting() and self._running:
                self._stopped.wait(RETRY_SECONDS)

    def _publish_waiting(self) -> bool:
        """Publish the waiting events, oldest first, and wait for RabbitMQ's confirms: they leave
        memory only when RabbitMQ has them all (a publish alone has no answer: one written just as
        the broker went away would be gone). False, and they stay, when the broker is away."""
        if self._dropped:
            log.warning("%d %s events were dropped: the broker was away too long", self._dropped,
                        self.exchange.name)
            self._dropped = 0
        burst = list(self._waiting)         # workers may add more while this one goes out
        try:
            self._amqp.publish_all(((Message(body, content_type=wire.CONTENT_TYPE, content_encoding="utf-8",
                                             delivery_mode=2, application_headers=headers), event_type, False)
                                    for event_type, body, headers in burst), timeout=CONFIRM_SECONDS)
        except Exception as exc:  # noqa: BLE001 - the broker away: they wait for the next pass
            log.warning("cannot publish %d %s events yet (%s)", len(self._waiting), self.exchange.name, exc)
            self._amqp.drop()
            return False
        for event in burst:            # (unless dropped meanwhile: the broker was away too long)
            if self._waiting and self._waiting[0] is event:
                self._waiting.popleft()
        return True

