"""One behaviour suite for both search backends (docs/search.md): filters on one and the same
offering, facets that respect the other filters, geo, sorting, paging, version guard, hiding,
suggest, situation profiles, full rebuild. Expected results come from an independent reading of
the catalogue in plain Python. Tests that depend on Dutch stemming do not run on the emulator."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services import places
from services.contracts.search import SearchRequest
from services.search import pipeline
from services.search.backends import make_backend
from services.search.documents import build_document
from tests.search import corpus


def needs_dutch_analysis(h):
    if h.name == "opensearch-emulated":
        pytest.skip("osmem-server does not analyse Dutch text (docs/runtime.md)")


def ahead(h, course):
    return [o for o in course.offerings if o.status in ("open", "full") and o.start_date >= h.today]


def offering_ok(h, o, strict, mode=(), province=(), max_price=None, start_from=None, start_to=None, near=None,
                radius=25.0):
    if strict and o.status != "open":
        return False
    if mode and o.mode not in mode:
        return False
    if province and (o.location is None or o.location.province not in province):
        return False
    if max_price is not None and o.price_eur > Decimal(str(max_price)):
        return False
    if start_from and o.start_date < start_from:
        return False
    if start_to and o.start_date > start_to:
        return False
    if near:
        if o.location is None or o.location.lat is None:
            return False
        return places.km_between(near[0], near[1], o.location.lat, o.location.lon) <= radius
    return True


def expected(h, level=(), sector=(), funding=None, language=(), credential=(), leave_out=None, **offering):
    strict = any(v for k, v in offering.items() if k != "radius")
    found = []
    for cid, c in h.courses.items():
        if level and leave_out != "level" and c.level not in level:
            continue
        if sector and leave_out != "sector" and not set(c.sectors) & set(sector):
            continue
        if language and leave_out != "language" and not set(c.languages) & set(language):
            continue
        if funding and funding not in c.funding_schemes:
            continue
        if credential and leave_out != "credential" and c.credential not in credential:
            continue
        if any(offering_ok(h, o, strict, **offering) for o in ahead(h, c)):
            found.append(cid)
    return set(found)


def test_filters_hold_on_one_and_the_same_offering(loaded):
    h = loaded
    in_two_weeks = h.today + timedelta(days=120)
    cases = [
        dict(level=["mbo-2"]),
        dict(sector=["zorg-welzijn", "ict"]),
        dict(mode=["online"]),
        dict(province=["Limburg", "Zeeland"]),
        dict(max_price=300),
        dict(mode=["klassikaal"], max_price=500, start_to=in_two_weeks),
        dict(funding="stap-budget", level=["geen"]),
    ]
    for params in cases:
        got = h.search(**params)
        oracle = {k: v for k, v in params.items()}
        want = expected(h, **oracle)
        assert want, f"the case {params} should match something"
        assert set(got["ids"]) == want, params
        assert got["total"] == len(want)


def test_facets_count_with_the_other_filters_and_not_their_own(loaded):
    h = loaded
    got = h.search(level=["mbo-2"], mode=["online"])
    # level facet: every level's count under mode=online alone
    for level, n in got["facets"]["level"].items():
        assert n == len(expected(h, level=[level], mode=["online"])), level
    assert set(got["facets"]["level"]) >= {"mbo-4", "geen"}      # other levels stay selectable
    # mode facet: courses of level mbo-2 with an offering in that mode
    for mode, n in got["facets"]["mode"].items():
        assert n == len(expected(h, level=["mbo-2"], mode=[mode])), mode
    # sector facet: both filters apply
    sectors = Counter(s for cid in expected(h, level=["mbo-2"], mode=["online"]) for s in h.courses[cid].sectors)
    assert got["facets"]["sector"] == dict(sectors)
    assert sum(got["facets"]["province"].values()) >= 0 and "province" in got["facets"]


def test_a_credential_filters_and_is_a_facet(loaded):
    """What a course leads to (a diploma, a certificate, ...): ``credential`` filters like sector
    does (repeatable: any of them), and its facet counts under every other filter but its own."""
    h = loaded
    diplomas = expected(h, credential=["diploma"])
    assert diplomas and len(diplomas) < len(h.courses)
    assert set(h.search(credential=["diploma"])["ids"]) == diplomas
    either = h.search(credential=["diploma", "microcredential"], mode=["klassikaal"])
    assert set(either["ids"]) == expected(h, credential=["diploma", "microcredential"], mode=["klassikaal"]) > set()
    got = h.search(credential=["certificaat"], sector=["zorg-welzijn"])
    assert set(got["ids"]) == expected(h, credential=["certificaat"], sector=["zorg-welzijn"])
    kinds = Counter(h.courses[cid].credential for cid in expected(h, sector=["zorg-welzijn"]))
    assert got["facets"]["credential"] == dict(kinds) and len(kinds) > 1
    for sector, n in got["facets"]["sector"].items():     # the other facets count with the credential filter
        assert n == len(expected(h, sector=[sector], credential=["certificaat"])), sector


def test_a_language_filters_and_is_a_facet(loaded):
    """Courses taught in a person's own language: ``language`` (repeatable: any of them) filters
    like sector does, and its facet counts under every other filter but its own."""
    h = loaded
    polish = expected(h, language=["pl"])
    assert polish and len(polish) < len(h.courses)
    assert set(h.search(language=["pl"])["ids"]) == polish
    either = h.search(language=["pl", "ar"], mode=["klassikaal"])
    assert set(either["ids"]) == expected(h, language=["pl", "ar"], mode=["klassikaal"]) > set()
    assert set(h.search(language=["PL"])["ids"]) == polish                    # a code in capitals is that code
    assert h.search(language=["xx"])["total"] == 0                             # one no course is taught in
    got = h.search(language=["ro"], level=["mbo-2"], mode=["online"])
    assert set(got["ids"]) == expected(h, language=["ro"], level=["mbo-2"], mode=["online"])
    languages = Counter(code for cid in expected(h, level=["mbo-2"], mode=["online"])
                        for code in h.courses[cid].languages)
    assert got["facets"]["language"] == dict(languages) and {"nl", "ro"} <= set(languages)
    for level, n in got["facets"]["level"].items():       # the other facets count with the language filter
        assert n == len(expected(h, level=[level], language=["ro"], mode=["online"])), level
    assert set(h.search(q="heftruck", language=["en"])["ids"]) <= expected(h, language=["en"])


def test_near_a_place_within_a_radius_sorted_by_distance(loaded):
    h = loaded
    utrecht = places.city("Utrecht")
    got = h.search(near="Utrecht", radius_km=40, sort="distance")
    want = expected(h, near=(utrecht.lat, utrecht.lon), radius=40)
    assert want and set(got["ids"]) == want
    distances = [r["distance_km"] for r in got["rows"]]
    assert all(d is not None and d <= 40.5 for d in distances)
    assert distances == sorted(distances)
    postcode = h.search(near="6211 AB", radius_km=25)          # Maastricht's region
    assert postcode["total"] > 0
    assert all(any(o.location and o.location.province == "Limburg" for o in h.courses[i].offerings)
               for i in postcode["ids"])


def test_a_hit_is_as_far_as_the_nearest_offering_it_was_found_by(loaded):
    """With other offering filters, the distance is that of the nearest offering they all hold
    for, not of a nearer one that is too dear."""
    h = loaded
    utrecht = places.city("Utrecht")
    point, filters = (utrecht.lat, utrecht.lon), {"max_price": 500, "radius": 150}
    got = h.search(near="Utrecht", radius_km=150, max_price=500)
    assert set(got["ids"]) == expected(h, near=point, **filters) and got["ids"]
    farther = 0
    for row in got["rows"]:
        course = h.courses[row["course_id"]]
        fitting = [places.km_between(*point, o.location.lat, o.location.lon)
                   for o in ahead(h, course) if offering_ok(h, o, True, near=point, **filters)]
        nearest = min(places.km_between(*point, o.location.lat, o.location.lon)
                      for o in ahead(h, course) if o.location and o.location.lat is not None)
        assert row["distance_km"] == pytest.approx(min(fitting), abs=0.05)
        farther += min(fitting) > nearest + 1
    assert farther, "no course in the corpus has a nearer offering that is too dear: the test proves nothing"


def test_sort_by_start_date_and_price(loaded):
    h = loaded
    by_date = h.search(sort="start_date", level=["mbo-3"])
    firsts = [min(o.start_date for o in ahead(h, h.courses[i])) for i in by_date["ids"]]
    assert firsts == sorted(firsts) and len(firsts) > 5
    by_price = h.search(sort="price", sector=["ict"])
    cheapest = [min(o.price_eur for o in ahead(h, h.courses[i])) for i in by_price["ids"]]
    assert cheapest == sorted(cheapest) and len(cheapest) > 5
    # words sorted by start date: the same courses as by relevance, in date order
    relevant = h.search(q="veiligheid")
    by_date = h.search(q="veiligheid", sort="start_date")
    firsts = [min(o.start_date for o in ahead(h, h.courses[i])) for i in by_date["ids"]]
    assert set(by_date["ids"]) == set(relevant["ids"]) and len(firsts) > 5 and firsts == sorted(firsts)
    assert by_date["ids"] != relevant["ids"]


def test_pages_do_not_overlap(loaded):
    h = loaded
    first = h.search(sort="start_date", page_size=10, page=1)
    second = h.search(sort="start_date", page_size=10, page=2)
    assert len(first["ids"]) == len(second["ids"]) == 10
    assert not set(first["ids"]) & set(second["ids"])
    assert first["total"] == second["total"] == len(h.courses)


def test_words_compounds_and_synonyms(loaded):
    h = loaded
    titles = lambda **p: [r["title"] for r in h.search(**p)["rows"]]  # noqa: E731
    heftruck = titles(q="heftruck")
    # the catalogue offers each heftruck course four ways (day, evening, part time, at work): the
    # compounds are among the family's twenty, before anything else
    family = heftruck[:20]
    assert "Heftruckchauffeur" in family and "Vorkheftruckcertificaat halen" in family
    chauffeur = titles(q="chauffeur")
    assert "Heftruckchauffeur" in chauffeur and "Vrachtwagenchauffeur" in chauffeur
    assert "Bedrijfshulpverlening herhaling" in titles(q="bhv")[:20]
    assert "Eerste hulp bij ongelukken" in titles(q="ehbo")[:20]
    assert not titles(q="heftruck", sector=["zorg-welzijn"])


def test_title_matches_rank_above_description_matches(loaded):
    from services.search.analysis import tokens

    h = loaded
    rows = h.search(q="veilig")["rows"]
    in_title = [i for i, r in enumerate(rows) if "veilig" in tokens(r["title"])]
    elsewhere = [i for i, r in enumerate(rows) if "veilig" not in tokens(r["title"])]
    assert in_title and elsewhere and max(in_title) < min(elsewhere)


def test_snippets_mark_the_words(loaded):
    rows = loaded.search(q="boekhouden")["rows"]
    assert rows and "<mark>" in rows[0]["snippet"]


def test_dutch_stemming_accents_and_typos(loaded):
    h = loaded
    needs_dutch_analysis(h)
    assert h.search(q="opleidingen")["total"] == h.search(q="opleiding")["total"] > 0
    assert set(h.search(q="coordinator")["ids"]) == set(h.search(q="coördinator")["ids"]) != set()
    typo = [r["title"] for r in h.search(q="verplegkunde")["rows"]]
    assert "Verpleegkunde BBL" in typo
    # two neighbouring letters swapped in a short word (a long one may be two letters off anyway)
    swapped = [r["title"] for r in h.search(q="heftrukc")["rows"]]
    assert "Heftruckchauffeur" in swapped
    # irregular plurals the stemmer leaves apart: -mannen / -lieden find -man
    carpenters = set(h.search(q="timmerman")["ids"])
    assert carpenters and set(h.search(q="timmermannen")["ids"]) == carpenters == set(h.search(q="timmerlieden")["ids"])


def test_situation_profile_boosts_courses_marked_for_it(loaded):
    h = loaded
    rows = h.search(q="leidinggeven", situation="werkgever")["rows"]
    plain = h.search(q="leidinggeven")["rows"]
    marked = [i for i, r in enumerate(rows) if "werkgever" in r["situations"]]
    assert marked and set(r["course_id"] for r in rows) == set(r["course_id"] for r in plain)
    unmarked = [i for i, r in enumerate(rows) if "werkgever" not in r["situations"]]
    assert not unmarked or min(marked) < min(unmarked)


def test_suggest_completes_and_forgives_a_typo(loaded):
    h = loaded
    assert "heftruckchauffeur" in h.suggest("hef") or "heftruck" in h.suggest("hef")
    hef = h.suggest("hef")
    exact = [s for s in hef if s.startswith("hef")]
    assert exact and hef[:len(exact)] == exact          # completions first, near misses after
    assert any(s.startswith("verpleeg") for s in h.suggest("verpleg"))   # one letter missing
    assert any(s.startswith("verpleeg") for s in h.suggest("verpeleg"))  # two neighbouring letters swapped
    assert h.suggest("qqzx") == []


def _course(h, title="Zeldzame zeepkistenbouw", version=1, **changes):
    base = next(iter(h.courses.values())) if getattr(h, "courses", None) else corpus.courses(h.today)[0]
    data = base.model_dump()
    data.update(id=str(uuid.uuid4()), title=title, version=version, keywords=[], **changes)
    return type(base).model_validate(data)


def test_suggest_offers_words_not_the_fragments_of_a_compound(empty):
    """Suggest completes to words a course has (in its title or keywords): not to the parts the
    compound splitter finds in them (``heft`` of Heftruckchauffeur), which search still uses."""
    h = empty
    h.put(_course(h, "Heftruckchauffeur met certificaat"))
    assert h.suggest("hef") == ["heftruckchauffeur"]
    assert h.search(q="heftruck")["total"] == 1


def test_a_late_older_version_is_ignored_and_withdrawn_or_past_courses_are_not_found(empty):
    h = empty
    course = _course(h, version=3)
    assert h.put(course)
    older = course.model_copy(update={"version": 2, "title": "Oude titel"})
    assert not h.put(older)
    assert h.search(q="zeepkistenbouw")["ids"] == [str(course.id)]
    h.put(course.model_copy(update={"version": 4}), published=False)
    assert h.search(q="zeepkistenbouw")["total"] == 0
    past = [o.model_copy(update={"start_date": h.today - timedelta(days=30), "end_date": h.today - timedelta(days=1)})
            for o in course.offerings]
    h.put(course.model_copy(update={"version": 5, "offerings": past}), published=True)
    assert h.search(q="zeepkistenbouw")["total"] == 0
    closed = [o.model_copy(update={"status": "closed"}) for o in course.offerings]
    h.put(course.model_copy(update={"version": 6, "offerings": closed}), published=True)
    assert h.search(q="zeepkistenbouw")["total"] == 0


def test_a_batch_with_several_versions_of_one_course_keeps_the_newest(empty):
    """Events arrive in batches; a bulk import can put two versions of a course in one."""
    h = empty
    course, other = _course(h, version=2), _course(h, "Zeepkistenbouw extra")
    newest = course.model_copy(update={"version": 3, "title": "Zeepkistenbouw nieuwste"})
    with h.tx() as tx:
        h.backend.put_many(tx, [build_document(d, True) for d in (newest, course, other)])
    assert h.search(q="nieuwste")["ids"] == [str(course.id)]
    assert h.search(q="zeldzame")["total"] == 0            # the title of version 2
    assert sorted(h.search(q="zeepkistenbouw")["ids"]) == sorted([str(course.id), str(other.id)])
    assert not h.put(course)                                 # version 2 again, alone: older than what is there
    assert h.search(q="nieuwste")["ids"] == [str(course.id)]


def test_full_rebuild_hides_what_the_catalogue_no_longer_publishes(empty):
    h = empty
    kept, gone = _course(h, "Zeepkistenbouw voor beginners"), _course(h, "Zeepkistenbouw gevorderd")
    h.put(kept), h.put(gone)
    before = getattr(h.backend, "current_index", lambda: None)()
    started = datetime.now(timezone.utc)
    h.backend.begin_rebuild()
    with h.tx() as tx:
        h.backend.put(tx, build_document(kept, True))
        hidden = h.backend.finish_rebuild(tx, [str(kept.id)], started)
    assert hidden == 1
    assert h.search(q="zeepkistenbouw")["ids"] == [str(kept.id)]
    if before is not None:                      # opensearch: a new index behind the alias
        assert h.backend.current_index() != before
        # the old index stays until the next rebuild (a search that resolved the alias to it
        # still finds it), then goes
        assert h.backend.client.indices.exists(index=before)
        h.backend.begin_rebuild()
        h.backend.finish_rebuild(tx, [str(kept.id)], started)
        assert not h.backend.client.indices.exists(index=before)


def test_a_change_another_search_process_writes_during_a_rebuild_is_kept(empty, monkeypatch):
    """Two search processes share the read model; only the one that rebuilds knows of the new
    index (opensearch), so the other's writes go to the old one until the alias moves, even
    after the rebuild copied what changed there: they must end up behind the alias all the same."""
    h = empty
    kept, late = _course(h, "Zeepkistenbouw voor beginners"), _course(h, "Zeepkistenbouw op de valreep")
    h.put(kept)
    other = make_backend(h.config)     # a second search process with the same settings
    other.start()

    def the_other_process_writes():
        with h.tx() as tx:
            other.put(tx, build_document(late, True))

    started = datetime.now(timezone.utc)
    h.backend.begin_rebuild()
    with h.tx() as tx:
        h.backend.put(tx, build_document(kept, True))
    if hasattr(h.backend, "alias"):              # opensearch: at the last moment, just before the swap
        swap = h.backend.client.indices.update_aliases
        monkeypatch.setattr(h.backend.client.indices, "update_aliases",
                            lambda *a, **kw: (the_other_process_writes(), swap(*a, **kw))[1])
    else:
        the_other_process_writes()
    with h.tx() as tx:
        h.backend.finish_rebuild(tx, [str(kept.id)], started)
    assert sorted(h.search(q="zeepkistenbouw")["ids"]) == sorted([str(kept.id), str(late.id)])


def test_an_offering_that_starts_stops_counting(empty):
    """postgres keeps per-course figures of the offerings ahead; a timer refreshes them."""
    h = empty
    if h.name != "postgres":
        pytest.skip("only the postgres backend keeps per-course figures")
    course = _course(h, "Zeepkistenbouw in delen")
    first, second = course.offerings[0], course.offerings[0]
    offerings = [first.model_copy(update={"external_id": "soon", "mode": "online", "location": None,
                                          "start_date": h.today + timedelta(days=1), "end_date": h.today + timedelta(days=2)}),
                 second.model_copy(update={"external_id": "later", "mode": "klassikaal",
                                           "start_date": h.today + timedelta(days=40), "end_date": h.today + timedelta(days=41)})]
    h.put(course.model_copy(update={"offerings": offerings}))
    before = h.search(q="zeepkistenbouw")
    assert before["facets"]["mode"] == {"online": 1, "klassikaal": 1}
    assert before["rows"][0]["next_start"] == str(h.today + timedelta(days=1))
    with h.tx() as tx:                      # time passes: the first offering started yesterday
        tx.execute("UPDATE offerings SET start_date = current_date - 1 WHERE external_id = 'soon'")
        tx.execute("UPDATE facts SET next_start = current_date - 1")
        assert tx.refresh_started() == 1
    after = h.search(q="zeepkistenbouw")
    assert after["facets"]["mode"] == {"klassikaal": 1}
    assert after["rows"][0]["next_start"] == str(h.today + timedelta(days=40))


def test_words_standing_together_rank_above_scattered_words(empty):
    h = empty
    scattered = _course(h, "Aan het werken blijf je veilig")    # sorts first when ranks tie
    together = _course(h, "Veilig werken op hoogte")
    h.put(scattered), h.put(together)
    rows = h.search(q="veilig werken")["rows"]
    assert [str(r["course_id"]) for r in rows] == [str(together.id), str(scattered.id)]


def test_when_no_course_has_every_word_those_with_most_of_them_are_found(empty):
    """``lassen tig onderwaterwerk``: no course has all three, so rather than nothing the
    courses with some of them, those with more first, under the same filters; the answer says
    not every word was found. Words that all stand in one course still must all match."""
    h = empty
    text = "Praktijkgerichte opleiding met examen."
    tig = _course(h, "Lassen TIG voor beginners", description=text, level="mbo-2")
    mig = _course(h, "Lassen MIG/MAG", description=text, level="mbo-3")
    other = _course(h, "Heftruck basis", description=text, level="mbo-3")
    for course in (tig, mig, other):
        h.put(course)
    strict = h.search(q="lassen tig")
    assert (strict["ids"], strict["all_words"]) == ([str(tig.id)], True)
    relaxed = h.search(q="lassen tig onderwaterwerk")
    assert relaxed["all_words"] is False and set(relaxed["ids"]) == {str(tig.id), str(mig.id)}
    if h.name != "opensearch-emulated":         # (no relevance on the emulator)
        assert relaxed["ids"] == [str(tig.id), str(mig.id)]      # two of the words before one
    assert h.search(q="lassen tig onderwaterwerk", level=["mbo-3"])["ids"] == [str(mig.id)]
    nothing = h.search(q="onderwaterwerk zeepkistenbouw")
    assert (nothing["total"], nothing["all_words"]) == (0, False)


def test_a_search_with_some_of_the_words_sorted_by_price_or_date_keeps_more_words_first(empty):
    """Relaxed (no course has every word), a search sorted by price or start date still shows
    the courses with more of the words first, and the order asked within them: the cheapest
    course with one of three words is not what was asked for."""
    h = empty

    def costing(title, price, days):
        course = _course(h, title, description="Praktijkgerichte opleiding met examen.")
        offerings = [o.model_copy(update={"price_eur": Decimal(price), "start_date": h.today + timedelta(days=days),
                                          "end_date": h.today + timedelta(days=days + 1), "status": "open"})
                     for o in course.offerings[:1]]
        return course.model_copy(update={"offerings": offerings})

    tig = costing("Lassen TIG voor beginners", 900, 90)
    mig = costing("Lassen MIG/MAG", 300, 20)
    electrode = costing("Lassen met beklede elektrode", 500, 10)
    for course in (tig, mig, electrode):
        h.put(course)
    by_price = h.search(q="lassen tig onderwaterwerk", sort="price")
    assert by_price["all_words"] is False
    assert by_price["ids"] == [str(tig.id), str(mig.id), str(electrode.id)]
    by_date = h.search(q="lassen tig onderwaterwerk", sort="start_date")
    assert by_date["ids"] == [str(tig.id), str(electrode.id), str(mig.id)]
    # every word found: the order asked alone
    assert h.search(q="lassen", sort="price")["ids"] == [str(mig.id), str(electrode.id), str(tig.id)]


def test_a_compound_ending_in_a_word_for_course_finds_its_subject(empty):
    """``excelcursus``, ``taalcursus``: the course is about excel, about taal (a title need not
    say cursus); a word for course alone (``opleiding``) stays as it is."""
    h = empty
    excel = _course(h, "Excel basis", description="Formules en grafieken.")
    taal = _course(h, "Nederlands als tweede taal", description="Spreken en schrijven op B1.")
    h.put(excel), h.put(taal)
    assert h.search(q="excelcursus")["ids"] == [str(excel.id)]
    assert h.search(q="taalcursus")["ids"] == [str(taal.id)]
    assert h.search(q="bijscholing")["total"] == 0          # (not "bij": a stop word)


def test_matching_answers_among_the_given_courses_alone(loaded):
    """A saved search's alert: of the courses given, the ones the search finds, as it finds them
    (every word; the filters on one offering); a course not given is never among them."""
    h = loaded
    params = {"level": ["mbo-2"], "mode": ["online"]}
    every = expected(h, **params)
    assert len(every) > 2
    given = sorted(every)[: len(every) // 2] + [cid for cid in h.courses if cid not in every][:5]
    req = SearchRequest.model_validate(params)
    with h.tx() as tx:
        hits = pipeline.matching(h.backend, tx, req, given, h.today)
        none = pipeline.matching(h.backend, tx, req, [cid for cid in h.courses if cid not in every][:5], h.today)
    assert {hit["course_id"] for hit in hits} == set(sorted(every)[: len(every) // 2])
    assert none == [] and all(hit["title"] and hit["provider"]["name"] for hit in hits)
    # words: every word must match among them (no relaxing to any of the words)
    title = h.courses[given[0]].title
    with h.tx() as tx:
        assert pipeline.matching(h.backend, tx, SearchRequest(q=f"{title} zzqxv"), given, h.today) == []
