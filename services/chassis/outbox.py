"""The outbox relay: publishes events that were committed to the outbox table, in confirmed
batches with mandatory routing, and marks them sent. Nothing committed is lost: a row stays
unsent (and is retried with backoff) until RabbitMQ has taken it into at least one queue.
A crash between publish and marking means the event goes out twice; consumers are idempotent.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import eventlet
from eventlet.queue import Empty, LightQueue
from amqp import Message
from nameko.standalone.events import get_event_exchange
from psycopg_pool import ConnectionPool

from services.chassis import wire
from services.chassis.channels import ConfirmedChannel
from services.contracts.cloudevents import amqp_headers

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(seconds=60)
CONFIRM_SECONDS = 30.0      # a batch RabbitMQ has not confirmed by then is tried again later


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=0.5 * 2 ** attempts), MAX_BACKOFF)


class OutboxRelay:
    """Publishes a batch of outbox rows back to back and waits once for RabbitMQ's confirms of
    them all (persistent, in durable queues): one wait per batch instead of one per event.
    Messages are published ``mandatory``; one that no queue takes comes back (``basic.return``)
    before its confirm, and its row stays."""

    def __init__(self, pool: ConnectionPool, amqp_uri: str, source: str, poll_seconds: float = 1.0,
                 batch_size: int = 500, *, cloudevents: tuple[str, str]):
        self.pool = pool
        self.cloudevents = cloudevents      # (the alliance's URN, the public base URL): each event's headers
        self.amqp_uri = amqp_uri
        self.source = source
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.exchange = get_event_exchange(source, {})
        self._amqp = ConfirmedChannel(amqp_uri, self.exchange, on_return=self._on_return)
        self._returned: set[str] = set()
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
        self._amqp.drop()

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
                """SELECT id, event_id, event_type, envelope::text, attempts FROM outbox
                   WHERE sent_at IS NULL AND next_attempt_at <= now()
                   ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                (self.batch_size,),
            ).fetchall()
            if not rows:
                return 0
            self._returned = set()
            try:
                # published as PostgreSQL renders it: no decoding and encoding again here
                self._amqp.publish_all(((Message(envelope, content_type="application/json", content_encoding="utf-8",
                                                 delivery_mode=2, message_id=str(event_id),
                                                 application_headers=amqp_headers(wire.decode(envelope), *self.cloudevents)),
                                         event_type, True) for _, event_id, event_type, envelope, _ in rows),
                                       timeout=CONFIRM_SECONDS)
            except Exception as exc:  # broker away: every row of the batch stays for a later pass
                self._amqp.drop()
                for row_id, _, event_type, _, attempts in rows:
                    self._postpone(conn, row_id, attempts, f"{type(exc).__name__}: {exc}")
                log.warning("cannot publish %d events (%s); they stay in the outbox", len(rows), exc)
                return 0
            sent = [row[0] for row in rows if str(row[1]) not in self._returned]
            for row_id, event_id, _, _, attempts in rows:
                if str(event_id) in self._returned:
                    self._postpone(conn, row_id, attempts, "no queue is bound for this event yet")
            if sent:
                conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s)", (sent,))
                log.debug("relayed %d events", len(sent))
        return len(sent)

    def _on_return(self, exc, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id"))

    @staticmethod
    def _postpone(conn, row_id: int, attempts: int, error: str) -> None:
        conn.execute(
            """UPDATE outbox SET attempts = attempts + 1, last_error = %s,
                   next_attempt_at = now() + %s WHERE id = %s""",
            (error, backoff(attempts), row_id),
        )
