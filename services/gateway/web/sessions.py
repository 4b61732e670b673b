"""Signing in on the work pages (providers, advisors, analysts): the credential is checked by the
service that issued it, which then keeps a session; the browser holds only the session's id, in an
HTTP-only, SameSite=Strict cookie (Secure over https). Signing out ends every session of the
browser where it is kept."""
from __future__ import annotations

import hmac

from werkzeug.wrappers import Response

from services.chassis.errors import Unauthorized
from services.gateway.auth import Principal, issuer, principal_for
from services.gateway.routing import Routes
from services.gateway.web.render import check_csrf, language, page, redirect, secure_cookies

SESSIONS = {"provider": "sa_provider", "advisor": "sa_advisor", "analyst": "sa_analyst"}
SESSION_HOURS = 8
# who keeps a session: the service that issued the credential (the admin's: the catalogue)
SESSION_KEEPERS = {"catalogue": "provider", "intake": "advisor", "analytics": "analyst"}


def admin_marker(admin_token: str) -> str:
    """What the catalogue keeps of an admin's session: a keyed hash of the admin token, so that
    a new ADMIN_TOKEN ends every admin session."""
    return hmac.new(admin_token.encode(), b"admin page session", "sha256").hexdigest()


def signed_in(request, role: str, admin_token: str, gw):
    """Who is signed in on the pages for ``role`` (their session cookie: ``<keeper>:<session id>``),
    or None. The keeper answers for the session: ended, expired or revoked is None."""
    keeper, _, session = request.cookies.get(SESSIONS[role], "").partition(":")
    if keeper not in SESSION_KEEPERS or not session:
        return None
    try:
        who = gw.client(keeper).session_principal(session)
    except Unauthorized:
        return None
    if "marker" in who:
        me = Principal(role="admin") if hmac.compare_digest(who["marker"], admin_marker(admin_token)) else None
    else:
        me = Principal(role=SESSION_KEEPERS[keeper], id=who["id"], name=who["name"], kind=who.get("kind"),
                       team=who.get("team"))
    return me if me is not None and me.role in (role, "admin") else None


def sign_in(request, role: str, home: str, admin_token: str, gw) -> Response:
    """The sign-in form of ``role`` sent: the key or token checked by the service that issued
    it, which then opens a session; its id goes into the cookie (never the credential) and on to
    ``home``; else the form again with the message beside it."""
    check_csrf(request)
    token = request.form.get("token", "").strip()
    try:
        me = principal_for(token, admin_token, gw) if token else None
    except Unauthorized:
        me = None
    if me is None or me.role not in (role, "admin") or (role == "provider" and me.role != "provider"):
        message = ("Deze sleutel is onbekend of ingetrokken" if language(request) == "nl"
                   else "This key is unknown or revoked")
        return page("inloggen.html", request, status=401, role=role,
                    errors=[{"field": "token", "label": "", "message": message}])
    if me.role == "admin":
        keeper = "catalogue"
        session = gw.client(keeper).open_marked_session(admin_marker(admin_token), SESSION_HOURS)
    else:
        keeper = issuer(token)[0]
        session = gw.client(keeper).open_session(token, SESSION_HOURS)
    # back to the page that asked for the sign-in (the link in a team's mail), if it is one of the role's
    wanted = request.form.get("next", "")
    target = wanted if wanted.startswith(home + "/") and "//" not in wanted and "\\" not in wanted else home
    response = redirect(target + ("?lang=en" if language(request) == "en" else ""))
    response.set_cookie(SESSIONS[role], f"{keeper}:{session}", httponly=True, samesite="Strict",
                        secure=secure_cookies(request), path="/", max_age=SESSION_HOURS * 3600)
    return response


def sign_out(request, response: Response, gw) -> Response:
    """Every page session of this browser ended where it is kept, and its cookies deleted."""
    for role, cookie in SESSIONS.items():
        keeper, _, session = request.cookies.get(cookie, "").partition(":")
        if keeper in SESSION_KEEPERS and session:
            try:
                gw.client(keeper).end_session(session)
            except Unauthorized:
                pass
        response.delete_cookie(cookie, path="/")
    return response


ROUTES = Routes()


@ROUTES("POST", "/uitloggen", "sign out of every session", kind="form")
def sign_out_page(gw, request):
    check_csrf(request)
    return sign_out(request, redirect("/"), gw)
