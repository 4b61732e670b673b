"""What a request may hold beyond JSON's own rules: a JSON body, every line of an import and
every query string are checked for values the platform cannot carry, so they are a 422 naming
the field instead of an error deep inside (a 500, a whole import batch lost, an event
dead-lettered)."""
from __future__ import annotations

import json

INT64 = (-2**63, 2**63 - 1)   # what the RPC wire (orjson) writes; a larger number fails to encode
NUL = "\x00"                  # PostgreSQL's text and jsonb cannot hold it
# uploads that stream (and keep their own limits: lines, an OOAPI document's size); every other
# body over MAX_BODY_BYTES is refused before it is read
STREAMED_PATHS = ("/api/v1/courses/import", "/aanbieders/import")


def loads(text: str | bytes) -> tuple[object, bool]:
    """``json.loads`` (JSON nested too deeply is a ``ValueError`` too), and whether the
    document may hold a value ``uncarried`` finds: in JSON
    text a NUL can only be written ``\\u0000``, and an integer beyond 64 bits has 19 digits or
    more. Only such a document needs the walk (~30 µs a course, in an import of tens of
    thousands)."""
    long_integer = False

    def integer(digits: str) -> int:
        nonlocal long_integer
        long_integer = long_integer or len(digits) >= 19
        return int(digits)

    try:
        value = json.loads(text, parse_int=integer)
    except RecursionError:      # a ValueError like any other JSON its reader cannot take
        raise ValueError("it is nested too deeply") from None
    return value, long_integer or (b"\\u0000" if isinstance(text, bytes) else "\\u0000") in text


def uncarried(value, path: str = "") -> list[dict]:
    """``{"field", "message"}`` for each integer beyond 64 bits and each string (or field
    name) with a NUL character in ``value``, at its field path."""
    found: list[dict] = []
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            if any(NUL in str(key) for key in item):
                found.append({"field": where or "body", "message": "a field name with a NUL character is not allowed"})
            stack.extend((_at(where, key), v) for key, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((_at(where, n), v) for n, v in reversed(list(enumerate(item))))
        elif isinstance(item, str) and NUL in item:
            found.append({"field": where or "body", "message": "a NUL character is not allowed"})
        elif isinstance(item, int) and not isinstance(item, bool) and not INT64[0] <= item <= INT64[1]:
            found.append({"field": where or "body", "message": "a number this large is not allowed"})
    return found


def _at(where: str, step) -> str:
    return f"{where}.{step}" if where else str(step)


def uncarried_query(args) -> list[dict]:
    """The same for a query string (werkzeug's ``MultiDict``): a parameter with a NUL character,
    named. A search for one would be answered, and then its ``search_performed`` event could not
    be archived: retried, then dead-lettered."""
    return [{"field": key, "message": "a NUL character is not allowed"}
            for key in dict.fromkeys(key for key, value in args.items(multi=True) if NUL in key or NUL in value)]
