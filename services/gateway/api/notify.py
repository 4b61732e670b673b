"""Notify routes: a provider's webhook (its secret shown once), lead mail address and delivery
log with replay; saved searches (subscribe, confirm, one-click unsubscribe); and the admin's
delivery log. Answered by the notify service. The pages a saved search's mail links to are in
``web/saved_searches.py``."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.notify import LeadEmail, NewSubscription, NewWebhook
from services.gateway.http import json_response, paging, read_json, read_model
from services.gateway.problems import Problem
from services.gateway.routing import MAIL_TOKEN, PAGING, Routes, query
from services.gateway.schemas import OBJECT

STATUSES = ("created", "sending", "delivered", "temporary-failure", "permanent-failure", "technical-failure")
STATUS = query("status", {"enum": list(STATUSES)})

ROUTES = Routes()

# providers: webhook, lead mail, deliveries


@ROUTES("PUT", "/api/v1/providers/me/webhook", "Register (or, with the same URL, rotate the secret of) the provider's "
        "webhook; the whsec_ secret is shown once, the old one signs too for 24 hours", roles=("provider",),
        body=NewWebhook, answer=OBJECT)
def put_webhook(gw, request, me):
    return json_response(gw.notify.set_webhook(me.id, read_json(request)))


@ROUTES("DELETE", "/api/v1/providers/me/webhook", "Remove the webhook", roles=("provider",), status=204,
        errors=(404,), responses={"204": {"description": "removed"}})
def delete_webhook(gw, request, me):
    gw.notify.delete_webhook(me.id)
    return Response(status=204)


@ROUTES("PUT", "/api/v1/providers/me/lead-email", "A work address for 'new lead' mail (null stops it)",
        roles=("provider",), body=LeadEmail, answer=OBJECT, errors=(404,))
def put_lead_email(gw, request, me):
    return json_response(gw.notify.set_lead_email(me.id, read_json(request)))


@ROUTES("GET", "/api/v1/providers/me/webhook/deliveries",
        "The provider's webhook deliveries (newest first) with status and attempts", roles=("provider",),
        params=(*PAGING, STATUS), answer=OBJECT, errors=(422,))
def my_deliveries(gw, request, me):
    page_no, page_size = paging(request)
    return json_response(gw.notify.deliveries(me.id, _status(request), "lead.created", page_no, page_size))


@ROUTES("POST", "/api/v1/providers/me/webhook/deliveries/<message_id>/replay",
        "Send a finished delivery again (the same webhook-id)", roles=("provider",), answer=OBJECT, status=202,
        errors=(404, 422))
def replay_my_delivery(gw, request, message_id, me):
    return json_response(gw.notify.replay_delivery(me.id, message_id), 202)


# the admin's delivery log

@ROUTES("GET", "/api/v1/notifications", "The delivery log of every message (no addresses)", roles=("admin",),
        params=(*PAGING, STATUS, query("template", {"type": "string"})), answer=OBJECT, errors=(422,))
def notifications(gw, request, me):
    page_no, page_size = paging(request)
    return json_response(gw.notify.deliveries(None, _status(request), request.args.get("template"),
                                 page_no, page_size))


# saved searches

@ROUTES("POST", "/api/v1/saved-searches", "Subscribe to a search (anyone); a confirmation mail follows, nothing is "
        "sent before it is confirmed", body=NewSubscription, answer=OBJECT, status=202)
def subscribe(gw, request):
    return json_response(gw.notify.subscribe(read_model(request, NewSubscription), request.remote_addr), 202)


@ROUTES("POST", "/api/v1/saved-searches/confirm", "Confirm a saved search with the token of its mail",
        body={"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}, answer=OBJECT,
        errors=(404,))
def confirm_saved_search(gw, request):
    body = read_json(request)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise Problem(422, "Validation failed", "the body needs the token of the mail",
                      [{"field": "token", "message": "required"}])
    return json_response(gw.notify.confirm_subscription(token))


@ROUTES("POST", "/api/v1/saved-searches/unsubscribe",
        "End a saved search (RFC 8058 one-click: the URL of the List-Unsubscribe header)", params=MAIL_TOKEN,
        answer=OBJECT, errors=(404,))
def unsubscribe(gw, request):
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the URL in the header
    gw.notify.unsubscribe(request.args.get("token") or "")
    return json_response({"status": "ended"})


def _status(request) -> str | None:
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise Problem(422, "Validation failed", f"status is one of {', '.join(STATUSES)}",
                      [{"field": "status", "message": f"not one of {', '.join(STATUSES)}"}])
    return status
