"""The platform's values in words, once, in Dutch and English: what a person reads wherever a
page, a mail or a form shows a level, a sector, a mode, a situation, a status or a step. A code
(``mbo-2``, ``zorg-welzijn``, ``in_progress``) stays in URLs, the API and the data; a person
never sees it.

Each kind of value is a table ``code: (Dutch, English)``. An empty word means "say nothing"
(the level ``geen``: a course without a level shows none). The search filters read their values'
words from here (``contracts/filters.py``), the pages through ``word(kind, code, lang)``."""
from __future__ import annotations

VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "level": {
        "praktijkleren": ("praktijkleren", "learning on the job"),
        "mbo-1": ("mbo niveau 1", "MBO level 1"), "mbo-2": ("mbo niveau 2", "MBO level 2"),
        "mbo-3": ("mbo niveau 3", "MBO level 3"), "mbo-4": ("mbo niveau 4", "MBO level 4"),
        "hbo-associate-degree": ("hbo associate degree", "HBO associate degree"),
        "hbo-bachelor": ("hbo-bachelor", "HBO bachelor"), "hbo-master": ("hbo-master", "HBO master"),
        "wo-bachelor": ("wo-bachelor", "university bachelor"), "wo-master": ("wo-master", "university master"),
        "nt2": ("Nederlands als tweede taal", "Dutch as a second language"),
        "geen": ("", ""),
    },
    "sector": {
        "bouw": ("bouw", "construction"), "techniek": ("techniek", "engineering"),
        "zorg-welzijn": ("zorg en welzijn", "care and welfare"), "ict": ("ICT", "IT"),
        "logistiek": ("logistiek", "logistics"), "handel-retail": ("handel en winkels", "trade and retail"),
        "horeca-toerisme": ("horeca en toerisme", "hospitality and tourism"), "onderwijs": ("onderwijs", "education"),
        "overheid": ("overheid", "government"),
        "financiele-dienstverlening": ("financiële dienstverlening", "financial services"),
        "landbouw-groen": ("landbouw en groen", "agriculture and green spaces"), "industrie": ("industrie", "industry"),
        "energie": ("energie", "energy"), "cultuur-media": ("cultuur en media", "culture and media"),
        "transport": ("transport", "transport"),
        "schoonmaak-facilitair": ("schoonmaak en facilitaire dienst", "cleaning and facilities"),
        "algemeen": ("algemeen", "general"),
    },
    "mode": {
        "klassikaal": ("in een lokaal", "in a classroom"), "online": ("online", "online"),
        "blended": ("deels online, deels in een lokaal", "partly online, partly in a classroom"),
        "incompany": ("bij jullie op het werk", "at your workplace"),
    },
    "situation": {
        "eigen-werk": ("verder in mijn eigen werk", "growing in my own job"),
        "andere-sector": ("ander werk in een andere sector", "other work in another sector"),
        "werkgever": ("werkgever die medewerkers wil opleiden", "employer training staff"),
        "werkzoekend": ("op zoek naar werk", "looking for work"),
        "zelfstandige": ("zelfstandige (zzp)", "self-employed"),
    },
    "credential": {
        "diploma": ("diploma", "diploma"), "certificaat": ("certificaat", "certificate"),
        "deelcertificaat": ("deelcertificaat", "partial certificate"),
        "microcredential": ("microcredential", "microcredential"),
        "bewijs-van-deelname": ("bewijs van deelname", "certificate of attendance"),
        "geen": ("geen diploma of certificaat", "no diploma or certificate"),
    },
    "offering_status": {
        "open": ("plaats vrij", "places left"), "full": ("vol", "full"), "closed": ("inschrijving gesloten", "closed"),
        "cancelled": ("gaat niet door", "cancelled"),
    },
    "course_status": {
        "draft": ("concept", "draft"), "published": ("gepubliceerd", "published"),
        "withdrawn": ("teruggetrokken", "withdrawn"),
    },
    "provider_kind": {
        "oo-fonds": ("O&O-fonds", "training fund"), "brancheorganisatie": ("brancheorganisatie", "sector organisation"),
        "onderwijsinstelling": ("onderwijsinstelling", "school"), "opleider": ("opleider", "training provider"),
        "overheid": ("overheid", "government"),
    },
    # a member's role in their organisation (contracts/members.py)
    "member_role": {
        "beheerder": ("beheerder", "administrator"), "medewerker": ("medewerker", "staff member"),
    },
    # what happened to a membership, in its log (chassis/members.py)
    "member_change": {
        "invited_beheerder": ("uitgenodigd als beheerder", "invited as administrator"),
        "invited_medewerker": ("uitgenodigd als medewerker", "invited as staff member"),
        "signed_in": ("ingelogd", "signed in"), "removed": ("verwijderd", "removed"),
    },
    # a request as the advisor reads it: its status and the steps recorded
    "intake_status": {
        "new": ("nieuw", "new"), "in_progress": ("in behandeling", "in progress"),
        "advised": ("advies gegeven", "advised"), "enrolled": ("ingeschreven", "enrolled"),
        "closed": ("afgesloten", "closed"),
    },
    "step": {
        "submitted": ("aanvraag ontvangen", "request received"), "call_attempted": ("gebeld, niet bereikt", "called, no answer"),
        "waiting_for_person": ("wacht op de persoon", "waiting for the person"),
        "advice_given": ("advies gegeven", "advice given"), "enrolled": ("ingeschreven", "enrolled"),
        "closed": ("afgesloten", "closed"), "erased": ("gegevens gewist", "data erased"),
    },
    # a request's steps and statuses as the person reads them on their own page
    "person_step": {
        "submitted": ("Aanvraag ontvangen", "Request received"), "call_attempted": ("We hebben je gebeld", "We called you"),
        "waiting_for_person": ("We wachten op jou", "Waiting for you"), "advice_given": ("Advies gegeven", "Advice given"),
        "enrolled": ("Ingeschreven", "Enrolled"), "closed": ("Afgesloten", "Closed"), "erased": ("Gegevens gewist", "Data erased"),
        "new": ("nieuw", "new"), "in_progress": ("in behandeling", "in progress"), "advised": ("advies gegeven", "advised"),
    },
    # what the person was sent, on their status page
    "message": {
        "intake_confirmation": ("bevestiging van je aanvraag", "confirmation of your request"),
    },
    "channel": {"email": ("per e-mail", "by email"), "sms": ("per sms", "by text message"), "person": ("", "")},
    "delivery_status": {
        "created": ("wordt verstuurd", "being sent"), "sending": ("wordt verstuurd", "being sent"),
        "delivered": ("aangekomen", "delivered"), "temporary-failure": ("nog niet aangekomen, we proberen het opnieuw",
                                                                        "not delivered yet, we try again"),
        "permanent-failure": ("niet aangekomen", "not delivered"), "technical-failure": ("niet aangekomen", "not delivered"),
    },
    # a course's fields, where a page names them (what a course still lacks)
    "course_field": {
        "title": ("naam", "name"), "description": ("omschrijving", "description"), "keywords": ("zoekwoorden", "search words"),
        "level": ("niveau", "level"), "sectors": ("sectoren", "sectors"), "situations": ("voor wie", "for whom"),
        "credential": ("diploma of certificaat", "diploma or certificate"), "languages": ("talen", "languages"),
        "study_load_hours": ("studielast", "study load"), "entry_requirements": ("toelating", "entry requirements"),
        "url": ("webadres", "web address"), "funding_schemes": ("regelingen", "funding schemes"),
        "offerings": ("startmomenten", "start moments"),
    },
    # who read a request's contact details (its access log)
    "reader": {"person": ("jijzelf", "you"), "advisor": ("adviseur", "advisor"), "admin": ("beheerder", "administrator"),
               "provider": ("aanbieder", "provider")},
    "contact": {"phone": ("telefoon", "phone"), "email": ("e-mail", "e-mail")},
    "import_status": {
        "running": ("bezig", "running"), "finished": ("klaar", "finished"), "failed": ("mislukt", "failed"),
    },
}


def word(kind: str, code, lang: str) -> str:
    """``code`` of ``kind`` in words, in ``lang`` (``nl`` or ``en``); a value the table does not
    know reads as it is (a province, a town)."""
    said = VOCABULARY[kind].get(code) if code is not None else None
    return code if said is None else said[0 if lang == "nl" else 1]


def words_of(kind: str) -> dict[str, tuple[str, str]]:
    return VOCABULARY[kind]
