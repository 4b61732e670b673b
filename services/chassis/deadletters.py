"""Inspect and replay dead-lettered events: ``python -m services.chassis.deadletters list|replay
[--queue NAME]``. A dead-letter queue is ``<handler queue>.dead``; list shows each queue's
first messages with why they failed; replay moves its messages back to the handler's queue
with a fresh attempt count (after the cause was fixed)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from urllib.parse import quote, urlparse

import requests
from kombu import Connection, Exchange, Queue

from services.chassis.events import ATTEMPT_HEADER, DEAD_SUFFIX


def _vhost(amqp_uri: str) -> str:
    path = urlparse(amqp_uri.split(";")[0]).path      # a cluster's nodes share their vhosts
    return path[1:] if len(path) > 1 else "/"


def dead_queues(api_uri: str, amqp_uri: str) -> list[dict]:
    """Every dead-letter queue of the vhost with its message count."""
    parsed = urlparse(api_uri)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}"
    answer = requests.get(f"{base}/api/queues/{quote(_vhost(amqp_uri), safe='')}",
                          auth=(parsed.username or "guest", parsed.password or "guest"), timeout=10)
    answer.raise_for_status()
    names = [q["name"] for q in answer.json() if q["name"].endswith(DEAD_SUFFIX)]
    # the counts from the broker itself: the management plugin's figures lag by seconds
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        return [{"queue": name, "messages": channel.queue_declare(name, passive=True).message_count}
                for name in names]


def peek(amqp_uri: str, dead_queue: str, limit: int = 20) -> list[dict]:
    """The first ``limit`` messages of ``dead_queue`` (left in it, in their order): what each is
    (event type and id, when it failed as where) and why it was dead-lettered."""
    seen = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = Queue(dead_queue, no_declare=True)(channel)
        while len(seen) < limit and (message := queue.get(no_ack=False)) is not None:
            headers = message.headers or {}
            try:
                body = json.loads(message.body)
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            seen.append({"event_type": body.get("event_type") or headers.get("x-sa-routing-key") or "?",
                         "event_id": body.get("event_id"), "attempts": headers.get(ATTEMPT_HEADER),
                         "reason": str(headers.get("x-sa-error") or "?")})
        channel.close()         # unacknowledged: every message goes back, in its place
    return seen


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
            for m in peek(amqp_uri, q["queue"]) if q["messages"] else ():
                reason = " ".join(m["reason"].split())[:300]
                print(f"          {m['event_type']} {m['event_id'] or '(no event id)'} after {m['attempts']} "
                      f"attempts: {reason}")
        print(f"{sum(q['messages'] for q in queues)} dead-lettered messages in {len(queues)} queues")
        return 0
    for q in queues:
        if q["messages"]:
            print(f"replayed {replay(amqp_uri, q['queue'])} messages from {q['queue']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
