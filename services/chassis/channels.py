"""Channels to RabbitMQ kept open between uses, for publishers that do without nameko's pooled
producers (the outbox relay, buffered events, replies)."""
from __future__ import annotations

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


class TransactedChannel(KeptChannel):
    """In AMQP transaction mode, for publishing to ``exchange`` (declared durable, as nameko
    declares event exchanges); ``on_return`` hears of mandatory messages no queue took."""

    def __init__(self, amqp_uri: str, exchange, on_return=None):
        super().__init__(amqp_uri)
        self.exchange, self.on_return = exchange, on_return

    def _prepare(self, channel):
        if self.on_return is not None:
            channel.events["basic_return"].add(self.on_return)
        channel.exchange_declare(self.exchange.name, "topic", durable=True, auto_delete=False)
        channel.tx_select()
        return channel
