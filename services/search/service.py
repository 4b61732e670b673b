"""The search service: keeps its read model current from catalogue events and answers searches."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services import places
from services.chassis import collector
from services.chassis.buffered import BufferedDispatcher
from services.chassis.errors import DomainError, ValidationFailed, validated
from services.chassis.events import handles, handles_batch
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.startup import on_start
from services.contracts.courses import Course
from services.contracts.events import (CourseEvent, CoursePublished, CourseUpdated, CourseWithdrawn,
                                       FundingSchemePublished, FundingSchemeUpdated, SearchPerformed)
from services.contracts.rpc import Profile, SearchRequest, SuggestRequest
from services.search import analysis
from services.search.answers import AnswerCache
from services.search.backend import Backend, SearchBackend, Settings, plan_query, search_words
from services.search.documents import ANALYSIS_VERSION, build_document, next_offering, offering_filters
from services.search.place_words import PlaceWords, place_words
from services.search.store import SearchStore

__all__ = ["SERVICE", "Settings"]
log = logging.getLogger(__name__)
REBUILD_PAGE = 500
NO_SCHEME = "-"    # a funding code no course names (a code has two characters or more)
REBUILD_LOCK = "search: rebuild of the read model"
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
    catalogue = RpcProxy("catalogue")
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
                report = self._rebuild()
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
            return self._rebuild()

    def _rebuild(self) -> dict:
        started = datetime.now(timezone.utc)
        after, seen = None, []
        self.backend.begin_rebuild()
        schemes = self._call_catalogue("list_funding_schemes", True)     # ended ones too
        with self.store.transaction() as tx:
            for scheme in schemes:
                tx.put_funding_scheme(scheme["code"], scheme, scheme["version"])
        while True:
            page = self._call_catalogue("list_published_courses", after, REBUILD_PAGE)
            if not page:
                break
            with self.store.transaction() as tx:
                self.backend.rebuild_many(tx, [build_document(Course.model_validate(item), published=True) for item in page])
            seen.extend(item["id"] for item in page)
            after = page[-1]["id"]
            log.info("rebuilding the search read model: %d courses so far", len(seen))
        with self.store.transaction() as tx:
            hidden = self.backend.finish_rebuild(tx, seen, started)
        return {"published": len(seen), "unpublished": hidden}

    def _call_catalogue(self, method: str, *args, attempts: int = 60):
        # The catalogue may still be starting, and right at our own start the reply queue may not
        # be consumed yet (a reply sent before that is lost): short timeouts, many attempts.
        for attempt in range(1, attempts + 1):
            try:
                with eventlet.Timeout(5):
                    return getattr(self.catalogue, method)(*args)
            except (eventlet.Timeout, UnknownService) as exc:
                log.warning("catalogue not answering (%s), attempt %d of %d", type(exc).__name__, attempt, attempts)
                eventlet.sleep(min(attempt, 5))
        raise RuntimeError("the catalogue did not answer; the read model was not rebuilt")

    @rpc(expected_exceptions=DomainError)
    def search(self, request: dict) -> dict:
        started = time.perf_counter()
        req = validated(SearchRequest, request, "search request")
        said = place_words(req.q) if req.q and req.near is None and not req.province else None
        # sorted by distance, a city in the words is the place it is sorted from
        point = None if said and said.place and req.sort == "distance" else _point(req)
        today = date.today()
        key, answer, generation = (req.model_dump_json(), today), None, None
        # a search only reads: each statement on its own (no BEGIN/COMMIT round trips)
        with self.store.autocommit() as db:
            if self.backend.transactional:
                # read before the search: an answer computed afterwards is at least this new
                generation = db.read_model()
                answer = self.answers.get(key, generation)
            cached = answer is not None
            if answer is None:
                answer = self._answer(db, req, point, today, said)
                if generation is not None:
                    self.answers.put(key, generation, answer)
        response = {**answer, "search_id": uuid.uuid4().hex}
        performed = SearchPerformed(
            search_id=response["search_id"], query=req.q,
            filters=req.model_dump(mode="json", exclude={"q", "page", "page_size"}, exclude_defaults=True),
            result_count=answer["total"], zero_results=answer["total"] == 0,
            latency_ms=round((time.perf_counter() - started) * 1000, 2), cached=cached,
            all_words=None if answer["query"] is None else answer["query"]["all_words"],
            place=None if answer["query"] is None else answer["query"].get("place"),
        )
        envelope = performed.envelope()
        self.dispatch(envelope.event_type, envelope.model_dump(mode="json"))
        return response

    def _answer(self, tx: SearchStore, req: SearchRequest, point, today: date, said: PlaceWords | None) -> dict:
        """The answer to ``req`` as the read model stands (without its ``search_id``). A place
        ``said`` in the words (heftruck rotterdam: place_words) is searched as one unless nothing
        is found there; then the words are searched as typed. Sorted by distance, the place
        holds even then: it is what the hits would be sorted from."""
        if said:
            if said.province:
                local, local_point = req.model_copy(update={"q": said.rest, "province": [said.province]}), None
            else:
                local = req.model_copy(update={"q": said.rest, "near": said.place.name})
                local_point = (said.place.lat, said.place.lon)
            answer = self._computed(tx, local, local_point, today)
            if answer["total"] or req.sort == "distance":
                query = answer["query"] or {"synonyms_version": analysis.default_synonyms().version,
                                            "words": [], "all_words": True}
                return {**answer, "query": {**query, "place": said.described(req.radius_km)}}
        return self._computed(tx, req, point, today)

    def _computed(self, tx: SearchStore, req: SearchRequest, point, today: date) -> dict:
        if req.funding and not tx.schemes_valid_on([req.funding], today):
            # a scheme that ended (or never was) pays for nothing: filter on a code no course names
            req = req.model_copy(update={"funding": NO_SCHEME})
        (rows, total, facets), plan = search_words(self.backend, tx, req, plan_query(self.backend, tx, req.q),
                                                   today, point)
        profile = self._profile(tx, req.situation, today)
        # the schemes a hit names that pay today (and, with a profile, fit the situation): one
        # that ended (its budget ran out) is not offered to anyone
        if profile:
            fitting = {s.code for s in profile.funding_schemes}
        else:
            named = sorted({code for r in rows for code in r["funding"]})
            fitting = set(tx.schemes_valid_on(named, today)) if named else set()
        fits = offering_filters(req, point)
        # The answer as SearchResponse.model_dump(mode="json") would give it, built directly:
        # validating and dumping 20 hits through pydantic took ~12% of the search service's
        # CPU per computed search. tests/e2e/test_search_contract.py holds answers to the model.
        hits = [
            {
                "course_id": str(r["course_id"]), "title": r["title"],
                "provider": {"id": str(r["provider_id"]), "name": r["provider_name"]},
                "level": r["level"], "sectors": list(r["sectors"]), "credential": r["credential"],
                "snippet": r["snippet"], "next_offering": next_offering(r["offerings"], today, fits),
                "distance_km": None if r["distance_km"] is None else round(float(r["distance_km"]), 1),
                "situations": list(r["situations"]),
                "funding_schemes": [code for code in r["funding"] if code in fitting],
            }
            for r in rows
        ]
        return {
            "total": int(total), "page": req.page, "page_size": req.page_size, "hits": hits,
            "facets": facets, "profile": None if profile is None else profile.model_dump(mode="json"),
            "query": None if plan is None else {
                "synonyms_version": analysis.default_synonyms().version,
                "words": [{"word": g.word, "matches": list(g.alternatives)} for g in plan.groups],
                # False: no course has every word, these have some of them (the most first)
                "all_words": not plan.any_word,
            },
        }

    @rpc(expected_exceptions=DomainError)
    def suggest(self, request: dict) -> dict:
        req = validated(SuggestRequest, request, "suggest request")
        prefix = " ".join(analysis.tokens(req.q))
        if len(prefix) < 2:
            return {"suggestions": []}
        with self.store.autocommit() as db:
            return {"suggestions": self.backend.suggest(db, prefix, date.today(), req.limit)}

    @staticmethod
    def _profile(tx: SearchStore, situation: str | None, today: date) -> Profile | None:
        if situation is None:
            return None
        return Profile(situation=situation, boosted=True, funding_schemes=tx.schemes_for(situation, today))

    @rpc
    def document_count(self) -> int:
        with self.store.transaction() as tx:
            return tx.count_documents()


def _point(req: SearchRequest) -> tuple[float, float] | None:
    """Where ``near`` is (a city or a postcode), or a 422 naming the parameter."""
    if req.near is None:
        if req.sort == "distance":
            raise ValidationFailed("sorting by distance needs a place",
                                   [{"field": "sort", "message": "sort=distance needs near=<city or postcode>"}])
        return None
    try:
        place = places.where(req.near)
    except places.UnknownPlace as exc:
        raise ValidationFailed("near is not a place that can be found",
                               [{"field": "near", "message": str(exc)}]) from None
    return place.lat, place.lon


SERVICE = SearchService
