"""The public HTTP API (``/api/v1``, health and the documents), one module per area, each with its
``ROUTES``."""
from services.gateway.api import analytics, catalogue, intake, members, notify, operations, search

ROUTES = [*operations.ROUTES, *catalogue.ROUTES, *search.ROUTES, *intake.ROUTES, *notify.ROUTES, *analytics.ROUTES,
          *members.ROUTES]
