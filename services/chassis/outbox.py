"""The outbox relay: publishes events that were committed to the outbox table, with publisher
confirms and mandatory routing, and marks them sent. Nothing committed is lost: a row stays
unsent (and is retried with backoff) until RabbitMQ has confirmed it into at least one queue.
A crash between publish and marking means the event goes out twice; consumers are idempotent.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.standalone.events import get_event_exchange
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(seconds=60)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=0.5 * 2 ** attempts), MAX_BACKOFF)


class OutboxRelay:
    def __init__(self, pool: ConnectionPool, amqp_uri: str, source: str, poll_seconds: float = 1.0,
                 batch_size: int = 200):
        self.pool = pool
        self.source = source
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.exchange = get_event_exchange(source, {})
        self._declared = False  # declare the exchange once per connection, not once per event
        self.publisher = Publisher(
            amqp_uri, exchange=self.exchange, use_confirms=True,
            mandatory=True, serializer="json", retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2},
        )
        self._wakeups: LightQueue = LightQueue(maxsize=1)
        self._running = False

    def wake(self) -> None:
        """Ask the relay to look at the outbox now instead of at its next poll."""
        try:
            self._wakeups.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def stop(self) -> None:
        self._running = False
        self.wake()

    def run(self) -> None:
        self._running = True
        log.info("outbox relay for %s.events started", self.source)
        while self._running:
            try:
                while self._running and self.relay_batch() == self.batch_size:
                    pass  # a full batch went out: there may be more waiting
            except Exception:  # the database may be away; rows stay and are tried again
                log.exception("outbox relay pass failed; retrying in %ss", self.poll_seconds)
            try:
                self._wakeups.get(timeout=self.poll_seconds)
            except Empty:
                pass

    def relay_batch(self) -> int:
        """Publish one batch of due, unsent events. Returns how many it published."""
        with self.pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                """SELECT id, event_type, envelope, attempts FROM outbox
                   WHERE sent_at IS NULL AND next_attempt_at <= now()
                   ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                (self.batch_size,),
            ).fetchall()
            sent = []
            for row_id, event_type, envelope, attempts in rows:
                try:
                    self.publisher.publish(envelope, routing_key=event_type,
                                           declare=[] if self._declared else [self.exchange])
                    self._declared = True
                except UndeliverableMessage:
                    self._postpone(conn, row_id, attempts, "no queue is bound for this event yet")
                except Exception as exc:  # broker down: keep the rest for the next pass
                    self._declared = False
                    self._postpone(conn, row_id, attempts, f"{type(exc).__name__}: {exc}")
                    log.warning("cannot publish %s (%s); it stays in the outbox", event_type, exc)
                    break
                else:
                    sent.append(row_id)
            if sent:
                conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s)", (sent,))
                log.debug("relayed %d events", len(sent))
        return len(sent)

    @staticmethod
    def _postpone(conn, row_id: int, attempts: int, error: str) -> None:
        conn.execute(
            """UPDATE outbox SET attempts = attempts + 1, last_error = %s,
                   next_attempt_at = now() + %s WHERE id = %s""",
            (error, backoff(attempts), row_id),
        )
