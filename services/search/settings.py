"""The search service's settings (every default stated once, here)."""
from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from services.chassis.settings import DatabaseServiceSettings


class Settings(DatabaseServiceSettings):
    search_backend: str = Field(default="postgres", pattern="^(postgres|opensearch)$",
                                description="where the read model lives: postgres or opensearch")
    opensearch_url: str | None = Field(default=None, validate_default=True,
                                       description="OpenSearch, e.g. http://127.0.0.1:9200; a cluster's nodes separated by commas")
    opensearch_user: str | None = Field(default=None, description="OpenSearch user (its security plugin on)")
    opensearch_password: str | None = Field(default=None, description="that user's password")
    opensearch_verify_certs: bool = Field(default=True, description=(
        "check OpenSearch's TLS certificate (false only for a test cluster's demo certificate)"))
    opensearch_ca_certs: str | None = Field(default=None, description="a CA bundle for OpenSearch's certificate")
    opensearch_index: str = Field(default="courses", pattern="^[a-z0-9_-]+$",
                                  description="the alias searched; indexes are named <alias>-v<n>")
    opensearch_shards: int = Field(default=1, ge=1, le=64, description=(
        "primary shards of a new index (a reindex makes one: the alias moves to it)"))
    opensearch_replicas: int = Field(default=0, ge=0, le=10, description=(
        "copies of each shard on other nodes: 0 for one node, 1 or more on a cluster"))
    opensearch_analysis: str = Field(default="dutch", pattern="^(dutch|standard)$",
                                     description="text analysis of new indexes: dutch, or standard for emulators")
    # ~25 KB per answer (20 hits): ~12 MB
    search_cache_entries: int = Field(default=500, ge=0,
                                      description="search answers kept in memory (postgres backend; 0: none)")
    # ~30 KB per word matching 1,300 courses; 480 KB for one matching 20,000
    search_text_cache_mb: float = Field(
        default=32, ge=0,
        description="megabytes of text matches kept in memory (postgres backend; 0: no matches, corrections or hits)")

    @field_validator("opensearch_url")
    @classmethod
    def _url_for_opensearch(cls, url: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("search_backend") == "opensearch" and not url:
            raise ValueError("SEARCH_BACKEND=opensearch needs OPENSEARCH_URL")
        return url

    @model_validator(mode="after")
    def _certificates_checked_in_production(self):
        if self.app_env == "production" and not self.opensearch_verify_certs:
            raise ValueError("OPENSEARCH_VERIFY_CERTS must stay true when APP_ENV=production (set OPENSEARCH_CA_CERTS)")
        return self

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), "SEARCH_BACKEND": self.search_backend,
                "OPENSEARCH_URL": self.opensearch_url, "OPENSEARCH_INDEX": self.opensearch_index,
                "OPENSEARCH_ANALYSIS": self.opensearch_analysis,
                "OPENSEARCH_SHARDS": self.opensearch_shards, "OPENSEARCH_REPLICAS": self.opensearch_replicas,
                "OPENSEARCH_AUTH": (self.opensearch_user, self.opensearch_password) if self.opensearch_user else None,
                "OPENSEARCH_VERIFY_CERTS": self.opensearch_verify_certs, "OPENSEARCH_CA_CERTS": self.opensearch_ca_certs,
                "SEARCH_CACHE_ENTRIES": self.search_cache_entries,
                "SEARCH_TEXT_CACHE_MB": self.search_text_cache_mb}


