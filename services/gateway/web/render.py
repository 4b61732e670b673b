"""Rendering a page: Jinja2 templates in ``web/templates/`` (the layout and the shared ones at
the top, each area's in its folder) with autoescaping on, Dutch first (``?lang=en`` for English,
remembered in a cookie), every form with a CSRF token (a cookie and a hidden field that must
agree), security headers with a strict Content-Security-Policy (a per-response nonce for the one
style block a chart carries), and errors as a page in words. The pages call the services over
RPC exactly as the API routes do; no page calls our own HTTP API."""
from __future__ import annotations

import hmac
import secrets
from datetime import date, datetime
from pathlib import Path

import nh3
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from services.chassis import texts
from services.contracts import contact
from services.contracts.vocabulary import word
from services.gateway.http import PRODUCTION
from services.gateway.problems import Problem
from services.gateway.web.words import FIELD_MESSAGES, MESSAGES

FOLDER = Path(__file__).parent
LANG_COOKIE, CSRF_COOKIE = "sa_lang", "sa_csrf"

# a key a service's answer leaves out reads as empty (the pages show answers with optional fields)
_env = Environment(loader=FileSystemLoader(FOLDER / "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def _marked(snippet: str | None) -> Markup:
    """A search snippet: safe HTML from the search service (its text escaped, the matched words
    in <mark>); cleaned again here to nothing but <mark>, in case."""
    return Markup(nh3.clean(snippet or "", tags={"mark"}, attributes={}))


_env.filters["marked"] = _marked


def language(request) -> str:
    try:
        asked = request.args.get("lang") or request.form.get("lang")
    except (HTTPException, OSError):    # a form that was refused (too large, too slow): not read again
        asked = None
    if asked in ("nl", "en"):
        return asked
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "nl"


def page(template: str, request, status: int = 200, headers: dict | None = None, **context) -> Response:
    """The page ``template`` rendered for ``request``: its language, a CSRF token for its forms,
    the security headers."""
    lang = language(request)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    nonce = context.pop("nonce", None) or secrets.token_urlsafe(16)
    context.setdefault("failed", False)
    context.setdefault("done", False)
    context.setdefault("errors", [])
    context.setdefault("signed_in", None)
    for name, helper in _words(lang).items():
        context.setdefault(name, helper)
    html = _env.get_template(template).render(lang=lang, csrf=csrf, nonce=nonce, path=request.path,
                                              query=request.query_string.decode(), t=_t(lang), **context)
    response = Response(html, status=status, mimetype="text/html", headers=headers)
    response.headers.update(security_headers(nonce))
    secure = secure_cookies(request)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Strict", secure=secure, path="/")
    if request.args.get("lang") in ("nl", "en") and request.cookies.get(LANG_COOKIE) != request.args["lang"]:
        response.set_cookie(LANG_COOKIE, request.args["lang"], samesite="Lax", secure=secure, path="/",
                            max_age=365 * 86400)
    return response


def _t(lang: str):
    def t(nl: str, en: str) -> str:
        return nl if lang == "nl" else en
    return t


def _words(lang: str) -> dict:
    """What every template reads values through: ``word(kind, code)`` from the vocabulary, ``euro``
    for a price, ``day`` for a date and ``when`` for a moment, in words and in Amsterdam time (the
    API's ISO forms and codes never reach a page); ``date_text`` a date without its weekday."""
    return {"word": lambda kind, code: word(kind, code, lang),
            "phone": contact.phone_for_people,
            # "1 regel", "2 regels": a number with the word that goes with it
            "several": lambda n, nl_one, nl_many, en_one, en_many: f"{n} " + (
                (nl_one if n == 1 else nl_many) if lang == "nl" else (en_one if n == 1 else en_many)),
            "number": lambda value: format_decimal(value, locale="en" if lang == "en" else "nl"),
            "euro": lambda amount: "" if amount is None else texts.price_text(amount, lang),
            "date_text": lambda value: value and texts.day_text(value, lang),
            "day": lambda value: value and texts.weekday_text(
                value if isinstance(value, date) else date.fromisoformat(str(value)[:10]), lang),
            "when": lambda value: value and texts.deadline_text(
                value if isinstance(value, datetime) else datetime.fromisoformat(value), lang)}


def translate(request):
    """``t(nl, en)``: the words in the request's language."""
    return _t(language(request))


def security_headers(nonce: str) -> dict:
    return {
        "Content-Security-Policy": (f"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
                                    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
                                    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def check_csrf(request) -> None:
    """A form POST must carry the token its page was given (the cookie and the field agree)."""
    cookie, field = request.cookies.get(CSRF_COOKIE, ""), request.form.get("csrf", "")
    if not cookie or not hmac.compare_digest(cookie, field):
        raise Problem(403, "Forbidden", "the form has expired or did not come from this site: reload the page and "
                                        "send it again")


def secure_cookies(request) -> bool:
    """Cookies go only over https when the request came so (behind a trusted proxy too) and
    always in production."""
    return request.scheme == "https" or bool(request.environ.get(PRODUCTION))


def redirect(location: str) -> Response:
    return Response(status=303, headers={"Location": location})


def field_errors(errors: list[dict], lang: str, labels: dict[str, str]) -> list[dict]:
    """A service's field errors for a page: ``{"field", "label", "message"}`` in the page's
    language. A message of the service's own rules is kept (its contract says it in both
    languages); any other (a validator's text) gives way to what the page says of that field."""
    out = []
    for error in errors:
        field = error.get("field", "body").split(".")[0]
        message = error.get("message", "")
        label = labels.get(field, field)
        own = contact.BY_DUTCH.get(message)
        if own:
            text = own[0 if lang == "nl" else 1]
            text = text[0].upper() + text[1:]
        else:
            said = FIELD_MESSAGES.get(field, {})
            kind = "missing" if error.get("type") == "missing" or message == "Field required" else "invalid"
            words = said.get(kind) or said.get("invalid") or said.get("missing")
            text = words[0 if lang == "nl" else 1] if words else MESSAGES["other"][0 if lang == "nl" else 1]
        if not any(e["field"] == field for e in out):       # one message per field
            # beside the field its message; in the summary at the top, the field named first
            out.append({"field": field, "label": label, "message": text,
                        "summary": text if text.startswith(label + ":") else f"{label}: {text[0].lower()}{text[1:]}"})
    return out


ERROR_WORDS = {
    403: ("Dit formulier is verlopen", "This form has expired",
          "Laad de pagina opnieuw en verstuur het nog eens.", "Reload the page and send it again."),
    404: ("Deze pagina bestaat niet (meer)", "This page does not exist (any more)",
          "Misschien klopt de link niet.", "The link may not be right."),
    408: ("Dat duurde te lang", "That took too long",
          "Je verbinding stuurde het formulier te traag. Probeer het opnieuw.",
          "Your connection sent the form too slowly. Try again."),
    413: ("Dat is te veel in één keer", "That is too much at once",
          "Het formulier of bestand is te groot. Maak het kleiner of verdeel het, en probeer het opnieuw.",
          "The form or file is too large. Make it smaller or split it, and try again."),
    429: ("Even rustig aan", "Slow down",
          "Je vroeg veel pagina's kort na elkaar. Probeer het zo opnieuw.", "You asked for many pages at once. Try again shortly."),
    503: ("Even niet beschikbaar", "Not available right now",
          "Een deel van de website is even niet bereikbaar. Probeer het zo opnieuw.", "Part of the website cannot be reached. Try again shortly."),
}


def error_page(request, problem: Response) -> Response:
    """An error as a page in words (the API's problem+json stays for API clients)."""
    status = problem.status_code
    words = ERROR_WORDS.get(status, ("Er ging iets mis", "Something went wrong",
                                     "Probeer het later opnieuw.", "Try again later."))
    nl = language(request) == "nl"
    response = page("fout.html", request, status=status, heading=words[0 if nl else 1], detail=words[2 if nl else 3],
                    status_code=status)
    for header in ("Retry-After", "Allow"):
        if header in problem.headers:
            response.headers[header] = problem.headers[header]
    return response
