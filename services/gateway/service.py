"""The gateway: the public HTTP API. Its routes live by area in ``routes/``; each parses the
request, checks who is calling, makes its RPC calls and renders JSON, and every error becomes
problem+json in one place (``http.route``). This module composes the areas with the RPC proxies,
the settings and the rate limits."""
from __future__ import annotations

from nameko.constants import NON_PERSISTENT
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.gateway.http import Calls
from services.gateway.import_upload import UploadSlots
from services.gateway.limits import RateLimits
from services.gateway.routes.analytics import AnalyticsRoutes, DashboardPages
from services.gateway.routes.catalogue import CatalogueRoutes
from services.gateway.routes.intake import IntakeRoutes
from services.gateway.routes.notify import NotifyRoutes
from services.gateway.routes.operations import OperationsRoutes
from services.gateway.routes.pages import PublicPages
from services.gateway.routes.pages_work import WorkPages
from services.gateway.routes.search import SearchRoutes
from services.gateway.settings import Settings  # noqa: F401 (read by services.run)


class GatewayService(OperationsRoutes, CatalogueRoutes, SearchRoutes, IntakeRoutes, NotifyRoutes, AnalyticsRoutes,
                     PublicPages, WorkPages, DashboardPages, Calls):
    name = "gateway"

    config = Config()
    rate_limit = RateLimits()
    upload_slot = UploadSlots()
    catalogue = RpcProxy("catalogue")
    # Searches are reads: a request kept on disk would be answered to nobody after a broker
    # restart, so they are sent transient (a persistent one was confirmed only once acknowledged,
    # after the answer: ~1.3 ms more per search). And without a confirm, on a channel kept open
    # (services/chassis/replies.py): a confirm only tells that some queue took the request, and
    # search's durable queue takes it whether search runs or not; waiting for it cost the gateway
    # and RabbitMQ ~0.3 ms of CPU each per search.
    search = RpcProxy("search", delivery_mode=NON_PERSISTENT, use_confirms=False)
    intake = RpcProxy("intake")
    notify = RpcProxy("notify")
    analytics = RpcProxy("analytics")


SERVICE = GatewayService
