"""How one search is answered, top to bottom, without nameko: read the words (a place said in
them, the query plan with synonyms, compounds and typo candidates) → match, filter and rank (the
backend: text match, offering and course filters, facets, sort, page) → shape the hits (the
offering each was found by, the funding schemes that pay). The search service, the tests and
the benchmark all call these functions, so they exercise exactly what a search answers.

The one entry for a whole answer is ``answer``; ``point_of``, ``plan_query`` and ``match`` are
its steps, which the backend tests and the benchmark call on their own."""
from __future__ import annotations

from datetime import date

from services import places
from services.chassis.errors import ValidationFailed
from services.contracts.filters import NARROWING
from services.contracts.search import Profile, SearchRequest
from services.search import analysis
from services.search.analysis import QueryPlan
from services.search.backends.base import Found, SearchBackend
from services.search.place_words import PlaceWords, place_words
from services.search.rules import net_price_from, next_offering, offering_filters
from services.search.store import SearchStore

NO_SCHEME = "-"    # a funding code no course names (a code has two characters or more)
MAX_PAGE_SIZE = 100


def answer(backend: SearchBackend, tx: SearchStore, req: SearchRequest, today: date,
           only: list[str] | None = None) -> dict:
    """The answer to ``req`` as the read model stands (without its ``search_id``). A place said
    in the words (heftruck rotterdam: place_words) is searched as one unless nothing is found
    there; then the words are searched as typed, and ``query.place.found`` 0 says that nothing
    was found at the place. Sorted by distance, the place holds even then: it is what the hits
    would be sorted from. ``only``: answer among these course ids alone."""
    said = place_words(req.q) if req.q and req.near is None and not req.province else None
    # sorted by distance, a city in the words is the place it is sorted from
    point = None if said and said.place and req.sort == "distance" else point_of(req)
    if said:
        if said.province:
            local, local_point = req.model_copy(update={"q": said.rest, "province": [said.province]}), None
        else:
            local = req.model_copy(update={"q": said.rest, "near": said.place.name})
            local_point = (said.place.lat, said.place.lon)
        found = _answer_of(backend, tx, local, local_point, today, only)
        if found["total"] or req.sort == "distance":
            return _with_place(found, said, req, found["total"])
        return _with_place(_answer_of(backend, tx, req, point, today, only), said, req, 0)
    return _answer_of(backend, tx, req, point, today, only)


def explain_zero(backend: SearchBackend, tx: SearchStore, req: SearchRequest,
                 today: date) -> tuple[str, str | None, float | None]:
    """Why a search found nothing, for the institutions that could offer it: ("elsewhere", the
    nearest place with a hit) when it finds something without the place asked (a province, a
    radius, a place in the words); ("filtered_out", None) when it finds something without the
    filters that narrow (contracts/filters.py: the dates, price and funding asked); else
    ("nothing", None); and how far the nearest place is."""
    one = {"page": 1, "page_size": 1}
    said = place_words(req.q) if req.q and req.near is None and not req.province else None
    if req.near or req.province or (said and said.place):
        place = req.near or (said.place.name if said and said.place else None)
        anywhere = req.model_copy(update={**one, "province": [], "near": None, "q": said.rest if said else req.q,
                                          "sort": "relevance"})
        found = _answer_of(backend, tx, anywhere, None, today)
        if found["total"]:
            if place is not None:     # the closest of them, as the crow flies from the place asked
                around = anywhere.model_copy(update={"near": place, "radius_km": 300, "sort": "distance"})
                nearest = _answer_of(backend, tx, around, point_of(around), today)
                found = nearest if nearest["hits"] else found
            hit = found["hits"][0]
            return "elsewhere", (hit["next_offering"] or {}).get("city") or "online", hit["distance_km"]
    unfiltered = req.model_copy(update={**one, **{name: None for name in NARROWING}})
    if unfiltered != req.model_copy(update=one) and answer(backend, tx, unfiltered, today)["total"]:
        return "filtered_out", None, None
    return "nothing", None, None


def matching(backend: SearchBackend, tx: SearchStore, req: SearchRequest, course_ids: list[str],
             today: date) -> list[dict]:
    """The hits among ``course_ids`` the search ``req`` finds today, as its answer would list
    them (a saved search's alert: the courses published since that it finds)."""
    found = []
    for start in range(0, len(course_ids), MAX_PAGE_SIZE):
        among = course_ids[start:start + MAX_PAGE_SIZE]
        page = req.model_copy(update={"page": 1, "page_size": MAX_PAGE_SIZE})
        found += answer(backend, tx, page, today, among)["hits"]
    return found


def point_of(req: SearchRequest) -> tuple[float, float] | None:
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


def plan_query(backend: SearchBackend, tx: SearchStore, q: str | None) -> QueryPlan | None:
    """How ``q`` is searched: synonyms, compounds and (where the backend needs them) typo
    candidates from its vocabulary. None when there are no words to search for."""
    if not q or not analysis.tokens(q):
        return None
    words = [w for w in analysis.tokens(q) if analysis.correctable(w) and w not in analysis.STOP_WORDS]
    return analysis.plan(q, analysis.default_synonyms(), analysis.default_lexicon(),
                         backend.corrections(tx, words))


def match(backend: SearchBackend, tx: SearchStore, req: SearchRequest, plan: QueryPlan | None, today: date,
          point: tuple[float, float] | None, only: list[str] | None = None) -> tuple[Found, QueryPlan | None]:
    """The backend's page of matches (rows, total, facets), and the plan it answered with: every
    word, or when no course has all of several (with the filters), any of them, the courses with
    more of them first, rather than nothing (``nederlands leren`` finds *Nederlands als tweede
    taal*). Among ``only`` (an alert's new courses) every word must match: no relaxing."""
    found = backend.search(tx, req, plan, today, point, only)
    if found[1] == 0 and plan is not None and len(plan.groups) > 1 and only is None:
        plan = plan.relaxed()
        found = backend.search(tx, req, plan, today, point)
    return found, plan


def profile_of(tx: SearchStore, situation: str | None, today: date) -> Profile | None:
    """The situation asked and the funding schemes valid today that are open to it."""
    if situation is None:
        return None
    return Profile(situation=situation, boosted=True, funding_schemes=tx.schemes_for(situation, today))


def _answer_of(backend: SearchBackend, tx: SearchStore, req: SearchRequest, point, today: date,
               only: list[str] | None = None) -> dict:
    if req.funding and not tx.schemes_valid_on([req.funding], today):
        # a scheme that ended (or never was) pays for nothing: filter on a code no course names
        req = req.model_copy(update={"funding": NO_SCHEME})
    (rows, total, facets), plan = match(backend, tx, req, plan_query(backend, tx, req.q), today, point, only)
    profile = profile_of(tx, req.situation, today)
    return {
        "total": int(total), "page": req.page, "page_size": req.page_size,
        "hits": _hits(tx, rows, req, point, today, profile),
        "facets": facets, "profile": None if profile is None else profile.model_dump(mode="json"),
        "query": None if plan is None else {
            "synonyms_version": analysis.default_synonyms().version,
            "words": [{"word": g.word, "matches": list(g.alternatives)} for g in plan.groups],
            # the words as typed with each typo corrected, when one was (the page asks "Bedoelde je")
            "did_you_mean": did_you_mean(plan),
            # False: no course has every word, these have some of them (the most first)
            "all_words": not plan.any_word,
        },
        "zero_results": None,     # why nothing was found: the search service asks explain_zero
    }


def did_you_mean(plan: QueryPlan) -> str | None:
    """The query's words with the first correction of each word that had one, or None."""
    fixed = [(g.word, next((a for a in g.alternatives if a in plan.corrected.get(g.word, ())), None))
             for g in plan.groups]
    if not any(correction for _, correction in fixed):
        return None
    return " ".join(correction or word for word, correction in fixed)


def _hits(tx: SearchStore, rows: list[dict], req: SearchRequest, point, today: date,
          profile: Profile | None) -> list[dict]:
    """The page's hits as SearchResponse.model_dump(mode="json") would give them, built directly:
    validating and dumping 20 hits through pydantic took ~12% of the search service's CPU per
    computed search (tests/e2e/test_search_contract.py holds answers to the model). Each hit
    names the schemes that pay today (and, with a profile, fit the situation): one that ended
    (its budget ran out) is not offered to anyone."""
    if profile:
        fitting = {s.code for s in profile.funding_schemes}
        amounts = {s.code: s.max_amount_eur for s in profile.funding_schemes}
    else:
        named = sorted({code for r in rows for code in r["funding"]})
        fitting = set(tx.schemes_valid_on(named, today)) if named else set()
    fits = offering_filters(req, point)
    return [
        {
            "course_id": str(r["course_id"]), "title": r["title"],
            "provider": {"id": str(r["provider_id"]), "name": r["provider_name"]},
            "level": r["level"], "sectors": list(r["sectors"]), "credential": r["credential"],
            "snippet": r["snippet"],
            "next_offering": next_offering(r["offerings"], today, fits, point if req.sort == "distance" else None),
            "distance_km": None if r["distance_km"] is None else round(float(r["distance_km"]), 1),
            "situations": list(r["situations"]),
            "funding_schemes": [code for code in r["funding"] if code in fitting],
            "languages": list(r.get("languages") or ()),
            # with a situation: what may remain to pay after the scheme of it that pays the most
            "net_price_from": net_price_from(r["offerings"], today, fits, [
                (code, amounts[code]) for code in r["funding"] if code in fitting]) if profile else None,
        }
        for r in rows
    ]


def _with_place(found: dict, said: PlaceWords, req: SearchRequest, there: int) -> dict:
    """An answer to words that named a place, saying so in ``query.place``: how the place was
    read and how many courses were ``found`` there (0: none, and the hits are of the words as
    typed, anywhere)."""
    query = found["query"] or {"synonyms_version": analysis.default_synonyms().version, "words": [],
                               "all_words": True}
    return {**found, "query": {**query, "place": {**said.described(req.radius_km), "found": there}}}
