"""Members of the organisations a service keeps, who sign in as themselves with OpenID Connect:
a beheerder invites a person by e-mail address, their first sign-in with that address (verified
by the identity provider) binds the membership to them, and removing it ends their sessions on
their next request (a member's session is looked up through the membership: ``sessions.py``).
Every change and every sign-in is logged with the person who did it.

Mix ``Members`` into a service beside ``Sessions`` and give it ``organisation_principal(tx,
member)`` (what a member signs in as, the organisation's principal) and ``organisation_of(
principal)`` (the organisation a principal acts for). Who may change an organisation's members:
the admin, a beheerder of it, and (``KEY_MANAGES``) the organisation's own credential."""
from __future__ import annotations

import uuid

from nameko.rpc import rpc

from services.chassis import tokens, wire
from services.chassis.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized, validated
from services.chassis.sessions import MEMBER
from services.contracts.members import NewMember


def member_json(row: dict) -> dict:
    return {"id": str(row["id"]), "organisation": row["organisation"], "email": row["email"],
            "name": row["name"], "role": row["role"], "invited_by": row["invited_by"],
            "invited_at": wire.moment(row["invited_at"]), "last_signed_in_at": wire.moment(row["last_signed_in_at"])}


def who(principal: dict) -> str:
    """The person who acts, as the logs name them: the member by name, else the holder of the key
    or token (an organisation's name, an advisor's), or the admin."""
    if principal["role"] == "admin":
        return "admin"
    person = principal.get("person")
    return person["name"] if person else (principal.get("name") or principal["role"])


class Members:
    KEY_MANAGES = False     # may the organisation's own credential (a provider's API key) manage members

    def organisation_principal(self, tx, member: dict) -> dict | None:
        raise NotImplementedError

    def organisation_of(self, principal: dict) -> str | None:
        raise NotImplementedError

    def _may_manage(self, principal: dict, organisation: str) -> None:
        if principal["role"] == "admin":
            return
        if self.organisation_of(principal) != organisation:
            raise Forbidden("only a beheerder of this organisation may change its members")
        person = principal.get("person")
        allowed = person["role"] == "beheerder" if person else self.KEY_MANAGES
        if not allowed:
            raise Forbidden("only a beheerder of this organisation may change its members")

    def member_principal(self, tx, member_id: str) -> dict | None:
        """Who a member's session is of: the organisation's principal with the person beside it;
        None once the member was removed (``sessions.py``)."""
        row = tx.member(member_id)
        org = row and self.organisation_principal(tx, row)
        if not org:
            return None
        return {**org, "person": {"id": str(row["id"]), "name": row["name"] or row["email"], "role": row["role"]}}

    @rpc(expected_exceptions=DomainError)
    def open_member_session(self, signed_in: dict, hours: float) -> str:
        """A session for a person the identity provider vouched for (``SignedIn``): their
        membership here, bound to their subject at the first sign-in; Unauthorized when no one
        invited them (or they were removed)."""
        db = self._sessions_db
        session = tokens.new_token("ses_")
        with db.transaction() as tx:
            row = tx.member_signed_in(signed_in["issuer"], signed_in["subject"],
                                      (signed_in.get("email") or "").lower() or None, signed_in.get("name"))
            if row is None or self.member_principal(tx, row["id"]) is None:
                raise Unauthorized("not a member of an organisation here")
            tx.log_member(row["organisation"], row["id"], row["name"] or row["email"], "signed_in")
            tx.open_session(db.credential_hash(session), MEMBER + str(row["id"]), hours)
        return session

    @rpc(expected_exceptions=DomainError)
    def members_of(self, principal: dict, organisation: str) -> dict:
        """The organisation's members and the last changes to them (for its members to read)."""
        if principal["role"] != "admin" and self.organisation_of(principal) != organisation:
            raise Forbidden("these are another organisation's members")
        with self._sessions_db.transaction() as tx:
            return {"members": [member_json(row) for row in tx.members(organisation)],
                    "log": [{"who": row["who"], "what": row["what"], "email": row["email"], "at": wire.moment(row["at"])}
                            for row in tx.member_log(organisation)]}

    @rpc(expected_exceptions=DomainError)
    def invite_member(self, principal: dict, organisation: str, invitation: dict) -> dict:
        self._may_manage(principal, organisation)
        new = validated(NewMember, invitation)
        with self._sessions_db.transaction() as tx:
            row = tx.add_member(uuid.uuid4(), organisation, new.email, new.role, who(principal))
            if row is None:
                raise Conflict("this address is a member already (of this or another organisation)")
            if self.organisation_principal(tx, row) is None:
                raise NotFound("no such organisation")
            tx.log_member(organisation, row["id"], who(principal), f"invited_{new.role}")
            return member_json(row)

    @rpc(expected_exceptions=DomainError)
    def remove_member(self, principal: dict, organisation: str, member_id: str) -> None:
        """The member removed: their sessions end on their next request."""
        self._may_manage(principal, organisation)
        try:
            member_id = str(uuid.UUID(member_id))
        except ValueError:
            raise NotFound("no such member") from None
        with self._sessions_db.transaction() as tx:
            row = tx.remove_member(organisation, member_id, who(principal))
            if row is None:
                raise NotFound("no such member")
            tx.log_member(organisation, row["id"], who(principal), "removed")
