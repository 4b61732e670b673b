"""How a query is read, the way people type it (issue "search the way people type"): colloquial
job words and abbreviations with their apostrophe and hyphen forms, words apart and compounds
together, word families, intent words that never exclude, and a course's sectors, level and
credential as words of its document. The expectations are written here by hand, not read from
the word lists: tests/search/test_people_typing.py shows the same on the backends."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.contracts.courses import Course
from services.search.analysis import (PEOPLE_WORDS_FILE, Synonyms, _entries, default_lexicon, default_synonyms,
                                      plan, tokens)
from services.search.documents import build_document


def matches(q: str) -> list[set[str]]:
    """Per group of the plan: every phrase that satisfies it (alternatives, and words apart)."""
    read = plan(q, default_synonyms(), default_lexicon())
    return [set(g.alternatives) | {f"apart:{a}" for a in g.apart} for g in read.groups]


# 1. colloquial job words and abbreviations: (typed, a phrase the query must also look for)
JOB_WORDS = [
    ("pm'er", "pedagogisch medewerker"), ("pm-er", "pedagogisch medewerker"), ("pmer", "pedagogisch medewerker"),
    ("PM'ers", "pedagogisch medewerker"), ("bbl", "beroepsbegeleidende leerweg"), ("vpk", "verpleegkundige"),
    ("ic-verpleegkundige", "intensive care verpleegkundige"), ("zzp", "zelfstandig ondernemer"),
    ("zzp'er", "zelfstandig ondernemer"), ("hbo-v", "hbo verpleegkunde"), ("mbo 4", "mbo niveau 4"),
    ("code 95", "vakbekwaamheid chauffeur"), ("rijbewijs c", "vrachtwagenrijbewijs"),
    ("bhv'er", "bedrijfshulpverlener"), ("ib'er", "intern begeleider"),
]


@pytest.mark.parametrize("typed, means", JOB_WORDS)
def test_a_job_word_as_people_type_it_finds_what_it_means(typed, means):
    assert any(means in group for group in matches(typed)), matches(typed)


def test_an_apostrophe_inside_a_word_joins_it_and_a_hyphen_splits_it():
    assert tokens("pm'er") == ["pmer"] and tokens("PM’ers") == ["pmers"] and tokens("auto's") == ["autos"]
    assert tokens("pm-er") == ["pm", "er"] and tokens("'heftruck'") == ["heftruck"]


@pytest.mark.parametrize("line", [ln for ln in PEOPLE_WORDS_FILE.read_text(encoding="utf-8").splitlines()
                                  if ln.strip() and not ln.startswith("#")])
def test_each_entry_of_the_people_words_is_read_as_written(line):
    """Every entry of people_words.txt: a query for its first form also looks for each other."""
    left, _, right = line.partition("=>")
    sources, targets = _entries(left), _entries(right or left)
    rules = Synonyms.load(PEOPLE_WORDS_FILE).rules
    for target in targets:
        if target != sources[0]:
            assert target in rules[sources[0]], (line, target)


# 2. words apart and compounds together: (typed, what a group must also take)
APART = [
    ("web developer", "webdeveloper"), ("vrachtwagen chauffeur", "apart:vrachtwagen chauffeur"),
    ("vrachtwagenchauffeur", "apart:vrachtwagen chauffeur"), ("data analist", "apart:data analist"),
    ("heftruck chauffeur", "heftruckchauffeur"), ("order picker", "orderpicker"), ("zorg medewerker", "zorgmedewerker"),
    ("taxi chauffeur", "taxichauffeur"), ("bus chauffeur", "buschauffeur"), ("software tester", "softwaretester"),
    ("reach truck", "reachtruck"), ("tegel zetter", "tegelzetter"),
]


@pytest.mark.parametrize("typed, also", APART)
def test_words_apart_also_find_them_together_and_back(typed, also):
    groups = matches(typed)
    assert all(also in group for group in groups), groups


# 3. word families: (typed, the family member it must also look for)
FAMILIES = [
    ("orderpicker", "orderpicken"), ("orderpicken", "orderpicker"), ("lasser", "lassen"), ("lassen", "lasser"),
    ("schilder", "schilderen"), ("kok", "koken"), ("metselaar", "metselen"), ("tegelzetter", "tegelzetten"),
    ("bakker", "bakken"), ("programmeur", "programmeren"), ("boekhouder", "boekhouden"), ("monteur", "monteren"),
]


@pytest.mark.parametrize("typed, family", FAMILIES)
def test_a_word_finds_its_family(typed, family):
    assert family in matches(typed)[0]


def test_unrelated_words_do_not_meet():
    assert "koken" not in matches("kokos")[0] and "lassen" not in matches("laser")[0]
    assert "schilderen" not in matches("schild")[0] and "bakken" not in matches("bak")[0]


# 4. intent words: what is left to search
INTENT = [
    ("heftruck leren", ["heftruck"]), ("lasser worden", ["lasser"]), ("omscholen naar verpleegkundige", ["verpleegkundige"]),
    ("cursus excel", ["excel"]), ("opleiding tot kok", ["kok"]), ("diploma halen zorg", ["zorg"]),
    ("bijscholen in logistiek", ["logistiek"]), ("training leidinggeven", ["leidinggeven"]),
    ("ik wil graag koken leren", ["koken"]), ("omscholing ict", ["ict"]), ("heftruckcertificaat halen", ["heftruckcertificaat"]),
    ("opleiding", ["opleiding"]), ("cursus", ["cursus"]),
]


@pytest.mark.parametrize("typed, about", INTENT)
def test_intent_words_never_make_a_course_drop_out(typed, about):
    assert [g.word for g in plan(typed, default_synonyms(), default_lexicon()).groups] == about


# 5. a course's sectors, level and credential are words of its document
def _course(**fields) -> Course:
    now = datetime.now(timezone.utc)
    return Course.model_validate({
        "id": str(uuid.uuid4()), "version": 1, "status": "published", "created_at": now, "updated_at": now,
        "provider": {"id": str(uuid.uuid4()), "name": "ROC"}, "external_id": "X", "title": "Gastheer",
        "level": "mbo-2", **fields})


@pytest.mark.parametrize("fields, words", [
    ({"sectors": ["horeca-toerisme"]}, "horeca en toerisme"), ({"sectors": ["horeca-toerisme"]}, "hospitality"),
    ({"sectors": ["zorg-welzijn"]}, "zorg en welzijn"), ({"sectors": ["ict"]}, "ICT"),
    ({"sectors": ["logistiek"]}, "logistics"), ({"sectors": ["bouw"]}, "construction"),
    ({"level": "mbo-4"}, "mbo niveau 4"), ({"level": "hbo-bachelor"}, "hbo-bachelor"),
    ({"level": "nt2"}, "Nederlands als tweede taal"), ({"credential": "diploma"}, "diploma"),
    ({"credential": "certificaat"}, "certificate"), ({"credential": "bewijs-van-deelname"}, "bewijs van deelname"),
])
def test_a_course_is_found_by_its_sector_level_and_credential_in_words(fields, words):
    assert words in build_document(_course(**fields), True)["compounds"]


def test_no_credential_and_no_level_add_no_words():
    document = build_document(_course(level="geen", credential="geen"), True)
    assert "geen" not in document["compounds"].split()


# 6. the nearest place: the offering a search sorted by distance shows is the nearest one
NEAREST = [   # (asked near, offerings' towns in order of start, the nearest)
    ("Zwolle", ["Maastricht", "Groningen"], "Groningen"), ("Venlo", ["Groningen", "Roermond"], "Roermond"),
    ("Utrecht", ["Leeuwarden", "Amersfoort", "Middelburg"], "Amersfoort"),
    ("Amsterdam", ["Enschede", "Haarlem"], "Haarlem"), ("Rotterdam", ["Assen", "Dordrecht", "Zwolle"], "Dordrecht"),
    ("Eindhoven", ["Den Haag", "Helmond"], "Helmond"), ("Groningen", ["Maastricht", "Assen"], "Assen"),
    ("Den Haag", ["Arnhem", "Leiden"], "Leiden"), ("Nijmegen", ["Middelburg", "Arnhem"], "Arnhem"),
    ("Middelburg", ["Groningen", "Vlissingen"], "Vlissingen"), ("Leeuwarden", ["Sneek", "Maastricht"], "Sneek"),
]


@pytest.mark.parametrize("near, towns, nearest", NEAREST)
def test_a_search_sorted_by_distance_shows_the_nearest_offering_not_the_first(near, towns, nearest):
    from datetime import date, timedelta

    from services import places
    from services.search.rules import next_offering

    today = date.today()
    offerings = []
    for days, town in enumerate(towns, start=10):
        place = places.city(town)
        offerings.append({"start_date": str(today + timedelta(days=days)), "status": "open", "mode": "klassikaal",
                          "city": place.name, "lat": place.lat, "lon": place.lon, "price_eur": "100"})
    point = places.city(near)
    assert next_offering(offerings, today)["city"] == towns[0]         # unsorted: the first to start
    assert next_offering(offerings, today, nearest_to=(point.lat, point.lon))["city"] == nearest
