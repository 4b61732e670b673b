"""Notify routes: a provider's webhook (its secret shown once), lead mail address and delivery
log with replay; saved searches (subscribe, confirm, one-click unsubscribe) with the two pages
their mail links to, each one button that POSTs, so a mail scanner's GET changes nothing; and
the admin's delivery log. Answered by the notify service."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.chassis.errors import NotFound
from services.gateway.auth import require
from services.gateway.http import json_response, paging, read_json, route
from services.gateway.pages import check_csrf, page
from services.gateway.problems import Problem

STATUSES = ("created", "sending", "delivered", "temporary-failure", "permanent-failure", "technical-failure")


class NotifyRoutes:
    # providers: webhook, lead mail, deliveries

    @route("PUT", "/api/v1/providers/me/webhook")
    def put_webhook(self, request):
        me = require(self.principal(request), "provider")
        return json_response(self.call("notify", "set_webhook", me.id, read_json(request)))

    @route("DELETE", "/api/v1/providers/me/webhook")
    def delete_webhook(self, request):
        me = require(self.principal(request), "provider")
        self.call("notify", "delete_webhook", me.id)
        return Response(status=204)

    @route("PUT", "/api/v1/providers/me/lead-email")
    def put_lead_email(self, request):
        me = require(self.principal(request), "provider")
        return json_response(self.call("notify", "set_lead_email", me.id, read_json(request)))

    @route("GET", "/api/v1/providers/me/webhook/deliveries")
    def my_deliveries(self, request):
        me = require(self.principal(request), "provider")
        page_no, page_size = paging(request)
        return json_response(self.call("notify", "deliveries", me.id, _status(request), "lead.created",
                                       page_no, page_size))

    @route("POST", "/api/v1/providers/me/webhook/deliveries/<message_id>/replay")
    def replay_my_delivery(self, request, message_id):
        me = require(self.principal(request), "provider")
        return json_response(self.call("notify", "replay_delivery", me.id, message_id), 202)

    # the admin's delivery log

    @route("GET", "/api/v1/notifications")
    def notifications(self, request):
        require(self.principal(request), "admin")
        page_no, page_size = paging(request)
        return json_response(self.call("notify", "deliveries", None, _status(request), request.args.get("template"),
                                       page_no, page_size))

    # saved searches

    @route("POST", "/api/v1/saved-searches")
    def subscribe(self, request):
        return json_response(self.call("notify", "subscribe", read_json(request), request.remote_addr), 202)

    @route("POST", "/api/v1/saved-searches/confirm")
    def confirm_saved_search(self, request):
        body = read_json(request)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Problem(422, "Validation failed", "the body needs the token of the mail",
                          [{"field": "token", "message": "required"}])
        return json_response(self.call("notify", "confirm_subscription", token))

    @route("POST", "/api/v1/saved-searches/unsubscribe")
    def unsubscribe(self, request):
        # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the URL in the header
        self.call("notify", "unsubscribe", request.args.get("token") or "")
        return json_response({"status": "ended"})

    @route("GET", "/zoekopdrachten/bevestigen")
    def confirm_page(self, request):
        return page("saved_search_action.html", request, action="confirm", token=request.args.get("token", ""))

    @route("POST", "/zoekopdrachten/bevestigen")
    def confirm_page_post(self, request):
        return self._saved_search_action(request, "confirm", "confirm_subscription")

    @route("GET", "/zoekopdrachten/afmelden")
    def unsubscribe_page(self, request):
        return page("saved_search_action.html", request, action="unsubscribe", token=request.args.get("token", ""))

    @route("POST", "/zoekopdrachten/afmelden")
    def unsubscribe_page_post(self, request):
        return self._saved_search_action(request, "unsubscribe", "unsubscribe")

    def _saved_search_action(self, request, action: str, method: str):
        check_csrf(request)
        try:
            self.call("notify", method, request.form.get("token", ""))
        except NotFound:
            return page("saved_search_action.html", request, action=action, token="", failed=True, status=404)
        return page("saved_search_action.html", request, action=action, token="", done=True)


def _status(request) -> str | None:
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise Problem(422, "Validation failed", f"status is one of {', '.join(STATUSES)}",
                      [{"field": "status", "message": f"not one of {', '.join(STATUSES)}"}])
    return status
