"""Signing in on the work pages (providers, advisors, analysts), in one of two ways:

- with a key or token: the credential is checked by the service that issued it, which then keeps
  a session (the development default; machines keep using their keys on the API);
- as themselves, with the organisation's OpenID provider (``oidc.py``; set OIDC_ISSUER and the
  client's id and secret): the service that keeps the organisation finds the person's membership
  (``chassis/members.py``) and keeps the session.

Either way the browser holds only the session's id, in an HTTP-only, SameSite=Strict cookie
(Secure over https). Signing out ends every session of the browser where it is kept."""
from __future__ import annotations

import hmac
import logging

from werkzeug.wrappers import Response

from services.chassis.errors import Unauthorized
from services.gateway.auth import Principal, issuer, principal_for
from services.gateway.oidc import OpenIdProvider, SignInRefused, kept_cookie, kept_from
from services.gateway.routing import Routes
from services.gateway.web.render import check_csrf, language, page, redirect, secure_cookies, translate

log = logging.getLogger(__name__)

SESSIONS = {"provider": "sa_provider", "advisor": "sa_advisor", "analyst": "sa_analyst"}
SESSION_HOURS = 8
# who keeps a session: the service that issued the credential (the admin's: the catalogue), or
# that keeps the organisation of a member
SESSION_KEEPERS = {"catalogue": "provider", "intake": "advisor", "analytics": "analyst"}
KEEPER_OF = {role: keeper for keeper, role in SESSION_KEEPERS.items()}
HOMES = {"provider": "/aanbieders", "advisor": "/adviseurs", "analyst": "/analyse"}
# the OpenID sign-in: the provider sends the browser back here; meanwhile the browser keeps the
# flow's state, nonce and PKCE verifier in this cookie (SameSite=Lax: it comes back from another site)
OIDC_RETURN, OIDC_COOKIE = "/inloggen/terug", "sa_oidc"


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
                       team=who.get("team"), person=who.get("person"))
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
        return sign_in_page(gw, request, role, status=401, errors=[{"field": "token", "label": "", "message": message}])
    if me.role == "admin":
        keeper = "catalogue"
        session = gw.client(keeper).open_marked_session(admin_marker(admin_token), SESSION_HOURS)
    else:
        keeper = issuer(token)[0]
        session = gw.client(keeper).open_session(token, SESSION_HOURS)
    # back to the page that asked for the sign-in (the link in a team's mail), if it is one of the role's
    target = page_under(home, request.form.get("next", ""))
    return with_session(request, redirect(target + ("?lang=en" if language(request) == "en" else "")), role, keeper,
                        session)


def page_under(home: str, wanted: str) -> str:
    """``wanted`` if it is a page of this site under ``home`` (the link in a team's mail), else ``home``."""
    return wanted if wanted.startswith(home + "/") and "//" not in wanted and "\\" not in wanted else home


def with_session(request, response: Response, role: str, keeper: str, session: str) -> Response:
    response.set_cookie(SESSIONS[role], f"{keeper}:{session}", httponly=True, samesite="Strict",
                        secure=secure_cookies(request), path="/", max_age=SESSION_HOURS * 3600)
    return response


def sign_in_page(gw, request, role: str, status: int = 200, **context) -> Response:
    """The sign-in of ``role``: the key or token form, and the button of the organisation's
    OpenID provider when one is configured."""
    return page("inloggen.html", request, status=status, role=role, start=f"{HOMES[role]}/inloggen/organisatie",
                oidc=gw.config.get("OIDC_LABEL") if gw.config.get("OIDC_ISSUER") else None, **context)


_providers: dict[tuple, OpenIdProvider] = {}


def openid_provider(gw) -> OpenIdProvider | None:
    """The deployment's OpenID provider (one per process: it caches the provider's keys), or None."""
    config = gw.config
    if not config.get("OIDC_ISSUER"):
        return None
    key = (config["OIDC_ISSUER"], config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"], config["PUBLIC_BASE_URL"])
    if key not in _providers:
        _providers[key] = OpenIdProvider(*key[:3], redirect_uri=config["PUBLIC_BASE_URL"].rstrip("/") + OIDC_RETURN)
    return _providers[key]


def start_openid(gw, request, role: str) -> Response:
    """On to the organisation's OpenID provider; the browser keeps the flow's secrets meanwhile."""
    provider = openid_provider(gw)
    if provider is None:
        return page("niet_gevonden.html", request, status=404)
    try:
        url, kept = provider.start()
    except SignInRefused as exc:
        log.warning("OpenID sign-in cannot start: %s", exc)
        return _refused(gw, request, role, "away")
    wanted = request.args.get("next", "")
    response = redirect(url)
    response.set_cookie(OIDC_COOKIE, kept_cookie({**kept, "role": role, "next": wanted, "lang": language(request)}),
                        httponly=True, samesite="Lax", secure=secure_cookies(request), path=OIDC_RETURN, max_age=600)
    return response


def finish_openid(gw, request) -> Response:
    """The provider sent the browser back: who it says signed in, their membership, a session."""
    kept = kept_from(request.cookies.get(OIDC_COOKIE))
    role = kept.get("role") if kept and kept.get("role") in HOMES else "provider"
    provider = openid_provider(gw)
    if provider is None:
        return page("niet_gevonden.html", request, status=404)
    try:
        person = provider.finish(request.args, kept)
    except SignInRefused as exc:
        log.warning("OpenID sign-in refused: %s", exc)
        return _forget_flow(_refused(gw, request, role, "refused"))
    keeper = KEEPER_OF[role]
    try:
        session = gw.client(keeper).open_member_session(person, SESSION_HOURS)
    except Unauthorized:
        return _forget_flow(_refused(gw, request, role, "no_member"))
    home = HOMES[role]
    target = page_under(home, kept.get("next", ""))
    target += "?lang=en" if kept.get("lang") == "en" else ""
    # a page, not a redirect: the session cookie is SameSite=Strict, and a redirect from the
    # provider's site would not carry it to the first page; this page's own link does
    response = page("ingelogd.html", request, target=target, role=role)
    return _forget_flow(with_session(request, response, role, keeper, session))


def _forget_flow(response: Response) -> Response:
    response.delete_cookie(OIDC_COOKIE, path=OIDC_RETURN)
    return response


def _refused(gw, request, role: str, why: str) -> Response:
    t = translate(request)
    message = {
        "refused": t("Inloggen bij je organisatie is niet gelukt of duurde te lang. Probeer het opnieuw.",
                     "Signing in with your organisation did not work or took too long. Please try again."),
        "no_member": t("Je bent ingelogd bij je organisatie, maar je bent hier (nog) geen lid. Vraag de beheerder "
                       "van je organisatie om je uit te nodigen, met het e-mailadres waarmee je inlogt.",
                       "You signed in with your organisation, but you are not (yet) a member here. Ask your "
                       "organisation's administrator to invite you, with the e-mail address you sign in with."),
        "away": t("Inloggen bij je organisatie kan nu niet. Probeer het later opnieuw of log in met je sleutel.",
                  "Signing in with your organisation is not possible now. Try again later or sign in with your key."),
    }[why]
    return sign_in_page(gw, request, role, status=401 if why != "away" else 503,
                        errors=[{"field": "organisatie", "label": "", "message": message}])


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


def _declare_start(role: str, home: str):
    def start(gw, request):
        return start_openid(gw, request, role)
    start.__name__ = f"{role}_sign_in_with_organisation"
    ROUTES("GET", f"{home}/inloggen/organisatie", f"sign in as yourself ({role}s): on to the organisation's OpenID "
           "provider (404 when none is configured)", kind="page",
           params=({"name": "next", "in": "query", "schema": {"type": "string"},
                    "description": f"a page under {home} to go to after signing in"},),
           responses={"303": {"description": "to the OpenID provider"},
                      "404": {"description": "no OpenID provider is configured"},
                      "503": {"description": "the OpenID provider cannot be reached: the sign-in page says so"}})(start)


for _role, _home in HOMES.items():
    _declare_start(_role, _home)


@ROUTES("GET", OIDC_RETURN, "where the OpenID provider sends the browser back (state, code): signed in as a member, "
        "or the sign-in page with the reason", kind="page",
        params=({"name": "state", "in": "query", "schema": {"type": "string"}},
                {"name": "code", "in": "query", "schema": {"type": "string"}}),
        responses={"200": {"description": "signed in: a page with the link on (and a refresh to it)"},
                   "401": {"description": "no one signed in (not this browser's sign-in, refused, or no member): "
                                          "the sign-in page with the reason"},
                   "404": {"description": "no OpenID provider is configured"}})
def sign_in_with_organisation_done(gw, request):
    return finish_openid(gw, request)


@ROUTES("POST", "/uitloggen", "sign out of every session", kind="form")
def sign_out_page(gw, request):
    check_csrf(request)
    return sign_out(request, redirect("/"), gw)
