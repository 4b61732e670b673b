"""The PostgreSQL dependency provider: one pool per service, migrations at set-up, and a
store object per transaction that carries the service's domain verbs.

Why a service opens the transaction itself (``with self.store.transaction() as tx``) instead
of committing in ``worker_result``: nameko sends the RPC reply and acks an event message in
``handle_result``, *before* ``worker_result`` runs, so a commit there could fail after the
caller was told "done" or the message was acked. Committing inside the method orders it right:
commit, then reply/ack.
"""
from __future__ import annotations

import contextlib
import logging
import os
import uuid
from pathlib import Path
from typing import Iterator

import psycopg
import psycopg.waiting
from psycopg import sql
from nameko.extensions import DependencyProvider
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from services.chassis import wire
from services.chassis.errors import Unavailable
from services.chassis.migrations import CHASSIS_MIGRATIONS, migrate
from services.contracts.events import Event

log = logging.getLogger(__name__)


def assert_cooperative_psycopg() -> None:
    """psycopg's C wait function blocks the whole eventlet hub (and AMQP heartbeats)."""
    if psycopg.waiting.wait is not psycopg.waiting.wait_selector:
        raise RuntimeError(
            "psycopg does not use wait_selector: set PSYCOPG_WAIT_FUNC=wait_selector before "
            f"psycopg is imported (now {os.environ.get('PSYCOPG_WAIT_FUNC')!r})"
        )


def json_rows(rows: list[dict]) -> Jsonb:
    """Many rows as one parameter, for a statement that reads them back with
    ``jsonb_to_recordset(%(rows)s) AS r(column type, ...)``: one statement for a whole batch
    instead of a statement (or an executemany entry) per row. Ids, dates and decimals are
    written as JSON text, which the column types read back."""
    return Jsonb(rows, dumps=wire.encode)


def newest_versions(items: list, key, version) -> list:
    """One item per ``key(item)``, the one with the highest ``version(item)`` (the later of
    equals): what a batch statement may write, as INSERT ... ON CONFLICT DO UPDATE cannot touch
    one row twice, and the older version would lose to the newer one anyway."""
    newest: dict = {}
    for item in items:
        kept = newest.get(key(item))
        if kept is None or version(item) >= version(kept):
            newest[key(item)] = item
    return list(newest.values())


class Store:
    """One transaction's worth of data access. Services subclass it with their domain verbs;
    every SQL statement of a service lives in its subclass (``<service>/store.py``)."""

    # (table, column) of every stored credential hash: re-keyed at start-up (``rekey_credentials``)
    CREDENTIAL_COLUMNS: tuple[tuple[str, str], ...] = ()

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.emitted: list[Event] = []

    def execute(self, query, params=None):
        return self.conn.execute(query, params)

    def fetch_one(self, query, params=None) -> dict | None:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchone()

    def fetch_all(self, query, params=None) -> list[dict]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def emit(self, event: Event, event_id: uuid.UUID | None = None) -> uuid.UUID:
        """Write an event to the outbox in this transaction; the relay publishes it after commit."""
        envelope = event.envelope(event_id)
        self.execute(
            "INSERT INTO outbox (event_id, event_type, envelope) VALUES (%(id)s, %(type)s, %(env)s::jsonb)",
            {"id": envelope.event_id, "type": envelope.event_type, "env": envelope.model_dump_json()},
        )
        self.emitted.append(event)
        return envelope.event_id

    def emit_many(self, events: list[Event]) -> None:
        """Like ``emit`` for many events, in their order, in one statement (bulk imports; an
        executemany of one row per event cost the catalogue more CPU than checking the courses)."""
        if not events:
            return
        envelopes = "[" + ",".join(event.envelope().model_dump_json() for event in events) + "]"
        self.execute(
            """INSERT INTO outbox (event_id, event_type, envelope)
               SELECT (e ->> 'event_id')::uuid, e ->> 'event_type', e
               FROM jsonb_array_elements(%(envelopes)s::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n""",
            {"envelopes": envelopes},
        )
        self.emitted.extend(events)

    def claim_events(self, consumer: str, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """The ids ``consumer`` sees for the first time (a redelivered one is not among them)."""
        rows = self.execute(
            """INSERT INTO processed_events (consumer, event_id)
               SELECT %(c)s, e FROM unnest(%(e)s::uuid[]) e ON CONFLICT DO NOTHING RETURNING event_id""",
            {"c": consumer, "e": list(event_ids)},
        ).fetchall()
        return {row[0] for row in rows}

    def rekey_credentials(self, key: str) -> int:
        """Turn the plain sha256 hashes stored before credentials were keyed into keyed ones
        (``tokens.rekeyed``): the credentials go on working. Idempotent; two instances at once
        write the same values."""
        from services.chassis.tokens import rekeyed
        changed = 0
        for table, column in self.CREDENTIAL_COLUMNS:
            select = sql.SQL("SELECT DISTINCT {c} AS old FROM {t} WHERE {c} ~ '^[0-9a-f]{{64}}$'").format(
                t=sql.Identifier(table), c=sql.Identifier(column))
            update = sql.SQL("UPDATE {t} SET {c} = %(new)s WHERE {c} = %(old)s").format(
                t=sql.Identifier(table), c=sql.Identifier(column))
            for row in self.fetch_all(select):
                changed += self.execute(update, {"old": row["old"], "new": rekeyed(key, row["old"])}).rowcount
        return changed

    def before_commit(self) -> None:
        """Runs as the transaction's last statement(s), only when the body did not raise."""

    def ping(self) -> bool:
        return self.execute("SELECT 1").fetchone()[0] == 1


    # page sign-in sessions (services/chassis/sessions.py)

    def open_session(self, id_hash: str, credential_hash: str, hours: float) -> None:
        self.execute("DELETE FROM sessions WHERE expires_at < now()")
        self.execute("""INSERT INTO sessions (id_hash, credential_hash, expires_at)
                        VALUES (%(id)s, %(c)s, now() + make_interval(secs => %(s)s))""",
                     {"id": id_hash, "c": credential_hash, "s": hours * 3600})

    def session_credential(self, id_hash: str) -> str | None:
        row = self.fetch_one("SELECT credential_hash FROM sessions WHERE id_hash = %(id)s AND expires_at > now()",
                             {"id": id_hash})
        return row and row["credential_hash"]

    def end_session(self, id_hash: str) -> None:
        self.execute("DELETE FROM sessions WHERE id_hash = %(id)s", {"id": id_hash})

    # members of an organisation, signed in with OpenID Connect (services/chassis/members.py)

    MEMBER = "id, organisation, email, name, role, invited_by, invited_at, last_signed_in_at"

    def members(self, organisation: str) -> list[dict]:
        return self.fetch_all(f"""SELECT {self.MEMBER} FROM members
                                  WHERE organisation = %(o)s AND removed_at IS NULL ORDER BY invited_at, email""",
                              {"o": organisation})

    def member(self, member_id) -> dict | None:
        """A member who was not removed."""
        return self.fetch_one(f"SELECT {self.MEMBER} FROM members WHERE id = %(id)s AND removed_at IS NULL",
                              {"id": member_id})

    def add_member(self, member_id, organisation: str, email: str, role: str, by: str) -> dict | None:
        """The new member; None when the address is a member already."""
        return self.fetch_one(f"""INSERT INTO members (id, organisation, email, role, invited_by)
                                  VALUES (%(id)s, %(o)s, %(e)s, %(r)s, %(by)s)
                                  ON CONFLICT (email) WHERE removed_at IS NULL DO NOTHING RETURNING {self.MEMBER}""",
                              {"id": member_id, "o": organisation, "e": email, "r": role, "by": by})

    def remove_member(self, organisation: str, member_id, by: str) -> dict | None:
        return self.fetch_one(f"""UPDATE members SET removed_at = now(), removed_by = %(by)s
                                  WHERE id = %(id)s AND organisation = %(o)s AND removed_at IS NULL
                                  RETURNING {self.MEMBER}""", {"id": member_id, "o": organisation, "by": by})

    def member_signed_in(self, issuer: str, subject: str, email: str | None, name: str | None) -> dict | None:
        """The membership of the person ``subject`` at ``issuer``: the one bound to them, else the
        unbound invitation of their (verified) ``email``, which is bound to them now."""
        row = self.fetch_one(f"""UPDATE members SET last_signed_in_at = now(), name = coalesce(%(n)s, name)
                                 WHERE issuer = %(i)s AND subject = %(s)s AND removed_at IS NULL
                                 RETURNING {self.MEMBER}""", {"i": issuer, "s": subject, "n": name})
        if row is None and email:
            row = self.fetch_one(f"""UPDATE members SET issuer = %(i)s, subject = %(s)s, last_signed_in_at = now(),
                                            name = %(n)s
                                     WHERE email = %(e)s AND subject IS NULL AND removed_at IS NULL
                                     RETURNING {self.MEMBER}""", {"i": issuer, "s": subject, "e": email, "n": name})
        return row

    def member_name(self, member_id) -> str | None:
        """A member's name (or address, before their first sign-in), removed or not: for a record
        of what they did."""
        row = self.fetch_one("SELECT coalesce(name, email) AS name FROM members WHERE id = %(id)s", {"id": member_id})
        return row and row["name"]

    def log_member(self, organisation: str, member_id, who: str, what: str) -> None:
        self.execute("INSERT INTO member_log (organisation, member_id, who, what) VALUES (%(o)s, %(m)s, %(w)s, %(what)s)",
                     {"o": organisation, "m": member_id, "w": who, "what": what})

    def member_log(self, organisation: str, limit: int = 50) -> list[dict]:
        return self.fetch_all("""SELECT l.who, l.what, l.at, m.email FROM member_log l JOIN members m ON m.id = l.member_id
                                 WHERE l.organisation = %(o)s ORDER BY l.id DESC LIMIT %(n)s""",
                              {"o": organisation, "n": limit})


class Transactions:
    """What a service method gets injected: a way to open a transaction on its store."""

    def __init__(self, provider: "Database"):
        self._provider = provider

    def credential_hash(self, token: str) -> str:
        """How the service stores (and looks up) an API key or token it issued: keyed with CREDENTIAL_KEY."""
        from services.chassis.tokens import credential_hash
        return credential_hash(self._provider.container.config["CREDENTIAL_KEY"], token)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """A connection of the pool. While the database cannot be reached (restarting, a network
        outage) this raises ``Unavailable`` after DB_WAIT_SECONDS instead of hanging the caller:
        the gateway answers 503 with Retry-After, an event handler retries later. A connection
        lost mid-transaction is rolled back and is the same. The pool checks a connection before
        giving it out, so once the database is back the next caller gets a new one."""
        try:
            with self._provider.pool.connection() as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            if isinstance(exc, psycopg.errors.QueryCanceled):
                raise
            raise Unavailable(f"the {self._provider.container.service_name} database cannot be reached now "
                              f"({type(exc).__name__}); nothing was changed") from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._connection() as conn:
            with conn.transaction():
                store = self._provider.store_class(conn)
                yield store
                store.before_commit()
        # committed: let the relay publish what this transaction wrote to the outbox
        if store.emitted and self._provider.relay is not None:
            self._provider.relay.wake()

    @contextlib.contextmanager
    def exclusively(self, what: str) -> Iterator[None]:
        """Only one process of the service at a time runs the block (several instances share the
        database): a session-level advisory lock on ``what``, held on a connection of its own
        for as long as the block runs (it may open transactions of its own meanwhile)."""
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (what,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (what,))

    @contextlib.contextmanager
    def autocommit(self) -> Iterator[Store]:
        """Each statement its own transaction (no BEGIN/COMMIT round trips): for reads on a hot
        path, and writes that are each whole in one statement (notify records each message's
        outcome so). Nothing that emits an event (no outbox, no before_commit)."""
        with self._connection() as conn:
            yield self._provider.store_class(conn)


def _in_utc(conn) -> None:
    """Every connection of the pool reads moments in UTC, whatever the server's TimeZone: the API
    answers in UTC (the NL API Design Rules), and a moment read from the database is answered as read."""
    conn.execute("SET TIME ZONE 'UTC'")


class Database(DependencyProvider):
    """Owns the service's connection pool, migrations and (optionally) its outbox relay."""

    def __init__(self, store_class: type[Store], migrations: Path | str, source: str | None = None,
                 pool_size: int = 10):
        self.store_class = store_class
        self.migrations = Path(migrations)
        self.source = source  # the service whose events this database's outbox holds
        self.pool_size = pool_size
        self.pool: ConnectionPool | None = None
        self.relay = None

    def setup(self):
        assert_cooperative_psycopg()
        url = self.container.config.get("DATABASE_URL")
        if not url:
            raise RuntimeError("DATABASE_URL is not configured")
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn, ("chassis", CHASSIS_MIGRATIONS), (self.container.service_name, self.migrations))
            if self.store_class.CREDENTIAL_COLUMNS:
                with conn.transaction():
                    if changed := self.store_class(conn).rekey_credentials(self.container.config["CREDENTIAL_KEY"]):
                        log.warning("%s: %d stored credential hashes re-keyed", self.container.service_name, changed)
        self.pool = ConnectionPool(
            url, min_size=1, max_size=self.pool_size, open=False, name=self.container.service_name,
            kwargs={"autocommit": True},  # transactions are explicit: conn.transaction()
            check=ConnectionPool.check_connection,      # a connection the database dropped is replaced
            configure=_in_utc,
            timeout=float(self.container.config.get("DB_WAIT_SECONDS", 5)),
        )
        self.pool.open(wait=True, timeout=30)
        if self.source:
            from services.chassis.outbox import OutboxRelay
            from services.chassis.settings import cloudevents_config

            self.relay = OutboxRelay(
                self.pool, self.container.config["AMQP_URI"], self.source,
                poll_seconds=float(self.container.config["OUTBOX_POLL_SECONDS"]),
                cloudevents=cloudevents_config(self.container.config),
            )

    def start(self):
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self):
        if self.relay is not None:
            self.relay.stop()
        if self.pool is not None:
            self.pool.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return Transactions(self)


def database_attribute(service_cls) -> str:
    """The name under which a service class declares its Database dependency."""
    for klass in service_cls.__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, Database):
                return name
    raise TypeError(f"{service_cls.__name__} has no Database dependency")
