"""RPC replies, and the requests of a proxy declared without confirms, are published without
waiting for the broker's confirm, on a channel kept open.

A reply is not state: the method's work is committed before the reply is sent (see
postgres.py). With a confirm, every RPC costs the service one more round trip to RabbitMQ and
the broker one more frame; and if the confirm fails, nameko requeues the request, so the method
runs a second time. Without it, a reply lost in a broker crash leaves the caller to its timeout,
which is all a confirmed reply could give it too (its reply queue goes with the broker).
Measured on the search path (bench/search.py, 8 clients): about 20% more searches per second.

nameko publishes each message through kombu's pools: a new ``Connection`` object (its URL
parsed), a producer acquired and released, a retry wrapper, and for a request a confirm to wait
for. A message is one frame sequence on a channel that stays open, so it goes out there (one at
a time: frames of two messages must not mix); if that fails, the channel is dropped and the
message takes nameko's way.

Requests: a proxy declared ``RpcProxy(service, use_confirms=False)`` (the gateway's proxy to
search: a search changes nothing) publishes this way too. The confirm of a mandatory request is
how nameko learns that no queue takes it (``UnknownService``: the service never ran on this
broker); without it such a request is dropped and the caller answers after its timeout. A
running or stopped service has its durable queue, which takes the request either way. Measured
on the explore platform (8 clients, every search computed, two rounds): 274-289 → 322-344
searches/s; gateway CPU per search 1.42-1.49 → 1.09-1.17 ms, RabbitMQ 1.33 → 1.09-1.17 ms.
Every other proxy keeps its confirms (the gateway's writes to the catalogue: a request the
broker has taken is persistent).

Replies are taken without acknowledgements (``no_ack``): the reply queue is the caller's own,
and a reply is consumed the moment it arrives, so an acknowledgement could only ever say
"received". It was a frame from the caller and work for the broker per RPC; measured on the
explore platform (8 clients, every search computed) it was 8% of the gateway's CPU, and
RabbitMQ's CPU per search fell from 0.99-1.20 to 0.68-0.75 ms without it.

Nothing is ever read from these connections (no heartbeats, no confirms, no returns), so a
connection with something to read has been closed by the broker (or is told it is blocked):
it is checked before each publish and opened anew, instead of failing on it and sending that
message nameko's slower way.
"""
from __future__ import annotations

import logging
import time

from amqp import Message
from amqp.exceptions import NotFound
from eventlet import patcher
from eventlet.semaphore import Semaphore
from nameko.amqp.publish import Publisher
from nameko.messaging import QueueConsumer
from nameko.rpc import MethodProxy, ReplyListener, Responder, RpcProxy

from services.chassis import wire
from services.chassis.channels import KeptChannel

log = logging.getLogger(__name__)
_select = patcher.original("select").select    # a look at the socket, without a switch to the hub


class UnconfirmedChannel:
    """A process's channel for one kind of unconfirmed message, one message at a time."""

    def __init__(self):
        self._lock = Semaphore()
        self._kept: KeptChannel | None = None

    def publish(self, amqp_uri: str, body: bytes, exchange: str, routing_key: str, **properties) -> None:
        with self._lock:
            if self._kept is None or self._kept.amqp_uri != amqp_uri or self._closing():
                self.drop()
                self._kept = KeptChannel(amqp_uri)
            try:
                self._kept.channel().basic_publish(
                    Message(body, content_type=wire.CONTENT_TYPE, content_encoding="utf-8", **properties),
                    exchange=exchange, routing_key=routing_key)
            except Exception:
                self._kept.drop()
                raise

    def _closing(self) -> bool:
        sock = self._kept.socket()
        return sock is not None and bool(_select([sock.fileno()], [], [], 0)[0])

    def drop(self) -> None:
        if self._kept is not None:
            self._kept.drop()

    def client_port(self) -> int | None:
        return None if self._kept is None else self._kept.client_port()


REPLIES = UnconfirmedChannel()
REQUESTS = UnconfirmedChannel()


def _kept_way(publisher: Publisher, channel: UnconfirmedChannel, payload, kwargs: dict, **properties) -> bool:
    """Publish ``payload`` on ``channel``; False when it has to take nameko's way (a broken
    channel: the next message opens a new one; SSL or another serializer: never kept)."""
    if kwargs.get("serializer", publisher.serializer) != wire.NAME or publisher.ssl or publisher.login_method:
        return False
    try:
        channel.publish(publisher.amqp_uri, wire.encode(payload), kwargs["exchange"].name, kwargs["routing_key"],
                        correlation_id=kwargs.get("correlation_id"), **properties)
        return True
    except Exception as exc:  # noqa: BLE001 - the pooled way reconnects with retries
        log.warning("kept channel failed (%s); publishing through nameko's publisher", exc)
        return False


class ReplyPublisher(Publisher):
    use_confirms = False

    def publish(self, payload, **kwargs):
        if _kept_way(self, REPLIES, payload, kwargs, delivery_mode=2):
            return
        try:
            super().publish(payload, **kwargs)
        except Exception as exc:  # noqa: BLE001
            # The broker is away longer than the publisher's retries. nameko sends a reply in
            # handle_result, where an exception stops the whole service (tests/faults showed the
            # catalogue and intake exit mid-import when RabbitMQ restarted). The work is done and
            # committed; its caller, whose reply queue went with the broker anyway, times out
            # and answers 503. So the reply is given up, and the service lives on.
            log.error("could not send an RPC reply (%s: %s); the caller will time out", type(exc).__name__, exc)


class RequestPublisher(Publisher):
    """nameko's request publisher, but on the kept channel for a proxy without confirms."""

    def publish(self, payload, **kwargs):
        if self.use_confirms or not _kept_way(
                self, REQUESTS, payload, kwargs, delivery_mode=self.delivery_mode, reply_to=kwargs.get("reply_to"),
                application_headers={**(kwargs.get("headers") or {}), **(kwargs.get("extra_headers") or {})}):
            super().publish(payload, **kwargs)


class ReplyQueueConsumer(QueueConsumer):
    """The reply listener's consumer, which makes sure its queue is still there. When a cluster
    node is killed, a caller that reconnects at once can declare and consume its reply queue while
    the other nodes still list the old one on the dead node; once they have removed it, the
    caller's consumer stays registered on its channel, no queue takes its replies (RabbitMQ drops
    them as unroutable) and every call times out for as long as the process lives
    (tests/scale/test_rabbit_cluster.py: the gateway answered every request with 503 after 30 s).
    So every ``CHECK_SECONDS``, in the consumer's own thread and on its own channel, the queue is
    declared passively; when RabbitMQ says it is gone, the consumer reconnects, which declares
    the queue and consumes it again. One round trip per process every few seconds."""

    CHECK_SECONDS = 5.0

    def __init__(self):
        super().__init__()
        self._channel, self._checked = None, 0.0

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._channel, self._checked = channel, time.monotonic()
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_iteration(self):
        super().on_iteration()
        if self._channel is None or time.monotonic() - self._checked < self.CHECK_SECONDS:
            return
        self._checked = time.monotonic()
        for provider in list(self._providers):
            try:
                self._channel.queue_declare(provider.queue.name, passive=True)
            except NotFound:
                log.warning("reply queue %s is gone; reconnecting to declare it again", provider.queue.name)
                self._channel = None
                raise           # a channel error: kombu's consumer loop reconnects


class UnackedReplyListener(ReplyListener):
    """nameko's reply listener, consuming its reply queue without acknowledgements. The queue is
    transient (nameko declares it durable): on a RabbitMQ cluster whose vhost makes durable queues
    quorum queues, a durable reply queue became a replicated one, and after its node was killed
    replies published to it without confirms were dropped for good (tests/scale/test_rabbit_cluster.py).
    A transient queue is a classic one on the node its caller is connected to, removed with that
    node and declared again on reconnection. It is not auto-deleted: a caller that reconnects (a
    missed heartbeat under load) still finds the replies sent meanwhile; nameko's x-expires
    removes it five minutes after its caller is gone. Its consumer checks that it is still there
    (``ReplyQueueConsumer``)."""

    queue_consumer = ReplyQueueConsumer()

    def setup(self):
        super().setup()
        self.queue.no_ack = True     # kombu consumes a queue as its no_ack says
        self.queue.durable = False

    def handle_message(self, body, message):
        event = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if event is not None:
            event.send(body)         # else the caller gave up waiting (nameko's listener: the same)


def patches() -> list[tuple[object, str, object]]:
    """(class, attribute, value) for the whole process: replies and unconfirmed requests go out
    on the kept channels, replies are consumed without acknowledgements. Installed by
    ``services.chassis.runtime.prepare`` (services.run, and the tests' in-process containers)."""
    return [(Responder, "publisher_cls", ReplyPublisher), (MethodProxy, "publisher_cls", RequestPublisher),
            (RpcProxy, "rpc_reply_listener", UnackedReplyListener())]
