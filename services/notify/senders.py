"""The channels, behind one small interface: ``send(...) -> Outcome``. E-mail over SMTP
(``SMTP_URL``), SMS through a provider interface (``LogSms``, the default, writes a line to the
log instead of sending), and signed webhooks by the Standard Webhooks scheme. A sender never
raises for an answer it got: every answer is an ``Outcome`` (domain.smtp_outcome,
domain.webhook_outcome); only our own mistakes raise."""
from __future__ import annotations

import json
import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from nameko.extensions import DependencyProvider
from standardwebhooks.webhooks import Webhook

from services.chassis.settings import cloudevents_config
from services.chassis.urls import guarded_session, outbound_failure
from services.contracts import cloudevents
from services.notify.domain import (DELIVERED, PERMANENT, TECHNICAL, TEMPORARY, Outcome, retry_after_seconds,
                                    smtp_outcome, webhook_outcome)

log = logging.getLogger(__name__)


class Mail:
    """SMTP: ``smtp://host:port`` (plain), ``smtp+starttls://user:password@host:587`` (STARTTLS,
    then login), ``smtps://user:password@host:465`` (TLS from the start). A user name in the URL
    means login. One connection is kept and reused; a dropped one is opened again."""

    def __init__(self, url: str, sender: str, timeout: float = 10):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(f"SMTP_URL: unknown scheme {parts.scheme!r} (smtp, smtp+starttls, smtps)")
        self.scheme, self.host = parts.scheme, parts.hostname or "127.0.0.1"
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.ca_file = (parse_qs(parts.query).get("cafile") or [None])[0]     # a private CA (tests)
        self.sender, self.timeout = sender, timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> Outcome:
        for attempt in (1, 2):      # a kept connection the server closed meanwhile: once more, fresh
            try:
                refused = self._connection().send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                return smtp_outcome(code, _text(text))
            except smtplib.SMTPResponseException as exc:
                self.close()
                return smtp_outcome(exc.smtp_code, _text(exc.smtp_error))
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self.close()
                if attempt == 2:
                    return Outcome(TECHNICAL, f"SMTP connection: {exc}"[:500])
                continue
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                return Outcome(TECHNICAL, f"SMTP: {exc}"[:500])
            if refused:     # some of several addresses refused: the rest have it
                log.warning("SMTP refused %d of the recipients", len(refused))
            return Outcome(DELIVERED)
        raise AssertionError("unreachable")

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            context = ssl.create_default_context(cafile=self.ca_file)
            if self.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.scheme == "smtp+starttls":
                    smtp.starttls(context=context)
                if self.user:
                    smtp.login(self.user, self.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class Sms:
    """Where an SMS provider's adapter plugs in: ``send(number, text)``."""

    def send(self, number: str, text: str) -> Outcome:
        raise NotImplementedError


class LogSms(Sms):
    """The default of development and tests: the SMS is written to the log, not sent (the log
    filter masks the number and the link's token; production refuses it but on a test system)."""

    def send(self, number: str, text: str) -> Outcome:
        log.info("SMS to %s (%d characters): %s", number, len(text), text)
        return Outcome(DELIVERED)


class NoSms(Sms):
    """No SMS provider: a message for someone who gave only a phone number cannot go out."""

    def send(self, number: str, text: str) -> Outcome:
        return Outcome(PERMANENT, "no SMS provider is configured (SMS_PROVIDER=none)")


SMS_PROVIDERS = {"log": LogSms, "none": NoSms}


class Webhooks:
    """POST a thin JSON body signed by the Standard Webhooks scheme: ``webhook-id`` the same on
    every attempt, a fresh ``webhook-timestamp`` and signature each time; during a secret's
    rotation the signature by each secret, space-separated (the receiver accepts either).

    A receiver that chose CloudEvents (``fmt="cloudevents"``) gets the same as a CloudEvent in
    structured content mode (``application/cloudevents+json``), signed the same way. Before such a
    webhook is taken, the receiver is asked with the CloudEvents webhook handshake (``handshake``),
    as the NL GOV webhook guideline asks."""

    def __init__(self, timeout: float, allow_loopback: bool, source_urn: str):
        self.timeout = timeout
        self.source_urn = source_urn
        self.session = guarded_session(allow_loopback)      # public addresses only, checked on every request

    def handshake(self, url: str, origin: str) -> str | None:
        """The abuse protection of CloudEvents webhooks: ``OPTIONS`` with ``WebHook-Request-Origin``;
        the receiver allows us by answering 2xx with ``WebHook-Allowed-Origin`` our origin (or
        ``*``). None when it did, else why not, in words for the provider."""
        try:
            answer = self.session.options(url, headers={"WebHook-Request-Origin": origin,
                                                        "user-agent": "Scholingsalliantie-Webhooks/1"},
                                          timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return f"the receiver could not be asked whether it takes our deliveries: {outbound_failure(exc)}"
        allowed = answer.headers.get("WebHook-Allowed-Origin", "").strip()
        if not 200 <= answer.status_code < 300 or allowed not in (origin, "*"):
            return (f"the receiver did not allow deliveries from {origin} (it answered the OPTIONS handshake with "
                    f"HTTP {answer.status_code} and WebHook-Allowed-Origin {allowed or 'missing'})")
        return None

    def send(self, url: str, secrets: list[str], webhook_id: str, body: dict, fmt: str = "standard-webhooks") -> Outcome:
        content_type = "application/json"
        if fmt == "cloudevents":
            body, content_type = cloudevents.webhook_event(webhook_id, self.source_urn, body), \
                cloudevents.STRUCTURED_CONTENT_TYPE
        data = json.dumps(body, separators=(",", ":"), sort_keys=True)
        now = datetime.now(timezone.utc)
        headers = {"content-type": content_type, "user-agent": "Scholingsalliantie-Webhooks/1",
                   "webhook-id": webhook_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": " ".join(Webhook(s).sign(webhook_id, now, data) for s in secrets)}
        try:
            answer = self.session.post(url, data=data.encode(), headers=headers, timeout=self.timeout,
                                       allow_redirects=False)
        except requests.Timeout:
            return Outcome(TEMPORARY, "timed out")
        except requests.RequestException as exc:
            return Outcome(TEMPORARY, f"could not reach the receiver: {outbound_failure(exc)}")
        return webhook_outcome(answer.status_code, retry_after_seconds(answer.headers.get("Retry-After"), now))


def email_message(*, sender: str, to: list[str], subject: str, text: str, html: str, message_id: str,
                  headers: dict | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message



@dataclass
class Channels:
    mail: Mail
    sms: Sms
    webhooks: Webhooks


class Senders(DependencyProvider):
    """The process's channels: one kept SMTP connection (the delivery timer sends one batch at a
    time), the configured SMS adapter, one HTTP session for webhooks."""

    def setup(self):
        config = self.container.config
        self.channels = Channels(Mail(config["SMTP_URL"], config["NOTIFY_MAIL_FROM"], config["NOTIFY_SEND_TIMEOUT"]),
                                 SMS_PROVIDERS[config["SMS_PROVIDER"]](),
                                 Webhooks(config["NOTIFY_SEND_TIMEOUT"], config.get("OUTBOUND_ALLOW_LOOPBACK", False),
                                          cloudevents_config(config)[0]))

    def stop(self):
        self.channels.mail.close()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.channels
