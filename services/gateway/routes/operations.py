"""Routes for operators and client authors: health and the API documents."""
from __future__ import annotations

from eventlet.greenpool import GreenPool

from services.contracts import asyncapi
from services.gateway import openapi
from services.gateway.http import json_response, route

BACKENDS = ("catalogue", "search", "intake", "notify", "analytics")


class OperationsRoutes:
    @route("GET", "/health")
    def health(self, request):
        def check(service):
            try:
                self.call(service, "health", timeout=3)
                return service, "ok"
            except Exception as exc:  # a broken or absent service is what /health reports
                return service, f"unavailable: {getattr(exc, 'detail', exc)}"

        services = dict(GreenPool(len(BACKENDS)).imap(check, BACKENDS))
        healthy = all(state == "ok" for state in services.values())
        return json_response({"status": "ok" if healthy else "unavailable", "services": services},
                             200 if healthy else 503)

    @route("GET", "/openapi.json")
    def openapi_document(self, request):
        return json_response(openapi.document())

    @route("GET", "/asyncapi.json")
    def asyncapi_document(self, request):
        return json_response(asyncapi.document())
