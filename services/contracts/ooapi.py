"""OOAPI v5 courses (open-education-api, ``/courses`` and ``/courses/{id}/offerings``) mapped to
our course model: level, sector, study load, teaching address, mode and price, field by field.
Pure: the gateway's import reader (an uploaded courses response) and the catalogue's sync of a
provider's OOAPI endpoint both feed it one course at a time, with its offerings."""
from __future__ import annotations

from decimal import Decimal

from services.contracts.courses import iso_639_1

OOAPI_LEVELS = {
    "secondary vocational education 1": "mbo-1", "secondary vocational education 2": "mbo-2",
    "secondary vocational education 3": "mbo-3", "secondary vocational education 4": "mbo-4",
    "associate degree": "hbo-associate-degree", "nt2-1": "nt2", "nt2-2": "nt2",
}
# A bachelor or master is hbo or wo by the education's sector, which OOAPI gives on the education
# specification and on a program (their `sector`), not on the course: a course's expanded
# `programs` and `educationSpecification` say it; a feed that lacks both says it on the import
# (higher_education=wo: a university's feed), else it is hbo
OOAPI_SECTORS = {"higher professional education": "hbo", "university education": "wo"}
HIGHER_EDUCATION = ("hbo", "wo")
OOAPI_DEGREES = ("bachelor", "master")
# OOAPI's study load units that count hours; an EC is 28 hours of study (WHW art. 7.4)
OOAPI_HOURS_PER_UNIT = {"hour": 1, "sbu": 1, "ects": 28}
OOAPI_ADDRESS_RANK = {"teaching": 0, "visit": 1, "postal": 3, "billing": 4}    # others: 2
OOAPI_MODES = {"online": "online", "hybrid": "blended", "situated": "klassikaal", "on campus": "klassikaal",
               "distance-learning": "online", "work-based": "incompany"}


def _text(values, language: str = "nl-NL") -> str:
    """OOAPI's language-typed strings: the Dutch one, else the first."""
    if isinstance(values, str):
        return values
    values = values or []
    for value in values:
        if str(value.get("language", "")).lower().startswith(language[:2]):
            return value.get("value", "")
    return values[0].get("value", "") if values else ""


def _code(item: dict, id_field: str) -> str:
    return (item.get("primaryCode") or {}).get("code") or item.get(id_field) or ""


PHYSICAL_MODES = ("klassikaal", "incompany")


def _mode(value) -> str:
    """v5's modeOfDelivery is a list (modesOfDelivery.yaml): one mode is that mode; online with a
    physical one (or hybrid) is blended; only physical ones are the first of them; none known is
    taught on location."""
    values = value if isinstance(value, list) else [value] if value else []
    modes = list(dict.fromkeys(OOAPI_MODES[m] for m in (str(v).lower() for v in values) if m in OOAPI_MODES))
    if not modes:
        return "klassikaal"
    if len(modes) == 1:
        return modes[0]
    if "blended" in modes or "online" in modes:
        return "blended"
    return next(m for m in modes if m in PHYSICAL_MODES)


def _address(addresses: list) -> dict | None:
    """Where an offering is taught: its teaching address, else its visiting address, else any
    other it has; a postal or billing address (a PO box at the head office) only when alone."""
    return min((a for a in addresses if isinstance(a, dict)), default=None,
               key=lambda a: OOAPI_ADDRESS_RANK.get(str(a.get("addressType") or "").lower(), 2))


def _amount(cost: dict) -> Decimal | None:
    """A cost's amount, VAT included (Cost.yaml requires only its type): its ``amount``, else
    its parts ``amountWithoutVat`` plus ``vatAmount``; None when it gives neither."""
    if cost.get("amount") is not None:
        return Decimal(str(cost["amount"]))
    if cost.get("amountWithoutVat") is not None:
        return Decimal(str(cost["amountWithoutVat"])) + Decimal(str(cost.get("vatAmount") or 0))
    return None


def _ooapi_price(costs: list) -> str | None:
    """What a participant pays, in euros, from an offering's ``priceInformation``: its "total
    costs", else the sum of its other costs. A "STAP eligible" cost is the part of the total that
    the STAP subsidy covered, never added to it; a cost without an amount says nothing."""
    euros = [(c, amount) for c in costs if isinstance(c, dict) and (c.get("currency") or "EUR") == "EUR"
             and (amount := _amount(c)) is not None]
    kinds = [str(c.get("costType") or "").lower().replace("_", " ") for c, _ in euros]
    if "total costs" in kinds:
        return str(euros[kinds.index("total costs")][1])
    parts = [amount for (_, amount), kind in zip(euros, kinds) if kind != "stap eligible"] or [a for _, a in euros]
    return str(sum(parts)) if parts else None


def _sector(item: dict) -> str | None:
    """hbo or wo from the sector the course gives, or its education specification, or one of its
    expanded programs (or their education specifications); None when none of them says."""
    sources = [item, item.get("educationSpecification")]
    for program in item.get("programs") or []:
        if isinstance(program, dict):
            sources += [program, program.get("educationSpecification")]
    for source in sources:
        if isinstance(source, dict) and str(source.get("sector") or "").lower() in OOAPI_SECTORS:
            return OOAPI_SECTORS[str(source["sector"]).lower()]
    return None


def _level(item: dict, higher_education: str) -> str:
    level = str(item.get("level") or "").lower()
    if level in OOAPI_DEGREES:
        return f"{_sector(item) or higher_education}-{level}"
    return OOAPI_LEVELS.get(level, "geen")


def _study_load_hours(item: dict):
    """Hours from ``studyLoad`` (in hours, SBU or EC), else from a course's ``ects``; a load in
    contact time or study points says nothing of the hours of study. A value that is not a number
    is passed on for the course's validation to name."""
    load = item.get("studyLoad") or {}
    unit = str(load.get("studyLoadUnit") or load.get("typeOfStudyLoad") or "").lower()
    if unit:
        value, per = load.get("value"), OOAPI_HOURS_PER_UNIT.get(unit)
    else:
        value, per = item.get("ects"), OOAPI_HOURS_PER_UNIT["ects"]
    if value is None or per is None:
        return None
    if per == 1:
        return value
    try:
        return round(float(value) * per)
    except (TypeError, ValueError):
        return value


def ooapi_course(item: dict, higher_education: str = "hbo") -> dict:
    course = {
        "external_id": _code(item, "courseId"),
        "title": _text(item.get("name")),
        "description": _text(item.get("description")),
        "level": _level(item, higher_education),
        "offerings": [],
    }
    hours = _study_load_hours(item)
    if hours is not None:
        course["study_load_hours"] = hours
    if item.get("link"):
        course["url"] = item["link"]
    # OOAPI v5 gives teachingLanguage as ISO 639-2 (nld), and feeds also send a language tag
    # (nl-NL); ours are ISO 639-1, the course's first. None known leaves the default (Dutch).
    tags = [item.get("teachingLanguage"), *(o.get("teachingLanguage") for o in item.get("offerings") or [])]
    languages = list(dict.fromkeys(filter(None, (iso_639_1(str(tag)) for tag in tags if tag))))
    if languages:
        course["languages"] = languages
    for offering in item.get("offerings") or []:
        entry = {
            "external_id": _code(offering, "offeringId"),
            "start_date": offering.get("startDate"),
            "end_date": offering.get("endDate") or offering.get("startDate"),
            "mode": _mode(offering.get("modeOfDelivery") or item.get("modeOfDelivery")),
        }
        price = _ooapi_price(offering.get("priceInformation") or [])
        if price is not None:       # else the course is rejected for its missing price, not listed as free
            entry["price_eur"] = price
        if isinstance(offering.get("maxNumberStudents"), (int, float)):
            enrolled = offering.get("enrolledNumberStudents")
            entry["seats_available"] = max(0, int(offering["maxNumberStudents"]) - int(
                enrolled if isinstance(enrolled, (int, float)) else 0))
            if entry["seats_available"] == 0:
                entry["status"] = "full"
        address = _address(offering.get("addresses") or item.get("addresses") or [])
        # v5 names the postcode postalCode (earlier versions zip): with the city it tells which
        # Valkenburg is meant, and it places a village our list lacks
        postcode = address and (address.get("postalCode") or address.get("zip"))
        if address and (address.get("city") or postcode) and entry["mode"] != "online":
            entry["location"] = {k: v for k, v in (("city", address.get("city")), ("postcode", postcode)) if v}
        course["offerings"].append(entry)
    return course


