"""The search service: keeps its read model current from catalogue events and answers searches."""
from __future__ import annotations

import time
import uuid
from datetime import date
from pathlib import Path

from nameko.events import EventDispatcher
from nameko.rpc import rpc

from services.chassis.errors import DomainError, validated
from services.chassis.events import handles
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import DatabaseServiceSettings
from services.contracts.events import CourseEvent, CoursePublished, CourseUpdated, CourseWithdrawn, SearchPerformed
from services.contracts.rpc import SearchHit, SearchRequest, SearchResponse
from services.search.documents import build_document, next_offering
from services.search.store import SearchStore



Settings = DatabaseServiceSettings


class SearchService(HealthMixin):
    name = "search"

    store = Database(SearchStore, Path(__file__).parent / "migrations")
    dispatch = EventDispatcher()

    @handles("catalogue", CoursePublished.event_type)
    def handle_course_published(self, tx: SearchStore, event: CoursePublished):
        self._apply(tx, event, published=True)

    @handles("catalogue", CourseUpdated.event_type)
    def handle_course_updated(self, tx: SearchStore, event: CourseUpdated):
        self._apply(tx, event, published=event.course.status == "published")

    @handles("catalogue", CourseWithdrawn.event_type)
    def handle_course_withdrawn(self, tx: SearchStore, event: CourseWithdrawn):
        self._apply(tx, event, published=False)

    @staticmethod
    def _apply(tx: SearchStore, event: CourseEvent, published: bool) -> None:
        # the version guard in upsert makes a late, older event a no-op
        tx.upsert(build_document(event.course, published))

    @rpc(expected_exceptions=DomainError)
    def search(self, request: dict) -> dict:
        started = time.perf_counter()
        req = validated(SearchRequest, request, "search request")
        today = date.today()
        with self.store.transaction() as tx:
            rows, total, facets = tx.search(req, today)
        hits = [
            SearchHit(
                course_id=str(r["course_id"]), title=r["title"],
                provider={"id": str(r["provider_id"]), "name": r["provider_name"]},
                level=r["level"], sectors=r["sectors"], credential=r["credential"],
                snippet=r["snippet"], next_offering=next_offering(r["offerings"], today),
            )
            for r in rows
        ]
        response = SearchResponse(
            total=total, page=req.page, page_size=req.page_size, hits=hits, facets=facets,
            search_id=uuid.uuid4().hex,
        )
        performed = SearchPerformed(
            search_id=response.search_id, query=req.q,
            filters=req.model_dump(mode="json", exclude={"q", "page", "page_size"}, exclude_defaults=True),
            result_count=total, zero_results=total == 0,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        envelope = performed.envelope()
        self.dispatch(envelope.event_type, envelope.model_dump(mode="json"))
        return response.model_dump(mode="json")

    @rpc
    def document_count(self) -> int:
        with self.store.transaction() as tx:
            return tx.count_documents()


SERVICE = SearchService
