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
from services.contracts.search import SearchRequest
from services.chassis.settings import config_of
from services.search import pipeline
from services.search.backends import make_backend
from services.search.documents import build_document
from services.search.service import MIGRATIONS, Settings
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

    def __init__(self, name: str, backend, conn: psycopg.Connection, config: dict):
        self.name, self.backend, self.conn = name, backend, conn
        self.config = config    # the search service settings the backend was made from
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
                (rows, total, facets), plan = pipeline.match(self.backend, tx, req,
                                                             pipeline.plan_query(self.backend, tx, req.q),
                                                             self.today, pipeline.point_of(req))
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


def backend_config(name: str, database_url: str, request=None, **settings) -> dict:
    """The search settings of a service on backend ``name`` (its defaults but for ``settings``)."""
    values = {"amqp_uri": "amqp://unused/", "database_url": database_url, **settings}
    if name == "opensearch":
        values.update(search_backend="opensearch", opensearch_url=REAL_OPENSEARCH,
                      opensearch_index=f"t{uuid.uuid4().hex[:10]}", opensearch_analysis="dutch")
    elif name == "opensearch-emulated":
        values.update(search_backend="opensearch", opensearch_url=request.getfixturevalue("osmem").url,
                      opensearch_index=f"t{uuid.uuid4().hex[:10]}", opensearch_analysis="standard")
    return config_of(Settings, **values)


@contextlib.contextmanager
def harness(name: str, postgres, request) -> Harness:
    db = f"t{uuid.uuid4().hex[:10]}_search"
    url = postgres.create(db)
    backend = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn, ("chassis", CHASSIS_MIGRATIONS), ("search", MIGRATIONS))
            config = backend_config(name, url, request)
            backend = make_backend(config)
            backend.start()
            yield Harness(name, backend, conn, config)
    finally:
        if backend is not None and name != "postgres":
            drop_index(backend.client, backend.alias)
            backend.stop()
        postgres.drop(db)


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, postgres):
    """The relevance catalogue (1,240 courses) in one backend, shared by a module's tests."""
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
