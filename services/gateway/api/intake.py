"""Intake routes: advisor teams and advisors (admin), the intake request (anyone), the person's own
status, export and erasure (their token), the advisors' work (their team), and the providers'
leads. Answered by the intake service."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.intake import IntakeStatus, NewAdvisor, NewIntake, NewStep, NewTeam
from services.gateway.http import json_response, paging, read_json, read_model, request_id, whole_list
from services.gateway.problems import Problem
from services.gateway.routing import PAGING, PERSON_TOKEN, Routes, query
from services.gateway.schemas import OBJECT

STATUSES = IntakeStatus.__args__
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                   "description": "sent again with the same key (after a 503 or a dropped connection), the request "
                                  "makes no second intake: the answer is the first one's"}

ROUTES = Routes()

# teams and advisors (admin)


@ROUTES("POST", "/api/v1/advisor-teams", "Create an advisor team (a region: provinces and/or postcode ranges; office "
        "hours, working hours a callback may take, closing days)", roles=("admin",), body=NewTeam, answer=OBJECT,
        status=201, errors=(409,))
def create_team(gw, request, me):
    return json_response(gw.intake.create_team(read_model(request, NewTeam)), 201)


@ROUTES("GET", "/api/v1/advisor-teams", "The advisor teams (landelijk first: it takes what no region claims)",
        roles=("admin",), answer=OBJECT)
def list_teams(gw, request, me):
    return whole_list(gw.intake.list_teams())


@ROUTES("POST", "/api/v1/advisors", "Create an advisor of a team (its token is shown once)", roles=("admin",),
        body=NewAdvisor, answer=OBJECT, status=201)
def create_advisor(gw, request, me):
    return json_response(gw.intake.create_advisor(read_model(request, NewAdvisor)), 201)


@ROUTES("DELETE", "/api/v1/advisors/<advisor_id>", "Revoke an advisor's token (the next request with it is a 401)",
        roles=("admin",), status=204, errors=(404,), responses={"204": {"description": "revoked"}})
def revoke_advisor(gw, request, advisor_id, me):
    gw.intake.revoke_advisor(advisor_id)
    return Response(status=204)


# the person

@ROUTES("POST", "/api/v1/intakes", "Ask to be called back (anyone). The answer holds the team, the deadline and the "
        "token for the status, export and erasure links; too many requests from one address or for one contact is "
        "a 429. The same person (e-mail or phone) asking again within a day for the same course (without one: "
        "the same situation) gets 200 with their open request instead, already_requested true and no token (it "
        "is in the mail they got)", params=(IDEMPOTENCY_KEY,), body=NewIntake, answer=OBJECT, status=201,
        responses={"200": {"description": "already requested: the person's open request, without its token"}})
def submit_intake(gw, request):
    answer = gw.intake.submit_intake(read_model(request, NewIntake), request.remote_addr, request_id(request))
    if answer.get("already_requested"):
        return json_response(answer, 200)
    headers = {"Location": f"/api/v1/intakes/{answer['id']}/status"} if answer.get("token") else None
    return json_response(answer, 201, headers)


@ROUTES("GET", "/api/v1/intakes/<intake_id>/status",
        "The person's view: status, team, deadline, history (no advisors' notes)", params=PERSON_TOKEN,
        answer=OBJECT, errors=(401, 404))
def intake_status(gw, request, intake_id):
    return json_response(gw.intake.intake_status(intake_id, _token(request)))


@ROUTES("GET", "/api/v1/intakes/<intake_id>/export", "Everything held about the person, with the log of who read it",
        params=PERSON_TOKEN, answer=OBJECT, errors=(401, 404))
def export_intake(gw, request, intake_id):
    return json_response(gw.intake.export_intake(intake_id, _token(request)))


@ROUTES("DELETE", "/api/v1/intakes/<intake_id>",
        "The person erases their data (everywhere); the facts stay for statistics", params=PERSON_TOKEN,
        status=204, errors=(401, 404), responses={"204": {"description": "erased"}})
def erase_intake(gw, request, intake_id):
    gw.intake.erase_intake(intake_id, _token(request))
    return Response(status=204)


# advisors (their team; an admin every team)

@ROUTES("GET", "/api/v1/intakes", "The advisor's team's requests (an admin: every team's), overdue first, then by "
        "deadline; no contact details", roles=("advisor", "admin"),
        params=(*PAGING, query("status", {"enum": list(STATUSES)}),
                query("overdue", {"type": "boolean", "default": False})), answer=OBJECT, errors=(422,))
def list_intakes(gw, request, me):
    page, page_size = paging(request)
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise Problem(422, "Validation failed", f"status is one of {', '.join(STATUSES)}",
                      [{"field": "status", "message": f"not one of {', '.join(STATUSES)}"}])
    overdue = request.args.get("overdue", "false").lower()
    if overdue not in ("true", "false"):
        raise Problem(422, "Validation failed", "overdue is true or false",
                      [{"field": "overdue", "message": "true or false"}])
    return json_response(gw.intake.list_intakes(me.as_dict(), status, overdue == "true", page, page_size))


@ROUTES("GET", "/api/v1/intakes/<intake_id>", "One request with the person's contact details (the read is logged); "
        "another team's is a 404", roles=("advisor", "admin"), answer=OBJECT, errors=(404,))
def read_intake(gw, request, intake_id, me):
    return json_response(gw.intake.read_intake(me.as_dict(), intake_id))


@ROUTES("POST", "/api/v1/intakes/<intake_id>/events", "Record a step (call_attempted, waiting_for_person with until, "
        "advice_given, enrolled, closed); an impossible step is a 409", roles=("advisor", "admin"), body=NewStep,
        answer=OBJECT, errors=(404, 409))
def record_step(gw, request, intake_id, me):
    return json_response(gw.intake.record_step(me.as_dict(), intake_id, read_json(request)))


# providers' leads

@ROUTES("GET", "/api/v1/providers/me/leads", "Requests about the provider's courses whose person agreed to share "
        "their details (without_consent: how many did not)", roles=("provider",), params=PAGING, answer=OBJECT,
        errors=(422,))
def my_leads(gw, request, me):
    page, page_size = paging(request)
    return json_response(gw.intake.provider_leads(me.id, page, page_size))


@ROUTES("GET", "/api/v1/providers/me/leads/<intake_id>",
        "A shared lead's contact details (the read is logged and shown to the person)", roles=("provider",),
        answer=OBJECT, errors=(404,))
def my_lead(gw, request, intake_id, me):
    return json_response(gw.intake.provider_lead(me.as_dict(), intake_id))


def _token(request) -> str:
    token = request.args.get("token")
    if not token:
        raise Problem(401, "Unauthorized", "this link needs the token you received with your request",
                      [{"field": "token", "message": "required"}])
    return token
