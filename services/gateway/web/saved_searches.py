"""The two pages a saved search's mail links to: each is one button that POSTs, so a mail
scanner's GET changes nothing. Answered by the notify service."""
from __future__ import annotations

from services.chassis.errors import NotFound
from services.gateway.routing import MAIL_TOKEN, Routes
from services.gateway.web.render import check_csrf, page

TEMPLATE = "saved_searches/saved_search_action.html"

ROUTES = Routes()


@ROUTES("GET", "/zoekopdrachten/bevestigen", "one button that confirms the saved search (a GET alone changes "
        "nothing)", kind="page", params=MAIL_TOKEN)
def confirm_page(gw, request):
    return page(TEMPLATE, request, action="confirm", token=request.args.get("token", ""))


@ROUTES("POST", "/zoekopdrachten/bevestigen", "confirms (form field token)", kind="form")
def confirm_page_post(gw, request):
    return _act(gw, request, "confirm", gw.notify.confirm_subscription)


@ROUTES("GET", "/zoekopdrachten/afmelden", "one button that ends the saved search", kind="page", params=MAIL_TOKEN)
def unsubscribe_page(gw, request):
    return page(TEMPLATE, request, action="unsubscribe", token=request.args.get("token", ""))


@ROUTES("POST", "/zoekopdrachten/afmelden", "ends it (form field token)", kind="form")
def unsubscribe_page_post(gw, request):
    return _act(gw, request, "unsubscribe", gw.notify.unsubscribe)


def _act(gw, request, action: str, with_token):
    check_csrf(request)
    try:
        with_token(request.form.get("token", ""))
    except NotFound:
        return page(TEMPLATE, request, action=action, token="", failed=True, status=404)
    return page(TEMPLATE, request, action=action, token="", done=True)
