"""Sending what is due, once in effect. A batch of due messages is claimed (``FOR UPDATE SKIP
LOCKED``, status ``sending`` with a lease), their recipients asked of intake in one RPC (notify
keeps no contact details of its own), each rendered, sent and its outcome recorded in its own
transaction. A process that dies between the server's "accepted" and that record leaves the
message to be sent again after the lease: the one duplicate that cannot be avoided, with the
same Message-ID / webhook-id as the first, so the receiver can tell."""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from services.chassis import tokens
from services.notify import domain, messages, templates
from services.notify.domain import DELIVERED, PERMANENT, PERSON, SUBSCRIBER, TEAM, TECHNICAL, Outcome
from services.notify.senders import Channels, email_message
from services.notify.store import NotifyStore

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    db: object                      # the service's Database (``transaction()``)
    channels: Channels
    recipients_of: Callable         # intake's ``recipients(intake_ids)``
    dead_letter: Callable           # (message, reason): onto notify.deliveries.dead
    config: dict

    def run(self, now: datetime | None = None) -> Counter:
        """Send one batch of due messages. How many ended in each status."""
        config = self.config
        now = now or datetime.now(timezone.utc)
        with self.db.transaction() as tx:
            batch = tx.claim_due(now, config["NOTIFY_LEASE_SECONDS"], config["NOTIFY_BATCH_SIZE"])
        if not batch:
            return Counter()
        # a message whose lease may have run out is left to be taken again, never sent by two
        stop_at = time.monotonic() + config["NOTIFY_LEASE_SECONDS"] - 3 * config["NOTIFY_SEND_TIMEOUT"]
        counts = Counter()
        people = self._intakes(batch)
        # intake away (restarting, a broker node failing over): not the message's failure. It
        # waits for the first retry's delay without using up one of its attempts, as long as it takes
        waiting = [m for m in batch if isinstance(people.get(m["intake_id"]), Exception)]
        if waiting:
            delays = self.config["NOTIFY_MAIL_RETRY_SECONDS"]
            with self.db.transaction() as tx:
                tx.put_back([m["id"] for m in waiting], domain.next_attempt(1, delays, datetime.now(timezone.utc)),
                            "intake did not say who to send to: waiting for it")
            counts[TECHNICAL] += len(waiting)
            batch = [m for m in batch if m not in waiting]
        # one connection for the batch; each outcome is its own statement, durable before the next send
        with self.db.autocommit() as db:
            for message in batch:
                if time.monotonic() > stop_at:
                    break
                try:
                    try:
                        outcome, address, rendered, channel = self._send(db, message, people)
                    except Exception as exc:        # our own mistake (a template, a bug): tried again later
                        log.exception("message %s (%s) could not be sent", message["id"], message["template"])
                        outcome, address, rendered, channel = Outcome(TECHNICAL, f"{type(exc).__name__}: {exc}"[:500]), None, None, None
                    counts[self._record(db, message, outcome, address, rendered, channel)] += 1
                finally:
                    db.unlock_recipients()      # the recipient's lock, when _send took one
        return counts

    def _intakes(self, batch: list[dict]) -> dict:
        ids = sorted({m["intake_id"] for m in batch if m["intake_id"]})
        if not ids:
            return {}
        try:
            return self.recipients_of(ids)
        except Exception:
            log.exception("intake did not say who to send to; these messages wait for the next attempt")
            return {i: RuntimeError("intake unavailable") for i in ids}

    def _send(self, db: NotifyStore, message: dict, people: dict) -> tuple[Outcome, str | None, templates.Rendered | None, str | None]:
        intake = people.get(message["intake_id"]) if message["intake_id"] else None
        if message["intake_id"] and intake is None:
            return Outcome(PERMANENT, "the person's data was erased before sending"), None, None, None
        target = self._target(db, message, intake)
        if isinstance(target, Outcome):
            return target, None, None, None
        channel, addresses, data, language, headers = target
        if message["audience"] in domain.LIMITED_AUDIENCES:
            hashed = tokens.keyed_hash(self.config["NOTIFY_HASH_KEY"], ", ".join(addresses))
            # held until the outcome is recorded: a second notify process sending to the same
            # recipient counts this message too (two processes each sent their ten an hour)
            db.lock_recipient(hashed)
            if not domain.within_limit(db.sent_to(hashed, datetime.now(timezone.utc) - timedelta(hours=1)),
                                       self.config["NOTIFY_LIMIT_PER_RECIPIENT"]):
                return Outcome(TECHNICAL, f"not sent: {self.config['NOTIFY_LIMIT_PER_RECIPIENT']} messages "
                                          "to this recipient in the last hour", retry=False), ", ".join(addresses), None, channel
        if channel == "webhook":
            hook = data
            outcome = self.channels.webhooks.send(hook["url"], hook["secrets"], domain.webhook_id(message["idempotency_key"]),
                                                  message["data"]["body"], hook["format"])
            return outcome, hook["url"], None, channel
        rendered = templates.render(message["template"], language, data)
        if channel == "sms":
            return self.channels.sms.send(addresses[0], rendered.sms), addresses[0], rendered, channel
        mail = email_message(
            sender=self.config["NOTIFY_MAIL_FROM"], to=addresses, subject=rendered.subject, text=rendered.text,
            html=rendered.html, headers=headers,
            message_id=domain.message_id_header(message["idempotency_key"], self.config["NOTIFY_MESSAGE_DOMAIN"]))
        return self.channels.mail.send(mail), ", ".join(addresses), rendered, channel

    def _target(self, db: NotifyStore, message: dict, intake: dict | None):
        """(channel, addresses, template data, language, mail headers) of a message, or the
        Outcome that it cannot go anywhere. Where it goes is the audience's; what it says is the
        message's own declaration (messages.py), rendered from the row's data alone."""
        declared = messages.MESSAGES[message["template"]]
        found = self._where(db, message, intake)
        if isinstance(found, Outcome):
            return found
        channel, addresses, language, headers, recipient = found
        data = declared.context(recipient) if declared.context else recipient.data
        return channel, addresses, data, language, headers

    def _where(self, db: NotifyStore, message: dict, intake: dict | None):
        """(channel, addresses, language, mail headers, what the template may read) of the
        message's audience, or the Outcome that it has nowhere to go."""
        base, data = self.config["PUBLIC_BASE_URL"], message["data"]
        if message["audience"] == PERSON:
            channel = "email" if intake["email"] else "sms"
            return channel, [intake["email"] or intake["phone"]], intake["language"], {}, \
                messages.Recipient(base, data, intake=intake)
        if message["audience"] == TEAM:
            addresses = intake["team"]["addresses"]
            if not addresses:
                return Outcome(PERMANENT, f"team {intake['team']['code']} has no address and no advisors")
            return "email", addresses, "nl", {}, messages.Recipient(base, data, intake=intake)
        if message["audience"] == SUBSCRIBER:
            sub = db.subscription(message["subscription_id"])
            if sub is None or sub["status"] == "ended" or not sub["email"]:
                return Outcome(PERMANENT, "the subscription has ended")
            links = domain.subscription_links(base, self._token("confirm", sub), self._token("unsubscribe", sub))
            headers = {"List-Unsubscribe": f"<{links['one_click_url']}>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            return "email", [sub["email"]], sub["language"], headers, \
                messages.Recipient(base, data, subscription=sub, links=links)
        provider = db.provider(message["provider_id"])
        if message["channel"] == "webhook":
            hook = db.webhook(message["provider_id"])
            if hook is None or hook["disabled_at"]:
                return Outcome(PERMANENT, "the provider has no (enabled) webhook")
            secrets = [hook["secret"]] + ([hook["previous_secret"]] if hook["previous_secret"] and hook["previous_until"]
                                          and hook["previous_until"] > datetime.now(timezone.utc) else [])
            return "webhook", [hook["url"]], "nl", {}, \
                messages.Recipient(base, {"url": hook["url"], "secrets": secrets, "format": hook["format"]},
                                   provider=provider)
        if provider is None or not provider["lead_email"]:
            return Outcome(PERMANENT, "the provider has no lead e-mail address")
        return "email", [provider["lead_email"]], "nl", {}, messages.Recipient(base, data, intake=intake, provider=provider)

    def _token(self, purpose: str, subscription: dict) -> str:
        return tokens.derived_token(self.config["NOTIFY_TOKEN_KEY"], "sub_", purpose, str(subscription["id"]))

    def _record(self, db: NotifyStore, message: dict, outcome: Outcome, address: str | None, rendered,
                channel: str | None) -> str:
        status, retry_at = outcome.status, None
        final = status in (DELIVERED, PERMANENT) or not outcome.retry
        hashed = address and tokens.keyed_hash(self.config["NOTIFY_HASH_KEY"], address)
        if not final:
            delays = self.config["NOTIFY_WEBHOOK_RETRY_SECONDS" if message["channel"] == "webhook"
                                 else "NOTIFY_MAIL_RETRY_SECONDS"]
            retry_at = domain.next_attempt(message["attempts"], delays, datetime.now(timezone.utc),
                                           at_least=outcome.retry_after)
            final = retry_at is None
        db.record(message["id"], status, final=final, reason=outcome.reason, next_attempt_at=retry_at,
                  recipient=address, recipient_hash=hashed, channel=channel, rendered=rendered)
        # what a permanent failure ends (each idempotent: a crash before it, the next failure does it)
        if status == PERMANENT and message["channel"] == "webhook" and outcome.reason and "410" in outcome.reason:
            db.disable_webhook(message["provider_id"])
        if status == PERMANENT and message["audience"] == SUBSCRIBER and address:
            db.end_subscription(subscription_id=message["subscription_id"], reason=f"delivery failed: {outcome.reason}")
        if final and status not in (DELIVERED, PERMANENT) and outcome.retry:
            self.dead_letter(message, outcome.reason)
            log.error("message %s (%s) failed %d times: %s; dead-lettered", message["id"], message["template"],
                      message["attempts"], outcome.reason)
        return status
