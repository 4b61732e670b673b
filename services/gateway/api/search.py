"""Search routes: the public search, word completion and the clicks a result list reports,
answered by the search service."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.search import Click, search_params, SearchRequest, SearchResponse
from services.gateway.http import json_response, read_json
from services.gateway.routing import Routes, query

ROUTES = Routes()


@ROUTES("GET", "/api/v1/search", "Search published courses", params=SearchRequest,
        answer=SearchResponse, errors=(422,))
def search_courses(gw, request):
    return json_response(gw.search.search(search_params(request.args), gw.searcher(request)))


@ROUTES("GET", "/api/v1/suggest", "Complete a word from course titles and keywords (typo-tolerant)",
        params=(query("q", {"type": "string", "minLength": 2, "maxLength": 60}, required=True),
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8}}),
        answer={"type": "object", "required": ["suggestions"],
                "properties": {"suggestions": {"type": "array", "items": {"type": "string"}}}}, errors=(422,))
def suggest(gw, request):
    return json_response(gw.search.suggest(dict(request.args.items())))


@ROUTES("POST", "/api/v1/search/<search_id>/clicks",
        "A hit opened from that search's result list (demand data, nothing personal)", body=Click, status=204,
        responses={"204": {"description": "recorded"}})
def record_click(gw, request, search_id):
    """A hit opened from the result list of ``search_id`` (demand data: no personal data)."""
    gw.search.record_click(search_id, read_json(request))
    return Response(status=204)
