"""The search results page (every filter of the search API; the URL holds the whole search; the
results first, the filters folded on a phone, the filters in use as chips that remove them, a
saved search to subscribe to) and a course's page (its start moments, provider and the funding
schemes that fit the person's situation; a view counts for the demand data)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from urllib.parse import urlencode

from services.chassis.errors import NotFound, TooManyRequests, ValidationFailed, validated
from services.contracts.courses import net_price_from, scheme_open_to
from services.contracts.filters import FILTERS
from services.contracts.notify import NewSubscription
from services.contracts.search import search_params
from services.gateway.demand import record_view
from services.gateway.routing import Routes, query
from services.gateway.web.render import check_csrf, field_errors, language, page, redirect, translate
from services.gateway.web.words import MESSAGES, SEARCH_LABELS, labels, situation_names

ROUTES = Routes()
LANGUAGE = next(f for f in FILTERS if f.name == "language")
# what a search page's URL (or its save form) may carry besides the search itself
PAGE_ONLY = ("lang", "bewaard", "csrf", "email")


@ROUTES("GET", "/zoeken", "search results with every filter of the search API (the URL holds the whole search)",
        kind="page")
def search_page(gw, request):
    return _results(gw, request, _asked(request.args), saved=request.args.get("bewaard") == "1")


def _results(gw, request, params: dict, errors=(), status=200, email="", saved=False):
    """The results page of the search ``params``, with ``errors`` (of the save form) beside it."""
    lang = language(request)
    answer, errors = None, list(errors)
    if params.get("sort") == "distance" and not params.get("near"):
        errors.append(_error("near", "distance", lang))
    else:
        try:
            answer = gw.search.search(params, gw.searcher(request))
        except ValidationFailed as exc:
            errors += field_errors(exc.errors, lang, labels(SEARCH_LABELS, lang))
    counted = (answer or {}).get("facets") or {}
    schemes = {s["code"]: s for s in gw.catalogue.list_funding_schemes()}
    return page("search/zoeken.html", request, status=400 if errors and status == 200 else status, params=params,
                answer=answer, errors=errors, choices=_choices(params, counted, lang), chips=_chips(params, lang, schemes),
                funding=_funding_choices(params, schemes), schemes=schemes, pages=_pages(params, answer),
                situation_names=situation_names(lang), label=labels(SEARCH_LABELS, lang), email=email, saved=saved)


@ROUTES("POST", "/zoeken/bewaren", "save the search of the page: a mail with a link to confirm it (double opt-in)",
        kind="form")
def save_search_post(gw, request):
    """The results page's "Mail mij nieuwe opleidingen": the search in its URL, the address in
    the form."""
    check_csrf(request)
    lang = language(request)
    params = _asked(request.form)
    email = request.form.get("email", "").strip()
    body = {"email": email, "query": {k: v for k, v in params.items() if k not in ("page", "sort")},
            "language": lang}
    try:
        gw.notify.subscribe(validated(NewSubscription, body), request.remote_addr)
    except ValidationFailed as exc:         # the search itself was checked by the page that showed it
        errors = field_errors([{**e, "field": "email"} for e in exc.errors], lang,
                              {"email": translate(request)("Je e-mailadres", "Your email address")})
        return _results(gw, request, params, errors=errors, status=400, email=email)
    except TooManyRequests:
        return _results(gw, request, params, errors=[_error("email", "too_many", lang)], status=429, email=email)
    return redirect("/zoeken?" + urlencode(_pairs({**params, "bewaard": "1", **({"lang": "en"} if lang == "en"
                                                                                else {})})) + "#bewaren")


@ROUTES("GET", "/opleidingen/<course_id>", "a course: offerings, provider, funding schemes; search_id records the view",
        kind="page", params=(query("search_id", {"type": "string"}), query("situation", {"type": "string"})))
def course_page(gw, request, course_id):
    lang = language(request)
    try:
        course = gw.catalogue.get_course(course_id, None)
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    if course["status"] != "published":
        return page("niet_gevonden.html", request, status=404)
    record_view(gw, course, request.args.get("search_id") or None, strict=False)
    situation = request.args.get("situation") if request.args.get("situation") in situation_names(lang) else None
    today = datetime.now(timezone.utc).date()
    schemes = [s for s in gw.catalogue.list_funding_schemes() if s["code"] in course["funding_schemes"]
               and date.fromisoformat(s["valid_from"]) <= today]
    # what remains to pay: only after a scheme open to the person's situation (none asked: not said)
    fitting = [s for s in schemes if situation and scheme_open_to(s, situation)]
    amounts = [(s["code"], s.get("max_amount_eur")) for s in fitting]
    offerings = [{**o, "remaining": (net_price_from([Decimal(str(o["price_eur"]))], amounts) or {}).get("price_eur")}
                 for o in course["offerings"] if o["status"] in ("open", "full")]
    similar = _similar(gw, course)
    return page("search/opleiding.html", request, course=course, offerings=offerings, schemes=schemes,
                fitting=fitting, situation=situation, situation_names=situation_names(lang),
                languages=[LANGUAGE.value_text(code, lang) for code in course.get("languages") or []],
                search_id=request.args.get("search_id", ""), similar=similar, structured=_structured(course, offerings, request))


def _asked(args) -> dict:
    return {k: v for k, v in search_params(args).items() if k not in PAGE_ONLY and v not in ("", [], None)}


def _pairs(params: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]


def _url(params: dict) -> str:
    return "/zoeken?" + urlencode(_pairs(params))


def _error(field: str, kind: str, lang: str) -> dict:
    label = labels(SEARCH_LABELS, lang).get(field, "")
    return {"field": field, "label": label, "message": MESSAGES[kind][0 if lang == "nl" else 1]}


def _choices(params: dict, counted: dict, lang: str) -> list[dict]:
    """A checkbox per value of every filter that repeats: the values it takes, or (an open one,
    such as the languages courses are taught in) the values the answer counted and those asked.
    A value no course has here (and not chosen) is folded away under the others."""
    out = []
    for f in FILTERS:
        if not f.repeats:
            continue
        counts = counted.get(f.name)
        values = [v for v in (f.values or sorted(set(counts or {}) | set(params.get(f.name) or [])))
                  if f.value_text(v, lang)]
        chosen = params.get(f.name) or []
        shown = [(v, f.value_text(v, lang)) for v in values if counts is None or counts.get(v) or v in chosen]
        folded = [(v, f.value_text(v, lang)) for v in values if counts is not None and not counts.get(v)
                  and v not in chosen]
        out.append({"name": f.name, "label": f.label(lang), "options": shown, "folded": folded, "counts": counts})
    return out


def _chips(params: dict, lang: str, schemes: dict) -> list[dict]:
    """Every filter in use as a chip: its words and the search without it."""
    by_name = {f.name: f for f in FILTERS}
    chips = []
    for name, value in params.items():
        if name in ("q", "page", "sort", "radius_km") or name not in by_name:
            continue
        for v in value if isinstance(value, list) else [value]:
            text = schemes[v]["name"] if name == "funding" and v in schemes else by_name[name].value_text(v, lang)
            rest = {k: ([x for x in vs if x != v] if k == name and isinstance(vs, list) else vs)
                    for k, vs in params.items() if not (k == name and not isinstance(vs, list)) and k != "page"}
            if name == "near":
                rest.pop("radius_km", None)
            chips.append({"label": by_name[name].label(lang), "text": text, "href": _url(rest)})
    return chips


def _funding_choices(params: dict, schemes: dict) -> list[tuple[str, str]]:
    """The funding filter's choices: the schemes open to the situation asked (all without one),
    by name and funder; the one asked is kept even if it is not one of them."""
    situation = params.get("situation")
    shown = [s for s in schemes.values() if not situation or scheme_open_to(s, situation)]
    options = [(s["code"], f"{s['name']} ({s['funder']})") for s in sorted(shown, key=lambda s: s["name"])]
    asked = params.get("funding")
    if asked and asked not in {code for code, _ in options}:
        options.append((asked, schemes[asked]["name"] if asked in schemes else asked))
    return options


def _pages(params: dict, answer: dict | None) -> list[tuple[int, str]]:
    if not answer:
        return []
    last = max(1, -(-answer["total"] // answer["page_size"]))
    return [(n, _url({**params, "page": n})) for n in sorted({1, answer["page"] - 1, answer["page"], answer["page"] + 1,
                                                              last}) if 1 <= n <= last]


def _similar(gw, course: dict) -> list[dict]:
    """Up to four other published courses of the same sector and level (a search by its facets)."""
    params = {"level": [course["level"]], "page_size": 5, **({"sector": course["sectors"][:1]} if course["sectors"]
                                                              else {})}
    try:
        hits = gw.search.browse(params)["hits"]        # no person searched: not a search in the demand data
    except ValidationFailed:
        return []
    return [h for h in hits if h["course_id"] != course["id"]][:4]


def _structured(course: dict, offerings: list[dict], request) -> dict:
    """schema.org Course with its CourseInstances, as search engines read it (JSON-LD)."""
    base = request.host_url.rstrip("/")
    return {
        "@context": "https://schema.org", "@type": "Course", "name": course["title"],
        "description": course["description"][:500], "url": f"{base}/opleidingen/{course['id']}",
        "provider": {"@type": "Organization", "name": course["provider"]["name"]},
        "inLanguage": course.get("languages") or ["nl"],
        **({"educationalCredentialAwarded": course["credential"]} if course.get("credential") != "geen" else {}),
        "hasCourseInstance": [{
            "@type": "CourseInstance", "startDate": o["start_date"], "endDate": o["end_date"],
            "courseMode": "online" if o["mode"] == "online" else "onsite" if o["mode"] == "klassikaal" else "blended",
            **({"location": {"@type": "Place", "name": (o.get("location") or {}).get("city"), "address": {
                "@type": "PostalAddress", "addressLocality": (o.get("location") or {}).get("city"),
                "postalCode": (o.get("location") or {}).get("postcode"), "addressCountry": "NL"}}}
               if o.get("location") else {}),
            "offers": {"@type": "Offer", "price": str(o["price_eur"]), "priceCurrency": "EUR"},
        } for o in offerings],
    }
