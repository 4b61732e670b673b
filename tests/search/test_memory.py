"""The postgres backend's in-memory columns (services/search/backends/postgres/facet_columns.py) follow the read model
change by change: after many changes they answer exactly as columns read whole from the store."""
from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest

from services.search.backends import make_backend
from tests.search import corpus
from tests.search.conftest import backend_config, harness

QUERIES = [
    {}, {"q": "heftruck"}, {"level": ["mbo-2"], "mode": ["online"]}, {"province": ["Utrecht", "Limburg"]},
    {"max_price": 400, "sort": "price"}, {"near": "Utrecht", "radius_km": 40, "sort": "distance"},
    {"sector": ["zorg-welzijn"], "sort": "start_date"}, {"q": "veiligheid", "situation": "werkgever"},
    {"mode": ["klassikaal"], "province": ["Noord-Holland"], "level": ["mbo-3", "mbo-4"]},
]


@pytest.fixture
def followed(postgres, request):
    with harness("postgres", postgres, request) as h:
        h.backend.index.drop_dead_after = 20     # so the changes below also drop dead rows
        yield h


def answers(h) -> list:
    return [(r["ids"], r["total"], r["facets"], [x["distance_km"] for x in r["rows"]])
            for r in (h.search(**q) for q in QUERIES)]


def test_columns_followed_change_by_change_answer_as_columns_read_whole(followed):
    h, rng = followed, random.Random(7)
    courses = corpus.courses(h.today)
    for n, course in enumerate(courses):
        h.put(course)
        if n % 60 == 0:
            answers(h)                          # the columns follow the catalogue as it grows
    for round_ in range(6):                     # new versions: other offerings, titles, withdrawals
        for course in rng.sample(courses, 80):
            offerings = [o.model_copy(update={
                "price_eur": o.price_eur + rng.choice([-50, 0, 75]) if o.price_eur > 100 else o.price_eur,
                "start_date": o.start_date + timedelta(days=rng.randint(-3, 30)),
                "end_date": o.end_date + timedelta(days=40),
            }) for o in course.offerings[: rng.randint(1, len(course.offerings))]]
            changed = course.model_copy(update={"version": course.version + round_ + 1, "offerings": offerings,
                                                "title": course.title + rng.choice(["", " (nieuw)"])})
            h.put(changed, published=rng.random() > 0.1)
        followed_answers = answers(h)
    index = h.backend.index
    assert index.offerings.n < sum(len(c.offerings) for c in courses) * 2, "dead offering rows were dropped"
    fresh = make_backend(backend_config("postgres", "postgresql://unused/x"))
    h.backend = fresh
    assert answers(h) == followed_answers
    assert fresh.index.generation == index.generation


def test_a_store_that_was_lost_and_rebuilt_is_read_whole(followed):
    h = followed
    first, second = corpus.courses(h.today)[:2]
    h.put(first)
    assert h.search(q=first.title)["total"] >= 1
    with h.tx() as tx:                          # a new, empty store: its generation starts again
        tx.execute("TRUNCATE documents CASCADE")
        tx.execute("UPDATE read_model SET generation = 0, store = gen_random_uuid()")
    h.put(second)
    assert str(first.id) not in h.search()["ids"]
    assert h.search()["ids"] == [str(second.id)]


def shown(h, **params) -> list:
    return [(r["course_id"], r["title"], r["snippet"], r["offerings"]) for r in h.search(**params)["rows"]]


def test_text_matches_corrections_and_hits_are_kept_for_the_same_words_until_the_read_model_changes(followed):
    h = followed
    courses = corpus.courses(h.today)
    for course in courses:
        h.put(course)
    texts, hits_shown = h.backend.texts, h.backend.shown
    first = h.search(q="heftruck")
    assert first["total"] >= 3
    hits = texts.hits
    assert h.search(q="hoefsmit")["total"] == 0                # no word within one letter yet
    narrowed = h.search(q="heftruck", mode=["klassikaal"])     # the same words under a filter
    assert texts.hits == hits + 1, "the matches of the same words were kept"
    assert set(narrowed["ids"]) <= set(first["ids"])
    assert hits_shown.hits >= len(narrowed["ids"]), "the hits shown before were kept"

    # the matched words leave one course and come to a new one, another course is renamed:
    # not hidden behind kept matches or hits
    left = next(c for c in courses if str(c.id) == first["ids"][0])
    h.put(left.model_copy(update={"version": left.version + 1, "title": "Lassen volgens MIG",
                                  "description": "Lassen met beschermgas in de praktijk.", "keywords": ["lassen"]}))
    renamed = next(c for c in courses if str(c.id) == first["ids"][1])
    h.put(renamed.model_copy(update={"version": renamed.version + 1, "title": renamed.title + " (vernieuwd)",
                                     "offerings": renamed.offerings[:1]}))
    came = courses[-1].model_copy(update={"id": uuid.uuid4(), "external_id": "NIEUW-1",
                                          "title": "Heftruckchauffeur voor beginners"})
    h.put(came)
    after = h.search(q="heftruck")
    assert str(left.id) not in after["ids"] and str(came.id) in after["ids"]
    assert next(r["title"] for r in after["rows"] if r["course_id"] == str(renamed.id)).endswith("(vernieuwd)")
    smith = courses[-2].model_copy(update={"id": uuid.uuid4(), "external_id": "NIEUW-2", "title": "Hoefsmid"})
    h.put(smith)
    assert h.search(q="hoefsmit")["ids"] == [str(smith.id)], "the typo is corrected to the new word"
    kept = answers(h) + [h.search(q="heftruck", mode=["klassikaal"])["ids"], shown(h, q="heftruck"), shown(h)]
    h.backend = make_backend(backend_config("postgres", "postgresql://unused/x", search_text_cache_mb=0))
    assert answers(h) + [h.search(q="heftruck", mode=["klassikaal"])["ids"], shown(h, q="heftruck"), shown(h)] == kept
