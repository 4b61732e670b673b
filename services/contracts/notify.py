"""Request models of the notify service's RPCs (the public contract: /openapi.json)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.contracts.rpc import EmailAddress, SearchRequest, Strict


class NewWebhook(Strict):
    url: str = Field(max_length=2000, description="where lead.created webhooks are POSTed (https; http on loopback in development)")


class LeadEmail(Strict):
    email: EmailAddress | None = Field(description="a work address for 'new lead' mail; null stops it")


class SavedSearchQuery(SearchRequest):
    """The parameters of ``GET /api/v1/search`` a saved search repeats (paging and sorting are
    the alert's own)."""


class NewSubscription(Strict):
    email: EmailAddress
    query: SavedSearchQuery
    frequency: Literal["immediate", "daily", "weekly"] = "daily"
    language: Literal["nl", "en"] = "nl"
