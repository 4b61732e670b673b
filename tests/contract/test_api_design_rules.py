"""The OpenAPI document against the NL API Design Rules that can be read from a document, each
rule a function written from its text; ``docs/api-design-rules.md`` says for each whether it is
applied (no finding allowed) or explained (why not). A finding of a rule the table does not
explain fails, and so does a checked rule missing from the table."""
from __future__ import annotations

import copy
import json
import re
import subprocess
from collections import defaultdict

import pytest

from services.chassis.settings import config_of
from services.gateway.openapi import document
from services.gateway.settings import Settings
from tests.infra import ROOT

METHODS = ("get", "put", "post", "delete", "patch")
RULES: dict = {}


def served_document(**settings) -> dict:
    """``/openapi.json`` as a gateway with these settings (the rest their defaults) serves it."""
    return document(config_of(Settings, **{"amqp_uri": "amqp://127.0.0.1/", **settings}))


def rule(name: str):
    def register(check):
        RULES[name] = check
        return check
    return register


def api_path(path: str) -> bool:
    """An operation of the API (or its documents and health), not a page for people."""
    return path.startswith("/api/") or path in ("/health", "/openapi.json", "/asyncapi.json")


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def scoped(name: str, path: str) -> str:
    return name if api_path(path) else f"{name} (pages)"


@rule("/core/doc-openapi")
def _openapi_three(doc):
    if not re.fullmatch(r"3\.\d+\.\d+", str(doc.get("openapi", ""))):
        yield "/core/doc-openapi", f"openapi: {doc.get('openapi')!r}"


@rule("/core/publish-openapi")
def _servers(doc):
    if not doc.get("servers"):
        yield "/core/publish-openapi", "no servers"
    ids = [op["operationId"] for _, _, op in operations(doc) if "operationId" in op]
    if len(ids) != len(set(ids)):
        yield "/core/publish-openapi", "operationIds repeat"


@rule("/core/doc-openapi-contact")
def _contact(doc):
    contact = doc["info"].get("contact") or {}
    for field in ("name", "url", "email"):
        if not contact.get(field):
            yield "/core/doc-openapi-contact", f"info.contact.{field} missing"


@rule("/core/semver")
def _semver(doc):
    if not re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?",
                        doc["info"]["version"]):
        yield "/core/semver", doc["info"]["version"]


@rule("/core/version-header")
def _version_header(doc):
    for path, method, operation in operations(doc):
        for status, answer in operation["responses"].items():
            if status[0] in "23" and "api-version" not in {h.lower() for h in answer.get("headers", {})}:
                yield scoped("/core/version-header", path), f"{method} {path} {status}"


@rule("/core/uri-version")
def _uri_version(doc):
    for server in doc.get("servers", []):
        if not re.search(r"/v\d", server["url"]):
            yield "/core/uri-version", f"server {server['url']}"
    for path in doc["paths"]:
        if path.startswith("/api/") and not re.match(r"^/api/v\d+/", path):
            yield "/core/uri-version", path


@rule("/core/no-trailing-slash")
def _no_trailing_slash(doc):
    for path in doc["paths"]:
        if path != "/" and path.endswith("/"):
            yield "/core/no-trailing-slash", path


@rule("/core/http-methods")
def _http_methods(doc):
    for path, item in doc["paths"].items():
        for key in item:
            if key not in (*METHODS, "parameters", "summary", "description", "servers"):
                yield "/core/http-methods", f"{key} {path}"


SEGMENT = r"([a-z0-9-]+|\{[^}]+\})"


@rule("/core/path-segments-kebab-case")
def _kebab(doc):
    for path in doc["paths"]:
        if path in ("/", "/openapi.json"):
            continue
        first, *rest = path.strip("/").split("/")
        if not re.fullmatch(SEGMENT, first) or not all(re.fullmatch(r"([a-z0-9.-]+|\{[^}]+\})", s) for s in rest):
            yield scoped("/core/path-segments-kebab-case", path), path


@rule("/core/query-keys-camel-case")
def _camel_query(doc):
    for path, method, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not re.fullmatch(r"[a-z][a-z0-9]*([A-Z][a-z0-9]*)*", parameter["name"]):
                yield scoped("/core/query-keys-camel-case", path), f"{method} {path} ?{parameter['name']}"


def _resolved(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@rule("/core/error-handling/problem-details")
def _problems(doc):
    for path, method, operation in operations(doc):
        for status, answer in operation["responses"].items():
            if status[0] not in "45" or "content" not in answer:
                continue
            content = answer["content"]
            if "application/problem+json" not in content:
                yield scoped("/core/error-handling/problem-details", path), f"{method} {path} {status}: {sorted(content)}"
                continue
            fields = _resolved(doc, content["application/problem+json"]["schema"]).get("properties", {})
            if not {"status", "title", "detail"} <= set(fields):
                yield scoped("/core/error-handling/problem-details", path), f"{method} {path} {status}: {sorted(fields)}"


@rule("/core/error-handling/invalid-input")
def _bad_request(doc):
    for path, method, operation in operations(doc):
        takes_input = method in ("put", "post", "patch") or bool(operation.get("parameters"))
        if takes_input and "400" not in operation["responses"]:
            yield scoped("/core/error-handling/invalid-input", path), f"{method} {path}"


def properties(node, where=""):
    """(where, name, schema) of every property of every schema in the document."""
    if isinstance(node, dict):
        for name, schema in (node.get("properties") or {}).items():
            if isinstance(schema, dict):
                yield where, name, schema
        for key, value in node.items():
            yield from properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from properties(value, f"{where}/{i}")


def formats(schema: dict) -> set:
    found = {schema.get("format")}
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found |= formats(part)
    if isinstance(schema.get("items"), dict):
        found |= formats(schema["items"])
    return found - {None}


@rule("/core/date-time/timezone")
def _zones(doc):
    for where, name, schema in properties(doc):
        if formats(schema) & {"date-time-local", "time"}:
            yield "/core/date-time/timezone", f"{where}.{name}: {sorted(formats(schema))}"


@rule("/core/date-time/date-omit-time-portion")
def _days(doc):
    for where, name, schema in properties(doc):
        if name in ("date", "datum") or re.search(r"(\w+D|_[dD])(ate|atum)", name):
            if "date" not in formats(schema) or "date-time" in formats(schema):
                yield "/core/date-time/date-omit-time-portion", f"{where}.{name}: {sorted(formats(schema))}"


@rule("nlgov:schema-camel-case (warning)")
def _schema_names(doc):
    for name in doc["components"]["schemas"]:
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
            yield "nlgov:schema-camel-case (warning)", name


@rule("nlgov:servers-use-https (warning)")
def _https(doc):
    for server in doc.get("servers", []):
        if server["url"].startswith("http://"):
            yield "nlgov:servers-use-https (warning)", server["url"]


TABLE = ROOT / "docs" / "api-design-rules.md"
ROW = re.compile(r"^\| `([^`]+)`( \(warning\))? \| (applied|explained) \| ([^|]*) \|", re.MULTILINE)


def table() -> dict:
    """Rule -> status, from docs/api-design-rules.md."""
    return {name + warning: status for name, warning, status, _ in ROW.findall(TABLE.read_text())}


def linter_rows() -> dict:
    """(Logius linter rule, pages or not) -> the table's row for it, from its "Logius linter rules"."""
    rows = {}
    for name, warning, _, codes in ROW.findall(TABLE.read_text()):
        for code in re.findall(r"`([^`]+)`", codes):
            rows[code, name.endswith(" (pages)")] = name + warning
    return rows


@pytest.fixture(scope="module")
def findings() -> dict:
    doc = served_document()
    found = defaultdict(list)
    for check in RULES.values():
        for name, where in check(doc):
            found[name].append(where)
    return found


def test_every_finding_is_of_a_rule_the_table_explains(findings):
    statuses = table()
    unexplained = {name: where[:5] for name, where in findings.items() if statuses.get(name) != "explained"}
    assert not unexplained, unexplained


def test_every_checked_rule_has_its_row(findings):
    statuses = table()
    assert set(RULES) <= set(statuses), sorted(set(RULES) - set(statuses))
    assert set(findings) <= set(statuses), sorted(set(findings) - set(statuses))


def test_what_is_explained_is_what_is_found(findings):
    """A rule marked explained that no longer has a finding is applied now: the table says so."""
    stale = [name for name, status in table().items() if status == "explained" and name not in findings]
    assert not stale, stale


def test_the_checks_find_what_breaks_a_rule():
    """Each check fails on a document that breaks its rule (so a passing suite means something)."""
    broken = copy.deepcopy(served_document())     # the served one is kept for every request
    broken["info"].pop("contact")
    broken["openapi"] = "2.0"
    broken["paths"]["/api/v1/things/"] = {"trace": {"responses": {"200": {"description": "OK"}}},
                                          "get": {"parameters": [{"name": "page_size", "in": "query"}],
                                                  "responses": {"200": {"description": "OK"},
                                                                "404": {"description": "x", "content": {"text/plain": {}}}}}}
    broken["components"]["schemas"]["Thing"] = {"properties": {"start_date": {"type": "string", "format": "date-time"},
                                                               "opens": {"type": "string", "format": "time"}}}
    found = {name for check in RULES.values() for name, _ in check(broken)}
    assert {"/core/doc-openapi", "/core/doc-openapi-contact", "/core/no-trailing-slash", "/core/http-methods",
            "/core/version-header", "/core/query-keys-camel-case", "/core/error-handling/problem-details",
            "/core/error-handling/invalid-input", "/core/date-time/timezone",
            "/core/date-time/date-omit-time-portion"} <= found, found


# Logius's own linter: Spectral with the ruleset Logius publishes, pinned (its header says where from)
RULESET = ROOT / "tests" / "contract" / "adr" / "linter.yaml"
SPECTRAL = ROOT / ".run" / "node" / "node_modules" / ".bin" / "spectral"


def spectral(doc: dict, tmp_path) -> list[dict]:
    """What Spectral with the Logius ruleset reports on ``doc``: its JSON results."""
    assert SPECTRAL.exists(), "Spectral is missing: `make setup` installs it into .run/node"
    source, report = tmp_path / "openapi.json", tmp_path / "report.json"
    source.write_text(json.dumps(doc))
    done = subprocess.run([str(SPECTRAL), "lint", "-r", str(RULESET), "-f", "json", "-o", str(report), "-q",
                           "--fail-severity", "error", str(source)], capture_output=True, text=True, timeout=180)
    assert report.exists(), done.stderr
    return json.loads(report.read_text() or "[]")


def on_a_page(result: dict) -> bool:
    where = result["path"]
    return len(where) > 1 and where[0] == "paths" and not api_path(where[1])


def ruleset_codes() -> set:
    """Every rule the pinned ruleset switches on (two-space keys under ``rules:``)."""
    text = RULESET.read_text().split("\nrules:\n", 1)[1]
    return set(re.findall(r"^  ([a-z0-9:-]+):", text, re.MULTILINE))


@pytest.fixture(scope="module")
def linted(tmp_path_factory) -> list[dict]:
    return spectral(served_document(), tmp_path_factory.mktemp("spectral"))


def test_every_linter_finding_is_of_a_rule_the_table_explains(linted):
    rows, statuses = linter_rows(), table()
    wrong = defaultdict(list)
    for result in linted:
        row = rows.get((result["code"], on_a_page(result)))
        if statuses.get(row) != "explained":
            wrong[f"{result['code']} -> {row}"].append("/".join(map(str, result["path"]))[:90])
    assert not wrong, {code: where[:3] for code, where in wrong.items()}


def test_the_linter_finds_what_the_table_explains(linted):
    """An explained row that names linter rules has a finding of one of them (or the row is stale)."""
    found = {(result["code"], on_a_page(result)) for result in linted}
    named = defaultdict(set)
    for key, row in linter_rows().items():
        named[row].add(key)
    explained = [row for row, status in table().items() if status == "explained"]
    stale = [row for row in explained if not named[row] & found]
    assert not stale, stale


def test_every_rule_of_the_ruleset_has_its_row():
    assert ruleset_codes(), "no rules read from the ruleset"
    named = {code for code, _ in linter_rows()}
    assert ruleset_codes() <= named, sorted(ruleset_codes() - named)


def test_the_linter_finds_what_breaks_a_rule(tmp_path):
    """The linter really runs, with the pinned rules: a document without its contact, with a
    trailing slash and without the version header is reported for each."""
    broken = copy.deepcopy(served_document())
    broken["info"].pop("contact")
    broken["paths"]["/api/v1/things/"] = {"get": {"operationId": "things", "responses": {"200": {"description": "OK"}}}}
    codes = {result["code"] for result in spectral(broken, tmp_path) if result["severity"] == 0}
    assert {"info-contact", "path-keys-no-trailing-slash", "nlgov:missing-header"} <= codes, codes
