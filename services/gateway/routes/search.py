"""Search routes: the public search and word completion, answered by the search service."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.gateway.http import json_response, read_json, route

REPEATABLE_SEARCH_PARAMS = {"level", "sector", "mode", "province", "language"}


class SearchRoutes:
    @route("GET", "/api/v1/search")
    def search_courses(self, request):
        params = {
            key: request.args.getlist(key) if key in REPEATABLE_SEARCH_PARAMS else request.args.get(key)
            for key in request.args.keys()
        }
        return json_response(self.call("search", "search", params, self.searcher(request)))

    @route("GET", "/api/v1/suggest")
    def suggest(self, request):
        return json_response(self.call("search", "suggest", dict(request.args.items())))

    @route("POST", "/api/v1/search/<search_id>/clicks")
    def record_click(self, request, search_id):
        """A hit opened from the result list of ``search_id`` (demand data: no personal data)."""
        self.call("search", "record_click", search_id, read_json(request))
        return Response(status=204)
