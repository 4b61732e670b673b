"""Hostile input against the readers and rules that take what outsiders send: no input makes them
raise anything but the platform's own validation errors (property tests with hypothesis). The
deadline function has its own property test (tests/intake/test_domain.py)."""
from __future__ import annotations

import io
import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import places
from services.catalogue import domain as catalogue
from services.chassis.errors import ValidationFailed
from services.gateway import import_formats
from services.intake import domain as intake
from services.search import analysis
from services.search.place_words import place_words

TODAY = date(2027, 1, 10)
# derandomize: the same examples on every run, so CI is not red by chance; raise max_examples to search wider
QUICK = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# JSON values of any shape, with the text people and machines send: accents, NULs, emoji
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
scalars = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                           max_leaves=20)
course_keys = st.sampled_from(["external_id", "title", "description", "keywords", "level", "sectors", "situations",
                               "credential", "languages", "study_load_hours", "url", "funding_schemes", "offerings"])
offering_keys = st.sampled_from(["external_id", "start_date", "end_date", "mode", "location", "price_eur",
                                 "seats_available", "status"])
offerings = st.lists(st.dictionaries(offering_keys, json_values | st.dictionaries(
    st.sampled_from(["city", "postcode", "lat"]), json_values, max_size=3), max_size=8), max_size=3)
courses = st.dictionaries(course_keys, json_values, max_size=13).flatmap(
    lambda c: offerings.map(lambda o: {**c, "offerings": o} if o else c))


@QUICK
@given(courses)
def test_a_course_is_valid_or_a_validation_error(body):
    try:
        catalogue.validate_course(body, TODAY)
    except ValidationFailed as exc:
        assert exc.errors and all(e["field"] for e in exc.errors)


@QUICK
@given(text)
def test_a_place_is_found_or_unknown(value):
    try:
        place = places.where(value)
    except places.UnknownPlace:
        return
    assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180


@QUICK
@given(st.text(max_size=120))
def test_the_search_words_are_read_whatever_they_are(q):
    said = place_words(q)
    assert said is None or said.place or said.province
    analysis.plan(q, analysis.default_synonyms(), analysis.default_lexicon(), {})


@QUICK
@given(st.one_of(st.none(), text), st.one_of(st.none(), text), st.one_of(st.none(), text),
       st.sampled_from(["email", "phone"]))
def test_contact_details_are_normalised_or_named(email, phone, postcode, preferred):
    out, errors = intake.contact_details(email, phone, postcode, preferred)
    assert set(out) == {"email", "phone", "postcode"}
    assert all(e["field"] in ("email", "phone", "postcode") and e["message"] for e in errors)


def _read(reader, body: bytes, **options) -> list:
    rows = list(reader(import_formats.readable(io.BytesIO(body)), **options))
    for line, item in rows:
        assert isinstance(line, int) and isinstance(item, (dict, import_formats.ParseError))
    return rows


@QUICK
@given(st.binary(max_size=600) | st.lists(json_values, max_size=5).map(
    lambda values: "\n".join(json.dumps(v) for v in values).encode()))
def test_an_ndjson_body_is_read_or_rejected_line_by_line(body):
    _read(import_formats.read_ndjson, body)


@QUICK
@given(st.binary(max_size=600) | st.lists(st.lists(text, min_size=1, max_size=6), max_size=5).map(
    lambda rows: "\n".join(";".join(row) for row in [["external_id", "title", "level", "start_date", "price_eur"]]
                           + rows).encode()))
def test_a_csv_body_is_read_or_rejected_row_by_row(body):
    _read(import_formats.read_csv, body)


@QUICK
@given(st.binary(max_size=400) | json_values.map(lambda v: json.dumps({"items": v if isinstance(v, list) else [v]}).encode())
       | st.lists(st.dictionaries(st.sampled_from(["courseId", "primaryCode", "name", "level", "studyLoad", "offerings",
                                                   "modeOfDelivery", "teachingLanguage", "programs", "addresses"]),
                                  json_values, max_size=6), max_size=3).map(lambda items: json.dumps({"items": items}).encode()))
def test_an_ooapi_document_is_read_or_rejected_item_by_item(body):
    _read(import_formats.read_ooapi, body)
