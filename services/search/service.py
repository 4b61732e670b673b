"""The search service: keeps its read model current from catalogue events and answers searches.
A search goes: ``search`` (here: validate, answer cache) → ``pipeline.answer`` (words, match,
shape) → the backend (``backends/``) → its store (``store.py``, every SQL statement)."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import date
from pathlib import Path

from nameko.rpc import rpc
from nameko.timer import timer

from services.chassis import collector
from services.chassis.clients import Client
from services.chassis.buffered import BufferedDispatcher
from services.chassis.errors import DomainError, validated
from services.chassis.events import handles, handles_batch
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.startup import on_start
from services.contracts.catalogue import (CatalogueClient, CourseEvent, CoursePublished, CourseUpdated, CourseWithdrawn,
                                          FundingSchemePublished, FundingSchemeUpdated)
from services.contracts.search import (Click, CourseViewed, SearchPerformed, SearchRequest, SearchResultClicked,
                                       SuggestRequest, View)
from services.search import analysis, pipeline
from services.search.backends import Backend
from services.search.backends.base import SearchBackend
from services.search.caches import AnswerCache
from services.search.documents import ANALYSIS_VERSION, build_document
from services.search.rebuild import REBUILD_LOCK, rebuild
from services.search.rules import looks_personal
from services.search.settings import Settings  # noqa: F401 (read by services.run)
from services.search.store import SearchStore

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class SearchService(HealthMixin):
    name = "search"
    # its requests change nothing (a reindex rebuilds what is there): acknowledged a few at a
    # time (services/chassis/acks.py)
    requests_only_read = True

    store = Database(SearchStore, MIGRATIONS)
    backend: SearchBackend = Backend()
    # search_performed is analytics data, not a change of state: handed over and published
    # in bursts, after the answer (see the module: published one by one it cost about as much as
    # answering from the answer cache)
    dispatch = BufferedDispatcher()
    catalogue = Client(CatalogueClient)
    answers = AnswerCache()

    # in batches: a bulk import's course events are indexed many per transaction; the version
    # guard of put makes a late, older event a no-op
    @handles_batch("catalogue", CoursePublished.event_type)
    def handle_course_published(self, tx: SearchStore, events: list[CoursePublished]):
        self._index(tx, events)

    @handles_batch("catalogue", CourseUpdated.event_type)
    def handle_course_updated(self, tx: SearchStore, events: list[CourseUpdated]):
        self._index(tx, events)

    @handles_batch("catalogue", CourseWithdrawn.event_type)
    def handle_course_withdrawn(self, tx: SearchStore, events: list[CourseWithdrawn]):
        self._index(tx, events)

    def _index(self, tx: SearchStore, events: list[CourseEvent]) -> None:
        self.backend.put_many(tx, [build_document(e.course, e.published) for e in events])

    @handles("catalogue", FundingSchemePublished.event_type)
    def handle_funding_scheme_published(self, tx: SearchStore, event: FundingSchemePublished):
        tx.put_funding_scheme(event.code, event.scheme.model_dump(), event.version)

    @handles("catalogue", FundingSchemeUpdated.event_type)
    def handle_funding_scheme_updated(self, tx: SearchStore, event: FundingSchemeUpdated):
        tx.put_funding_scheme(event.code, event.scheme.model_dump(), event.version)

    @on_start
    def rebuild_if_needed(self):
        """An empty read model (new deployment, lost store) or one built with older indexing
        rules is rebuilt from the catalogue."""
        log.info("search backend %s, synonyms version %s, analysis version %s",
                 self.backend.name, analysis.default_synonyms().version, ANALYSIS_VERSION)
        # several search processes may start at once: the first rebuilds, the others wait for
        # it and then find the read model full
        with self.store.exclusively(REBUILD_LOCK):
            with self.store.transaction() as tx:
                empty = self.backend.count(tx) == 0
                outdated = self.backend.outdated(tx, ANALYSIS_VERSION)
            if empty or outdated:
                report = rebuild(self.store, self.backend, self.catalogue)
                log.info("search read model was %s: rebuilt %s",
                         "empty" if empty else f"built with older rules ({outdated} documents)", report)
            else:
                log.info("search read model is current: nothing to rebuild")
        with self.store.autocommit() as db:
            self.backend.warm(db)
        collector.settle()      # the read model in memory, out of later collections

    @timer(interval=600)
    def refresh_started_offerings(self):
        """An offering that has started no longer counts for facets, sorting and price."""
        with self.store.transaction() as tx:
            changed = tx.refresh_started()
        if changed:
            log.info("%d courses had an offering start: their figures follow the offerings ahead", changed)

    @rpc
    def reindex(self) -> dict:
        """Rebuild every document from the catalogue (`make reindex`); events keep flowing meanwhile.
        A rebuild another search process runs finishes first."""
        with self.store.exclusively(REBUILD_LOCK):
            return rebuild(self.store, self.backend, self.catalogue)

    @rpc
    def document_versions(self, after: str | None = None, limit: int = 1000) -> list[dict]:
        """The read model's course ids, versions and published flags, by id (``make reconcile``)."""
        with self.store.autocommit() as db:
            return self.backend.versions(db, after, min(limit, 5000))

    @rpc(expected_exceptions=DomainError)
    def search(self, request: dict, client: str | None = None) -> dict:
        started = time.perf_counter()
        req = validated(SearchRequest, request, "search request")
        answer, cached = self._answer(req)
        response = {**answer, "search_id": uuid.uuid4().hex}
        query = answer["query"] or {}
        envelope = SearchPerformed(
            # a query that looks like an e-mail address or phone number is not kept anywhere
            search_id=response["search_id"], query=None if looks_personal(req.q) else req.q, client=client,
            filters=req.model_dump(mode="json", exclude={"q", "page", "page_size"}, exclude_defaults=True),
            result_count=answer["total"], zero_results=answer["total"] == 0,
            latency_ms=round((time.perf_counter() - started) * 1000, 2), cached=cached,
            all_words=query.get("all_words"), place=query.get("place"),
            zero_kind=(answer.get("zero_results") or {}).get("kind"),
            nearest_place=(answer.get("zero_results") or {}).get("nearest_place"),
        ).envelope()
        self.dispatch(envelope.model_dump(mode="json"))
        return response

    @rpc(expected_exceptions=DomainError)
    def browse(self, request: dict) -> dict:
        """A search's answer that no person asked for (a course page's similar courses): the same
        answer, but no search_performed, so the demand data count only what people searched."""
        return self._answer(validated(SearchRequest, request, "search request"))[0]

    def _answer(self, req: SearchRequest) -> tuple[dict, bool]:
        """The answer to ``req`` (and whether the answer cache had it)."""
        key, answer, generation = (req.model_dump_json(), date.today()), None, None
        # a search only reads: each statement on its own (no BEGIN/COMMIT round trips)
        with self.store.autocommit() as db:
            if self.backend.transactional:
                # read before the search: an answer computed afterwards is at least this new
                generation = db.read_model()
                answer = self.answers.get(key, generation)
            cached = answer is not None
            if answer is None:
                answer = pipeline.answer(self.backend, db, req, key[1])
                if answer["total"] == 0 and req.page == 1:      # why, for the ones who could offer it
                    kind, nearest, far = pipeline.explain_zero(self.backend, db, req, key[1])
                    answer = {**answer, "zero_results": {"kind": kind, "nearest_place": nearest, "distance_km": far}}
                if generation is not None:
                    self.answers.put(key, generation, answer)
        return answer, cached

    @rpc(expected_exceptions=DomainError)
    def record_click(self, search_id: str, body: dict) -> None:
        """A hit opened from a search's result list (``POST /api/v1/search/{id}/clicks``)."""
        click = validated(Click, {**(body if isinstance(body, dict) else {}), "search_id": search_id}, "click")
        self._tell(SearchResultClicked(search_id=click.search_id, course_id=click.course_id, position=click.position))

    @rpc(expected_exceptions=DomainError)
    def record_view(self, course_id: str, search_id: str | None) -> None:
        """A course read (``GET /api/v1/courses/{id}?search_id=``)."""
        view = validated(View, {"course_id": course_id, "search_id": search_id}, "view")
        self._tell(CourseViewed(course_id=view.course_id, search_id=view.search_id))

    def _tell(self, event) -> None:
        envelope = event.envelope()
        self.dispatch(envelope.model_dump(mode="json"))

    @rpc(expected_exceptions=DomainError)
    def matching(self, request: dict, course_ids: list[str]) -> list[dict]:
        """The hits among ``course_ids`` the search ``request`` finds (a saved search's alert)."""
        req = validated(SearchRequest, request, "search request")
        with self.store.autocommit() as db:
            return pipeline.matching(self.backend, db, req, course_ids, date.today())

    @rpc(expected_exceptions=DomainError)
    def suggest(self, request: dict) -> dict:
        req = validated(SuggestRequest, request, "suggest request")
        prefix = " ".join(analysis.tokens(req.q))
        if len(prefix) < 2:
            return {"suggestions": []}
        with self.store.autocommit() as db:
            return {"suggestions": self.backend.suggest(db, prefix, date.today(), req.limit)}


SERVICE = SearchService
