"""The notify service's contract: its RPC methods (``NotifyClient``) and their request models
(the public contract: /openapi.json). Notify publishes no events of its own."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from services.chassis.clients import ServiceClient, remote
from services.contracts.common import EmailAddress
from services.contracts.courses import Strict
from services.contracts.search import SearchRequest


class NewWebhook(Strict):
    url: str = Field(max_length=2000, description="where lead.created webhooks are POSTed (https; http on loopback in development)")
    format: Literal["standard-webhooks", "cloudevents"] = Field(default="standard-webhooks", description=(
        "standard-webhooks: a thin JSON body; cloudevents: the same as a CloudEvent (NL GOV profile, "
        "application/cloudevents+json), after the receiver allowed it in the OPTIONS handshake "
        "(WebHook-Request-Origin / WebHook-Allowed-Origin). Both are signed by the Standard Webhooks scheme"))


class LeadEmail(Strict):
    email: EmailAddress | None = Field(description="a work address for 'new lead' mail; null stops it")


class SavedSearchQuery(SearchRequest):
    """The parameters of ``GET /api/v1/search`` a saved search repeats (paging and sorting are
    the alert's own)."""


class NewSubscription(Strict):
    what: ClassVar[str] = "saved search"

    email: EmailAddress
    query: SavedSearchQuery
    frequency: Literal["immediate", "daily", "weekly"] = "daily"
    language: Literal["nl", "en"] = "nl"


class NotifyClient(ServiceClient):
    """The notify service's RPC methods."""

    service = "notify"

    @remote
    def health(self) -> dict:
        """The service and its database answer."""

    @remote
    def set_webhook(self, provider_id: str, body: dict) -> dict:
        """Register the provider's webhook (a NewWebhook, checked there); its secret shown once."""

    @remote
    def delete_webhook(self, provider_id: str) -> None:
        """Remove the provider's webhook."""

    @remote
    def set_lead_email(self, provider_id: str, body: dict) -> dict:
        """The provider's address for 'new lead' mail (a LeadEmail, checked there)."""

    @remote
    def sent_to_person(self, intake_id: str) -> list[dict]:
        """What the person of a request was sent: template, channel, status, at (no address)."""

    @remote
    def deliveries(self, provider_id: str | None, status: str | None, template: str | None, page: int,
                   page_size: int) -> dict:
        """A page of deliveries (a provider's webhooks, or with None every message)."""

    @remote
    def replay_delivery(self, provider_id: str | None, message_id: str) -> dict:
        """Send a finished delivery again."""

    @remote
    def subscribe(self, subscription: NewSubscription, client_address: str | None = None) -> dict:
        """A saved search, waiting for the confirmation its mail asks for."""

    @remote
    def confirm_subscription(self, token: str) -> dict:
        """A saved search confirmed with its mail's token."""

    @remote
    def unsubscribe(self, token: str) -> None:
        """A saved search ended with its mail's token."""

    @remote
    def known_provider(self, provider_id: str) -> dict | None:
        """What notify knows of a provider, or None."""
