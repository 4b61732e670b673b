"""Event handlers that never lose a message and never apply one twice.

``@handles("catalogue", "course_published")`` on a service method gives it:
- the envelope turned back into its model before the method runs;
- idempotency: the event id is claimed in ``processed_events`` in the same transaction as
  the handler's own writes, so a redelivered event is skipped (the method gets ``tx``);
- retry with backoff: a failing message is re-published to ``<queue>.retry`` with a per-message
  TTL that dead-letters it back to its queue; after the last delay it goes to ``<queue>.dead``,
  where ``python -m services.chassis.deadletters`` can list and replay it. The original is acked
  only after the copy is confirmed, so a broker hiccup requeues instead of dropping.
"""
from __future__ import annotations

import functools
import logging
import traceback

from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from services.chassis.postgres import database_attribute
from services.contracts.events import EVENT_TYPES, EventEnvelope

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-sa-attempts"
DEFAULT_RETRY_DELAYS = (1, 5, 30, 120)
DEAD_SUFFIX = ".dead"


class ReliableEventHandler(EventHandler):
    """nameko's EventHandler, but a handler that raises is retried, then dead-lettered."""

    def setup(self):
        super().setup()
        name = self.queue.name
        default = Exchange("")  # the default exchange routes by queue name
        self.retry_queue = Queue(
            name + ".retry", exchange=default, routing_key=name + ".retry", durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name},
        )
        self.dead_queue = Queue(name + DEAD_SUFFIX, exchange=default, routing_key=name + DEAD_SUFFIX, durable=True)
        self.delays = [float(d) for d in self.container.config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)]
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True, serializer="json")

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        headers = dict(message.headers or {})
        attempts = int(headers.get(ATTEMPT_HEADER, 0)) + 1
        headers[ATTEMPT_HEADER] = attempts
        try:
            if attempts <= len(self.delays):
                delay = self.delays[attempts - 1]
                self.publisher.publish(
                    message.payload, exchange=self.retry_queue.exchange, routing_key=self.retry_queue.name,
                    declare=[self.retry_queue], headers=headers, expiration=delay,
                )
                log.warning("%s failed (attempt %d), retrying in %ss", self.queue.name, attempts, delay)
            else:
                headers["x-sa-error"] = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()[:2000]
                headers["x-sa-queue"] = self.queue.name
                self.publisher.publish(
                    message.payload, exchange=self.dead_queue.exchange, routing_key=self.dead_queue.name,
                    declare=[self.dead_queue], headers=headers,
                )
                log.error("%s failed %d times; moved to %s", self.queue.name, attempts, self.dead_queue.name)
        except Exception:
            log.exception("could not park failed message of %s; requeueing it", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


def handles(source: str, event_type: str, **kwargs):
    """Decorate ``def handle_x(self, tx, event)``; ``event_type="#"`` takes every event of
    ``source`` (the handler then gets the ``EventEnvelope``)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, payload):
            envelope = EventEnvelope.model_validate(payload)
            model = EVENT_TYPES.get(envelope.event_type)
            event = model.from_envelope(envelope) if (model and event_type != "#") else envelope
            consumer = f"{type(self).name}.{fn.__name__}"
            with getattr(self, database_attribute(type(self))).transaction() as tx:
                if not tx.claim_event(consumer, envelope.event_id):
                    log.info("%s: skipping %s, already processed", consumer, envelope.event_id)
                    return None
                return fn(self, tx, event)

        return ReliableEventHandler.decorator(source, event_type, **kwargs)(wrapper)

    return decorator
