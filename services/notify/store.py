"""Every SQL statement of the notify service."""
from __future__ import annotations

import json

from datetime import datetime

from psycopg import sql
from psycopg.types.json import Jsonb

from services.chassis.postgres import Store

OPEN_FOR_RETRY = "NOT final AND next_attempt_at <= %(now)s AND (status <> 'sending' OR lease_until < %(now)s)"
LOG_COLUMNS = """id::text, idempotency_key, template, channel, audience, status, final, attempts, reason, intake_id::text,
    provider_id::text, subscription_id::text, created_at, finished_at, next_attempt_at, recipient_hash"""


class NotifyStore(Store):
    CREDENTIAL_COLUMNS = (("subscriptions", "confirm_hash"), ("subscriptions", "unsubscribe_hash"))

    # providers, their webhooks and lead addresses

    def add_provider(self, provider_id, name: str, kind: str) -> None:
        self.execute(
            """INSERT INTO providers (provider_id, name, kind)
               VALUES (%(id)s, %(name)s, %(kind)s) ON CONFLICT (provider_id) DO NOTHING""",
            {"id": provider_id, "name": name, "kind": kind},
        )

    def provider(self, provider_id) -> dict | None:
        return self.fetch_one(
            """SELECT p.provider_id::text, p.name, p.kind, p.lead_email, w.url AS webhook
               FROM providers p LEFT JOIN webhooks w ON w.provider_id = p.provider_id AND w.disabled_at IS NULL
               WHERE p.provider_id = %(id)s""", {"id": provider_id})

    def set_lead_email(self, provider_id, email: str | None) -> bool:
        return self.execute("UPDATE providers SET lead_email = %(e)s WHERE provider_id = %(id)s",
                            {"id": provider_id, "e": email}).rowcount == 1

    def webhook(self, provider_id, for_update: bool = False) -> dict | None:
        return self.fetch_one("SELECT * FROM webhooks WHERE provider_id = %(id)s" + (" FOR UPDATE" if for_update else ""),
                              {"id": provider_id})

    def put_webhook(self, provider_id, url: str, secret: str, previous: str | None, previous_until,
                    fmt: str = "standard-webhooks") -> None:
        self.execute(
            """INSERT INTO webhooks (provider_id, url, secret, previous_secret, previous_until, format)
               VALUES (%(id)s, %(url)s, %(s)s, %(p)s, %(until)s, %(format)s)
               ON CONFLICT (provider_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret,
                   previous_secret = EXCLUDED.previous_secret, previous_until = EXCLUDED.previous_until,
                   format = EXCLUDED.format, disabled_at = NULL, updated_at = now()""",
            {"id": provider_id, "url": url, "s": secret, "p": previous, "until": previous_until, "format": fmt})

    def delete_webhook(self, provider_id) -> bool:
        return self.execute("DELETE FROM webhooks WHERE provider_id = %(id)s", {"id": provider_id}).rowcount == 1

    def disable_webhook(self, provider_id) -> None:
        self.execute("UPDATE webhooks SET disabled_at = now() WHERE provider_id = %(id)s", {"id": provider_id})

    # messages

    def add_messages(self, rows: list[dict]) -> int:
        """New messages; one whose idempotency key is there already is not added again."""
        if not rows:
            return 0
        return self.execute(
            """INSERT INTO messages (id, idempotency_key, template, template_version, channel, audience,
                   recipient_ref, intake_id, provider_id, subscription_id, data)
               SELECT * FROM jsonb_to_recordset(%(rows)s) AS r(id uuid, idempotency_key text, template text,
                   template_version int, channel text, audience text, recipient_ref text, intake_id uuid,
                   provider_id uuid, subscription_id uuid, data jsonb)
               ON CONFLICT (idempotency_key) DO NOTHING""",
            {"rows": Jsonb(rows)}).rowcount

    def claim_due(self, now: datetime, lease_seconds: float, limit: int) -> list[dict]:
        """Messages to send now, taken for ``lease_seconds``: skipped by every other process
        (SKIP LOCKED, then the lease), taken again only if this one dies before it records."""
        return self.fetch_all(
            f"""UPDATE messages m SET status = 'sending', attempts = m.attempts + 1, updated_at = %(now)s,
                    lease_until = %(now)s + make_interval(secs => %(lease)s)
                FROM (SELECT id FROM messages WHERE {OPEN_FOR_RETRY}
                      ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED) due
                WHERE m.id = due.id
                RETURNING m.id::text, m.idempotency_key, m.template, m.template_version, m.channel, m.audience,
                          m.recipient_ref, m.intake_id::text, m.provider_id::text, m.subscription_id::text,
                          m.data, m.attempts, m.created_at""",
            {"now": now, "lease": lease_seconds, "limit": limit})

    def lock_recipient(self, recipient_hash: str) -> None:
        """Until ``unlock_recipients``: no other notify process counts or sends to this recipient
        (a session lock: the connection sends in autocommit)."""
        self.execute("SELECT pg_advisory_lock(hashtextextended(%(h)s, 34))", {"h": recipient_hash})
        self._holds_recipient = True

    def unlock_recipients(self) -> None:
        """Releases what ``lock_recipient`` took; nothing to send when it took nothing (most
        messages: a team's, a provider's), so no round trip on their way."""
        if getattr(self, "_holds_recipient", False):
            self.execute("SELECT pg_advisory_unlock_all()")
            self._holds_recipient = False

    def sent_to(self, recipient_hash: str, since: datetime) -> int:
        return self.fetch_one("""SELECT count(*) AS n FROM messages WHERE recipient_hash = %(h)s
                                 AND status = 'delivered' AND finished_at > %(since)s""",
                              {"h": recipient_hash, "since": since})["n"]

    def record(self, message_id: str, status: str, *, final: bool, reason: str | None = None,
               next_attempt_at: datetime | None = None, recipient: str | None = None,
               recipient_hash: str | None = None, channel: str | None = None, rendered=None) -> None:
        """The outcome of an attempt. A final one keeps no address (its hash stays)."""
        self.execute(
            """UPDATE messages SET status = %(status)s, final = %(final)s, reason = %(reason)s, lease_until = NULL,
                   next_attempt_at = coalesce(%(next)s, next_attempt_at), channel = coalesce(%(channel)s, channel),
                   recipient = CASE WHEN %(final)s THEN NULL ELSE coalesce(%(to)s, recipient) END,
                   recipient_hash = coalesce(%(hash)s, recipient_hash),
                   subject = coalesce(%(subject)s, subject), body_text = coalesce(%(text)s, body_text),
                   body_html = coalesce(%(html)s, body_html),
                   finished_at = CASE WHEN %(final)s THEN now() END, updated_at = now()
               WHERE id = %(id)s""",
            {"id": message_id, "status": status, "final": final, "reason": reason, "next": next_attempt_at,
             "to": recipient, "hash": recipient_hash, "channel": channel,
             "subject": rendered and rendered.subject, "text": rendered and (rendered.sms or rendered.text),
             "html": rendered and rendered.html})

    def put_back(self, message_ids: list[str], next_attempt_at: datetime, reason: str) -> None:
        """Claimed messages not tried after all (their recipients could not be looked up): open
        again at ``next_attempt_at``, the attempt each claim counted given back."""
        self.execute(
            """UPDATE messages SET status = 'technical-failure', attempts = attempts - 1, reason = %(reason)s,
                   lease_until = NULL, next_attempt_at = %(next)s, updated_at = now()
               WHERE id = ANY(%(ids)s::uuid[]) AND status = 'sending'""",
            {"ids": [str(i) for i in message_ids], "next": next_attempt_at, "reason": reason})

    def retry(self, message_id: str) -> bool:
        """A final message tried again from the start (a replay), keeping its key and ids."""
        return self.execute(
            """UPDATE messages SET status = 'created', final = false, attempts = 0, next_attempt_at = now(),
                   finished_at = NULL, reason = NULL, updated_at = now() WHERE id = %(id)s AND final""",
            {"id": message_id}).rowcount == 1

    def forget_intake(self, intake_id) -> int:
        """``intake_erased``: no address, body or unsent message of it remains."""
        return self.execute(
            """UPDATE messages SET recipient = NULL, subject = NULL, body_text = NULL, body_html = NULL,
                   status = CASE WHEN final THEN status ELSE 'permanent-failure' END,
                   reason = CASE WHEN final THEN reason ELSE 'the person''s data was erased before sending' END,
                   finished_at = coalesce(finished_at, now()), final = true, lease_until = NULL, updated_at = now()
               WHERE intake_id = %(id)s""", {"id": intake_id}).rowcount

    def drop_old_bodies(self, before: datetime) -> int:
        return self.execute(
            """UPDATE messages SET subject = NULL, body_text = NULL, body_html = NULL
               WHERE final AND finished_at < %(before)s AND body_text IS NOT NULL""", {"before": before}).rowcount

    def messages(self, status: str | None, template: str | None, provider_id: str | None,
                 page: int, page_size: int) -> tuple[list[dict], int]:
        where, params = ["true"], {"status": status, "template": template, "provider": provider_id,
                                   "limit": page_size, "offset": (page - 1) * page_size}
        for column, key in (("status", "status"), ("template", "template"), ("provider_id", "provider")):
            if params[key] is not None:
                where.append(f"{column} = %({key})s")
        condition = " AND ".join(where)
        rows = self.fetch_all(f"""SELECT {LOG_COLUMNS} FROM messages WHERE {condition}
                                  ORDER BY created_at DESC, id LIMIT %(limit)s OFFSET %(offset)s""", params)
        total = self.fetch_one(f"SELECT count(*) AS n FROM messages WHERE {condition}", params)["n"]
        return rows, total

    def person_messages(self, intake_id: str) -> list[dict]:
        """What was sent to the person of a request (their own messages, oldest first)."""
        return self.fetch_all(f"""SELECT {LOG_COLUMNS} FROM messages WHERE intake_id = %(id)s AND audience = 'person'
                                  ORDER BY created_at, id""", {"id": intake_id})

    def message(self, message_id: str) -> dict | None:
        return self.fetch_one(f"SELECT {LOG_COLUMNS} FROM messages WHERE id = %(id)s", {"id": message_id})

    # saved searches

    def add_subscription(self, row: dict) -> None:
        self.execute(
            """INSERT INTO subscriptions (id, email, query, frequency, language, confirm_hash, unsubscribe_hash,
                   address_key, client_key)
               VALUES (%(id)s, %(email)s, %(query)s, %(frequency)s, %(language)s, %(confirm_hash)s,
                       %(unsubscribe_hash)s, %(address_key)s, %(client_key)s)""", {**row, "query": Jsonb(row["query"])})

    def subscriptions_asked(self, column: str, key: str, since: datetime) -> list[datetime]:
        """When the subscriptions of one address or client (``column``: address_key or client_key)
        were asked since ``since``, oldest first."""
        rows = self.fetch_all(sql.SQL("SELECT created_at FROM subscriptions WHERE {} = %(k)s AND created_at > %(since)s "
                                      "ORDER BY created_at").format(sql.Identifier(column)), {"k": key, "since": since})
        return [r["created_at"] for r in rows]

    def drop_unconfirmed(self, before: datetime) -> int:
        """Subscriptions never confirmed, asked before ``before``: gone, address and all."""
        return self.execute("DELETE FROM subscriptions WHERE status = 'pending' AND created_at < %(before)s",
                            {"before": before}).rowcount

    def subscription(self, subscription_id) -> dict | None:
        return self.fetch_one("SELECT * FROM subscriptions WHERE id = %(id)s", {"id": subscription_id})

    def confirm_subscription(self, confirm_hash: str, now: datetime, next_alert_at: datetime) -> dict | None:
        return self.fetch_one(
            """UPDATE subscriptions SET status = 'active', confirmed_at = coalesce(confirmed_at, %(now)s),
                   checked_until = coalesce(checked_until, %(now)s),
                   next_alert_at = coalesce(next_alert_at, %(next)s)
               WHERE confirm_hash = %(h)s AND status IN ('pending', 'active') RETURNING id::text, status""",
            {"h": confirm_hash, "now": now, "next": next_alert_at})

    def end_subscription(self, *, unsubscribe_hash: str | None = None, subscription_id=None, reason: str) -> bool:
        return self.execute(
            """UPDATE subscriptions SET status = 'ended', ended_reason = %(reason)s, ended_at = now(), email = NULL
               WHERE (unsubscribe_hash = %(h)s OR id = %(id)s) AND status <> 'ended'""",
            {"h": unsubscribe_hash, "id": subscription_id, "reason": reason}).rowcount == 1

    def claim_due_subscriptions(self, now: datetime, limit: int) -> list[dict]:
        return self.fetch_all(
            """SELECT id::text, query, frequency, language, confirmed_at, checked_until FROM subscriptions
               WHERE status = 'active' AND next_alert_at <= %(now)s
               ORDER BY next_alert_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED""", {"now": now, "limit": limit})

    def new_course_ids(self, subscription_id: str, since: datetime) -> list[str]:
        return [r["course_id"] for r in self.fetch_all(
            """SELECT n.course_id::text FROM new_courses n
               WHERE n.published_at >= %(since)s AND NOT EXISTS (
                   SELECT 1 FROM alerted a WHERE a.subscription_id = %(id)s AND a.course_id = n.course_id)
               ORDER BY n.published_at""", {"id": subscription_id, "since": since})]

    def mark_alerted(self, subscription_id: str, course_ids: list[str], starts: list[str | None]) -> None:
        """The courses an alert listed, each with the start date it told."""
        self.execute("""INSERT INTO alerted (subscription_id, course_id, start_told)
                        SELECT %(id)s, c, s FROM unnest(%(ids)s::uuid[], %(starts)s::date[]) AS t(c, s)
                        ON CONFLICT DO NOTHING""",
                     {"id": subscription_id, "ids": course_ids, "starts": starts})

    def starts_told(self, course_ids: list) -> list[dict]:
        """The active saved searches an alert told of these courses: the start it told, the
        course version last looked at, the language (locked: one process tells each)."""
        return self.fetch_all(
            """SELECT a.course_id::text, a.subscription_id::text, a.start_told, a.version_told, s.language
               FROM alerted a JOIN subscriptions s ON s.id = a.subscription_id
               WHERE a.course_id = ANY(%(courses)s::uuid[]) AND s.status = 'active'
               ORDER BY a.course_id, a.subscription_id FOR UPDATE OF a""",
            {"courses": sorted({str(c) for c in course_ids})})

    def told(self, course_id, version: int, moved: dict[str, object]) -> None:
        """The course's ``version`` looked at; the saved searches in ``moved`` told its new start."""
        self.execute("""UPDATE alerted SET version_told = %(version)s,
                            start_told = coalesce((%(moved)s::jsonb->>subscription_id::text)::date, start_told)
                        WHERE course_id = %(course)s AND version_told < %(version)s""",
                     {"course": course_id, "version": version, "moved": json.dumps(moved, default=str)})

    def checked(self, subscription_id: str, until: datetime, next_alert_at: datetime) -> None:
        self.execute("UPDATE subscriptions SET checked_until = %(until)s, next_alert_at = %(next)s WHERE id = %(id)s",
                     {"id": subscription_id, "until": until, "next": next_alert_at})

    def add_new_courses(self, course_ids: list) -> None:
        self.execute("""INSERT INTO new_courses (course_id) SELECT unnest(%(ids)s::uuid[]) ORDER BY 1
                        ON CONFLICT DO NOTHING""", {"ids": [str(i) for i in course_ids]})

    def forget_old_courses(self, before: datetime) -> int:
        return self.execute("DELETE FROM new_courses WHERE published_at < %(before)s", {"before": before}).rowcount
