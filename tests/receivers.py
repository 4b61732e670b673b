"""Real receivers for what notify sends, run in the test process: an SMTP server (aiosmtpd) and
an HTTP server for webhooks (and the base of the OOAPI server). Each keeps what it accepted and answers as a test scripts it."""
from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.infra import free_port


class MailServer:
    """An SMTP server. A recipient address holding ``+550`` is refused (no such mailbox); a
    message to one holding ``+451`` is answered 451 (try later) the first time its Message-ID is
    seen, then accepted. One to an address holding ``+slow`` takes 0.3 s to be answered (a
    sender's work overlaps another's)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.by_address: dict[str, list] = {}       # a test asks by address thousands of times
        self.attempts: Counter = Counter()
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "MailServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "+550" in address:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any("+slow" in r for r in envelope.rcpt_tos):
            await asyncio.sleep(0.3)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.attempts[message["Message-ID"]] += 1
            if any("+451" in r for r in envelope.rcpt_tos) and self.attempts[message["Message-ID"]] == 1:
                return "451 4.3.0 mailbox busy, try again later"
            self.messages.append(message)
            for address in envelope.rcpt_tos:
                self.by_address.setdefault(address.lower(), []).append(message)
        return "250 OK: queued"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return list(self.by_address.get(address.lower(), []))


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


class HttpServer:
    """An HTTP server on a free local port in a thread of the test process, for ``with``."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver(HttpServer):
    """An HTTP server that keeps every request (headers and body) and answers with the next of
    ``answers`` (then 200): a status, or (status, headers). With ``allow_origin`` it answers the
    CloudEvents webhook handshake (``OPTIONS``) allowing that origin; without, it knows no OPTIONS
    (501, as a plain receiver would). Every handshake is kept in ``handshakes``."""

    def __init__(self, answers: list | None = None, allow_origin: str | None = None):
        self.requests: list[dict] = []
        self.handshakes: list[dict] = []
        self.answers = list(answers or [])
        self.lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    answer = receiver.answers.pop(0) if receiver.answers else 200
                    status, headers = answer if isinstance(answer, tuple) else (answer, {})
                    receiver.requests.append({"headers": dict(self.headers), "body": body.decode(),
                                              "json": json.loads(body), "status": status, "at": time.monotonic()})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_OPTIONS(self):
                with receiver.lock:
                    receiver.handshakes.append(dict(self.headers))
                if allow_origin is None:
                    self.send_error(501)
                    return
                self.send_response(200)
                self.send_header("Allow", "POST")
                self.send_header("WebHook-Allowed-Origin", allow_origin)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._serve(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"
