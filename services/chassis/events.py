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
import sys
import traceback

import eventlet
from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import DEFAULT_SERIALIZER, SERIALIZER_CONFIG_KEY
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled

from services.chassis.consumers import SafeQueueConsumer
from services.chassis.errors import RetryLater
from services.chassis.postgres import database_attribute
from services.contracts.events import EventEnvelope
from services.contracts.registry import EVENT_TYPES

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-sa-attempts"
DEAD_SUFFIX = ".dead"


class ReliableEventHandler(EventHandler):
    """nameko's EventHandler, but a handler that raises is retried, then dead-lettered."""

    queue_consumer = SafeQueueConsumer()

    def setup(self):
        super().setup()
        name = self.queue.name
        default = Exchange("")  # the default exchange routes by queue name
        self.retry_queue = Queue(
            name + ".retry", exchange=default, routing_key=name + ".retry", durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name},
        )
        self.dead_queue = Queue(name + DEAD_SUFFIX, exchange=default, routing_key=name + DEAD_SUFFIX, durable=True)
        self.delays = [float(d) for d in self.container.config["EVENT_RETRY_DELAYS"]]
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True,
                                   serializer=self.container.config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER))

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        headers = dict(message.headers or {})
        attempts = int(headers.get(ATTEMPT_HEADER, 0)) + 1
        headers[ATTEMPT_HEADER] = attempts
        # what it was published as (its retries travel under the retry queue's name)
        headers.setdefault("x-sa-routing-key", (message.delivery_info or {}).get("routing_key"))
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


class BatchQueueConsumer(SafeQueueConsumer):
    """Lets a batching handler hold two batches of unacknowledged messages (nameko's own
    consumer allows one per worker), so the next batch fills while one is applied."""

    @property
    def prefetch_count(self):
        return 2 * int(self.container.config["EVENT_BATCH_SIZE"])


class BatchEventHandler(ReliableEventHandler):
    """Like ``ReliableEventHandler``, but the method gets every message that arrived within
    ``EVENT_BATCH_WINDOW`` seconds (at most ``EVENT_BATCH_SIZE``) at once, in one worker.
    The method returns ``{index: exc_info}`` for the messages that failed: those are retried
    and dead-lettered one by one exactly like a single message; the rest are acknowledged."""

    queue_consumer = BatchQueueConsumer()

    def setup(self):
        super().setup()
        config = self.container.config
        self.batch_size = int(config["EVENT_BATCH_SIZE"])
        self.window = float(config["EVENT_BATCH_WINDOW"])  # seconds a first message waits for others
        self._pending: list = []
        self._timer = None

    def handle_message(self, body, message):
        self._pending.append((body, message))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = eventlet.spawn_after(self.window, self._flush)

    def _flush(self):
        if self._timer is not None:
            self._timer.cancel()     # no-op when the timer itself is flushing
            self._timer = None
        pending, self._pending = self._pending, []
        if not pending:
            return
        messages = [message for _, message in pending]
        try:
            self.container.spawn_worker(
                self, ([body for body, _ in pending],), {},
                context_data=self.unpack_message_headers(messages[0]),
                handle_result=functools.partial(self._handle_batch_result, messages))
        except ContainerBeingKilled:
            for message in messages:
                self.queue_consumer.requeue_message(message)

    def _handle_batch_result(self, messages, worker_ctx, result=None, exc_info=None):
        failures = result or {}
        for index, message in enumerate(messages):
            self.handle_message_processed(message, None, exc_info or failures.get(index))
        return None, exc_info


def _event_of(payload: dict, event_type: str, model=None) -> tuple[EventEnvelope, object]:
    """The envelope, and the event turned back into ``model`` (by default the model of its
    type; ``"#"``: the envelope itself)."""
    envelope = EventEnvelope.model_validate(payload)
    model = model or EVENT_TYPES.get(envelope.event_type)
    return envelope, model.from_envelope(envelope) if (model and event_type != "#") else envelope


def _fresh(tx, consumer: str, batch: list[tuple[EventEnvelope, object]]) -> list:
    """Claims the events of ``batch`` for ``consumer`` in ``tx``; the ones seen for the first
    time (a redelivery, or a second copy in the batch, is skipped)."""
    claimed = tx.claim_events(consumer, list(dict.fromkeys(envelope.event_id for envelope, _ in batch)))
    fresh = []
    for envelope, event in batch:
        if envelope.event_id in claimed:
            claimed.discard(envelope.event_id)
            fresh.append(event)
        else:
            log.info("%s: skipping %s, already processed", consumer, envelope.event_id)
    return fresh


def handles(source: str, event_type: str, model=None, **kwargs):
    """Decorate ``def handle_x(self, tx, event)``; ``event_type="#"`` takes every event of
    ``source`` (the handler then gets the ``EventEnvelope``). ``model`` reads the event as
    another model than its type's, one that reads less of it (``CourseChange``)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, payload):
            consumer = f"{type(self).name}.{fn.__name__}"
            pair = _event_of(payload, event_type, model)
            with getattr(self, database_attribute(type(self))).transaction() as tx:
                fresh = _fresh(tx, consumer, [pair])
                return fn(self, tx, fresh[0]) if fresh else None

        return ReliableEventHandler.decorator(source, event_type, **kwargs)(wrapper)

    return decorator


def handles_batch(source: str, event_type: str, model=None, claim: bool = True, **kwargs):
    """Decorate ``def handle_x(self, tx, events)`` for a handler that applies many events in
    one transaction (a bulk import's thousands of course events cost a fraction of one
    transaction each). Same guarantees as ``handles``: each event is claimed in that
    transaction, so a redelivered one is skipped; if the batch fails, its events are applied one
    transaction each, so only the one that fails is retried and dead-lettered. ``events`` is
    never empty; the method should take the rows it changes in a fixed order (no deadlock
    between concurrent batches). ``model`` as for ``handles``. ``claim=False``: the handler is
    idempotent by itself (the analytics archive inserts each event once by its id), so the events
    are not also claimed in ``processed_events`` (a million archived events, a million claims
    fewer)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, payloads):
            consumer = f"{type(self).name}.{fn.__name__}"
            db = getattr(self, database_attribute(type(self)))
            failures, events = {}, []
            for index, payload in enumerate(payloads):
                try:
                    events.append((index, _event_of(payload, event_type, model)))
                except Exception:       # a malformed message fails alone
                    failures[index] = sys.exc_info()

            def apply(batch):
                with db.transaction() as tx:
                    fresh = _fresh(tx, consumer, [pair for _, pair in batch]) if claim else [e for _, (_, e) in batch]
                    if fresh:
                        fn(self, tx, fresh)

            if events:
                try:
                    apply(events)
                except RetryLater:      # the database away: each alone would wait as long again
                    failures.update((index, sys.exc_info()) for index, _ in events)
                except Exception:
                    if len(events) == 1:
                        failures[events[0][0]] = sys.exc_info()
                    else:
                        log.warning("%s: a batch of %d events failed; applying them one by one",
                                    consumer, len(events), exc_info=True)
                        for one in events:
                            try:
                                apply([one])
                            except Exception:
                                failures[one[0]] = sys.exc_info()
            return failures

        return BatchEventHandler.decorator(source, event_type, **kwargs)(wrapper)

    return decorator
