"""The words the pages use for the platform's values and fields, in Dutch and English: the five
situations, a request's steps and statuses as the person reads them, and the labels of the
search and intake fields (a form shows them and an error names its field by them)."""
from __future__ import annotations

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
# the steps and statuses of a request as the person reads them
PERSON_WORDS = {
    "nl": {"submitted": "Aanvraag ontvangen", "call_attempted": "We hebben je gebeld", "waiting_for_person":
           "We wachten op jou", "advice_given": "Advies gegeven", "enrolled": "Ingeschreven", "closed": "Afgesloten",
           "erased": "Gegevens gewist", "new": "nieuw", "in_progress": "in behandeling", "advised": "advies gegeven"},
    "en": {"submitted": "Request received", "call_attempted": "We called you", "waiting_for_person": "Waiting for you",
           "advice_given": "Advice given", "enrolled": "Enrolled", "closed": "Closed", "erased": "Data erased",
           "new": "new", "in_progress": "in progress", "advised": "advised"},
}
# the search fields' labels, once: the form shows them and an error names its field by them
# (a filter's label is its declaration's: contracts/filters.py)
SEARCH_LABELS = {"q": ("Zoekwoorden", "Search words"), **{f.name: f.labels for f in FILTERS},
                 "sort": ("Sorteren op", "Sort by"), "page": ("Pagina", "Page")}
INTAKE_LABELS = {"name": ("Naam", "Name"), "email": ("E-mailadres", "Email address"), "phone": ("Telefoonnummer", "Phone number"),
                 "postcode": ("Postcode", "Postcode"), "situation": ("Je situatie", "Your situation"),
                 "preferred_contact": ("Hoe willen we je bereiken", "How shall we contact you"),
                 "message": ("Je vraag", "Your question"), "consent": ("Toestemming", "Consent"),
                 "course_id": ("Opleiding", "Course"), "body": ("Aanvraag", "Request")}


def labels(table: dict, lang: str) -> dict:
    """A label table in one language."""
    return {k: v[0 if lang == "nl" else 1] for k, v in table.items()}


def situation_names(lang: str) -> dict:
    return {code: texts_[0 if lang == "nl" else 1][0] for code, texts_ in SITUATIONS.items()}
