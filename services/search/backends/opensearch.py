"""The ``opensearch`` backend: the read model in a versioned index (``<alias>-v<n>``) behind an
alias, offerings as nested documents, a Dutch analysis chain, facets as aggregations.

Compound parts and synonyms come from ``services.search.analysis`` exactly as for ``postgres``
(compound parts are indexed in their own field, synonyms are expanded in the query), so both
backends read the same lists. Typos are forgiven by OpenSearch's own fuzzy matching.

A full rebuild fills a new index while events keep arriving (they are written to both), copies
what changed meanwhile, then swaps the alias in one request; the old index stays until the next
rebuild, so a search that had resolved the alias to it still finds it.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConflictError

from services.contracts.filters import TAGS
from services.contracts.search import SearchRequest
from services.places import km_between
from services.search.analysis import QueryPlan, adjacent_swaps
from services.search.backends.base import Found, SearchBackend
from services.search.documents import ANALYSIS_VERSION, MARK_START, MARK_STOP, snippet_html
from services.search.rules import SITUATION_BOOST, has_offering_filters, offering_filters

log = logging.getLogger(__name__)

# `dutch`: the production chain. `standard`: for the osmem-server emulator in tests, which
# matches every document with a custom chain (docs/runtime.md); relevance is never judged there.
ANALYSIS = {
    "dutch": {
        "filter": {
            "nl_stop": {"type": "stop", "stopwords": "_dutch_"},
            "nl_stem": {"type": "stemmer", "language": "dutch"},
        },
        "analyzer": {
            "nl": {"type": "custom", "tokenizer": "standard",
                   "filter": ["lowercase", "asciifolding", "nl_stop", "nl_stem"]},
        },
    },
    "standard": {"analyzer": {"nl": {"type": "standard"}}},
}

TEXT_FIELDS = {"title": 4.0, "keywords": 2.0, "description": 1.0, "compounds": 0.5}


def mappings() -> dict:
    text = {"type": "text", "analyzer": "nl"}
    return {
        "dynamic": False,
        "_meta": {"analysis": ANALYSIS_VERSION},
        "properties": {
            "course_id": {"type": "keyword"},
            "published": {"type": "boolean"},
            "last_start": {"type": "date"},
            "title": {**text, "fields": {"raw": {"type": "keyword"}}},
            "keywords": text,
            "description": text,
            "compounds": text,
            "level": {"type": "keyword"},
            "sectors": {"type": "keyword"},
            "situations": {"type": "keyword"},
            # the course facets kept as tags (contracts/filters.py), by filter name
            "tags": {"properties": {f.name: {"type": "keyword"} for f in TAGS}},
            "funding": {"type": "keyword"},
            "provider_id": {"type": "keyword"},
            "suggest_terms": {"type": "keyword"},
            "points": {"type": "geo_point"},
            "indexed_at": {"type": "date"},
            "offerings": {
                "type": "nested", "dynamic": False,
                "properties": {
                    "start_date": {"type": "date"},
                    "status": {"type": "keyword"},
                    "mode": {"type": "keyword"},
                    "province": {"type": "keyword"},
                    "loc": {"type": "geo_point"},
                    "price": {"type": "scaled_float", "scaling_factor": 100},
                },
            },
        },
    }


def to_source(doc: dict) -> dict:
    source = {k: v for k, v in doc.items() if k not in ("terms", "version")}
    source["last_start"] = doc["last_start"].isoformat() if doc["last_start"] else None
    source["course_id"] = str(doc["course_id"])
    source["provider_id"] = str(doc["provider_id"])
    source["offerings"] = [
        {**o, "price": float(o["price_eur"]),
         "loc": {"lat": o["lat"], "lon": o["lon"]} if o["lat"] is not None else None}
        for o in doc["offerings"]
    ]
    source["points"] = [o["loc"] for o in source["offerings"] if o["loc"]]
    source["indexed_at"] = datetime.now(timezone.utc).isoformat()
    return source


class OpenSearchBackend(SearchBackend):
    name = "opensearch"

    def __init__(self, url: str, alias: str = "courses", analysis: str = "dutch", connection: dict | None = None,
                 shards: int = 1, replicas: int = 0):
        self.url, self.alias, self.analysis = url, alias, analysis
        self.shards, self.replicas = shards, replicas
        # credentials and TLS checks: only what is set (the client's defaults otherwise)
        self.connection = {k: v for k, v in (connection or {}).items() if v is not None}
        self.client: OpenSearch | None = None
        self.building: str | None = None    # the new index while a rebuild runs

    # lifecycle

    def start(self) -> None:
        # a cluster's nodes separated by commas: the client spreads requests and retries on another
        self.client = OpenSearch(hosts=self.url.split(","), timeout=10, max_retries=2, retry_on_timeout=True, **self.connection)
        if not self.client.indices.exists_alias(name=self.alias):
            first = self._create_index()
            self.client.indices.put_alias(index=first, name=self.alias)
            log.info("created index %s behind alias %s", first, self.alias)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()

    def current_index(self) -> str:
        return next(iter(self.client.indices.get_alias(name=self.alias)))

    def _create_index(self) -> str:
        existing = self.client.indices.get(index=f"{self.alias}-v*", ignore_unavailable=True, allow_no_indices=True)
        numbers = [int(name.rsplit("-v", 1)[1]) for name in existing if name.rsplit("-v", 1)[1].isdigit()]
        name = f"{self.alias}-v{max(numbers, default=0) + 1}"
        self.client.indices.create(index=name, body={
            "settings": {"number_of_shards": self.shards, "number_of_replicas": self.replicas,
                         "analysis": ANALYSIS[self.analysis]},
            "mappings": mappings(),
        })
        return name

    # writes

    def put(self, tx, doc: dict) -> bool:
        source = to_source(doc)
        stored = self._write(self.alias, doc, source, "external")
        if self.building:
            self._write(self.building, doc, source, "external_gte")
        return stored

    def _write(self, index: str, doc: dict, source: dict, version_type: str) -> bool:
        try:
            self.client.index(index=index, id=source["course_id"], body=source, version=doc["version"],
                              version_type=version_type, refresh=True)
            return True
        except ConflictError:
            return False   # a newer (or the same) version is already there

    def count(self, tx) -> int:
        return self.client.count(index=self.alias)["count"]

    def versions(self, tx, after: str | None, limit: int) -> list[dict]:
        body = {"size": limit, "sort": [{"course_id": "asc"}], "_source": ["course_id", "published"], "version": True,
                "query": {"match_all": {}}, **({"search_after": [after]} if after else {})}
        hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
        return [{"course_id": h["_source"]["course_id"], "version": h["_version"],
                 "published": h["_source"]["published"]} for h in hits]

    def outdated(self, tx, analysis: str) -> int:
        index = self.current_index()
        meta = self.client.indices.get_mapping(index=index)[index]["mappings"].get("_meta", {})
        return 0 if meta.get("analysis") == analysis else self.count(tx)

    def begin_rebuild(self) -> None:
        self.building = self._create_index()
        log.info("rebuilding into %s", self.building)

    def finish_rebuild(self, tx, seen: list[str], started: datetime) -> int:
        new, old = self.building, self.current_index()
        try:
            self._copy_changed(old, new, started)
            hidden = self.client.count(index=old, body={"query": {"bool": {
                "filter": [{"term": {"published": True}}],
                "must_not": [{"ids": {"values": [str(s) for s in seen]}}]}}})["count"]
            self.client.indices.update_aliases(body={"actions": [
                {"remove": {"index": old, "alias": self.alias}},
                {"add": {"index": new, "alias": self.alias}}]})
        finally:
            self.building = None
        # another search process writes events to the alias only (it does not know of the new
        # index): what it wrote to the old index between the copy and the swap is copied again
        self._copy_changed(old, new, started)
        # the old index stays until the next rebuild: a search that took the alias to it just
        # before the swap still finds it there (deleting it at once left such a search waiting
        # for its timeout, tests/search/test_opensearch_service.py); the one before goes now
        for name in self.client.indices.get(index=f"{self.alias}-v*", ignore_unavailable=True, allow_no_indices=True):
            if name not in (new, old):
                self.client.indices.delete(index=name, ignore_unavailable=True)
        log.info("alias %s now points at %s (was %s, kept until the next rebuild)", self.alias, new, old)
        return hidden

    def _copy_changed(self, old: str, new: str, started: datetime) -> None:
        """What events changed in ``old`` since the rebuild started, into ``new`` (where it is not
        already there in that or a newer version)."""
        changed = helpers.scan(self.client, index=old, query={
            "query": {"range": {"indexed_at": {"gte": started.isoformat()}}}}, _source=True, version=True)
        helpers.bulk(self.client, ({"_index": new, "_id": hit["_id"], "_source": hit["_source"],
                                    "_version": hit["_version"], "_version_type": "external_gte"}
                                   for hit in changed), raise_on_error=False)
        self.client.indices.refresh(index=new)

    # reads

    def search(self, tx, req: SearchRequest, plan: QueryPlan | None, today: date,
               point: tuple[float, float] | None, only: list[str] | None = None) -> Found:
        filters = Filters(req, today, point)
        # a relaxed search sorted otherwise than by relevance: more of the words first, scored as
        # the number of groups matched, then the order asked
        counted = bool(plan and plan.any_word and req.sort != "relevance")
        among = [] if only is None else [{"ids": {"values": only}}]
        query = {"bool": {"filter": findable(today) + among, "must": text_query(plan, counted) if plan else []}}
        if plan and len(plan.groups) > 1 and not counted:
            query["bool"]["should"] = [
                {"match_phrase": {"title": {"query": " ".join(plan.words), "boost": 3}}},
                {"match": {"title": {"query": " ".join(plan.words), "operator": "and", "boost": 2}}},
            ]
        if req.situation and not counted:
            query = {"function_score": {"query": query, "boost_mode": "multiply", "functions": [
                {"filter": {"term": {"situations": req.situation}}, "weight": SITUATION_BOOST}]}}
        body = {
            "query": query,
            "post_filter": {"bool": {"filter": filters.all()}},
            "aggs": filters.facet_aggregations(),
            "sort": ([{"_score": "desc"}] if counted else []) + sort_clause(req, today, point),
            "from": (req.page - 1) * req.page_size,
            "size": req.page_size,
            "track_total_hits": True,
            "highlight": {"pre_tags": [MARK_START], "post_tags": [MARK_STOP], "number_of_fragments": 2,
                          "fragment_size": 120, "fields": {"title": {"number_of_fragments": 0},
                                                          "description": {}}},
        }
        answer = self.client.search(index=self.alias, body=body)
        fits = offering_filters(req, point)
        rows = [hit_row(hit, point, today, fits) for hit in answer["hits"]["hits"]]
        return rows, answer["hits"]["total"]["value"], facets_of(answer.get("aggregations", {}))

    def suggest(self, tx, prefix: str, today: date, limit: int) -> list[str]:
        found = self._terms_like(prefix + ".*", today, limit)
        if len(found) < limit and len(prefix) >= 4:
            fuzzy = self._terms_like(one_edit_pattern(prefix), today, limit)
            found += [t for t in fuzzy if t not in found][: limit - len(found)]
        return found

    def _terms_like(self, pattern: str, today: date, limit: int) -> list[str]:
        answer = self.client.search(index=self.alias, body={
            "size": 0,
            "query": {"bool": {"filter": findable(today)}},
            "aggs": {"terms": {"terms": {"field": "suggest_terms", "include": pattern, "size": limit,
                                         "order": [{"_count": "desc"}, {"_key": "asc"}]}}},
        })
        return [b["key"] for b in answer["aggregations"]["terms"]["buckets"]]


def findable(today: date) -> list[dict]:
    return [{"term": {"published": True}}, {"range": {"last_start": {"gte": today.isoformat()}}}]


def text_query(plan: QueryPlan, counted: bool = False) -> list[dict]:
    """Every group must match (any one, for a relaxed plan: those matching more score more, and
    ``counted``, each group scores 1: the score is how many match); within a group any
    alternative, as a phrase over the text fields, or (for the word as typed) with OpenSearch's
    fuzzy matching for typos."""
    fields = [f"{name}^{boost}" for name, boost in TEXT_FIELDS.items()]
    groups = []
    for group in plan.groups:
        should = [{"multi_match": {"query": alt, "type": "phrase", "fields": fields}} for alt in group.alternatives]
        should += [{"multi_match": {"query": alt, "type": "cross_fields", "operator": "and", "fields": fields}}
                   for alt in group.apart]
        if " " not in group.word and len(group.word) >= 5:
            should.append({"multi_match": {"query": group.word, "fields": fields, "fuzziness": "AUTO",
                                           "prefix_length": 1, "boost": 0.5}})
        group = {"bool": {"should": should, "minimum_should_match": 1}}
        groups.append({"constant_score": {"filter": group, "boost": 1}} if counted else group)
    return [{"bool": {"should": groups, "minimum_should_match": 1}}] if plan.any_word else groups


class Filters:
    """The filters of a request as OpenSearch clauses, each nameable so a facet can leave out
    its own (counts that respect the other active filters)."""

    def __init__(self, req: SearchRequest, today: date, point: tuple[float, float] | None):
        self.req, self.today, self.point = req, today, point
        self.strict = has_offering_filters(req, point)

    def document(self, leave_out: str | None = None) -> list[dict]:
        req, clauses = self.req, []
        if req.level and leave_out != "level":
            clauses.append({"terms": {"level": req.level}})
        if req.sector and leave_out != "sector":
            clauses.append({"terms": {"sectors": req.sector}})
        for facet in TAGS:
            if getattr(req, facet.name) and leave_out != facet.name:
                clauses.append({"terms": {f"tags.{facet.name}": getattr(req, facet.name)}})
        if req.funding:
            clauses.append({"term": {"funding": req.funding}})
        return clauses

    def offering(self, leave_out: str | None = None) -> list[dict]:
        req = self.req
        start = {"gte": max(self.today, req.start_from or self.today).isoformat()}
        if req.start_to:
            start["lte"] = req.start_to.isoformat()
        clauses = [{"range": {"offerings.start_date": start}}]
        if self.strict:
            clauses.append({"term": {"offerings.status": "open"}})
        if req.max_price is not None:
            clauses.append({"range": {"offerings.price": {"lte": float(req.max_price)}}})
        if req.mode and leave_out != "mode":
            clauses.append({"terms": {"offerings.mode": req.mode}})
        if req.province and leave_out != "province":
            clauses.append({"terms": {"offerings.province": req.province}})
        if self.point:
            clauses.append({"geo_distance": {"distance": f"{req.radius_km}km",
                                             "offerings.loc": {"lat": self.point[0], "lon": self.point[1]}}})
        return clauses

    def all(self, leave_out: str | None = None) -> list[dict]:
        nested = {"nested": {"path": "offerings", "query": {"bool": {"filter": self.offering(leave_out)}}}}
        return [*self.document(leave_out), nested]

    def facet_aggregations(self) -> dict:
        aggs = {}
        for name, field, size in (("level", "level", 50), ("sector", "sectors", 50), ("situation", "situations", 50),
                                  *((f.name, f"tags.{f.name}", 200) for f in TAGS)):
            aggs[name] = {"filter": {"bool": {"filter": self.all(name)}},
                          "aggs": {"values": {"terms": {"field": field, "size": size}}}}
        for name in ("mode", "province"):
            aggs[name] = {"filter": {"bool": {"filter": self.document()}}, "aggs": {"offerings": {
                "nested": {"path": "offerings"}, "aggs": {"matching": {
                    "filter": {"bool": {"filter": self.offering(name)}}, "aggs": {"values": {
                        "terms": {"field": f"offerings.{name}", "size": 50},
                        "aggs": {"courses": {"reverse_nested": {}}}}}}}}}}
        return aggs


def facets_of(aggregations: dict) -> dict:
    facets = {}
    for name, agg in aggregations.items():
        if "offerings" in agg:
            buckets = agg["offerings"]["matching"]["values"]["buckets"]
            facets[name] = {b["key"]: b["courses"]["doc_count"] for b in buckets}
        else:
            facets[name] = {b["key"]: b["doc_count"] for b in agg["values"]["buckets"]}
    return facets


def sort_clause(req: SearchRequest, today: date, point) -> list:
    ahead = {"path": "offerings", "filter": {"range": {"offerings.start_date": {"gte": today.isoformat()}}}}
    by_title = {"title.raw": {"order": "asc"}}
    if req.sort == "start_date":
        return [{"offerings.start_date": {"order": "asc", "mode": "min", "nested": ahead}}, by_title]
    if req.sort == "price":
        return [{"offerings.price": {"order": "asc", "mode": "min", "nested": ahead}}, by_title]
    if req.sort == "distance" and point:
        return [{"_geo_distance": {"points": {"lat": point[0], "lon": point[1]}, "order": "asc",
                                   "unit": "km"}}, by_title]
    return ["_score", by_title]


def hit_row(hit: dict, point, today: date, fits) -> dict:
    src = hit["_source"]
    highlight = hit.get("highlight", {})
    fragments = highlight.get("title", []) + highlight.get("description", [])
    return {
        "course_id": src["course_id"], "title": src["title"], "provider_id": src["provider_id"],
        "provider_name": src["provider_name"], "level": src["level"], "sectors": src["sectors"],
        "credential": src["credential"], "offerings": src["offerings"], "situations": src["situations"],
        "languages": src.get("languages") or [],
        "funding": src["funding"],
        "snippet": snippet_html(" … ".join(fragments) if fragments else src["description"][:200]),
        "distance_km": nearest_km(src["offerings"], point, today, fits),
    }


def nearest_km(offerings: list[dict], point, today: date, fits) -> float | None:
    """How far the nearest offering the course was found by is (open, ahead, passing every
    offering filter: ``offering_filters``), as the postgres backend answers it."""
    if point is None:
        return None
    ahead = [o for o in offerings if o.get("lat") is not None and date.fromisoformat(o["start_date"]) >= today]
    found = [o for o in ahead if o["status"] == "open" and fits(o)] or ahead
    return min((km_between(point[0], point[1], o["lat"], o["lon"]) for o in found), default=None)


def one_edit_pattern(prefix: str) -> str:
    """A Lucene regular expression for words starting with ``prefix`` give or take one letter
    (one substituted, left out or added) or two neighbouring letters swapped."""
    variants = set(adjacent_swaps(prefix))
    for i in range(len(prefix)):
        variants.add(prefix[:i] + "." + prefix[i + 1:])     # substituted
        variants.add(prefix[:i] + prefix[i + 1:])           # one too many typed
        variants.add(prefix[:i] + "." + prefix[i:])         # one left out
    return "|".join(f"{v}.*" for v in sorted(variants) if len(v) >= 2)

