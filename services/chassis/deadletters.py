"""Inspect and replay dead-lettered events: ``python -m services.chassis.deadletters list|replay
[--queue NAME]``. A dead-letter queue is ``<handler queue>.dead``; replay moves its messages
back to the handler's queue with a fresh attempt count (after the cause was fixed)."""
from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import quote, urlparse

import requests
from kombu import Connection, Exchange, Queue

from services.chassis.events import ATTEMPT_HEADER, DEAD_SUFFIX


def _vhost(amqp_uri: str) -> str:
    path = urlparse(amqp_uri).path
    return path[1:] if len(path) > 1 else "/"


def dead_queues(api_uri: str, amqp_uri: str) -> list[dict]:
    """Every dead-letter queue of the vhost with its message count."""
    parsed = urlparse(api_uri)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}"
    answer = requests.get(f"{base}/api/queues/{quote(_vhost(amqp_uri), safe='')}",
                          auth=(parsed.username or "guest", parsed.password or "guest"), timeout=10)
    answer.raise_for_status()
    return [{"queue": q["name"], "messages": q.get("messages", 0)}
            for q in answer.json() if q["name"].endswith(DEAD_SUFFIX)]


def replay(amqp_uri: str, dead_queue: str, limit: int | None = None) -> int:
    """Move messages from ``dead_queue`` back to the queue they failed in. Returns how many."""
    target = dead_queue.removesuffix(DEAD_SUFFIX)
    moved = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = conn.Producer(channel)
        queue = Queue(dead_queue, no_declare=True)(channel)
        while limit is None or moved < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items()
                       if k not in (ATTEMPT_HEADER, "x-sa-error", "x-sa-queue", "x-death")}
            producer.publish(message.body, exchange=Exchange(""), routing_key=target, headers=headers,
                             content_type=message.content_type, content_encoding=message.content_encoding,
                             delivery_mode=2)
            message.ack()  # only after the copy was confirmed
            moved += 1
    return moved


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("--queue", help="one dead-letter queue (default: all with messages)")
    args = parser.parse_args(argv)
    amqp_uri, api_uri = os.environ["AMQP_URI"], os.environ["RABBIT_API_URI"]
    queues = [q for q in dead_queues(api_uri, amqp_uri) if not args.queue or q["queue"] == args.queue]
    if args.action == "list":
        for q in queues:
            print(f"{q['messages']:8d}  {q['queue']}")
        print(f"{sum(q['messages'] for q in queues)} dead-lettered messages in {len(queues)} queues")
        return 0
    for q in queues:
        if q["messages"]:
            print(f"replayed {replay(amqp_uri, q['queue'])} messages from {q['queue']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
