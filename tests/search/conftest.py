"""The search backends as the search service drives them, each on a real store: ``postgres`` on
a throw-away database, ``opensearch`` on osmem-server (an OpenSearch-API emulator, started and
stopped here by its PID) and, when OPENSEARCH_URL is set, on a real OpenSearch."""
from __future__ import annotations

import contextlib
import os
import uuid
from datetime import date

import psycopg
import pytest

from services.chassis.migrations import CHASSIS_MIGRATIONS, migrate
from services.contracts.rpc import SearchRequest
from services.search.backend import PostgresBackend, plan_query, search_words
from services.search.documents import build_document
from services.search.service import MIGRATIONS, _point
from services.search.store import SearchStore
from tests.search import corpus

REAL_OPENSEARCH = os.environ.get("OPENSEARCH_URL")
BACKENDS = ["postgres", "opensearch-emulated"] + (["opensearch"] if REAL_OPENSEARCH else [])


def drop_index(client, alias: str) -> None:
    """Remove every index of ``alias`` (what a test's backend made)."""
    from opensearchpy.exceptions import NotFoundError

    try:
        client.indices.delete(index=f"{alias}-v*")
    except NotFoundError:
        pass


@pytest.fixture(scope="session")
def osmem():
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        yield server
    finally:
        server.close()


class Harness:
    """Puts documents and searches exactly as the search service does, on one backend."""

    def __init__(self, name: str, backend, conn: psycopg.Connection):
        self.name, self.backend, self.conn = name, backend, conn
        self.today = date.today()

    @contextlib.contextmanager
    def tx(self):
        with self.conn.transaction():   # as services.chassis.postgres.Transactions does
            store = SearchStore(self.conn)
            yield store
            store.before_commit()

    def put(self, course, published: bool = True) -> bool:
        with self.tx() as tx:
            return self.backend.put(tx, build_document(course, published))

    def search(self, **params) -> dict:
        """One page when ``page`` is given, else every page (up to 100 hits each)."""
        pages = [params["page"]] if "page" in params else range(1, 100)
        result = {"rows": [], "total": 0, "facets": {}}
        for page in pages:
            req = SearchRequest.model_validate({"page_size": 100, **params, "page": page})
            with self.tx() as tx:
                (rows, total, facets), plan = search_words(self.backend, tx, req, plan_query(self.backend, tx, req.q),
                                                           self.today, _point(req))
            result["all_words"] = None if plan is None else not plan.any_word
            result["rows"] += rows
            result["total"], result["facets"] = total, facets
            if len(rows) < req.page_size:
                break
        result["ids"] = [str(r["course_id"]) for r in result["rows"]]
        return result

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        with self.tx() as tx:
            return self.backend.suggest(tx, prefix, self.today, limit)


@contextlib.contextmanager
def harness(name: str, postgres, request) -> Harness:
    db = f"t{uuid.uuid4().hex[:10]}_search"
    url = postgres.create(db)
    backend = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn, ("chassis", CHASSIS_MIGRATIONS), ("search", MIGRATIONS))
            if name == "postgres":
                backend = PostgresBackend()
            else:
                from services.search.opensearch import OpenSearchBackend
                if name == "opensearch":
                    backend = OpenSearchBackend(REAL_OPENSEARCH, f"t{uuid.uuid4().hex[:10]}", "dutch")
                else:
                    server = request.getfixturevalue("osmem")
                    backend = OpenSearchBackend(server.url, f"t{uuid.uuid4().hex[:10]}", "standard")
            backend.start()
            yield Harness(name, backend, conn)
    finally:
        if backend is not None and name != "postgres":
            drop_index(backend.client, backend.alias)
            backend.stop()
        postgres.drop(db)


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, postgres):
    """The relevance catalogue (310 courses) in one backend, shared by a module's tests."""
    with harness(request.param, postgres, request) as h:
        h.courses = {str(c.id): c for c in corpus.courses(h.today)}
        for course in h.courses.values():
            h.put(course)
        yield h


@pytest.fixture(params=BACKENDS)
def empty(request, postgres):
    """An empty backend for one test (writes that would disturb the shared catalogue)."""
    with harness(request.param, postgres, request) as h:
        yield h
