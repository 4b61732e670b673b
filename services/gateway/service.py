"""The gateway: the public HTTP API and the pages. Each area declares its routes once, as data
(``api/<area>.py``, ``web/<area>.py``); this module mounts them on the nameko service with the
RPC proxies, the settings and the rate limits. Every error becomes problem+json (the API) or a
page in words (the pages) in one place (``http.route``)."""
from __future__ import annotations

from nameko.constants import NON_PERSISTENT
from nameko.dependency_providers import Config

from services.chassis.clients import Client
from services.contracts.analytics import AnalyticsClient
from services.contracts.catalogue import CatalogueClient
from services.contracts.intake import IntakeClient
from services.contracts.notify import NotifyClient
from services.contracts.search import SearchClient
from services.gateway import api, web
from services.gateway.http import Calls
from services.gateway.import_upload import UploadSlots
from services.gateway.limits import RateLimits
from services.gateway.routing import mount
from services.gateway.settings import Settings  # noqa: F401 (read by services.run)
from services.gateway.web.render import error_page

ROUTES = [*api.ROUTES, *web.ROUTES]
WAIT = "RPC_TIMEOUT_SECONDS"


class GatewayService(Calls):
    name = "gateway"

    config = Config()
    rate_limit = RateLimits()
    upload_slot = UploadSlots()
    # the services' typed clients (their contract modules); a call waits RPC_TIMEOUT_SECONDS at most
    catalogue = Client(CatalogueClient, WAIT)
    # Searches are reads: a request kept on disk would be answered to nobody after a broker
    # restart, so they are sent transient (a persistent one was confirmed only once acknowledged,
    # after the answer: ~1.3 ms more per search). And without a confirm, on a channel kept open
    # (services/chassis/replies.py): a confirm only tells that some queue took the request, and
    # search's durable queue takes it whether search runs or not; waiting for it cost the gateway
    # and RabbitMQ ~0.3 ms of CPU each per search.
    search = Client(SearchClient, WAIT, delivery_mode=NON_PERSISTENT, use_confirms=False)
    intake = Client(IntakeClient, WAIT)
    notify = Client(NotifyClient, WAIT)
    analytics = Client(AnalyticsClient, WAIT)


mount(GatewayService, ROUTES, error_page)

SERVICE = GatewayService
