"""Benchmark: 10,000 ``intake_submitted`` events turned into confirmation mails delivered to a
local SMTP server (the mail catcher, its own process), beside a bare ``smtplib`` loop sending the
same rendered mails to the same server in the same run; then 1,000 ``lead_shared`` events turned
into signed webhooks to a local receiver, beside a bare HTTP client loop posting the same bodies.
Prints messages/s and the ratio. Targets: at least 200 mails/s and at least 50% of the bare loop.

The intakes are inserted straight into the intake database (notify asks intake for each
person's address at send time, as in production) and the events published straight to
``intake.events``, so the figure is notify's: consuming, planning, claiming, asking intake,
rendering, sending, recording. Starts its own platform on the test profile; `make bench-notify`."""
from __future__ import annotations

import argparse
import smtplib
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import requests  # noqa: E402
from kombu import Connection  # noqa: E402

from bench.common import MachineCpu, bench_platform, figure, mail_catcher  # noqa: E402
from services.contracts.intake import IntakeSubmitted, LeadShared
from services.notify import templates  # noqa: E402
from services.notify.messages import MESSAGES, Recipient  # noqa: E402
from services.chassis.settings import cloudevents_config  # noqa: E402
from services.notify.senders import Webhooks, email_message  # noqa: E402
from services.notify.settings import Settings as NotifySettings  # noqa: E402
from tests.infra import ADMIN_TOKEN, free_port  # noqa: E402


def insert_intakes(db_url: str, count: int, provider_id=None) -> list[dict]:
    now = datetime.now(timezone.utc)
    rows = [{"id": uuid.uuid4(), "n": n} for n in range(count)]
    with psycopg.connect(db_url, autocommit=True) as conn:
        with conn.cursor().copy("""COPY intakes (id, team, routed_by, situation, provider_id, preferred_contact,
                                   language, share_with_provider, consent, token_hash, name, email, received_at,
                                   callback_due_by, due_soon_at) FROM STDIN""") as copy:
            for r in rows:
                copy.write_row((r["id"], "landelijk", "national", "werkzoekend", provider_id, "email", "nl",
                                provider_id is not None, "{}", f"bench:{r['id']}", f"Persoon {r['n']}",
                                f"p{r['n']}.{uuid.uuid4().hex[:6]}@example.nl", now, now + timedelta(days=2),
                                now + timedelta(days=1)))
    return rows


def publish(amqp_uri: str, events) -> None:
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        for event in events:
            envelope = event.envelope()
            producer.publish(envelope.model_dump(mode="json"), exchange="intake.events",
                             routing_key=envelope.event_type, serializer="json", delivery_mode=2)


def delivered(db_url: str, template: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM messages WHERE template = %s AND status = 'delivered'",
                            (template,)).fetchone()[0]


def wait_for(db_url: str, template: str, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if delivered(db_url, template) >= count:
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"only {delivered(db_url, template)} of {count} {template} delivered in {timeout}s")


def bare_smtp(port: int, count: int) -> float:
    """The same confirmation mails, rendered here, sent over one kept connection."""
    due = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    confirmation = MESSAGES["intake_confirmation"]      # its data as notify renders it
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            intake = {"id": str(uuid.uuid4()), "name": f"Persoon {n}", "team": {"name": "Landelijk Leerwerkloket"},
                      "course_title": None, "callback_due_by": due, "language": "nl", "token": "int_x"}
            r = templates.render(confirmation.name, "nl", confirmation.context(
                Recipient(base="http://127.0.0.1", data={}, intake=intake)))
            smtp.send_message(email_message(sender="Scholingsalliantie <noreply@scholingsalliantie.nl>",
                                            to=[f"bare{n}@example.nl"], subject=r.subject, text=r.text, html=r.html,
                                            message_id=f"<bare{n}@bench>"))
    return count / (time.perf_counter() - started)


class Receiver:
    """A webhook receiver answering 200, counting what it got."""

    def __init__(self):
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def bare_webhooks(url: str, secret: str, count: int) -> float:
    # notify's own sender as the platform runs it here (its timeout, the CloudEvents source), to
    # the receiver on this machine
    sender = Webhooks(NotifySettings.model_fields["notify_send_timeout"].default, True, cloudevents_config({})[0])
    started = time.perf_counter()
    for n in range(count):
        sender.send(url, [secret], f"msg_bare{n}", {"type": "lead.created", "timestamp": "2026-12-04T00:00:00Z",
                                                     "data": {"intake_id": str(uuid.uuid4()), "lead_url": url}})
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    args = parser.parse_args()
    with mail_catcher() as (smtp_port, mail_dir):
        return measure(args, smtp_port, mail_dir)


def measure(args, smtp_port: int, mail_dir: Path) -> int:
    platform, _ = bench_platform()
    platform.extra_env.update(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", NOTIFY_LIMIT_PER_RECIPIENT="1000000")
    platform.start()
    receiver = Receiver()
    try:
        notify_db = platform.db_urls["notify"]
        # mails: the bare loop first (it also warms the catcher), then notify
        bare = bare_smtp(smtp_port, args.mails)
        intakes = insert_intakes(platform.db_urls["intake"], args.mails)
        started, cpu = time.monotonic(), MachineCpu().start()
        publish(platform.amqp_uri, (IntakeSubmitted(intake_id=r["id"], team="landelijk", situation="werkzoekend",
                                                    preferred_contact="email", language="nl", share_with_provider=False,
                                                    callback_due_by=datetime.now(timezone.utc) + timedelta(days=2))
                                    for r in intakes))
        published = time.monotonic() - started
        ours = args.mails / (wait_for(notify_db, "intake_confirmation", args.mails, 900) - started)
        cpu.stop()
        # the confirmation and the team's mail of each event (and the mail catcher receiving them)
        figure("notify", "machine CPU per intake event, its two mails sent", cpu.ms_per(args.mails), "ms")
        print(f"{'path':28} {'messages':>9} {'msg/s':>8}")
        print(f"{'notify: events -> mail':28} {args.mails:>9} {ours:>8.1f}   (publishing the events took {published:.1f} s)")
        print(f"{'bare smtplib loop':28} {args.mails:>9} {bare:>8.1f}")
        figure("notify", "events to confirmation mails", ours, "mails/s", target=">= 200", baseline=bare,
               baseline_name="a bare smtplib loop")
        print(f"mails: notify is {ours / bare:.0%} of the bare loop; {ours:.0f} mails/s "
              f"(targets >= 200/s and >= 50%) -> {'met' if ours >= 200 and ours / bare >= 0.5 else 'NOT met'}")
        files = len(list(mail_dir.glob("*.eml")))
        print(f"the catcher holds {files} mails ({args.mails} bare + {args.mails} from notify expected)")

        # webhooks
        answer = requests.post(f"{platform.url}/api/v1/providers", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                               json={"name": "Bench webhooks", "kind": "opleider"}, timeout=30)
        answer.raise_for_status()
        provider_id, auth = answer.json()["id"], {"Authorization": f"Bearer {answer.json()['api_key']}"}
        answer = requests.put(f"{platform.url}/api/v1/providers/me/webhook", headers=auth, json={"url": receiver.url},
                              timeout=30)
        answer.raise_for_status()
        secret = answer.json()["secret"]
        with psycopg.connect(notify_db, autocommit=True) as conn:      # notify learns of the provider by event
            while not conn.execute("SELECT 1 FROM providers WHERE provider_id = %s", (provider_id,)).fetchone():
                time.sleep(0.1)
        bare_hooks = bare_webhooks(receiver.url, secret, args.webhooks)
        leads = insert_intakes(platform.db_urls["intake"], args.webhooks, provider_id)
        started = time.monotonic()
        publish(platform.amqp_uri, (LeadShared(intake_id=r["id"], team="landelijk", situation="werkzoekend",
                                               provider_id=provider_id) for r in leads))
        hooks = args.webhooks / (wait_for(notify_db, "lead.created", args.webhooks, 600) - started)
        print(f"{'notify: events -> webhook':28} {args.webhooks:>9} {hooks:>8.1f}")
        print(f"{'bare HTTP client loop':28} {args.webhooks:>9} {bare_hooks:>8.1f}")
        figure("notify", "events to signed webhooks", hooks, "webhooks/s", baseline=bare_hooks,
               baseline_name="a bare HTTP client loop")
        print(f"webhooks: notify is {hooks / bare_hooks:.0%} of the bare loop")
    finally:
        platform.stop()
        receiver.server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
