"""nameko's queue consumer, but an acknowledgement (or requeue) that meets a dropped broker
connection is given up instead of raised. nameko acknowledges in a worker's result handling,
where an exception stops the whole service: a RabbitMQ restart under load made search exit
("Connection reset by peer" in basic_ack; tests/faults/test_broker_restart.py). nameko's own
guard catches only kombu's ConnectionError, not the socket's. An unacknowledged message is
delivered again once the service has reconnected, and every handler is idempotent."""
from __future__ import annotations

import logging

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)
LOST = (OSError, AMQPConnectionError, KombuOperationalError)


class SafeQueueConsumer(QueueConsumer):
    def ack_message(self, message):
        try:
            super().ack_message(message)
        except LOST as exc:
            log.warning("could not acknowledge a message (%s); it will be delivered again", exc)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except LOST as exc:
            log.warning("could not requeue a message (%s); the broker takes it back", exc)


def patches() -> list[tuple[object, str, object]]:
    """RPC requests consumed through it (events: ReliableEventHandler's own consumer)."""
    from nameko.rpc import RpcConsumer

    return [(RpcConsumer, "queue_consumer", SafeQueueConsumer())]
