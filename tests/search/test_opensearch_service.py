"""The search service itself on the ``opensearch`` backend (osmem-server), fed by a real
catalogue over RabbitMQ: courses published in the catalogue are indexed through events, found,
withdrawn, and a reindex swaps the alias to a new index (shards and replicas from the settings)."""
from __future__ import annotations

import time
import uuid

import eventlet

from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook

from services.catalogue.service import CatalogueService, Settings as CatalogueSettings
from services.chassis.settings import config_of
from services.search.backends import Backend
from services.search.service import SearchService, Settings as SearchSettings
from tests.e2e.test_journey import a_course
from tests.search.conftest import drop_index
from tests.infra import eventually


FILLING = 300


def test_search_service_on_opensearch_follows_the_catalogue(rabbit_config, postgres, osmem, service_container):
    tag = uuid.uuid4().hex[:8]
    names = [f"t{uuid.uuid4().hex[:10]}_{s}" for s in ("catalogue", "search")]
    catalogue_db, search_db = (postgres.create(name) for name in names)
    alias = f"t{tag}"
    base = {"amqp_uri": rabbit_config["AMQP_URI"], "event_retry_delays": [0.2, 0.5], "outbox_poll_seconds": 0.2}
    containers = []
    try:
        catalogue = service_container(CatalogueService, config_of(CatalogueSettings, **base, database_url=catalogue_db))
        containers.append(catalogue)
        catalogue.start()
        search = service_container(SearchService, config_of(
            SearchSettings, **base, database_url=search_db, search_backend="opensearch", opensearch_url=osmem.url,
            opensearch_index=alias, opensearch_analysis="standard", opensearch_shards=3, opensearch_replicas=1))
        containers.append(search)
        search.start()

        def rpc(container, method, *args):
            with entrypoint_hook(container, method) as call:
                return call(*args)

        provider = rpc(catalogue, "register_provider", {"name": f"Opleider {tag}", "kind": "opleider"})
        word = f"zeepkist{tag}"
        kept = rpc(catalogue, "create_course", provider["id"], a_course(f"{word} basis"), True)
        gone = rpc(catalogue, "create_course", provider["id"], a_course(f"{word} gevorderd"), True)

        def found(**params):
            return rpc(search, "search", {"q": word, **params})

        # and others, so that the reindex below takes long enough for many searches
        imported = rpc(catalogue, "start_import", provider["id"], "ndjson", "upsert")
        rpc(catalogue, "import_courses", provider["id"], imported,
            [{"line": n, "course": a_course(f"Vulling {n}", external_id=f"F-{n}")} for n in range(1, FILLING + 1)], 1)
        rpc(catalogue, "finish_import", provider["id"], imported, False)

        answer = eventually(lambda: (lambda a: a if a["total"] == 2 else None)(found()), timeout=30,
                            message="both courses indexed in OpenSearch")
        eventually(lambda: rpc(search, "search", {"q": "vulling"})["total"] == FILLING, timeout=60,
                   message="the other courses indexed")
        assert {h["course_id"] for h in answer["hits"]} == {kept["id"], gone["id"]}
        assert answer["facets"]["province"] == {"Limburg": 2}                     # Venlo
        assert found(province=["Friesland"])["total"] == 0
        assert rpc(search, "suggest", {"q": word[:6]})["suggestions"][0] == word

        rpc(catalogue, "withdraw_course", provider["id"], gone["id"])
        eventually(lambda: found()["total"] == 1, timeout=30, message="withdrawal applied")

        backend = next(e for e in search.extensions if isinstance(e, Backend)).backend
        before = backend.current_index()
        # searches all through the reindex, as a client sends them (over RabbitMQ: nameko's
        # entrypoint_hook cannot wait for two calls of one container at once): every one
        # answered, and with the one course
        failures, took, reindexing = [], [], [True]

        def searching():
            with ServiceRpcProxy("search", {"AMQP_URI": rabbit_config["AMQP_URI"]}, timeout=10) as client:
                while reindexing[0]:
                    started = time.monotonic()
                    try:
                        total = client.search({"q": word})["total"]
                        if total != 1:
                            failures.append(f"total {total}")
                    except Exception as exc:  # noqa: BLE001 - what a searcher would have seen
                        failures.append(repr(exc))
                    took.append(time.monotonic() - started)
                    eventlet.sleep(0.01)
        searcher = eventlet.spawn(searching)
        try:
            report = rpc(search, "reindex")
        finally:
            reindexing[0] = False
            searcher.wait()
        assert not failures and len(took) >= 10, (failures, len(took))
        print(f"searches during the reindex: {len(took)}, slowest {max(took) * 1000:.0f} ms")
        assert report["published"] >= 1 + FILLING
        assert backend.current_index() != before                     # a new index behind the alias
        assert [h["course_id"] for h in found()["hits"]] == [kept["id"]]
        settings = backend.client.indices.get_settings(index=backend.current_index())
        index = next(iter(settings.values()))["settings"]["index"]
        assert (index["number_of_shards"], index["number_of_replicas"]) == ("3", "1")     # from the settings
    finally:
        for container in reversed(containers):   # before their databases go; search first, as
            container.kill()                     # its start-up rebuild may be waiting on the catalogue
        for name in names:
            postgres.drop(name)
        try:
            from opensearchpy import OpenSearch

            drop_index(OpenSearch(hosts=[osmem.url]), alias)
        except Exception:  # noqa: BLE001 - the emulator may be gone already
            pass
