"""JSON schemas the route declarations share (the models' own come from pydantic)."""
from __future__ import annotations

OBJECT = {"type": "object"}
HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def ref(name: str) -> dict:
    """A schema of the document's components (a model's, by its name)."""
    return {"$ref": f"#/components/schemas/{name}"}


def list_page(item: str) -> dict:
    """A page of a list of ``item``s."""
    return {"type": "object", "properties": {"items": {"type": "array", "items": ref(item)},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"}}}
