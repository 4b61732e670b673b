"""Routes for operators and client authors: health and the API documents."""
from __future__ import annotations

from eventlet.greenpool import GreenPool

from services.contracts import asyncapi
from services.gateway import openapi
from services.gateway.http import json_response
from services.gateway.routing import Routes

BACKENDS = ("catalogue", "search", "intake", "notify", "analytics")
# the contract's documents: public, read by any site's tools (API-51), and cacheable for a while
DOCUMENT_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}

ROUTES = Routes()


@ROUTES("GET", "/health", "Health of every service", kind="document",
        responses={"200": {"description": "all services answer"}, "503": {"description": "a service is unavailable"}})
def health(gw, request):
    def check(service):
        try:
            gw.client(service).health(timeout=3)
            return service, "ok"
        except Exception as exc:  # a broken or absent service is what /health reports
            return service, f"unavailable: {getattr(exc, 'detail', exc)}"

    services = dict(GreenPool(len(BACKENDS)).imap(check, BACKENDS))
    healthy = all(state == "ok" for state in services.values())
    return json_response({"status": "ok" if healthy else "unavailable", "services": services}, 200 if healthy else 503)


@ROUTES("GET", "/openapi.json", "This document", kind="document", documented=False)
def openapi_document(gw, request):
    return json_response(openapi.document(gw.config), headers=DOCUMENT_HEADERS)


@ROUTES("GET", "/asyncapi.json", "The AsyncAPI 3.0 document of the events (RabbitMQ exchanges `<source>.events`) a "
        "subscriber can bind to", kind="document",
        responses={"200": {"description": "AsyncAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}})
def asyncapi_document(gw, request):
    return json_response(asyncapi.document(), headers=DOCUMENT_HEADERS)
