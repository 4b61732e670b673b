"""The intake service: "ik wil dit" becomes a callback from the person's own Leerwerkloket. It
keeps advisor teams and advisors, takes intake requests (the only place personal data lives),
routes each to a team with a deadline, warns before the deadline passes, records the advisors'
steps, logs every read of personal data, and lets the person see, export and erase their data.
Events carry ids and facts only."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from services.chassis.errors import (Conflict, DomainError, NotFound, TooManyRequests, Unauthorized,
                                     ValidationFailed, validated)
from services.chassis import tokens
from services.chassis.events import handles_batch
from services.chassis.health import HealthMixin
from services.chassis.members import Members, who
from services.chassis.sessions import Sessions
from services.chassis.postgres import Database
from services.chassis.wire import moment
from services.contracts.catalogue import CourseChangeWithPlaces, CoursePublished, CourseUpdated, CourseWithdrawn
from services.contracts.intake import (CallbackDueSoon, CallbackOverdue, IntakeAssigned, IntakeErased,
                                       IntakeOutcomeRecorded, IntakeSubmitted, LeadShared, NewAdvisor, NewIntake,
                                       NewStep, NewTeam)
from services.intake import domain
from services.intake.erasure_log import log_erasure
from services.intake.settings import Settings  # noqa: F401 (read by services.run)
from services.intake.store import IntakeStore, calendar_of, region_of
from services.intake.answers import export_json, history_json, intake_json, recipient_json, status_json, team_json

log = logging.getLogger(__name__)
rpc_call = rpc(expected_exceptions=DomainError)
WARNING_BATCH = 1000
WARNINGS = {"due_soon": CallbackDueSoon, "overdue": CallbackOverdue}


class IntakeService(Members, Sessions, HealthMixin):
    name = "intake"

    store = Database(IntakeStore, Path(__file__).parent / "migrations", source="intake")
    config = Config()

    # a course event is read for its headline and its offerings' places, not the whole course
    @handles_batch("catalogue", CoursePublished.event_type, model=CourseChangeWithPlaces)
    def handle_course_published(self, tx: IntakeStore, events: list[CourseChangeWithPlaces]):
        tx.remember_courses(events)

    @handles_batch("catalogue", CourseUpdated.event_type, model=CourseChangeWithPlaces)
    def handle_course_updated(self, tx: IntakeStore, events: list[CourseChangeWithPlaces]):
        tx.remember_courses(events)

    @handles_batch("catalogue", CourseWithdrawn.event_type, model=CourseChangeWithPlaces)
    def handle_course_withdrawn(self, tx: IntakeStore, events: list[CourseChangeWithPlaces]):
        tx.remember_courses(events)

    @rpc
    def known_course(self, course_id: str) -> dict | None:
        with self.store.transaction() as tx:
            row = tx.course(_uuid(course_id, "course_id", NotFound))
        return row and {**row, "course_id": str(row["course_id"]), "provider_id": str(row["provider_id"])}

    # teams, advisors (admin)

    @rpc_call
    def create_team(self, body: dict) -> dict:
        team = validated(NewTeam, body)
        with self.store.transaction() as tx:
            clash = domain.region_conflict(region_of(team.model_dump()), [region_of(t) for t in tx.teams(lock=True)])
            if clash:
                raise Conflict(clash["message"], [clash])
            tx.insert_team(team.model_dump())
            return team_json(tx.team(team.code))

    @rpc_call
    def list_teams(self) -> list[dict]:
        with self.store.transaction() as tx:
            return [team_json(t) for t in tx.teams()]

    @rpc_call
    def create_advisor(self, body: dict) -> dict:
        new = validated(NewAdvisor, body)
        advisor_id, token = uuid.uuid4(), domain.new_token("advisor")
        with self.store.transaction() as tx:
            if tx.team(new.team) is None:
                raise ValidationFailed("no such team", [{"field": "team", "message": f"no team {new.team}"}])
            tx.insert_advisor(advisor_id, new.name, new.email, new.team, self.store.credential_hash(token))
        return {"id": str(advisor_id), "name": new.name, "team": new.team, "token": token}

    @rpc_call
    def revoke_advisor(self, advisor_id: str) -> None:
        with self.store.transaction() as tx:
            if not tx.revoke_advisor(_uuid(advisor_id, "id", NotFound)):
                raise NotFound(f"no advisor {advisor_id} with a valid token")

    @rpc_call
    def authenticate_advisor(self, token: str) -> dict:
        with self.store.transaction() as tx:
            advisor = self.principal_of(tx, self.store.credential_hash(token))
        if advisor is None:
            raise Unauthorized("unknown or revoked advisor token")
        return advisor

    def principal_of(self, tx: IntakeStore, credential_hash: str) -> dict | None:
        """The advisor whose token this is (pages' sessions ask too: chassis/sessions.py)."""
        return tx.advisor_by_token(credential_hash)

    def organisation_principal(self, tx: IntakeStore, member: dict) -> dict | None:
        """A team's member signs in as an advisor of the team (chassis/members.py)."""
        team = tx.team(member["organisation"])
        return team and {"id": str(member["id"]), "name": member["name"] or member["email"], "team": team["code"]}

    def organisation_of(self, principal: dict) -> str | None:
        return principal.get("team") if principal["role"] == "advisor" else None

    # the person

    @rpc_call
    def submit_intake(self, body: dict, client_address: str | None = None, request_id: str | None = None) -> dict:
        """A person's request. ``request_id`` (the gateway's, one per HTTP request or per the
        client's Idempotency-Key) becomes the intake's id: the same request delivered twice (nameko
        redelivers a request whose acknowledgement a broker restart lost) is one intake."""
        new = validated(NewIntake, body)
        if new.website:      # the hidden field only a bot fills in: answer as if accepted, keep nothing
            return {"id": str(uuid.uuid4()), "status": "new", "team": None, "callback_due_by": None, "token": None}
        contact, errors = domain.contact_details(new.email, new.phone, new.postcode, new.preferred_contact)
        now = datetime.now(timezone.utc)
        with self.store.transaction() as tx:
            course = self._published_course(tx, new.course_id, errors)
            if errors:
                raise ValidationFailed("the intake request is not valid", errors)
            intake_id = uuid.UUID(request_id) if request_id else uuid.uuid4()
            asked = domain.body_hash(self.config["INTAKE_HASH_KEY"], new)
            if (done := tx.intake(intake_id)) is not None:     # this very request, handled before
                return _again(done, asked)
            # the same person asking the same again that day (back and send again, a second tab):
            # their request, not a second one and a second SMS; its token only in what they got
            if (same := tx.same_request(contact["email"], contact["phone"], course and course["course_id"],
                                        new.situation, now - domain.SAME_REQUEST_WINDOW)) is not None:
                return {**_submitted(same["id"], same["status"], same["team"], same["team_name"],
                                     same["callback_due_by"], None), "already_requested": True}
            self._within_limits(tx, now, client_address, contact)
            teams = {t["code"]: t for t in tx.teams()}
            course_place = course and domain.whereabouts(course["postcode"], course["province"])
            person = contact["postcode"] and domain.whereabouts(contact["postcode"])
            code = domain.route([region_of(t) for t in teams.values()], person or None, course_place or None)
            calendar = calendar_of(teams[code])
            token = domain.new_token("person")
            record = {
                "id": intake_id, "team": code, "situation": new.situation, "search_id": new.search_id,
                "routed_by": "postcode" if person and code != domain.NATIONAL_TEAM else
                             "course" if course_place and code != domain.NATIONAL_TEAM else "national",
                "course_id": course and course["course_id"], "provider_id": course and course["provider_id"],
                "preferred_contact": new.preferred_contact, "language": new.language,
                "share_with_provider": bool(new.share_with_provider and course),
                "consent": {"callback": True, "share_with_provider": bool(new.share_with_provider and course),
                            "at": now.isoformat(), "version": domain.CONSENT_VERSION},
                "token_hash": self.store.credential_hash(token), "mail_token": token, "body_hash": asked,
                "name": new.name, "message": new.message, **contact,
                "received_at": now, "callback_due_by": domain.callback_due_by(now, calendar),
                "due_soon_at": domain.due_soon_at(now, calendar)}
            if not tx.insert_intake(record):        # the same request, handled meanwhile by another worker
                return _again(tx.intake(intake_id), asked)
            facts = _facts(record)
            tx.emit_many([
                IntakeSubmitted(**facts, search_id=new.search_id, preferred_contact=new.preferred_contact,
                                language=new.language, share_with_provider=record["share_with_provider"],
                                callback_due_by=record["callback_due_by"]),
                IntakeAssigned(**facts, routed_by=record["routed_by"]),
                *([LeadShared(**facts)] if record["share_with_provider"] else [])])
        return _submitted(intake_id, "new", code, teams[code]["name"], record["callback_due_by"], token)

    @rpc_call
    def intake_status(self, intake_id: str, token: str) -> dict:
        with self.store.transaction() as tx:
            row = self._by_token(tx, intake_id, token)
            return status_json(row, tx.history(row["id"], with_notes=False))

    @rpc_call
    def export_intake(self, intake_id: str, token: str) -> dict:
        with self.store.transaction() as tx:
            row = self._by_token(tx, intake_id, token)
            tx.log_access(row["id"], "the person", "person", "exported their data")
            return export_json(row, tx.history(row["id"], with_notes=False), tx.access_log(row["id"]))

    @rpc_call
    def erase_intake(self, intake_id: str, token: str) -> None:
        with self.store.transaction() as tx:
            row = self._by_token(tx, intake_id, token, for_update=True)
            # written down before the commit: an erasure that is logged and not committed is
            # still what the person asked; one committed and not logged would come back after a restore
            log_erasure(self.config.get("INTAKE_ERASURE_LOG"), row["id"], datetime.now(timezone.utc))
            self._erase(tx, [row], "person")

    @rpc_call
    def replay_erasures(self, intake_ids: list[str]) -> dict:
        """After a restore from a backup: erase again the intakes erased since it was taken
        (``python -m deploy.local.backup replay-erasures``). Counts erased, already, unknown."""
        counts = {"erased": 0, "already": 0, "unknown": 0}
        with self.store.transaction() as tx:
            rows = {r["id"]: r for r in tx.intakes([str(_uuid(i, "intake_ids")) for i in intake_ids])}
            todo = [r for r in rows.values() if r["erased_at"] is None]
            if todo:
                self._erase(tx, todo, "person")
        counts.update(erased=len(todo), already=len(rows) - len(todo), unknown=len(set(intake_ids)) - len(rows))
        return counts

    # what notify needs at the moment it sends (it keeps no contact details of its own)

    @rpc_call
    def recipients(self, intake_ids: list[str]) -> dict[str, dict | None]:
        """Per intake: the person's contact details and link token, the team's addresses, the
        course and the deadline; None for one erased or unknown (it gets no message)."""
        with self.store.transaction() as tx:
            rows = [r for r in tx.intakes([str(_uuid(i, "intake_ids")) for i in intake_ids]) if r["erased_at"] is None]
            addresses = tx.team_addresses(sorted({r["team"] for r in rows}))
        found = {r["id"]: recipient_json(r, addresses.get(r["team"], []), r["mail_token"]) for r in rows}
        return {i: found.get(i) for i in intake_ids}

    # advisors at work (their team's requests; an admin sees every team's)

    @rpc_call
    def list_intakes(self, principal: dict, status: str | None, overdue: bool, page: int, page_size: int) -> dict:
        team = None if principal["role"] == "admin" else principal["team"]
        with self.store.transaction() as tx:
            rows, total = tx.list_intakes(team, status, overdue, page, page_size, datetime.now(timezone.utc))
        items = [{k: v for k, v in intake_json(r).items() if k not in domain.PERSONAL_FIELDS} for r in rows]
        return {"items": items, "total": total, "page": page, "page_size": page_size}

    @rpc_call
    def worklist(self, principal: dict, status: str | None, overdue: bool, mine: bool, words: str,
                 page: int, page_size: int) -> dict:
        """The team's requests for the advisors' page: each with the person's name and what they
        asked; ``mine``: those the advisor recorded a step of; ``words``: a name, phone number or
        reference. Every name shown is a read of personal data, logged as such."""
        team = None if principal["role"] == "admin" else principal["team"]
        with self.store.transaction() as tx:
            rows, total = tx.list_intakes(team, status, overdue, page, page_size, datetime.now(timezone.utc),
                                          _actor(principal) if mine else None, domain.worklist_search(words))
            if rows:
                tx.log_access_many([r["id"] for r in rows], _who(principal), principal["role"], "saw the name in a list")
        items = [{**{k: v for k, v in intake_json(r).items() if k not in domain.PERSONAL_FIELDS}, "name": r["name"]}
                 for r in rows]
        return {"items": items, "total": total, "page": page, "page_size": page_size}

    @rpc_call
    def read_intake(self, principal: dict, intake_id: str) -> dict:
        with self.store.transaction() as tx:
            row = self._of_team(tx, principal, intake_id)
            tx.log_access(row["id"], _who(principal), principal["role"], "read the request with contact details")
            return _advisor_view(tx, row)

    @rpc_call
    def record_step(self, principal: dict, intake_id: str, body: dict) -> dict:
        step = validated(NewStep, body, "step")
        now = datetime.now(timezone.utc)
        with self.store.transaction() as tx:
            row = self._of_team(tx, principal, intake_id, for_update=True)
            status = domain.next_status(row["status"], step.type)
            due = soon = None
            if step.type == "waiting_for_person":
                calendar = calendar_of(tx.team(row["team"]))
                due = domain.resumed_deadline(now, row["callback_due_by"], step.until, calendar)
                soon = domain.resumed_deadline(now, row["due_soon_at"], step.until, calendar)
            tx.set_status(row["id"], status, due, soon, step.until)
            tx.add_history(row["id"], step.type, _actor(principal), step.note)
            tx.emit(IntakeOutcomeRecorded(**_facts(row), step=step.type, status=status, callback_due_by=due))
            tx.log_access(row["id"], _who(principal), principal["role"], f"recorded {step.type}")
            return _advisor_view(tx, tx.intake(row["id"]))

    # providers' leads

    @rpc_call
    def provider_leads(self, provider_id: str, page: int, page_size: int) -> dict:
        with self.store.transaction() as tx:
            rows, total, unshared = tx.provider_leads(provider_id, page, page_size)
        items = [{**r, "received_at": r["received_at"].isoformat()} for r in rows]
        return {"items": items, "total": total, "page": page, "page_size": page_size, "without_consent": unshared}

    @rpc_call
    def provider_lead(self, provider: dict, intake_id: str) -> dict:
        with self.store.transaction() as tx:
            row = tx.intake(_uuid(intake_id, "id", NotFound))
            if row is None or row["provider_id"] != provider["id"] or not row["share_with_provider"] or row["erased_at"]:
                raise NotFound(f"no lead {intake_id}")
            tx.log_access(row["id"], _who({**provider, "role": "provider"}), "provider", "read the contact details as a lead")
        lead = intake_json(row)
        return {k: lead[k] for k in ("id", "course_id", "course_title", "situation", "name", "email", "phone",
                                     "preferred_contact", "language", "message", "received_at")}

    # timers: claimed rows, so a restart loses nothing and two instances never send one warning twice

    @timer(interval=5)
    def warn_before_breach(self):
        with self.store.transaction() as tx:
            sent = sweep_warnings(tx, datetime.now(timezone.utc))
        if any(sent.values()):
            log.info("callback warnings sent: %s", sent)

    @timer(interval=3600)
    def purge_expired(self):
        before = datetime.now(timezone.utc) - timedelta(days=self.config["INTAKE_RETENTION_DAYS"])
        with self.store.transaction() as tx:
            expired = tx.claim_expired(before, WARNING_BATCH)
            if expired:
                self._erase(tx, expired, "retention")
            tx.forget_old_submissions()
            tx.forget_mail_tokens(datetime.now(timezone.utc) - timedelta(days=domain.MAIL_TOKEN_DAYS))
        if expired:
            log.info("%d finished intakes past the retention period: personal data erased", len(expired))

    # helpers

    def _erase(self, tx: IntakeStore, rows: list[dict], reason: str) -> None:
        tx.erase([r["id"] for r in rows])
        for row in rows:
            tx.add_history(row["id"], "erased", "person" if reason == "person" else "system")
        tx.emit_many([IntakeErased(**_facts(r), reason=reason) for r in rows])

    def _published_course(self, tx: IntakeStore, course_id: str | None, errors: list[dict]) -> dict | None:
        if course_id is None:
            return None
        course = tx.course(_uuid(course_id, "course_id", ValidationFailed))
        if course is None or not course["published"]:
            errors.append({"field": "course_id", "message": "deze opleiding is niet (meer) te vinden"})
            return None
        return course

    def _within_limits(self, tx: IntakeStore, now: datetime, address: str | None, contact: dict) -> None:
        key = self.config["INTAKE_HASH_KEY"]
        limits = [(f, domain.keyed_hash(key, f"{f}:{v}"), self.config["INTAKE_LIMIT_PER_CONTACT"],
                   timedelta(days=1)) for f, v in (("email", contact["email"]), ("phone", contact["phone"])) if v]
        if address:
            limits.append(("address", domain.keyed_hash(key, f"address:{address}"),
                           self.config["INTAKE_LIMIT_PER_ADDRESS"], timedelta(hours=1)))
        seen = tx.recent_submissions([(hashed, limit, now - window) for _, hashed, limit, window in limits])
        for what, hashed, limit, window in limits:
            wait = domain.wait_for_limit(seen.get(hashed, []), limit, window, now)
            if wait:
                field_name = "body" if what == "address" else what
                raise TooManyRequests(f"too many intake requests {'from this address' if what == 'address' else 'for this ' + what}",
                                      [{"field": field_name, "message": "te veel aanvragen: probeer het later opnieuw"}],
                                      retry_after=wait)
        tx.record_submission([h for _, h, _, _ in limits])

    def _by_token(self, tx: IntakeStore, intake_id: str, token: str | None, for_update: bool = False) -> dict:
        row = tx.intake(_uuid(intake_id, "id", NotFound), for_update)
        if (row is None or not token or row["erased_at"]
                or not tokens.same_hash(row["token_hash"], self.store.credential_hash(token))):
            raise NotFound(f"no intake {intake_id} for this token")
        return row

    def _of_team(self, tx: IntakeStore, principal: dict, intake_id: str, for_update: bool = False) -> dict:
        row = tx.intake(_uuid(intake_id, "id", NotFound), for_update)
        if row is None or (principal["role"] != "admin" and row["team"] != principal["team"]):
            raise NotFound(f"no intake {intake_id} in your team")      # another team's: as if absent
        return row


def sweep_warnings(tx: IntakeStore, now: datetime) -> dict[str, int]:
    """Each warning that is due, inside its team's office hours, emitted once: the rows are
    claimed (FOR UPDATE SKIP LOCKED) and marked in the same transaction as the outbox rows."""
    calendars = {t["code"]: calendar_of(t) for t in tx.teams()}
    sent = {}
    for kind, event in WARNINGS.items():
        due = [r for r in tx.claim_warnings(kind, now, WARNING_BATCH) if domain.in_office_hours(now, calendars[r["team"]])]
        if due:
            tx.mark_warned(kind, [r["id"] for r in due])
            tx.emit_many([event(**_facts(r), callback_due_by=r["callback_due_by"]) for r in due])
        sent[kind] = len(due)
    return sent


def _advisor_view(tx: IntakeStore, row: dict) -> dict:
    """A request as an advisor sees it: with the contact details and the history with notes."""
    return {**intake_json(row), "history": history_json(tx.history(row["id"], with_notes=True), with_notes=True)}


def _facts(row: dict) -> dict:
    return {"intake_id": row["id"], "team": row["team"], "situation": row["situation"],
            "course_id": row["course_id"], "provider_id": row["provider_id"]}


def _who(principal: dict) -> str:
    """Who read or changed a request, as its access log names them: the member who signed in by
    name (with the provider they read it for), the advisor, the provider, or the admin."""
    name = who(principal)
    return f"{name} ({principal['name']})" if principal.get("person") and principal["role"] == "provider" else name


def _actor(principal: dict) -> str:
    return "admin" if principal["role"] == "admin" else f"advisor:{principal['id']}"


def _uuid(value, field_name: str, error=ValidationFailed) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        if error is NotFound:
            raise NotFound(f"no {field_name} {value}") from None
        raise ValidationFailed(f"{field_name} is not an id", [{"field": field_name, "message": "not an id"}]) from None


SERVICE = IntakeService


def _again(done: dict, asked: str) -> dict:
    """The answer to a request made before under the same id (a redelivery, a client's retry with
    its Idempotency-Key): only to the same body, and with the token only while intake still
    keeps it for the mail; another body under that key is refused."""
    if done["body_hash"] is None or not tokens.same_hash(done["body_hash"], asked):
        raise ValidationFailed("this Idempotency-Key was used for another request", [
            {"field": "Idempotency-Key", "message": "already used for a request with another body: use a new key"}])
    return _submitted(done["id"], done["status"], done["team"], done["team_name"], done["callback_due_by"],
                      done["mail_token"])


def _submitted(intake_id, status: str, team: str, team_name: str, due: datetime, token: str) -> dict:
    """The answer to a person's request (the same when the same request comes again)."""
    return {"id": str(intake_id), "status": status, "team": {"code": team, "name": team_name},
            "callback_due_by": moment(due), "token": token}
