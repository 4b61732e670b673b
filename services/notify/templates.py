"""Message templates, in files: ``templates/<message>/<language>.txt`` (the messages are
declared in messages.py), with the blocks ``subject``, ``body`` (plain text: paragraphs split by a blank line,
``- `` starts a list item) and, where one is sent, ``sms``. The HTML body is the plain text laid
out by ``templates/_layout.html``, rendered with autoescaping: whatever a person typed arrives
escaped, and the plain and HTML bodies never say different things."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from services.notify import domain

FOLDER = Path(__file__).parent / "templates"
LANGUAGES = ("nl", "en")
URL = re.compile(r"https?://[^\s<>\"]+")

_env = Environment(loader=FileSystemLoader(FOLDER), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str | None


def render(name: str, language: str, data: dict) -> Rendered:
    language = language if language in LANGUAGES else "nl"
    template = _env.get_template(f"{name}/{language}.txt")
    context = template.new_context({**data, "language": language})
    blocks = {block: "".join(render_block(context)).strip() for block, render_block in template.blocks.items()}
    subject = " ".join(blocks["subject"].split())
    html = _env.get_template("_layout.html").render(
        language=language, subject=subject, blocks=_paragraphs(blocks["body"]))
    sms = blocks.get("sms")
    return Rendered(subject, blocks["body"] + "\n", html, domain.sms_text(" ".join(sms.split())) if sms else None)


def _paragraphs(text: str) -> list[dict]:
    out = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = chunk.splitlines()
        if lines and all(line.startswith("- ") for line in lines):
            out.append({"bullets": [_linked(line[2:]) for line in lines]})
        else:
            out.append({"lines": [_linked(line) for line in lines]})
    return out


def _linked(text: str) -> Markup:
    """``text`` escaped, its URLs made links."""
    escaped = str(escape(text))
    return Markup(URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))
