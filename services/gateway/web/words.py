"""The words the pages use for their fields, in Dutch and English: the five situations as the
home page offers them, the labels of the search and intake fields, and what a page says when a
field is not filled in well (one message per field per language). A value's words (a level, a
status) are in the platform's vocabulary, ``contracts/vocabulary.py``."""
from __future__ import annotations

import re

from services.contracts.filters import FILTERS

SITUATIONS = {
    "eigen-werk": (("Ik wil mij ontwikkelen binnen mijn eigen werk", "Opleidingen die je verder helpen in je vak, en wat je werkgever of fonds betaalt."),
                   ("I want to grow in my own job", "Courses that take you further in your trade, and what your employer or fund pays.")),
    "andere-sector": (("Ik wil ander werk, in een andere sector", "Omscholen naar werk met toekomst, met de regelingen die daarbij helpen."),
                      ("I want other work, in another sector", "Retraining for work with a future, with the schemes that help.")),
    "werkgever": (("Ik wil mijn medewerkers graag opleiden", "Scholing voor je team en de fondsen die eraan bijdragen."),
                  ("I want to train my employees", "Training for your team and the funds that contribute.")),
    "werkzoekend": (("Ik zoek werk", "Korte opleidingen die je snel aan het werk helpen, vaak met steun."),
                    ("I am looking for work", "Short courses that get you working soon, often with support.")),
    "zelfstandige": (("Ik werk als zelfstandige", "Bijscholing voor zzp'ers en wat je daarvoor kunt krijgen."),
                     ("I am self-employed", "Further training for the self-employed and what support you can get.")),
}
# the search fields' labels, once: the form shows them and an error names its field by them
# (a filter's label is its declaration's: contracts/filters.py)
SEARCH_LABELS = {"q": ("Zoekwoorden", "Search words"), **{f.name: f.labels for f in FILTERS},
                 "sort": ("Sorteren op", "Sort by"), "page": ("Pagina", "Page")}
INTAKE_LABELS = {"name": ("Je naam", "Your name"), "email": ("E-mailadres", "Email address"), "phone": ("Telefoonnummer", "Phone number"),
                 "postcode": ("Postcode", "Postcode"), "situation": ("Je situatie", "Your situation"),
                 "preferred_contact": ("Hoe willen we je bereiken", "How shall we contact you"),
                 "message": ("Je vraag", "Your question"), "consent": ("Toestemming", "Consent"),
                 "course_id": ("Opleiding", "Course"), "body": ("Aanvraag", "Request")}


# what a page says of a field that is not filled in well: "missing" when it is empty, "invalid"
# otherwise. A service's own message about a field (intake's "zoals 1234 AB") is kept instead:
# those are in its contract, in both languages (``contracts/intake.py MESSAGES``).
FIELD_MESSAGES = {
    "name": {"missing": ("Vul je naam in", "Fill in your name"),
             "invalid": ("Je naam mag hoogstens 200 tekens zijn", "Your name can be at most 200 characters")},
    "situation": {"missing": ("Kies wat het beste bij je past", "Choose what fits you best")},
    "preferred_contact": {"missing": ("Kies hoe we je bereiken: telefoon of e-mail",
                                      "Choose how we contact you: phone or email")},
    "email": {"missing": ("Vul je e-mailadres in", "Fill in your email address"),
              "invalid": ("Vul een e-mailadres in zoals naam@voorbeeld.nl", "Fill in an email address like name@example.nl")},
    "phone": {"invalid": ("Vul een telefoonnummer in zoals 06 12 34 56 78", "Fill in a phone number like 06 12 34 56 78")},
    "postcode": {"invalid": ("Vul een postcode in zoals 1234 AB", "Fill in a postcode like 1234 AB")},
    "message": {"invalid": ("Je vraag mag hoogstens 2000 tekens zijn", "Your question can be at most 2000 characters")},
    "role": {"invalid": ("Kies een rol: beheerder of medewerker", "Choose a role: administrator or staff member")},
    "consent": {"missing": ("Geef toestemming, anders kunnen we je niet bellen of mailen",
                            "Give your consent, otherwise we cannot call or email you")},
    "q": {"invalid": ("Je zoekwoorden zijn te lang of bevatten een teken dat niet kan",
                      "Your search words are too long or contain a character we cannot use")},
    "near": {"invalid": ("Vul een plaats of postcode in, zoals Utrecht of 3511 AB",
                         "Fill in a place or postcode, like Utrecht or 3511 AB")},
    "radius_km": {"invalid": ("Vul een afstand in kilometers in, tussen 1 en 300", "Fill in a distance in kilometres, from 1 to 300")},
    "start_from": {"invalid": ("Vul een datum in, zoals 1 maart 2027", "Fill in a date, like 1 March 2027")},
    "start_to": {"invalid": ("Vul een datum in die niet voor 'Start vanaf' ligt",
                             "Fill in a date that is not before 'Starting from'")},
    "max_price": {"invalid": ("Vul een bedrag in hele euro's in, zoals 500", "Fill in an amount in whole euros, like 500")},
    "funding": {"invalid": ("Kies een regeling uit de lijst", "Choose a scheme from the list")},
    "sort": {"invalid": ("Kies hoe je wilt sorteren", "Choose how to sort")},
    "page": {"invalid": ("Deze pagina bestaat niet", "This page does not exist")},
    "type": {"missing": ("Kies wat er gebeurde", "Choose what happened"),
             "invalid": ("Kies een van de stappen hieronder", "Choose one of the steps below")},
    "until": {"missing": ("Vul in tot wanneer je wacht", "Fill in until when you wait"),
              "invalid": ("Vul een datum en tijd in die na nu ligt", "Fill in a date and time after now")},
    "note": {"invalid": ("De notitie mag hoogstens 2000 tekens zijn", "The note can be at most 2000 characters")},
}
# a message that is not about one field, or that the page says itself
MESSAGES = {
    "distance": ("Vul een plaats of postcode in om op afstand te sorteren",
                 "Fill in a place or postcode to sort by distance"),
    "too_many": ("Je hebt dit vaak gedaan. Probeer het later opnieuw.", "You did this many times. Try again later."),
    "other": ("Dit klopt niet, kijk het nog eens na", "This is not right, please check it"),
}


# what a course's validation says (pydantic's words and the catalogue's own), as a provider reads
# it on a page: each pattern once, in Dutch and English; {0}, {1} are the pattern's groups
PROBLEMS = (
    (r"^Field required$", "ontbreekt: vul deze in", "is missing: fill it in"),
    (r"^unknown field$", "deze kolom of dit veld kennen we niet", "we do not know this column or field"),
    (r"^String should have at most (\d+) characters?$", "mag hoogstens {0} tekens zijn", "can be at most {0} characters"),
    (r"^(?:String|Value) should have at least 1 (?:character|item).*$", "mag niet leeg zijn", "cannot be empty"),
    (r"^String should match pattern .*$", "bevat tekens die niet kunnen (alleen letters, cijfers en . _ : / -)",
     "holds characters that cannot be used (only letters, digits and . _ : / -)"),
    (r"^Input should be a valid date.*$", "is geen datum: schrijf hem als 2027-03-01 of 1-3-2027",
     "is not a date: write it as 2027-03-01 or 1-3-2027"),
    (r"^Input should be a valid (number|integer|decimal).*$", "is geen getal", "is not a number"),
    (r"^Input should be greater than or equal to (\S+)$", "moet {0} of meer zijn", "must be {0} or more"),
    (r"^Input should be less than or equal to (\S+)$", "mag hoogstens {0} zijn", "can be at most {0}"),
    (r"^Decimal input should have no more than 2 decimal places$", "hoogstens twee cijfers achter de komma",
     "at most two digits after the decimal point"),
    (r"^end_date is before start_date$", "de einddatum ligt voor de startdatum", "the end date is before the start date"),
    (r"^an offering with mode '(\w+)' needs a location$", "een startmoment met vorm {0} heeft een plaats of postcode nodig",
     "a start moment with mode {0} needs a town or postcode"),
    (r"^a location needs a city or a postcode$", "vul een plaats of postcode in", "fill in a town or postcode"),
    (r"^offering external_id '(.*)' appears twice$", "startmoment {0} staat er twee keer in",
     "start moment {0} is there twice"),
    (r"^unknown funding scheme '(.*)'$", "regeling {0} kennen we niet", "we do not know scheme {0}"),
    (r"^Input should be a valid URL.*$", "is geen webadres (begin met https://)", "is not a web address (start with https://)"),
    (r"^must be one line.*$", "moet op één regel (geen enter)", "must be on one line (no line break)"),
    (r"^List should have at most (\d+) items?.*$", "hoogstens {0} stuks", "at most {0} of them"),
    (r"^Input should be ('.*')$", "kies een van: {0}", "choose one of: {0}"),
)


def problem_text(message: str, lang: str) -> str:
    """A validation message in the provider's language (as it is, if no pattern knows it)."""
    for pattern, nl, en in PROBLEMS:
        match = re.match(pattern, message)
        if match:
            groups = [g.replace("'", "").replace(" or ", " of " if lang == "nl" else " or ") for g in match.groups()]
            return (nl if lang == "nl" else en).format(*groups)
    return message


def labels(table: dict, lang: str) -> dict:
    """A label table in one language."""
    return {k: v[0 if lang == "nl" else 1] for k, v in table.items()}


def situation_names(lang: str) -> dict:
    return {code: texts_[0 if lang == "nl" else 1][0] for code, texts_ in SITUATIONS.items()}
