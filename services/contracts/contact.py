"""The rules of a person's contact details (part of intake's contract: the gateway checks an
intake request with them before it sends it, the intake service again): a phone number one can
call back on (E.164, phonenumbers), an e-mail address (email-validator, syntax only), a Dutch
postcode, and the chosen channel given.

Each message is said once, in Dutch and English (``MESSAGES``); the API answers the Dutch one,
a page the one of its language. They address the person as "je"."""
from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from services import places

MESSAGES: dict[str, tuple[str, str]] = {
    "phone": ("dit is geen telefoonnummer: vul het in zoals 06 12 34 56 78",
              "this is not a phone number: fill it in like 06 12 34 56 78"),
    "phone_digits": ("dit telefoonnummer bestaat niet: controleer het aantal cijfers",
                     "this phone number does not exist: check the number of digits"),
    "phone_service": ("dit is een servicenummer: geef een nummer waarop we je kunnen terugbellen",
                      "this is a service number: give a number we can call you back on"),
    "phone_800": ("een 0800-nummer is een servicenummer: geef een nummer waarop we je kunnen terugbellen",
                  "an 0800 number is a service number: give a number we can call you back on"),
    "phone_900": ("een 0900-nummer is betaald: geef een nummer waarop we je kunnen terugbellen",
                  "an 0900 number costs money: give a number we can call you back on"),
    "phone_906": ("een 0906-nummer is betaald: geef een nummer waarop we je kunnen terugbellen",
                  "an 0906 number costs money: give a number we can call you back on"),
    "phone_909": ("een 0909-nummer is betaald: geef een nummer waarop we je kunnen terugbellen",
                  "an 0909 number costs money: give a number we can call you back on"),
    "phone_97": ("een 097-nummer is voor apparaten, niet voor mensen: geef je eigen telefoonnummer",
                 "an 097 number is for machines, not people: give your own phone number"),
    "phone_14": ("een 14-nummer is het nummer van een gemeente: geef je eigen telefoonnummer",
                 "a 14 number belongs to a municipality: give your own phone number"),
    "email": ("dit is geen geldig e-mailadres: vul het in zoals naam@voorbeeld.nl",
              "this is not a valid email address: fill it in like name@example.nl"),
    "postcode": ("een postcode is vier cijfers en twee letters, zoals 1234 AB",
                 "a postcode is four digits and two letters, like 1234 AB"),
    "email_needed": ("je koos voor e-mail: vul je e-mailadres in", "you chose email: fill in your email address"),
    "phone_needed": ("je koos voor telefoon: vul je telefoonnummer in", "you chose phone: fill in your phone number"),
    "consent": ("zonder je toestemming kunnen we je niet bellen of mailen",
                "without your consent we cannot call or email you"),
}
BY_DUTCH = {nl: (nl, en) for nl, en in MESSAGES.values()}

# Dutch numbers no one can be called back on: service numbers (free, paid), machine-to-machine
# numbers and the short municipal numbers
REFUSED_PREFIXES = ("800", "900", "906", "909", "97", "14")


def said(key: str) -> str:
    """A message in Dutch (as the API answers it)."""
    return MESSAGES[key][0]


def phone_number(value: str) -> str:
    """A number to call back on, in E.164 (read as Dutch unless it carries a country code);
    ValueError with a Dutch message otherwise."""
    try:
        parsed = phonenumbers.parse(value, "NL")
    except phonenumbers.NumberParseException:
        raise ValueError(said("phone")) from None
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 31:
        for prefix in REFUSED_PREFIXES:
            if national.startswith(prefix):
                raise ValueError(said(f"phone_{prefix}"))
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(said("phone_digits"))
    kind = phonenumbers.number_type(parsed)
    if kind in (phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.TOLL_FREE,
                phonenumbers.PhoneNumberType.SHARED_COST):
        raise ValueError(said("phone_service"))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_for_people(e164: str | None) -> str | None:
    """A stored number as people write it: ``06 12 34 56 78`` for a Dutch mobile, the national
    form for another Dutch number, the international form otherwise."""
    if not e164:
        return e164
    try:
        parsed = phonenumbers.parse(e164, "NL")
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code != 31:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.national_significant_number(parsed)
    if national.startswith("6") and len(national) == 9:
        return "06 " + " ".join(national[i:i + 2] for i in range(1, 9, 2))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def email_address(value: str) -> str:
    """The address normalised (syntax only: no DNS); ValueError with a Dutch message."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(said("email")) from None


def postcode(value: str) -> str:
    """``1234 AB``; ValueError with a Dutch message."""
    match = places.POSTCODE.match(value or "")
    if not match:
        raise ValueError(said("postcode"))
    return f"{match.group(1)} {match.group(2).upper()}"


def contact_details(email: str | None, phone: str | None, postcode_text: str | None,
                    preferred: str | None) -> tuple[dict, list[dict]]:
    """The contact fields normalised (E.164, a normalised address, ``1234 AB``), and an error per
    bad field (Dutch, naming it). The chosen channel must be there."""
    out, errors = {"email": None, "phone": None, "postcode": None}, []
    checks = (("email", email, email_address), ("phone", phone, phone_number), ("postcode", postcode_text, postcode))
    for field_name, value, check in checks:
        if value:
            try:
                out[field_name] = check(value)
            except ValueError as exc:
                errors.append({"field": field_name, "message": str(exc)})
    if preferred in ("email", "phone") and not (email if preferred == "email" else phone) \
            and not any(e["field"] == preferred for e in errors):
        errors.append({"field": preferred, "message": said(f"{preferred}_needed")})
    return out, errors
