"""The search results page (every filter of the search API; the URL holds the whole search) and a
course's page (its offerings, provider and funding schemes; a view counts for the demand data)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from urllib.parse import urlencode

from services.chassis import texts
from services.chassis.errors import NotFound, ValidationFailed
from services.contracts.courses import net_price_from
from services.contracts.filters import FILTERS
from services.contracts.search import search_params
from services.gateway.demand import record_view
from services.gateway.routing import Routes, query
from services.gateway.web.render import field_errors, language, page
from services.gateway.web.words import SEARCH_LABELS, labels, situation_names

ROUTES = Routes()


@ROUTES("GET", "/zoeken", "search results with every filter of the search API (the URL holds the whole search)",
        kind="page")
def search_page(gw, request):
    lang = language(request)
    params = {k: v for k, v in search_params(request.args).items() if k != "lang" and v not in ("", [], None)}
    answer, errors = None, []
    try:
        answer = gw.search.search(params, gw.searcher(request))
    except ValidationFailed as exc:
        errors = field_errors(exc.errors, lang, labels(SEARCH_LABELS, lang))
    counted = (answer or {}).get("facets") or {}
    # a checkbox per value of every filter that repeats: the values it takes, or (an open one,
    # such as the languages courses are taught in) the values the answer counted and those asked
    choices = [{"name": f.name, "label": f.label(lang), "options": [(v, f.value_text(v, lang)) for v in (
                   f.values or sorted(set(counted.get(f.name) or {}) | set(params.get(f.name) or [])))]}
               for f in FILTERS if f.repeats]
    pages = []
    if answer:
        last = max(1, -(-answer["total"] // answer["page_size"]))
        for number in sorted({1, answer["page"] - 1, answer["page"], answer["page"] + 1, last}):
            if 1 <= number <= last:
                pages.append((number, "/zoeken?" + urlencode([(k, v) for k, vs in {**params, "page": number}.items()
                                                              for v in (vs if isinstance(vs, list) else [vs])])))
    return page("search/zoeken.html", request, status=400 if errors else 200, params=params, answer=answer,
                errors=errors, choices=choices, pages=pages, situation_names=situation_names(lang),
                label=labels(SEARCH_LABELS, lang))


@ROUTES("GET", "/opleidingen/<course_id>", "a course: offerings, provider, funding schemes; search_id records the view",
        kind="page", params=(query("search_id", {"type": "string"}),))
def course_page(gw, request, course_id):
    try:
        course = gw.catalogue.get_course(course_id, None)
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    if course["status"] != "published":
        return page("niet_gevonden.html", request, status=404)
    record_view(gw, course, request.args.get("search_id") or None, strict=False)
    today = datetime.now(timezone.utc).date()
    schemes = [s for s in gw.catalogue.list_funding_schemes() if s["code"] in course["funding_schemes"]
               and date.fromisoformat(s["valid_from"]) <= today]
    amounts = [(s["code"], s.get("max_amount_eur")) for s in schemes]
    offerings = [{**o, "remaining": (net_price_from([Decimal(str(o["price_eur"]))], amounts) or {}).get("price_eur")}
                 for o in course["offerings"] if o["status"] in ("open", "full")]
    return page("search/opleiding.html", request, course=course, offerings=offerings, schemes=schemes,
                search_id=request.args.get("search_id", ""),
                day=lambda d: texts.day_text(date.fromisoformat(d), language(request)))
