"""Intake routes: advisor teams, advisors and analysts (admin), the intake request (anyone), the
person's own status, export and erasure (their token), the advisors' work (their team), and the
providers' leads. Answered by the intake service (analysts: the analytics service)."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.intake import IntakeStatus
from services.gateway.auth import require
from services.gateway.http import json_response, paging, read_json, request_id, route, whole_list
from services.gateway.problems import Problem

STATUSES = IntakeStatus.__args__


class IntakeRoutes:
    # teams, advisors, analysts (admin)

    @route("POST", "/api/v1/advisor-teams")
    def create_team(self, request):
        require(self.principal(request), "admin")
        return json_response(self.call("intake", "create_team", read_json(request)), 201)

    @route("GET", "/api/v1/advisor-teams")
    def list_teams(self, request):
        require(self.principal(request), "admin")
        return whole_list(self.call("intake", "list_teams"))

    @route("POST", "/api/v1/advisors")
    def create_advisor(self, request):
        require(self.principal(request), "admin")
        return json_response(self.call("intake", "create_advisor", read_json(request)), 201)

    @route("DELETE", "/api/v1/advisors/<advisor_id>")
    def revoke_advisor(self, request, advisor_id):
        require(self.principal(request), "admin")
        self.call("intake", "revoke_advisor", advisor_id)
        return Response(status=204)

    @route("POST", "/api/v1/analysts")
    def create_analyst(self, request):
        require(self.principal(request), "admin")
        return json_response(self.call("analytics", "create_analyst", read_json(request)), 201)

    @route("DELETE", "/api/v1/analysts/<analyst_id>")
    def revoke_analyst(self, request, analyst_id):
        require(self.principal(request), "admin")
        self.call("analytics", "revoke_analyst", analyst_id)
        return Response(status=204)

    # the person

    @route("POST", "/api/v1/intakes")
    def submit_intake(self, request):
        answer = self.call("intake", "submit_intake", read_json(request), request.remote_addr, request_id(request))
        headers = {"Location": f"/api/v1/intakes/{answer['id']}/status"} if answer.get("token") else None
        return json_response(answer, 201, headers)

    @route("GET", "/api/v1/intakes/<intake_id>/status")
    def intake_status(self, request, intake_id):
        return json_response(self.call("intake", "intake_status", intake_id, _token(request)))

    @route("GET", "/api/v1/intakes/<intake_id>/export")
    def export_intake(self, request, intake_id):
        return json_response(self.call("intake", "export_intake", intake_id, _token(request)))

    @route("DELETE", "/api/v1/intakes/<intake_id>")
    def erase_intake(self, request, intake_id):
        self.call("intake", "erase_intake", intake_id, _token(request))
        return Response(status=204)

    # advisors (their team; an admin every team)

    @route("GET", "/api/v1/intakes")
    def list_intakes(self, request):
        me = require(self.principal(request), "advisor", "admin")
        page, page_size = paging(request)
        status = request.args.get("status")
        if status is not None and status not in STATUSES:
            raise Problem(422, "Validation failed", f"status is one of {', '.join(STATUSES)}",
                          [{"field": "status", "message": f"not one of {', '.join(STATUSES)}"}])
        overdue = request.args.get("overdue", "false").lower()
        if overdue not in ("true", "false"):
            raise Problem(422, "Validation failed", "overdue is true or false",
                          [{"field": "overdue", "message": "true or false"}])
        return json_response(self.call("intake", "list_intakes", me.as_dict(), status, overdue == "true",
                                       page, page_size))

    @route("GET", "/api/v1/intakes/<intake_id>")
    def read_intake(self, request, intake_id):
        me = require(self.principal(request), "advisor", "admin")
        return json_response(self.call("intake", "read_intake", me.as_dict(), intake_id))

    @route("POST", "/api/v1/intakes/<intake_id>/events")
    def record_step(self, request, intake_id):
        me = require(self.principal(request), "advisor", "admin")
        return json_response(self.call("intake", "record_step", me.as_dict(), intake_id, read_json(request)))

    # providers' leads

    @route("GET", "/api/v1/providers/me/leads")
    def my_leads(self, request):
        me = require(self.principal(request), "provider")
        page, page_size = paging(request)
        return json_response(self.call("intake", "provider_leads", me.id, page, page_size))

    @route("GET", "/api/v1/providers/me/leads/<intake_id>")
    def my_lead(self, request, intake_id):
        me = require(self.principal(request), "provider")
        return json_response(self.call("intake", "provider_lead", me.as_dict(), intake_id))


def _token(request) -> str:
    token = request.args.get("token")
    if not token:
        raise Problem(401, "Unauthorized", "this link needs the token you received with your request",
                      [{"field": "token", "message": "required"}])
    return token
