"""Channels to RabbitMQ kept open between uses, for publishers that do without nameko's pooled
producers (the outbox relay, buffered events, replies)."""
from __future__ import annotations

import socket
import time

from kombu import Connection


class KeptChannel:
    """A connection and a channel: opened when first needed, dropped after an error so that the
    next use opens a new one."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self._connection: Connection | None = None
        self._channel = None

    def channel(self):
        if self._channel is None:
            self._connection = Connection(self.amqp_uri, connect_timeout=5)
            self._connection.connect()
            self._channel = self._prepare(self._connection.channel())
        return self._channel

    def _prepare(self, channel):
        return channel

    def drop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - already broken: nothing to close
                pass

    def socket(self):
        """The open connection's socket (None before the first use)."""
        return None if self._connection is None else self._connection.connection.sock

    def client_port(self) -> int | None:
        """The local port of the open connection (tests close it at the broker)."""
        sock = self.socket()
        return None if sock is None else sock.getsockname()[1]


class ConfirmedChannel(KeptChannel):
    """In publisher-confirm mode, for publishing to ``exchange`` (declared durable, as nameko
    declares event exchanges); ``on_return`` hears of mandatory messages no queue took.

    ``publish_all`` sends a batch back to back and returns once RabbitMQ has confirmed every
    message: one wait for the whole batch, as an AMQP transaction's commit was. Transactions
    were given up: on a cluster whose queues are quorum queues, a commit answered "ok" while the
    messages for a queue whose leader had just moved to another node were lost, and kept being
    lost for as long as the channel lived (tests/scale/test_rabbit_cluster.py). A confirmed
    message is one the queue's new leader has; one it refuses comes back as ``basic.nack``."""

    def __init__(self, amqp_uri: str, exchange, on_return=None):
        super().__init__(amqp_uri)
        self.exchange, self.on_return = exchange, on_return
        self._sequence = 0
        self._unconfirmed: set[int] = set()
        self._refused = 0

    def _prepare(self, channel):
        if self.on_return is not None:
            channel.events["basic_return"].add(self.on_return)
        channel.events["basic_ack"].add(self._acked)
        channel.events["basic_nack"].add(self._nacked)
        channel.exchange_declare(self.exchange.name, "topic", durable=True, auto_delete=False)
        channel.confirm_select()
        self._sequence, self._unconfirmed, self._refused = 0, set(), 0     # a new channel counts from 1
        return channel

    def publish_all(self, messages, timeout: float) -> None:
        """Publish ``(message, routing_key, mandatory)`` triples; return when all are confirmed.
        ``TimeoutError`` when RabbitMQ has not confirmed them all within ``timeout`` seconds,
        ``RefusedError`` when it refused one: the caller drops the channel and tries again later."""
        channel = self.channel()
        for message, routing_key, mandatory in messages:
            channel.basic_publish(message, exchange=self.exchange.name, routing_key=routing_key, mandatory=mandatory)
            self._sequence += 1
            self._unconfirmed.add(self._sequence)
        deadline = time.monotonic() + timeout
        while self._unconfirmed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"RabbitMQ did not confirm {len(self._unconfirmed)} messages within {timeout}s")
            try:
                self._connection.drain_events(timeout=left)
            except socket.timeout:
                pass
        if self._refused:
            refused, self._refused = self._refused, 0
            raise RefusedError(f"RabbitMQ refused {refused} messages (basic.nack)")

    def _acked(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > tag}
        else:
            self._unconfirmed.discard(tag)

    def _nacked(self, tag: int, multiple: bool) -> None:
        before = len(self._unconfirmed)
        self._acked(tag, multiple)
        self._refused += before - len(self._unconfirmed)


class RefusedError(Exception):
    """RabbitMQ answered ``basic.nack``: it did not take a message."""
