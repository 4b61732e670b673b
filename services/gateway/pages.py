"""Server-rendered pages: Jinja2 templates in ``gateway/templates/`` with autoescaping on,
Dutch first (``?lang=en`` for English)."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from werkzeug.wrappers import Response

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def language(request) -> str:
    return "en" if request.args.get("lang") == "en" or request.form.get("lang") == "en" else "nl"


def page(template: str, request, status: int = 200, **context) -> Response:
    context.setdefault("failed", False)
    context.setdefault("done", False)
    html = _env.get_template(template).render(lang=language(request), **context)
    return Response(html, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                             "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"})
