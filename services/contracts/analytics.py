"""The analytics service's contract: its RPC methods (``AnalyticsClient``) and their request
models. Analytics publishes no events: it archives everyone's."""
from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from services.chassis.clients import SessionKeeper, remote
from services.contracts.common import EmailAddress
from services.contracts.courses import Strict


class NewAnalyst(Strict):
    what: ClassVar[str] = "analyst"

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: EmailAddress


class AnalyticsClient(SessionKeeper):
    """The analytics service's RPC methods."""

    service = "analytics"

    @remote
    def create_analyst(self, analyst: NewAnalyst) -> dict:
        """A new analyst with its token (shown once) and RabbitMQ user."""

    @remote
    def revoke_analyst(self, analyst_id: str) -> None:
        """The analyst's token stops working."""

    @remote
    def authenticate_analyst(self, token: str) -> dict:
        """The analyst whose token this is (id, name); Unauthorized if none."""

    @remote
    def report(self, name: str, params: dict) -> dict:
        """A report (demand, zero-results, funnel, supply-demand) for its query parameters."""

    @remote
    def events_after(self, seq: int, limit: int = 100) -> list[dict]:
        """The archived events after ``seq``, in the order they arrived."""

    @remote
    def events_about(self, key: str, value: str) -> list[dict]:
        """The archived events whose payload has ``key`` = ``value``."""

    @remote
    def event_counts(self) -> dict[str, int]:
        """How many events of each type are archived."""
