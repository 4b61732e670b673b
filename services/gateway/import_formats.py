"""Bulk import formats, read as streams: NDJSON (a course a line), CSV (an offering a row,
the rows of one course together) and OOAPI v5 (``{"items": [course with offerings]}``).
Each reader yields ``(line, course dict)`` or ``(line, ParseError)``; nothing here holds more
than one course in memory, except OOAPI, which is one JSON document."""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from typing import IO, Iterator

import ijson

from services.chassis.csvfile import csv_text
from services.gateway.bodies import NUL, loads, uncarried
from services.contracts.ooapi import ooapi_course

LIST_SEPARATOR = ";"
CSV_COURSE_FIELDS = ("external_id", "title", "description", "keywords", "level", "sectors", "situations",
                     "credential", "languages", "study_load_hours", "entry_requirements", "url",
                     "funding_schemes")
CSV_LIST_FIELDS = {"keywords", "sectors", "situations", "languages", "funding_schemes"}
CSV_OFFERING_FIELDS = {"offering_external_id": "external_id", "start_date": "start_date", "end_date": "end_date",
                       "mode": "mode", "price_eur": "price_eur", "seats_available": "seats_available",
                       "status": "status", "schedule": "schedule"}
CSV_LOCATION_FIELDS = ("street", "city", "postcode")
CSV_COLUMNS = CSV_COURSE_FIELDS + tuple(CSV_OFFERING_FIELDS) + CSV_LOCATION_FIELDS
# each CSV column in words (Dutch, English) and an example cell: the upload page lists them and
# the template file is made of them
CSV_HELP = {
    "external_id": ("Je eigen code van de opleiding (verplicht)", "Your own code for the course (required)", "HEF-01"),
    "title": ("Naam van de opleiding (verplicht)", "Name of the course (required)", "Heftruck rijden"),
    "description": ("Wat je leert", "What you learn", "Veilig werken met de heftruck"),
    "keywords": ("Zoekwoorden, gescheiden door ;", "Search words, separated by ;", "heftruck;intern transport"),
    "level": ("Niveau (verplicht): praktijkleren, mbo-1 ... mbo-4, hbo-associate-degree, hbo-bachelor, hbo-master, "
              "wo-bachelor, wo-master, nt2 of geen", "Level (required): praktijkleren, mbo-1 ... mbo-4, "
              "hbo-associate-degree, hbo-bachelor, hbo-master, wo-bachelor, wo-master, nt2 or geen", "mbo-2"),
    "sectors": ("Sectoren, gescheiden door ;", "Sectors, separated by ;", "logistiek"),
    "situations": ("Voor wie: eigen-werk, andere-sector, werkgever, werkzoekend, zelfstandige (gescheiden door ;)",
                   "For whom: eigen-werk, andere-sector, werkgever, werkzoekend, zelfstandige (separated by ;)",
                   "werkzoekend"),
    "credential": ("Wat je krijgt: diploma, certificaat, deelcertificaat, microcredential, bewijs-van-deelname of geen",
                   "What you get: diploma, certificaat, deelcertificaat, microcredential, bewijs-van-deelname or geen",
                   "certificaat"),
    "languages": ("Talen van de les (nl, en, ...), gescheiden door ;", "Languages taught in (nl, en, ...), separated by ;",
                  "nl"),
    "study_load_hours": ("Studielast in uren", "Study load in hours", "8"),
    "entry_requirements": ("Wat iemand vooraf nodig heeft", "What someone needs beforehand", "Geen"),
    "url": ("Webadres van de opleiding bij jullie", "Web address of the course at your site", "https://example.nl/heftruck"),
    "funding_schemes": ("Codes van regelingen, gescheiden door ;", "Codes of funding schemes, separated by ;", ""),
    "offering_external_id": ("Je eigen code van het startmoment (een regel per startmoment)",
                             "Your own code for the start moment (a row per start moment)", "2027-03"),
    "start_date": ("Startdatum (2027-03-01 of 1-3-2027)", "Start date (2027-03-01 or 1-3-2027)", "2027-03-01"),
    "end_date": ("Einddatum", "End date", "2027-03-02"),
    "mode": ("Vorm: klassikaal, online, blended of incompany", "Mode: klassikaal, online, blended or incompany",
             "klassikaal"),
    "price_eur": ("Prijs in euro, inclusief btw (325 of 325,00)", "Price in euros, VAT included (325 or 325.00)", "325"),
    "seats_available": ("Plaatsen vrij", "Places left", "10"),
    "status": ("open, full, closed of cancelled", "open, full, closed or cancelled", "open"),
    "schedule": ("Rooster in woorden", "Schedule in words", "dinsdag en woensdag 9.00-16.00"),
    "street": ("Straat en huisnummer", "Street and number", "Havenweg 1"),
    "city": ("Plaats (verplicht als de vorm niet online is, of een postcode)",
             "Town (required unless the mode is online, or a postcode)", "Venlo"),
    "postcode": ("Postcode", "Postcode", "5928 AA"),
}
OOAPI_MAX_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024     # an NDJSON course or a CSV row: a course is a few KB, 1,000 offerings ~300 KB


class ParseError(Exception):
    def __init__(self, message: str, field: str = "body", errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or [{"field": field, "message": message}]


def _carried(course: dict, path: str = "") -> dict | ParseError:
    """The course, or why the platform cannot take it (bodies.uncarried)."""
    errors = uncarried(course, path)
    return ParseError(errors[0]["message"], errors=errors) if errors else course


UTF8 = "utf-8"


def line_encoding(fmt: str, charset: str | None) -> str:
    """The codec of a body's declared charset (``Content-Type: text/csv; charset=windows-1252``,
    as Excel's plain "CSV" is saved), UTF-8 if none; ValueError saying why it cannot be read.
    The line formats take any charset that writes ASCII as ASCII (they are split at newlines
    before decoding); an OOAPI document is JSON, which is UTF-8."""
    if not charset:
        return UTF8
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        raise ValueError(f"unknown charset {charset!r}") from None
    if fmt == "ooapi" and name != UTF8:
        raise ValueError("an OOAPI document is JSON, which is UTF-8")
    try:
        ascii_as_ascii = "\n,;\"az09".encode(name) == b"\n,;\"az09"
    except (LookupError, UnicodeError):     # not a text encoding at all (base64, rot13, ...)
        ascii_as_ascii = False
    if not ascii_as_ascii:
        raise ValueError(f"charset {charset!r} cannot be read line by line: send UTF-8 or an 8-bit "
                         "charset such as windows-1252")
    return name


def _capped_lines(stream: IO[bytes], unreadable: dict[int, str]) -> Iterator[bytes]:
    """The body's lines, none held longer than MAX_LINE_BYTES: the rest of a longer one is read
    past, not kept (a line without end would fill the memory), and why put in ``unreadable``."""
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
            unreadable[number] = f"is longer than {MAX_LINE_BYTES // 1024} KiB"
            line = line[:MAX_LINE_BYTES] + b"\n"       # its start: the line is rejected, the next ones read
        yield line


def _text_lines(stream: IO[bytes], unreadable: dict[int, str], encoding: str = UTF8) -> Iterator[str]:
    """The body's lines as text (a UTF-8 BOM before the first is dropped). A line that is not
    text in ``encoding``, or holds a NUL character, is read with replacement characters and why
    put in ``unreadable[number]``, so the reader can reject what it was part of and go on."""
    named = "UTF-8" if encoding == UTF8 else encoding
    for number, raw in enumerate(_capped_lines(stream, unreadable), start=1):
        if number == 1 and encoding == UTF8 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            unreadable[number] = f"is not {named} text"
            text = raw.decode(encoding, errors="replace")
        if NUL in text:
            unreadable[number] = "holds a NUL character"
            text = text.replace(NUL, "\ufffd")
        yield text


def read_ndjson(stream: IO[bytes], encoding: str = UTF8) -> Iterator[tuple[int, dict | ParseError]]:
    unreadable: dict[int, str] = {}
    for number, raw in enumerate(_text_lines(stream, unreadable, encoding), start=1):
        if unreadable:
            yield number, ParseError(f"line {unreadable.pop(number)}")
            continue
        if not raw.strip():
            continue
        try:
            course, suspect = loads(raw)
        except ValueError as exc:
            yield number, ParseError(f"line is not valid JSON: {exc}")
            continue
        if not isinstance(course, dict):
            yield number, ParseError("line is not a JSON object")
            continue
        yield number, _carried(course) if suspect else course


def read_csv(stream: IO[bytes], encoding: str = UTF8) -> Iterator[tuple[int, dict | ParseError]]:
    """Rows of one course (same external_id) must follow each other; the course is reported
    at its first row's line (the header is line 1)."""
    unreadable: dict[int, str] = {}
    lines = _text_lines(stream, unreadable, encoding)
    header = next(lines, "")
    delimiter = _delimiter(header)
    reader = csv.DictReader(itertools.chain([header], lines), delimiter=delimiter)
    # reads the header; a name's case and spaces around it do not matter, and the nameless
    # columns a spreadsheet leaves after the last one are no columns
    try:
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or ()]
    except csv.Error as exc:        # found by tests/unit/test_hostile_input.py: a body of b"\r\x00"
        yield 1, ParseError(f"the header cannot be read as CSV: {exc}", "header")
        return
    columns = set(reader.fieldnames) - {""}
    dutch_locale = delimiter == ";"   # the comma is its decimal separator
    if unreadable:
        yield 1, ParseError(f"the header {unreadable[1]}", "header")
        return
    unknown = columns - set(CSV_COLUMNS)
    if unknown:     # a misspelt column would otherwise be left out of every course unnoticed
        yield 1, ParseError(f"the header has columns no course or offering has: {sorted(unknown)} "
                            f"(the columns are {', '.join(CSV_COLUMNS)})", "header")
        return
    missing = {"external_id", "title", "level"} - columns
    if missing:
        yield 1, ParseError(f"the header lacks the columns {sorted(missing)}", "header")
        return
    current, first_line, seen, broken, line = None, 0, set(), None, 1
    for row in _rows(reader):
        if isinstance(row, ParseError):     # the csv module could not read it: the row alone is rejected
            line += 1                       # (it stopped inside the row: line_num is not past it)
            yield line, row
            continue
        line = reader.line_num
        external_id = (row.get("external_id") or "").strip()
        if unreadable:      # a line of the row is not UTF-8 or holds a NUL: its course is not stored at all
            why = next(iter(unreadable.values()))
            unreadable.clear()
            if current is not None and external_id != current.get("external_id", ""):
                yield first_line, current
            current, broken = None, external_id
            seen.add(external_id)
            yield line, ParseError(f"the row {why}; its course is not stored")
            continue
        if external_id == broken:       # the course's other rows: reported with the row above
            continue
        if current is not None and external_id == current.get("external_id", ""):
            current["offerings"].append(_csv_offering(row, dutch_locale))
            continue
        if current is not None:
            yield first_line, current
        if external_id in seen:
            current = None
            yield line, ParseError(f"the rows of course {external_id!r} are not together", "external_id")
            continue
        seen.add(external_id)
        current, first_line = _csv_course(row, dutch_locale), line
    if current is not None:
        yield first_line, current


def _rows(reader: csv.DictReader) -> Iterator[dict | ParseError]:
    """The reader's rows, and a ParseError for one it cannot read (a field over the csv
    module's size limit, say) instead of an error that ends the import."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseError(f"the row cannot be read as CSV: {exc}")


def _delimiter(header: str) -> str:
    """``,`` as RFC 4180 has it. A spreadsheet saved as CSV in a Dutch locale (Excel,
    LibreOffice) separates with ``;``, since its decimal separator is the comma, and a
    tab-separated export with tabs: the header, which holds only column names, tells."""
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


def _csv_date(value: str) -> str:
    """ISO ``2027-03-02``, or ``2-3-2027`` / ``02-03-2027`` as a Dutch spreadsheet writes it."""
    dutch = DUTCH_DATE.fullmatch(value)
    return f"{dutch[3]}-{int(dutch[2]):02d}-{int(dutch[1]):02d}" if dutch else value


THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
DECIMAL_COMMA = re.compile(r"(?:\d{1,3}(?:\.\d{3})+|\d+),\d{1,2}")


def _csv_price(value: str, dutch_locale: bool) -> str:
    """A euro amount as a spreadsheet shows it: a ``€`` sign dropped, a decimal comma read as
    such in any file (``1.234,50`` is 1234.50; a tab-separated export of a Dutch spreadsheet has
    them too), and in a ``;`` file, where the dot can only group thousands, ``1.500`` as 1500."""
    value = value.replace("€", "").replace("\u00a0", "").strip()
    if DECIMAL_COMMA.fullmatch(value) or (dutch_locale and THOUSANDS.fullmatch(value)):
        value = value.replace(".", "").replace(",", ".")
    return value


def _csv_course(row: dict, dutch_locale: bool) -> dict:
    course = {}
    for field in CSV_COURSE_FIELDS:
        value = (row.get(field) or "").strip()
        if field in CSV_LIST_FIELDS:
            if value:
                course[field] = [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]
        elif value:
            course[field] = value
    course["offerings"] = ([_csv_offering(row, dutch_locale)] if (row.get("offering_external_id") or "").strip()
                           else [])
    return course


def _csv_offering(row: dict, dutch_locale: bool) -> dict:
    offering = {target: row[column].strip() for column, target in CSV_OFFERING_FIELDS.items()
                if (row.get(column) or "").strip()}
    for field in ("start_date", "end_date"):
        if field in offering:
            offering[field] = _csv_date(offering[field])
    if "price_eur" in offering:
        offering["price_eur"] = _csv_price(offering["price_eur"], dutch_locale)
    location = {f: row[f].strip() for f in CSV_LOCATION_FIELDS if (row.get(f) or "").strip()}
    if location:
        offering["location"] = location
    return offering


def read_ooapi(stream: IO[bytes], encoding: str = UTF8,
               higher_education: str = "hbo") -> Iterator[tuple[int, dict | ParseError]]:
    """Lines here are 1-based positions in ``items``; the document is UTF-8 (line_encoding).
    ``higher_education``: what a bachelor or master is where the feed does not say (hbo or wo).
    The document is parsed as it arrives (ijson), one item at a time: its size costs no memory."""
    number, seen_items = 0, False
    try:
        for event, value in _ooapi_items(_Capped(stream, OOAPI_MAX_BYTES)):
            if event == "items":
                seen_items = True
                continue
            number += 1
            yield number, _ooapi_item(number, value, higher_education)
    except _TooLarge:
        yield 0, ParseError(f"an OOAPI document may be at most {OOAPI_MAX_BYTES // 2**20} MiB; use NDJSON")
        return
    except (ijson.JSONError, ValueError) as exc:
        yield 0, ParseError(f"the body is not valid JSON: {exc}")
        return
    if not seen_items:
        yield 0, ParseError('an OOAPI courses response has an "items" list', "items")


def _ooapi_items(stream) -> Iterator[tuple[str, object]]:
    """("items", None) once the top-level ``items`` list opens, then ("item", value) for each of
    its elements, built from ijson's events (nothing else of the document is kept)."""
    builder = None
    for prefix, event, value in ijson.parse(stream, use_float=True):
        if prefix == "items" and event == "start_array":
            yield "items", None
        elif builder is not None:
            builder.event(event, value)
            if prefix == "items.item" and event in ("end_map", "end_array"):
                yield "item", builder.value
                builder = None
        elif prefix == "items.item":
            if event in ("start_map", "start_array"):
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            else:
                yield "item", value


def _ooapi_item(number: int, item, higher_education: str) -> dict | ParseError:
    field = f"items.{number - 1}"
    if not isinstance(item, dict):
        return ParseError("not an object", field)
    if isinstance(carried := _carried(item, field), ParseError):
        return carried
    try:
        return ooapi_course(item, higher_education)
    except ArithmeticError:
        return ParseError("not an OOAPI course: a priceInformation amount is not a number", field)
    except (TypeError, AttributeError, ValueError) as exc:
        # a part of another shape than OOAPI's (a name that is a number, a list that is not)
        return ParseError(f"not an OOAPI course: {type(exc).__name__}: {exc}", field)


class _TooLarge(Exception):
    pass


class _Capped:
    """``stream`` read as far as ``limit`` bytes; a byte more raises ``_TooLarge``."""

    def __init__(self, stream, limit: int):
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(1 << 16 if size is None or size < 0 else size)
        self.left -= len(chunk)
        if self.left < 0:
            raise _TooLarge()
        return chunk


READERS = {"ndjson": read_ndjson, "csv": read_csv, "ooapi": read_ooapi}


class _Raw(io.RawIOBase):
    """A plain ``read(n)`` body (eventlet's input for a chunked upload) as a raw stream."""

    def __init__(self, source):
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


READ_SIZE = 1 << 16


def readable(stream) -> IO[bytes]:
    """The request body as a buffered stream the readers take lines from (any upload: sized or
    chunked), read from the socket in large pieces: werkzeug's and eventlet's own ``readline``
    read a line in small steps (a 100k-offering import took twice as long)."""
    return io.BufferedReader(_Raw(stream), buffer_size=READ_SIZE)


def column_of(fmt: str, field: str) -> str:
    """Where a provider wrote the field an error names (``offerings.0.location.city``): the CSV
    column (``city``), or for NDJSON and OOAPI the field as a path (``offerings[0].location.city``)."""
    parts = field.split(".")
    if fmt == "csv":
        if parts[0] == "offerings" and len(parts) > 2:
            inner = parts[-1] if parts[2] == "location" else parts[2]
            return next((c for c, target in CSV_OFFERING_FIELDS.items() if target == inner), inner)
        return parts[0]
    return "".join(f"[{p}]" if p.isdigit() else (f".{p}" if i else p) for i, p in enumerate(parts))


def looks_like(head: bytes) -> str | None:
    """The format the start of a file looks like (``csv``, ``ndjson``, ``ooapi``), or None."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        first_line = text.split(b"\n", 1)[0]
        return "ooapi" if b'"items"' in text[:4096] and not first_line.rstrip().endswith(b"}") else "ndjson"
    if text.startswith(b"["):
        return None
    first_line = text.split(b"\n", 1)[0].lower()
    return "csv" if b"external_id" in first_line and (b"," in first_line or b";" in first_line) else None


def csv_template() -> str:
    """A CSV file a provider can fill in: every column and one example row."""
    return csv_text([list(CSV_COLUMNS), [CSV_HELP[c][2] for c in CSV_COLUMNS]])
