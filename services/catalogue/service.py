"""The catalogue service: every entrypoint on one screen. Each validates, applies domain rules,
writes through the store and emits its events to the outbox in the same transaction."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import eventlet
from nameko.rpc import rpc
from nameko.timer import timer

from services.catalogue import domain
from services.catalogue.store import CatalogueStore
from services.chassis.errors import (
    Conflict, DomainError, Forbidden, NotFound, PreconditionFailed, Unauthorized, ValidationFailed, validated,
)
from services.chassis import wire
from services.chassis.health import HealthMixin
from services.chassis.members import Members
from services.chassis.sessions import Sessions
from services.chassis.postgres import Database
from services.catalogue.ooapi_endpoints import OoapiEndpoints
from services.catalogue import settings
from services.contracts.courses import PLATFORM_SET_FIELDS, Course, CourseInput, FundingSchemeInput
from services.contracts.catalogue import (FULL_SYNC, CoursePublished, CourseUpdated, CourseWithdrawn,
                                          FundingSchemePublished, FundingSchemeUpdated, NewProvider, ProviderRegistered)

Settings = settings.Settings      # what services.run reads a service's configuration with

EVENT_FOR_STATUS = {"published": CoursePublished, "withdrawn": CourseWithdrawn}

rpc_call = rpc(expected_exceptions=DomainError)
IMPORT_ORDER_WAIT = 60.0   # seconds a batch waits for the one before it to be stored
# a running import that neither stored a batch nor heard from the gateway reading its body
# (touch_import) for this long was abandoned mid-file: the gateway went away. It is marked
# failed, so a provider polling it is not told "running" for ever. (A client that goes away is
# noticed by the gateway, which fails the import itself.)
IMPORT_ABANDONED_AFTER = 15 * 60.0
log = logging.getLogger(__name__)


def _course_event(cls, course: Course):
    return cls(course_id=course.id, provider_id=course.provider.id, version=course.version, course=course)


class CatalogueService(OoapiEndpoints, Members, Sessions, HealthMixin):
    name = "catalogue"

    store = Database(CatalogueStore, Path(__file__).parent / "migrations", source="catalogue")

    # providers and credentials

    @rpc_call
    def register_provider(self, provider: dict) -> dict:
        new = validated(NewProvider, provider)
        provider_id, api_key = uuid.uuid4(), domain.new_api_key()
        with self.store.transaction() as tx:
            tx.insert_provider(provider_id, new.name, new.kind, new.website and str(new.website),
                               new.kvk_number, self.store.credential_hash(api_key))
            tx.emit(ProviderRegistered(provider_id=provider_id, name=new.name, kind=new.kind))
        return {"id": str(provider_id), "name": new.name, "kind": new.kind, "api_key": api_key}

    @rpc_call
    def list_providers(self) -> list[dict]:
        with self.store.transaction() as tx:
            return [{**row, "id": str(row["id"]), "created_at": wire.moment(row["created_at"]),
                     "key_made_at": wire.moment(row["key_made_at"]), "key_last_used_at": wire.moment(row["key_last_used_at"])}
                    for row in tx.list_providers()]

    @rpc_call
    def rotate_api_key(self, provider_id: str, actor: str = "admin") -> dict:
        """A new key for the provider, made by ``actor``; the old one stops working at once."""
        api_key = domain.new_api_key()
        with self.store.transaction() as tx:
            if not tx.set_api_key_hash(_uuid(provider_id, "provider"), self.store.credential_hash(api_key), actor):
                raise NotFound(f"no provider {provider_id}")
        return {"id": provider_id, "api_key": api_key}

    @rpc_call
    def revoke_api_key(self, provider_id: str) -> dict:
        with self.store.transaction() as tx:
            if not tx.set_api_key_hash(_uuid(provider_id, "provider"), None, "admin"):
                raise NotFound(f"no provider {provider_id}")
        return {"id": provider_id, "api_key": None}

    @rpc_call
    def authenticate_provider(self, api_key: str) -> dict:
        with self.store.transaction() as tx:
            who = self.principal_of(tx, self.store.credential_hash(api_key))
            if who is not None:
                tx.key_used(self.store.credential_hash(api_key))
        if who is None:
            raise Unauthorized("unknown API key")
        return who

    @rpc_call
    def api_key_of(self, provider_id: str) -> dict:
        """Whether the provider has a key, who made it (by name where a member did), when, and
        when it was last used on the API."""
        with self.store.transaction() as tx:
            row = tx.api_key_of(_uuid(provider_id, "provider"))
            if row is None:
                raise NotFound(f"no provider {provider_id}")
            return {"active": row["active"], "made_by": row["made_by"], "made_by_name": self.actor_name(tx, row["made_by"]),
                    "made_at": wire.moment(row["made_at"]), "last_used_at": wire.moment(row["last_used_at"])}

    def principal_of(self, tx: CatalogueStore, credential_hash: str) -> dict | None:
        """The provider whose API key this is (pages' sessions ask too: chassis/sessions.py)."""
        return _provider_principal(tx.provider_by_key_hash(credential_hash))

    # a provider's members sign in as the provider, each as themselves (chassis/members.py); its
    # API key may manage them too: the key is the provider's own credential
    KEY_MANAGES = True

    def organisation_principal(self, tx: CatalogueStore, member: dict) -> dict | None:
        return _provider_principal(tx.provider(member["organisation"]))

    def organisation_of(self, principal: dict) -> str | None:
        return principal["id"] if principal["role"] == "provider" else None

    def actor_name(self, tx: CatalogueStore, actor: str | None) -> str | None:
        """An actor as people read it: a member's name (``provider:<id>:member:<id>``), else None."""
        _, _, member_id = (actor or "").partition(":member:")
        return tx.member_name(member_id) if member_id else None

    # courses

    @rpc_call
    def create_course(self, provider_id: str, course: dict, publish: bool = False, actor: str | None = None) -> dict:
        data = domain.validate_course(course, date.today()).model_dump(mode="json")
        with self.store.transaction() as tx:
            _check_funding_codes(tx, data)
            tx.lock_new_courses_of(provider_id)
            _external_id_is_free(tx, provider_id, data["external_id"])
            created = tx.insert_course(uuid.uuid4(), provider_id, "published" if publish else "draft", data)
            tx.record_history(created.id, created.version, "create", actor or f"provider:{provider_id}", sorted(data))
            if publish:
                tx.emit(_course_event(CoursePublished, created))
        return _for_owner(created)

    @rpc_call
    def get_course(self, course_id: str, provider_id: str | None = None, situation: str | None = None) -> dict:
        """A course; with ``situation``, also what may remain to pay after its fitting scheme."""
        today = date.today()
        with self.store.transaction() as tx:
            course = _visible(tx.course(_uuid(course_id)), provider_id, course_id)
            schemes = [r["data"] for r in tx.funding_schemes_valid_on(today)] if situation is not None else []
        answer = _for_owner(course) if str(course.provider.id) == provider_id else course.model_dump(mode="json")
        if situation is not None:
            answer["net_price_from"] = domain.course_net_price(course, domain.situation_asked(situation), schemes, today)
        return answer

    @rpc_call
    def update_course(self, provider_id: str, course_id: str, expected_version: int, course: dict | None,
                      actor: str | None = None) -> dict:
        """Replace a course with ``course`` (what a GET gave may come back: the fields the
        platform sets are ignored). Whose course it is is decided before the body is read:
        ``course`` None only asks that (the gateway's answer to a body it could not parse)."""
        with self.store.transaction() as tx:
            self._own_course(tx, provider_id, course_id, lock=False)
        if course is None:
            return {}
        given = {k: v for k, v in course.items() if k not in PLATFORM_SET_FIELDS}
        data = domain.validate_course(given, date.today()).model_dump(mode="json")
        with self.store.transaction() as tx:
            _check_funding_codes(tx, data)
            tx.lock_new_courses_of(provider_id)     # before the course, as an import batch takes them
            current = self._own_course(tx, provider_id, course_id)
            if current.version != expected_version:
                raise PreconditionFailed(f"version {expected_version} is stale; the course is at {current.version}")
            if data["external_id"] != current.external_id:
                _external_id_is_free(tx, provider_id, data["external_id"])
            before = current.model_dump(mode="json", include=set(data))
            changed = domain.changed_fields(before, data)
            if not changed:
                return _for_owner(current)
            updated = tx.update_course(current.id, current.status, data)
            tx.record_history(updated.id, updated.version, "update", actor or f"provider:{provider_id}", changed)
            if updated.status == "published":
                tx.emit(_course_event(CourseUpdated, updated))
        return _for_owner(updated)

    @rpc_call
    def publish_course(self, provider_id: str, course_id: str, actor: str | None = None) -> dict:
        return self._transition(provider_id, course_id, "publish", actor)

    @rpc_call
    def withdraw_course(self, provider_id: str, course_id: str, actor: str | None = None) -> dict:
        return self._transition(provider_id, course_id, "withdraw", actor)

    @rpc_call
    def delete_course(self, provider_id: str, course_id: str) -> None:
        """A draft can be deleted (its external_id is free again). A course that was ever
        published stays on record: withdraw it instead."""
        with self.store.transaction() as tx:
            current = self._own_course(tx, provider_id, course_id)
            if current.status != "draft":
                raise Conflict(f"a {current.status} course is not deleted: only a draft is; withdraw it instead")
            tx.delete_course(current.id)

    @rpc_call
    def list_provider_courses(self, provider_id: str, page: int = 1, page_size: int = 20, status: str | None = None,
                              external_id: str | None = None) -> dict:
        with self.store.transaction() as tx:
            courses, total = tx.provider_courses(provider_id, page_size, (page - 1) * page_size, status, external_id)
        return {"items": [_for_owner(c) for c in courses], "total": total,
                "page": page, "page_size": page_size}

    @rpc_call
    def list_published_courses(self, after: str | None = None, limit: int = 500) -> list[dict]:
        """Pages through every published course by id, for consumers that rebuild a read model."""
        with self.store.transaction() as tx:
            return [c.model_dump(mode="json") for c in tx.published_courses(after, limit)]

    @rpc_call
    def course_versions(self, after: str | None = None, limit: int = 1000) -> list[dict]:
        """Every course's id, version and status, by id (``make reconcile`` against search)."""
        with self.store.transaction() as tx:
            return tx.course_versions(after, min(limit, 5000))

    @rpc_call
    def course_history(self, provider_id: str, course_id: str) -> list[dict]:
        with self.store.transaction() as tx:
            course = self._own_course(tx, provider_id, course_id)
            rows = tx.history(course.id)
        return [{**r, "at": r["at"].isoformat()} for r in rows]

    # bulk import: the gateway streams the body and sends it in batches

    @rpc_call
    def start_import(self, provider_id: str, fmt: str, mode: str, actor: str | None = None) -> str:
        import_id = uuid.uuid4()
        with self.store.transaction() as tx:
            tx.start_import(import_id, provider_id, fmt, mode, actor or f"provider:{provider_id}")
        return str(import_id)

    @rpc_call
    def import_courses(self, provider_id: str, import_id: str, items: list[dict], seq: int | None = None,
                       rejected_before: list[dict] | None = None) -> dict:
        """Upsert a batch of ``{"line", "course"}`` by external_id, publishing each valid one.
        Unchanged published courses emit nothing; the report lists every rejected line (with
        ``rejected_before``: the lines its reader could not read, recorded with the batch).
        ``seq`` (1, 2, ...) is the batch's place in the file: the lines are checked at once,
        but batch n is stored only after batch n - 1, so the caller may send the next batch
        before this one is answered."""
        today, now = date.today(), datetime.now(timezone.utc)
        valid, rejected = {}, list(rejected_before or ())
        for item in items:
            try:
                data = domain.validate_course(item["course"], today).model_dump(mode="json")
            except ValidationFailed as exc:
                rejected.append(_rejected(item, exc.errors))
                continue
            if data["external_id"] in valid:
                rejected.append(_rejected(item, [{"field": "external_id", "message": "appears twice in this import"}]))
                continue
            valid[data["external_id"]] = (item, data)
        deadline = time.monotonic() + IMPORT_ORDER_WAIT
        while True:
            with self.store.transaction() as tx:
                running = tx.lock_running_import(import_id, provider_id)
                if running is None:
                    raise NotFound(f"no running import {import_id}")
                stored = running["batches"]
                if seq is None or stored == seq - 1:
                    return self._store_batch(tx, provider_id, import_id, running["mode"] == FULL_SYNC,
                                             valid, rejected, running["actor"] or f"provider:{provider_id}", now)
            if stored >= seq or time.monotonic() > deadline:
                raise Conflict(f"batch {seq} of import {import_id} is out of order ({stored} stored)")
            eventlet.sleep(0.01)    # the batch before this one is still being checked

    def _store_batch(self, tx: CatalogueStore, provider_id: str, import_id: str, full_sync: bool, valid: dict,
                     rejected: list, actor: str, now: datetime) -> dict:
        unknown = set(tx.unknown_funding_codes(sorted({c for _, d in valid.values() for c in d["funding_schemes"]})))
        for external_id, (item, data) in list(valid.items()):
            bad = [{"field": f"funding_schemes.{i}", "message": f"unknown funding scheme {c!r}"}
                   for i, c in enumerate(data["funding_schemes"]) if c in unknown]
            if bad:
                rejected.append(_rejected(item, bad))
                del valid[external_id]
        tx.lock_new_courses_of(provider_id)
        existing = tx.courses_by_external_ids(provider_id, list(valid))
        provider = {"id": provider_id, "name": tx.provider_name(provider_id)}
        inserts, updates, unchanged, history, events = [], [], [], [], []
        for external_id, (item, data) in valid.items():
            row = existing.get(external_id)
            action = domain.import_action(row, data)
            if action == "unchanged":
                unchanged.append(row["id"])
                continue
            course_id = row["id"] if row else uuid.uuid4()
            version = row["version"] + 1 if row else 1
            record = {"id": course_id, "version": version, "status": "published", "data": data}
            if row:
                updates.append(record)
            else:
                inserts.append({**record, "provider": provider_id, "external_id": external_id})
            changed = domain.changed_fields(row["data"], data) if row else sorted(data)
            history.append({"course_id": course_id, "version": version, "action": f"import-{action}",
                            "actor": actor, "changed": changed or ["status"]})
            course = Course.model_validate({**data, "id": course_id, "version": version, "status": "published",
                                            "provider": provider, "created_at": row["created_at"] if row else now,
                                            "updated_at": now})
            events.append(_course_event(CourseUpdated if action == "update" else CoursePublished, course))
        tx.insert_courses_many(inserts)
        tx.update_courses_many(updates)
        if full_sync:
            tx.mark_seen(import_id, unchanged + [r["id"] for r in inserts + updates])
        tx.record_history_many(history)
        tx.emit_many(events)
        tx.count_import(import_id, len(valid), rejected)
        return {"accepted": len(valid), "rejected": rejected}

    @rpc_call
    def touch_import(self, provider_id: str, import_id: str) -> bool:
        """The gateway's heartbeat while it reads an import's body: a slow upload that has not
        filled a batch for a while is not abandoned. False once the import is not running."""
        with self.store.transaction() as tx:
            return tx.touch_import(import_id, provider_id)

    @rpc_call
    def finish_import(self, provider_id: str, import_id: str, full_sync: bool, failure: str | None = None) -> dict:
        """Close an import, or with ``failure`` (why, for its provider) mark it failed; a full
        sync that did not fail withdraws the provider's published courses it did not contain."""
        withdrawn = []
        with self.store.transaction() as tx:
            if full_sync and failure is None:
                for course in tx.published_not_seen(provider_id, import_id):
                    updated = tx.update_course(course.id, "withdrawn", course.model_dump(mode="json", include=_INPUT_FIELDS))
                    tx.record_history(updated.id, updated.version, "import-withdraw", f"provider:{provider_id}", ["status"])
                    tx.emit(_course_event(CourseWithdrawn, updated))
                    withdrawn.append(updated.external_id)
            tx.finish_import(import_id, len(withdrawn), None if failure is None else failure[:500])
            report = tx.imports(provider_id, import_id)[0]
        return {**_import_json(report), "withdrawn_external_ids": withdrawn}

    @timer(interval=60)
    def fail_abandoned_imports(self):
        with self.store.transaction() as tx:
            abandoned = tx.fail_abandoned_imports(IMPORT_ABANDONED_AFTER)
        if abandoned:
            log.warning("%d imports stored nothing for %.0f minutes and are marked failed: %s",
                        len(abandoned), IMPORT_ABANDONED_AFTER / 60, ", ".join(map(str, abandoned)))

    @rpc_call
    def list_imports(self, provider_id: str, import_id: str | None = None) -> list[dict]:
        with self.store.transaction() as tx:
            rows = tx.imports(provider_id, _uuid(import_id, "import") if import_id else None)
        if import_id and not rows:
            raise NotFound(f"no import {import_id}")
        return [_import_json(r) for r in rows]

    # funding schemes

    @rpc_call
    def publish_funding_scheme(self, published_by: str, scheme: dict) -> dict:
        new = validated(FundingSchemeInput, scheme, "funding scheme")
        data = new.model_dump(mode="json")
        with self.store.transaction() as tx:
            if not tx.insert_funding_scheme(new.code, data, published_by):
                raise Conflict(f"a funding scheme with code {new.code!r} exists",
                               [{"field": "code", "message": "already exists"}])
            tx.emit(FundingSchemePublished(code=new.code, scheme=new, version=1))
        return _scheme_json({"data": data, "version": 1})

    @rpc_call
    def list_funding_schemes(self, expired_too: bool = False) -> list[dict]:
        """The schemes valid today: an expired one drops out without anyone deleting it (all of
        them ``expired_too``: what a rebuild of search copies)."""
        with self.store.transaction() as tx:
            return [_scheme_json(row) for row in tx.funding_schemes_valid_on(None if expired_too else date.today())]

    @rpc_call
    def get_funding_scheme(self, code: str) -> dict:
        """One scheme, valid today or not."""
        with self.store.transaction() as tx:
            return _scheme_json(_known_scheme(tx, code))

    @rpc_call
    def change_funding_scheme(self, changed_by: str, code: str, expected_version: int, scheme: dict) -> dict:
        """Its publisher (or an admin) replaces a scheme: ends it early, corrects it. Courses keep
        naming it; search follows the ``funding_scheme_updated`` event. Who may is decided before
        the body is read; the ``version`` a GET gave may come back (it is the platform's)."""
        with self.store.transaction() as tx:
            _may_change_scheme(changed_by, _known_scheme(tx, code))
        given = {k: v for k, v in scheme.items() if k != "version"} if isinstance(scheme, dict) else scheme
        new = validated(FundingSchemeInput, given, "funding scheme")
        if new.code != code:
            raise ValidationFailed("a funding scheme keeps its code", [
                {"field": "code", "message": f"must stay {code!r} (publish a new scheme for a new code)"}])
        data = new.model_dump(mode="json")
        with self.store.transaction() as tx:
            current = _known_scheme(tx, code, for_update=True)
            if current["version"] != expected_version:
                raise PreconditionFailed(f"version {expected_version} is stale; the scheme is at {current['version']}")
            if data == current["data"]:
                return _scheme_json(current)
            version = tx.update_funding_scheme(code, data)
            tx.emit(FundingSchemeUpdated(code=code, scheme=new, version=version))
        return _scheme_json({"data": data, "version": version})

    def _transition(self, provider_id: str, course_id: str, action: str, actor: str | None) -> dict:
        with self.store.transaction() as tx:
            current = self._own_course(tx, provider_id, course_id)
            target = domain.transition(current.status, action)
            if target == current.status:
                return _for_owner(current)
            updated = tx.update_course(current.id, target, current.model_dump(mode="json", include=_INPUT_FIELDS))
            tx.record_history(updated.id, updated.version, action, actor or f"provider:{provider_id}", ["status"])
            tx.emit(_course_event(EVENT_FOR_STATUS[target], updated))
        return _for_owner(updated)

    @staticmethod
    def _own_course(tx: CatalogueStore, provider_id: str, course_id: str, lock: bool = True) -> Course:
        course = _visible(tx.course(_uuid(course_id), for_update=lock), provider_id, course_id)
        if str(course.provider.id) != provider_id:
            raise Forbidden("this course belongs to another provider")
        return course


def _external_id_is_free(tx: CatalogueStore, provider_id: str, external_id: str) -> None:
    """409 if the provider has a course with this external_id (the caller holds lock_new_courses_of,
    so no one takes it before commit)."""
    if tx.course_id_by_external_id(provider_id, external_id):
        raise Conflict(f"you already have a course with external_id {external_id!r}",
                       [{"field": "external_id", "message": "already exists"}])


_INPUT_FIELDS = set(CourseInput.model_fields)  # what a provider sends, without identity and lifecycle


def _rejected(item: dict, errors: list[dict]) -> dict:
    course = item.get("course")
    return {"line": item["line"], "external_id": course.get("external_id") if isinstance(course, dict) else None,
            "errors": errors}


def _import_json(row: dict) -> dict:
    """An import as its provider reads it; one asked for by its id lists its rejected items too."""
    rejected_items = row.pop("rejected_items", None)
    return {**row, "id": str(row["id"]), "started_at": row["started_at"].isoformat(),
            "finished_at": row["finished_at"] and row["finished_at"].isoformat(),
            **({"rejected_items": rejected_items} if rejected_items is not None else {})}


def _for_owner(course: Course) -> dict:
    """What a provider sees of its own course: the course plus its completeness."""
    return {**course.model_dump(mode="json"), "quality": domain.completeness(course)}


def _visible(course: Course | None, provider_id: str | None, course_id: str) -> Course:
    """Published courses are public; drafts and withdrawn ones exist only for their provider."""
    if course is None or (course.status != "published" and str(course.provider.id) != provider_id):
        raise NotFound(f"no course {course_id}")
    return course


def _known_scheme(tx: CatalogueStore, code: str, for_update: bool = False) -> dict:
    row = tx.funding_scheme(code, for_update)
    if row is None:
        raise NotFound(f"no funding scheme {code!r}")
    return row


def _may_change_scheme(changed_by: str, scheme: dict) -> None:
    if changed_by != "admin" and changed_by != scheme["published_by"]:
        raise Forbidden("only the scheme's publisher or an admin changes a funding scheme")


def _scheme_json(row: dict) -> dict:
    return {**row["data"], "version": row["version"]}


def _check_funding_codes(tx: CatalogueStore, data: dict) -> None:
    unknown = set(tx.unknown_funding_codes(data["funding_schemes"]))
    if unknown:
        raise ValidationFailed("the course names unknown funding schemes", [
            {"field": f"funding_schemes.{i}", "message": f"unknown funding scheme {code!r}"}
            for i, code in enumerate(data["funding_schemes"]) if code in unknown])


def _uuid(value: str, what: str = "course") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"no {what} {value}") from None


SERVICE = CatalogueService


def _provider_principal(row: dict | None) -> dict | None:
    return row and {"id": str(row["id"]), "name": row["name"], "kind": row["kind"]}
