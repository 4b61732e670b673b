"""Every write of the search read model goes through ``SearchStore.mark_changed``: at commit the
read model's generation rises and the changed courses are stamped with it, so the answer caches
and the in-memory columns (which go by that generation) follow. A write path that skipped it
would serve stale answers and nothing else would notice; each write path is exercised here, and
a new store method fails the first test until it is classified."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.search.documents import build_document
from services.search.store import SearchStore
from tests.search import corpus
from tests.search.conftest import harness

# the store's own methods that only read (a search, the caches, a rebuild's checks)
READS = {"read_model", "changed_courses", "text_matches", "hits", "count_documents", "outdated_documents",
         "corrections", "suggest", "schemes_valid_on", "schemes_for", "document_versions"}
# those that write the read model: each is checked below
WRITES = {"upsert_many", "refresh_started", "unpublish_missing", "put_funding_scheme"}


def test_every_store_method_is_a_known_read_or_a_checked_write():
    own = {name for name, value in vars(SearchStore).items() if callable(value) and not name.startswith("_")}
    assert own - {"mark_changed", "before_commit"} == READS | WRITES, \
        "a new SearchStore method: add it to READS, or to WRITES with a case below"


@pytest.fixture
def h(postgres, request):
    with harness("postgres", postgres, request) as running:
        yield running


def generation(h) -> int:
    return h.conn.execute("SELECT generation FROM read_model WHERE slot = 0").fetchone()[0]


def stamped(h, course_id) -> int:
    return h.conn.execute("SELECT changed FROM facts WHERE course_id = %s", (course_id,)).fetchone()[0]


def written(h, write) -> int:
    """Run ``write(tx)`` in one transaction as the service does; the generation it left."""
    before = generation(h)
    with h.tx() as tx:
        assert write(tx), "the write changed something"
    after = generation(h)
    assert after == before + 1, "the write marked what it changed: the generation rose once"
    return after


def test_each_write_path_raises_the_generation_and_stamps_its_courses(h):
    courses = corpus.courses(h.today)[:3]
    doc = build_document(courses[0], published=True)

    now = written(h, lambda tx: tx.upsert_many([doc]))
    assert stamped(h, str(courses[0].id)) == now

    newer = build_document(courses[0].model_copy(update={"version": 2, "title": "Anders"}), published=True)
    now = written(h, lambda tx: tx.upsert_many([newer]))
    assert stamped(h, str(courses[0].id)) == now

    # an offering that has started: as if the day passed since its figures were computed
    h.conn.execute("UPDATE facts SET next_start = current_date - 1 WHERE course_id = %s", (str(courses[0].id),))
    now = written(h, lambda tx: tx.refresh_started())
    assert stamped(h, str(courses[0].id)) == now

    later = datetime.now(timezone.utc) + timedelta(days=1)
    now = written(h, lambda tx: tx.unpublish_missing([], later))
    assert stamped(h, str(courses[0].id)) == now

    scheme = {"name": "SLIM", "funder": "SZW", "valid_from": h.today, "valid_until": None,
              "eligible_situations": [], "eligible_sectors": [], "eligible_levels": []}
    written(h, lambda tx: tx.put_funding_scheme("slim-test", scheme, 1) or True)


def test_a_write_that_changes_nothing_leaves_the_generation(h):
    doc = build_document(corpus.courses(h.today)[0], published=True)
    with h.tx() as tx:
        tx.upsert_many([doc])
    before = generation(h)
    with h.tx() as tx:
        assert tx.upsert_many([doc]) == 0      # the same version again: nothing stored
        assert tx.refresh_started() == 0
    assert generation(h) == before, "answers kept at this generation are still true"
