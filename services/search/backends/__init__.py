"""Where the search read model lives, chosen by SEARCH_BACKEND (``make_backend``), and the
dependency that gives a search service container its backend."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.search.backends.base import SearchBackend


def make_backend(config: dict) -> SearchBackend:
    """The backend the service's settings name (their defaults: search/service.py ``Settings``)."""
    if config["SEARCH_BACKEND"] == "opensearch":
        from services.search.backends.opensearch import OpenSearchBackend
        return OpenSearchBackend(config["OPENSEARCH_URL"], config["OPENSEARCH_INDEX"], config["OPENSEARCH_ANALYSIS"],
                                 shards=config.get("OPENSEARCH_SHARDS", 1), replicas=config.get("OPENSEARCH_REPLICAS", 0),
                                 connection={"http_auth": config.get("OPENSEARCH_AUTH"),
                                             "verify_certs": config.get("OPENSEARCH_VERIFY_CERTS", True),
                                             "ca_certs": config.get("OPENSEARCH_CA_CERTS")})
    from services.search.backends.postgres import PostgresBackend
    return PostgresBackend(float(config["SEARCH_TEXT_CACHE_MB"]))


class Backend(DependencyProvider):
    """Injects the configured ``SearchBackend`` (one per service container)."""

    def setup(self):
        # connected (and the index made) in setup: every extension's setup runs before any
        # start, so the start-up rebuild (an entrypoint) finds the backend ready
        self.backend = make_backend(self.container.config)
        self.backend.start()

    def stop(self):
        self.backend.stop()

    def get_dependency(self, worker_ctx):
        return self.backend
