"""Page sign-in sessions, kept by the service that issued the credential (a provider's key in the
catalogue, an advisor's token in intake, an analyst's in analytics): the browser's cookie holds a
random session id, never the key or token itself; signing out deletes the session, and revoking
the credential ends its sessions at once (a session is looked up through its credential).

Mix ``Sessions`` into a service class that has a ``principal_of(tx, credential_hash)`` (who holds
that credential, or None). The admin's sessions are kept by the catalogue under a marker the
gateway derives from ADMIN_TOKEN (``open_marked_session``): a new admin token ends them."""
from __future__ import annotations

from nameko.rpc import rpc

from services.chassis import tokens
from services.chassis.errors import DomainError, Unauthorized
from services.chassis.postgres import database_attribute

MARKED = "marked:"      # a session of a credential the service does not issue (the admin's)
MEMBER = "member:"      # a session of a person who signed in as a member (chassis/members.py)


class Sessions:
    def principal_of(self, tx, credential_hash: str) -> dict | None:
        raise NotImplementedError

    def member_principal(self, tx, member_id: str) -> dict | None:
        """A member's principal (``members.Members``); a service without members has none."""
        return None

    @property
    def _sessions_db(self):
        """The service's Database, whatever it named it."""
        return getattr(self, database_attribute(type(self)))

    @rpc(expected_exceptions=DomainError)
    def open_session(self, token: str, hours: float) -> str:
        """A new session of ``token`` (Unauthorized when it is no one's): its id, shown once."""
        db = self._sessions_db
        credential = db.credential_hash(token)
        session = tokens.new_token("ses_")
        with db.transaction() as tx:
            if self.principal_of(tx, credential) is None:
                raise Unauthorized("unknown or revoked credential")
            tx.open_session(db.credential_hash(session), credential, hours)
        return session

    @rpc(expected_exceptions=DomainError)
    def open_marked_session(self, marker: str, hours: float) -> str:
        """A session of a credential kept elsewhere (the gateway's admin token), by its marker."""
        db = self._sessions_db
        session = tokens.new_token("ses_")
        with db.transaction() as tx:
            tx.open_session(db.credential_hash(session), MARKED + marker, hours)
        return session

    @rpc(expected_exceptions=DomainError)
    def session_principal(self, session: str) -> dict:
        """Who a session is of: the principal (as ``authenticate_*`` answers it), or
        ``{"marker": ...}`` for a marked one; Unauthorized when it ended, expired or its credential
        was revoked."""
        db = self._sessions_db
        with db.transaction() as tx:
            credential = tx.session_credential(db.credential_hash(session or ""))
            if credential and credential.startswith(MARKED):
                return {"marker": credential.removeprefix(MARKED)}
            if credential and credential.startswith(MEMBER):
                who = self.member_principal(tx, credential.removeprefix(MEMBER))
            else:
                who = credential and self.principal_of(tx, credential)
        if not who:
            raise Unauthorized("no such session")
        return who

    @rpc(expected_exceptions=DomainError)
    def end_session(self, session: str) -> None:
        db = self._sessions_db
        with db.transaction() as tx:
            tx.end_session(db.credential_hash(session or ""))
