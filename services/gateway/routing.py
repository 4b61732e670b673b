"""A route is declared once, as data: its method and path, what kind of route it is (an API
call, a page, a page's form, a document), who may call it, its parameters, request body and
answer, and a plain handler function. ``gateway/api/<area>.py`` and ``gateway/web/<area>.py``
each export their ``ROUTES``; ``mount`` turns them into the gateway's nameko entrypoints and
``openapi.py`` writes the OpenAPI document from the same declarations.

A handler is ``handler(gw, request, **path_values)``: ``gw`` is the gateway (its RPC clients,
config and ``principal``). A route with ``roles`` is called only for those roles, and its
handler gets the caller as ``me``."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Literal

from pydantic import BaseModel

from services.contracts.common import LIST_MAX_PAGE, LIST_MAX_PAGE_SIZE
from services.gateway.auth import require
from services.gateway.http import route as http_route

Kind = Literal["api", "page", "form", "document"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str                       # werkzeug's form: /api/v1/courses/<course_id>
    handler: Callable
    summary: str
    kind: Kind = "api"
    roles: tuple[str, ...] = ()     # who may call it; none: anyone (the handler may still ask who)
    # query and header parameters: OpenAPI parameter objects, or a model whose fields they are
    params: tuple[dict, ...] | type[BaseModel] = ()
    body: type[BaseModel] | dict | None = None      # the request body: a model, or a JSON schema
    answer: type[BaseModel] | dict | None = None    # the answer: a model, or a JSON schema
    status: int = 200               # its status when all goes well
    errors: tuple[int, ...] = ()    # the error statuses besides the ones its roles and body bring
    responses: dict = field(default_factory=dict)   # answers written out (a CSV, a stream, 204's words)
    documented: bool = True

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def path_names(self) -> list[str]:
        return re.findall(r"<(\w+)>", self.path)


class Routes(list):
    """One area's routes, each declared above its handler:

        @ROUTES("GET", "/api/v1/intakes/<intake_id>", "One request ...", roles=("advisor", "admin"))
        def read_intake(gw, request, intake_id, me): ...
    """

    def __call__(self, method: str, path: str, summary: str, **declared):
        def declare(handler):
            self.append(Route(method, path, handler, summary, **declared))
            return handler
        return declare


def mount(service_class: type, routes: list[Route], error_page: Callable) -> type:
    """``routes`` as entrypoints of ``service_class`` (each a method named after its handler);
    a page's or a form's errors are answered by ``error_page``, the API's as problem+json."""
    seen = set()
    for declared in routes:
        key = (declared.method, declared.path)
        if key in seen or hasattr(service_class, declared.name):
            raise ValueError(f"{declared.method} {declared.path}: declared twice, or its handler's name "
                             f"{declared.name!r} is taken")
        seen.add(key)
        setattr(service_class, declared.name, _entrypoint(declared, error_page))
    return service_class


def _entrypoint(declared: Route, error_page: Callable):
    def entrypoint(self, request, **values):
        if declared.roles:
            values["me"] = require(self.principal(request), *declared.roles)
        return declared.handler(self, request, **values)
    entrypoint.__name__ = entrypoint.__qualname__ = declared.name
    entrypoint.__doc__ = declared.handler.__doc__
    pages = declared.kind in ("page", "form")
    return http_route(declared.method, declared.path, error_page=error_page if pages else None)(entrypoint)


# parameters more than one route takes

def query(name: str, schema: dict, description: str | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", **({"required": True} if required else {}), "schema": schema,
            **({"description": description} if description else {})}


PAGING = (query("page", {"type": "integer", "minimum": 1, "maximum": LIST_MAX_PAGE, "default": 1}),
          query("page_size", {"type": "integer", "minimum": 1, "maximum": LIST_MAX_PAGE_SIZE, "default": 20}))
PERSON_TOKEN = (query("token", {"type": "string"}, "the token the person received with their request", True),)
MAIL_TOKEN = (query("token", {"type": "string"}, "the token of the saved search's mail", True),)
# path values that are ids the platform made (others are plain strings)
UUID_PATH_VALUES = {"provider_id", "course_id", "intake_id"}


def params_of(declared: Route) -> tuple[dict, ...]:
    """A route's query and header parameters as OpenAPI parameter objects."""
    given = declared.params
    return model_params(given) if isinstance(given, type) else given


def model_params(model: type[BaseModel]) -> tuple[dict, ...]:
    """A model's fields as query parameters (a list repeats: ``?level=2&level=3``)."""
    return tuple({"name": name, "in": "query", "required": False, "schema": prop,
                  **({"style": "form", "explode": True} if prop.get("type") == "array" else {})}
                 for name, prop in model.model_json_schema()["properties"].items())
