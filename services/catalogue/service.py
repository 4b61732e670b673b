"""The catalogue service: every entrypoint on one screen. Each validates, applies domain rules,
writes through the store and emits its events to the outbox in the same transaction."""
from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from nameko.rpc import rpc

from services.catalogue import domain
from services.catalogue.store import CatalogueStore
from services.chassis.errors import Conflict, DomainError, Forbidden, NotFound, PreconditionFailed, Unauthorized
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import DatabaseServiceSettings
from services.contracts.courses import Course, CourseInput
from services.contracts.events import CoursePublished, CourseUpdated, CourseWithdrawn, ProviderRegistered
from services.contracts.rpc import NewProvider

Settings = DatabaseServiceSettings

EVENT_FOR_STATUS = {"published": CoursePublished, "withdrawn": CourseWithdrawn}

rpc_call = rpc(expected_exceptions=DomainError)


def _course_event(cls, course: Course):
    return cls(course_id=course.id, provider_id=course.provider.id, version=course.version, course=course)


class CatalogueService(HealthMixin):
    name = "catalogue"

    store = Database(CatalogueStore, Path(__file__).parent / "migrations", source="catalogue")

    # providers and credentials

    @rpc_call
    def register_provider(self, provider: dict) -> dict:
        new = NewProvider.model_validate(provider)
        provider_id, api_key = uuid.uuid4(), domain.new_api_key()
        with self.store.transaction() as tx:
            tx.insert_provider(provider_id, new.name, new.kind, new.website and str(new.website),
                               new.kvk_number, domain.hash_api_key(api_key))
            tx.emit(ProviderRegistered(provider_id=provider_id, name=new.name, kind=new.kind))
        return {"id": str(provider_id), "name": new.name, "kind": new.kind, "api_key": api_key}

    @rpc_call
    def list_providers(self) -> list[dict]:
        with self.store.transaction() as tx:
            return [{**row, "id": str(row["id"]), "created_at": row["created_at"].isoformat()}
                    for row in tx.list_providers()]

    @rpc_call
    def authenticate_provider(self, api_key: str) -> dict:
        with self.store.transaction() as tx:
            row = tx.provider_by_key_hash(domain.hash_api_key(api_key))
        if row is None:
            raise Unauthorized("unknown API key")
        return {"id": str(row["id"]), "name": row["name"], "kind": row["kind"]}

    # courses

    @rpc_call
    def create_course(self, provider_id: str, course: dict, publish: bool = False) -> dict:
        data = domain.validate_course(course, date.today()).model_dump(mode="json")
        with self.store.transaction() as tx:
            if tx.course_id_by_external_id(provider_id, data["external_id"]):
                raise Conflict(f"you already have a course with external_id {data['external_id']!r}",
                               [{"field": "external_id", "message": "already exists"}])
            created = tx.insert_course(uuid.uuid4(), provider_id, "published" if publish else "draft", data)
            tx.record_history(created.id, created.version, "create", f"provider:{provider_id}", sorted(data))
            if publish:
                tx.emit(_course_event(CoursePublished, created))
        return created.model_dump(mode="json")

    @rpc_call
    def get_course(self, course_id: str, provider_id: str | None = None) -> dict:
        with self.store.transaction() as tx:
            course = _visible(tx.course(_uuid(course_id)), provider_id, course_id)
        return course.model_dump(mode="json")

    @rpc_call
    def update_course(self, provider_id: str, course_id: str, expected_version: int, course: dict) -> dict:
        data = domain.validate_course(course, date.today()).model_dump(mode="json")
        with self.store.transaction() as tx:
            current = self._own_course(tx, provider_id, course_id)
            if current.version != expected_version:
                raise PreconditionFailed(f"version {expected_version} is stale; the course is at {current.version}")
            before = current.model_dump(mode="json", include=set(data))
            changed = domain.changed_fields(before, data)
            if not changed:
                return current.model_dump(mode="json")
            updated = tx.update_course(current.id, current.status, data)
            tx.record_history(updated.id, updated.version, "update", f"provider:{provider_id}", changed)
            if updated.status == "published":
                tx.emit(_course_event(CourseUpdated, updated))
        return updated.model_dump(mode="json")

    @rpc_call
    def publish_course(self, provider_id: str, course_id: str) -> dict:
        return self._transition(provider_id, course_id, "publish")

    @rpc_call
    def withdraw_course(self, provider_id: str, course_id: str) -> dict:
        return self._transition(provider_id, course_id, "withdraw")

    @rpc_call
    def list_provider_courses(self, provider_id: str, page: int = 1, page_size: int = 20) -> dict:
        with self.store.transaction() as tx:
            courses, total = tx.provider_courses(provider_id, page_size, (page - 1) * page_size)
        return {"items": [c.model_dump(mode="json") for c in courses], "total": total,
                "page": page, "page_size": page_size}

    @rpc_call
    def list_published_courses(self, after: str | None = None, limit: int = 500) -> list[dict]:
        """Pages through every published course by id, for consumers that rebuild a read model."""
        with self.store.transaction() as tx:
            return [c.model_dump(mode="json") for c in tx.published_courses(after, limit)]

    @rpc_call
    def course_history(self, provider_id: str, course_id: str) -> list[dict]:
        with self.store.transaction() as tx:
            course = self._own_course(tx, provider_id, course_id)
            rows = tx.history(course.id)
        return [{**r, "at": r["at"].isoformat()} for r in rows]

    def _transition(self, provider_id: str, course_id: str, action: str) -> dict:
        with self.store.transaction() as tx:
            current = self._own_course(tx, provider_id, course_id)
            target = domain.transition(current.status, action)
            if target == current.status:
                return current.model_dump(mode="json")
            updated = tx.update_course(current.id, target, current.model_dump(mode="json", include=_INPUT_FIELDS))
            tx.record_history(updated.id, updated.version, action, f"provider:{provider_id}", ["status"])
            tx.emit(_course_event(EVENT_FOR_STATUS[target], updated))
        return updated.model_dump(mode="json")

    @staticmethod
    def _own_course(tx: CatalogueStore, provider_id: str, course_id: str) -> Course:
        course = _visible(tx.course(_uuid(course_id), for_update=True), provider_id, course_id)
        if str(course.provider.id) != provider_id:
            raise Forbidden("this course belongs to another provider")
        return course


_INPUT_FIELDS = set(CourseInput.model_fields)  # what a provider sends, without identity and lifecycle


def _visible(course: Course | None, provider_id: str | None, course_id: str) -> Course:
    """Published courses are public; drafts and withdrawn ones exist only for their provider."""
    if course is None or (course.status != "published" and str(course.provider.id) != provider_id):
        raise NotFound(f"no course {course_id}")
    return course


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"no course {value}") from None


SERVICE = CatalogueService
