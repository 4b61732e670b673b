"""The notify service: events become messages (the person's confirmation, the team's "new
intake" and reminders, the provider's lead webhook and mail, saved-search alerts), each sent
once in effect and logged. A message is planned in the event's transaction under an idempotency
key; a timer claims what is due and sends it (delivery.py); saved searches find their new courses
with the search service's own query."""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from kombu import Queue
from nameko.dependency_providers import Config
from nameko.messaging import Publisher, consume
from nameko.rpc import rpc
from nameko.timer import timer

from services.chassis import quota, tokens
from services.chassis.clients import Client
from services.chassis.errors import DomainError, NotFound, TooManyRequests, ValidationFailed, validated
from services.chassis.events import handles, handles_batch
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.contracts.catalogue import (CourseChange, CourseChangeWithPlaces, CoursePublished, CourseUpdated,
                                          ProviderRegistered)
from services.contracts.events import EventEnvelope
from services.contracts.intake import IntakeClient, IntakeErased, LeadShared
from services.contracts.registry import EVENT_TYPES
from services.contracts.notify import LeadEmail, NewSubscription, NewWebhook
from services.contracts.search import SearchClient
from services.notify import domain, messages
from services.notify.delivery import Delivery
from services.notify.senders import Senders
from services.notify.settings import Settings
from services.notify.store import NotifyStore
from services.notify.answers import message_json

log = logging.getLogger(__name__)
rpc_call = rpc(expected_exceptions=DomainError)
DELIVERIES = Queue("notify.deliveries", durable=True)      # a replayed dead letter comes back here
DEAD_DELIVERIES = Queue("notify.deliveries.dead", durable=True)


class NotifyService(HealthMixin):
    name = "notify"

    store = Database(NotifyStore, Path(__file__).parent / "migrations")      # it emits no events: no outbox relay
    config = Config()
    senders = Senders()
    intake = Client(IntakeClient, "NOTIFY_RPC_TIMEOUT")
    search = Client(SearchClient, "NOTIFY_RPC_TIMEOUT")
    dead = Publisher(declare=[DEAD_DELIVERIES, DELIVERIES])

    # events in: messages planned under their idempotency key, in the event's transaction

    @handles("catalogue", ProviderRegistered.event_type)
    def handle_provider_registered(self, tx: NotifyStore, event: ProviderRegistered):
        tx.add_provider(event.provider_id, event.name, event.kind)

    @handles_batch("catalogue", CoursePublished.event_type, model=CourseChange)
    def handle_course_published(self, tx: NotifyStore, events: list[CourseChange]):
        tx.add_new_courses(sorted({e.course_id for e in events}))

    @handles_batch("catalogue", CourseUpdated.event_type, model=CourseChangeWithPlaces)
    def handle_course_updated(self, tx: NotifyStore, events: list[CourseChangeWithPlaces]):
        """A course an alert told of that now starts on another day: "start date moved"."""
        told = {}
        for row in tx.starts_told([e.course_id for e in events]):     # most courses: none
            told.setdefault(row["course_id"], []).append(row)
        for e in sorted((e for e in events if str(e.course_id) in told), key=lambda e: (str(e.course_id), e.version)):
            rows, moved = messages.start_moved(e, told[str(e.course_id)], tx.provider(e.provider_id),
                                               self.config["PUBLIC_BASE_URL"], date.today())
            tx.add_messages(rows)
            tx.told(e.course_id, e.version, moved)

    @handles_batch("intake", "#")
    def handle_intake_events(self, tx: NotifyStore, envelopes: list[EventEnvelope]):
        rows, erased = [], []
        for envelope in envelopes:
            event = EVENT_TYPES[envelope.event_type].from_envelope(envelope)       # the intake's contract
            if isinstance(event, IntakeErased):
                erased.append(event.intake_id)
                continue
            provider = tx.provider(event.provider_id) if isinstance(event, LeadShared) else None
            rows += messages.planned(event.event_type, envelope.event_id, event.model_dump(mode="json"), provider,
                                     self.config["PUBLIC_BASE_URL"], envelope.occurred_at)
        # keys in one order (no deadlock between two processes' batches); an erasure last: it
        # also cancels messages its intake's earlier events in this batch just planned
        tx.add_messages(sorted(rows, key=lambda r: r["idempotency_key"]))
        for intake_id in erased:
            tx.forget_intake(intake_id)

    # providers' webhooks and lead mail

    @rpc_call
    def set_webhook(self, provider_id: str, body: dict) -> dict:
        new = validated(NewWebhook, body, "webhook")
        problem = domain.webhook_url_problem(new.url, self.config["APP_ENV"], self.config["OUTBOUND_ALLOW_LOOPBACK"])
        if not problem and new.format == "cloudevents":     # the receiver must say it takes them
            problem = self.senders.webhooks.handshake(new.url, urlsplit(self.config["PUBLIC_BASE_URL"]).hostname)
        if problem:
            raise ValidationFailed("the webhook URL cannot be used", [{"field": "url", "message": problem}])
        secret = domain.new_webhook_secret()
        with self.store.transaction() as tx:
            old = tx.webhook(provider_id, for_update=True)
            rotating = old is not None and old["url"] == new.url      # the same URL again: a new secret
            tx.put_webhook(provider_id, new.url, secret, old["secret"] if rotating else None,
                           datetime.now(timezone.utc) + timedelta(hours=24) if rotating else None, new.format)
        return {"url": new.url, "format": new.format, "secret": secret, "previous_secret_valid_until":
                (datetime.now(timezone.utc) + timedelta(hours=24)).isoformat() if rotating else None}

    @rpc_call
    def delete_webhook(self, provider_id: str) -> None:
        with self.store.transaction() as tx:
            if not tx.delete_webhook(provider_id):
                raise NotFound("no webhook is registered")

    @rpc_call
    def set_lead_email(self, provider_id: str, body: dict) -> dict:
        email = validated(LeadEmail, body, "lead e-mail").email
        with self.store.transaction() as tx:
            if not tx.set_lead_email(provider_id, email):
                raise NotFound("notify does not know this provider yet; try again in a moment")
        return {"email": email}

    @rpc_call
    def deliveries(self, provider_id: str | None, status: str | None, template: str | None,
                   page: int, page_size: int) -> dict:
        with self.store.transaction() as tx:
            rows, total = tx.messages(status, template, provider_id, page, page_size)
        return {"items": [message_json(r) for r in rows], "total": total, "page": page, "page_size": page_size}

    @rpc_call
    def sent_to_person(self, intake_id: str) -> list[dict]:
        """What the person of a request was sent (for their status page, once intake has checked
        their token): each message's name, channel, status and time; no address, no text."""
        with self.store.transaction() as tx:
            return [{"template": r["template"], "channel": r["channel"], "status": r["status"],
                     "at": (r["finished_at"] or r["created_at"]).isoformat()}
                    for r in tx.person_messages(str(_uuid(intake_id)))]

    @rpc_call
    def replay_delivery(self, provider_id: str | None, message_id: str) -> dict:
        with self.store.transaction() as tx:
            row = tx.message(str(_uuid(message_id)))
            if row is None or (provider_id and row["provider_id"] != provider_id):
                raise NotFound(f"no delivery {message_id}")
            if not tx.retry(row["id"]):
                raise ValidationFailed("this delivery is still being tried", [{"field": "id", "message": "not final yet"}])
            return message_json(tx.message(row["id"]))

    # saved searches

    @rpc_call
    def subscribe(self, body: dict, client_address: str | None = None) -> dict:
        new = validated(NewSubscription, body)
        subscription_id = uuid.uuid4()
        key = self.config["NOTIFY_TOKEN_KEY"]
        keys = {"address_key": tokens.keyed_hash(self.config["NOTIFY_HASH_KEY"], domain.normalised_address(new.email)),
                "client_key": client_address and tokens.keyed_hash(self.config["NOTIFY_HASH_KEY"], f"client:{client_address}")}
        with self.store.transaction() as tx:
            self._within_limits(tx, keys)
            tx.add_subscription({**keys,
                "id": subscription_id, "email": new.email, "query": new.query.model_dump(mode="json", exclude_defaults=True),
                "frequency": new.frequency, "language": new.language,
                "confirm_hash": self.store.credential_hash(tokens.derived_token(key, "sub_", "confirm", str(subscription_id))),
                "unsubscribe_hash": self.store.credential_hash(tokens.derived_token(key, "sub_", "unsubscribe", str(subscription_id)))})
            tx.add_messages(messages.planned(messages.SUBSCRIBED, subscription_id, {"subscription_id": str(subscription_id)}))
        return {"id": str(subscription_id), "status": "pending"}

    def _within_limits(self, tx: NotifyStore, keys: dict) -> None:
        """A mailbox gets so many confirmation mails a day, a client may ask so many an hour."""
        now = datetime.now(timezone.utc)
        for column, limit, window, field_name in (
                ("address_key", self.config["NOTIFY_SUBSCRIPTIONS_PER_ADDRESS"], timedelta(days=1), "email"),
                ("client_key", self.config["NOTIFY_SUBSCRIPTIONS_PER_CLIENT"], timedelta(hours=1), "body")):
            if keys[column] and (wait := quota.wait_for_limit(tx.subscriptions_asked(column, keys[column], now - window),
                                                              limit, window, now)):
                raise TooManyRequests(f"too many saved searches {'for this address' if field_name == 'email' else 'from this client'}",
                                      [{"field": field_name, "message": "te veel zoekopdrachten: probeer het later opnieuw"}],
                                      retry_after=wait)

    @rpc_call
    def confirm_subscription(self, token: str) -> dict:
        now = datetime.now(timezone.utc)
        with self.store.transaction() as tx:
            # the first alert looks for courses from now on, at the frequency asked
            found = tx.confirm_subscription(self.store.credential_hash(token or ""), now, now)
        if found is None:
            raise NotFound("no saved search for this link (it may have ended)")
        return found

    @rpc_call
    def unsubscribe(self, token: str) -> None:
        with self.store.transaction() as tx:
            if not tx.end_subscription(unsubscribe_hash=self.store.credential_hash(token or ""), reason="unsubscribed"):
                raise NotFound("no saved search for this link")

    # timers: rows claimed with SKIP LOCKED, so two notify processes never do one thing twice

    @timer(interval=0.5)
    def deliver(self):
        delivery = Delivery(self.store, self.senders, self.intake.recipients,
                            self._dead_letter, self.config)
        for _ in range(20):                 # then let the other timers have a turn
            if not delivery.run():
                break

    @timer(interval=5)
    def send_alerts(self):
        now = datetime.now(timezone.utc)
        matching = self.search.matching
        with self.store.transaction() as tx:
            for sub in tx.claim_due_subscriptions(now, 50):
                # a course the search had not indexed yet at the last look is looked at again
                since = max(sub["confirmed_at"], sub["checked_until"] - timedelta(hours=1))
                candidates = tx.new_course_ids(sub["id"], since)
                hits = matching(sub["query"], candidates) if candidates else []
                if hits:
                    tx.mark_alerted(sub["id"], [h["course_id"] for h in hits],
                                    [(h.get("next_offering") or {}).get("start_date") for h in hits])
                    tx.add_messages(messages.planned(
                        messages.ALERT, uuid.uuid4(), {"subscription_id": str(sub["id"])},
                        data={"courses": domain.alert_courses(hits, self.config["PUBLIC_BASE_URL"], sub["language"])}))
                tx.checked(sub["id"], now, domain.next_alert_at(sub["frequency"], now, self.config["NOTIFY_ALERT_SECONDS"]))

    @timer(interval=3600, eager=True)     # and at start-up: a process restarted often still purges
    def purge(self):
        now = datetime.now(timezone.utc)
        with self.store.transaction() as tx:
            dropped = tx.drop_old_bodies(now - timedelta(days=self.config["NOTIFY_BODY_DAYS"]))
            tx.drop_unconfirmed(now - timedelta(days=self.config["NOTIFY_PENDING_DAYS"]))
            tx.forget_old_courses(now - timedelta(days=60))
        if dropped:
            log.info("dropped the bodies of %d messages older than %d days", dropped, self.config["NOTIFY_BODY_DAYS"])

    @consume(DELIVERIES)
    def replayed(self, body: dict):
        """A dead-lettered message replayed (``make replay-deadletters``): tried again."""
        with self.store.transaction() as tx:
            tx.retry(body["message_id"])

    def _dead_letter(self, message: dict, reason: str | None) -> None:
        self.dead({"message_id": message["id"], "template": message["template"], "reason": reason},
                  routing_key=DEAD_DELIVERIES.name, headers={"x-sa-error": reason or "", "x-sa-queue": DELIVERIES.name})

    @rpc
    def known_provider(self, provider_id: str) -> dict | None:
        with self.store.transaction() as tx:
            row = tx.provider(provider_id)
        return row and {"provider_id": row["provider_id"], "name": row["name"], "kind": row["kind"]}


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"no delivery {value}") from None


SERVICE = NotifyService
__all__ = ["NotifyService", "SERVICE", "Settings"]
