"""The search rules every backend applies alike, each in one place: which offering a search's
filters hold for, the boost of a course that suits the situation asked, the offering a hit shows."""
from __future__ import annotations

import re

from datetime import date
from decimal import Decimal
from typing import Callable

from services import places
from services.contracts.courses import net_price_from as net_price
from services.contracts.search import SearchRequest

# a course that lists the situation asked ranks this much higher (never filtered out)
SITUATION_BOOST = 1.5


def has_offering_filters(req: SearchRequest, point: tuple[float, float] | None) -> bool:
    """Whether the request filters on offerings (date, price, mode, province, distance): those
    filters hold for one and the same offering, which must then also be open."""
    return bool(req.start_from or req.start_to or req.max_price is not None or req.mode or req.province or point)


def offering_filters(req: SearchRequest, point: tuple[float, float] | None) -> Callable[[dict], bool] | None:
    """Whether an offering (of a document) passes the request's offering filters, which hold for
    one and the same offering; None when the request has none."""
    if not has_offering_filters(req, point):
        return None

    def fits(o: dict) -> bool:
        start = date.fromisoformat(o["start_date"])
        return ((req.start_from is None or start >= req.start_from)
                and (req.start_to is None or start <= req.start_to)
                and (req.max_price is None or Decimal(o["price_eur"]) <= req.max_price)
                and (not req.mode or o["mode"] in req.mode)
                and (not req.province or o["province"] in req.province)
                and (point is None or (o["lat"] is not None
                                       and places.km_between(*point, o["lat"], o["lon"]) <= req.radius_km)))
    return fits


def next_offering(offerings: list[dict], today: date, fits: Callable[[dict], bool] | None = None,
                  nearest_to: tuple[float, float] | None = None) -> dict | None:
    """The first open offering that has not started yet (else the first bookable one ahead).
    With ``fits`` (a search's offering filters, ``offering_filters``), the first open one ahead
    that they hold for: the offering the course was found by, not one in another city. With
    ``nearest_to`` (a search sorted by distance), the nearest of those instead of the first."""
    ahead = [o for o in offerings if date.fromisoformat(o["start_date"]) >= today]
    chosen = next((o for o in ahead if o["status"] == "open" and fits(o)), None) if fits else None
    if nearest_to is not None:
        placed = [o for o in ahead if o["status"] == "open" and o["lat"] is not None and (fits is None or fits(o))]
        chosen = min(placed, key=lambda o: places.km_between(*nearest_to, o["lat"], o["lon"]), default=chosen)
    if chosen is None:
        chosen = next((o for o in ahead if o["status"] == "open"), ahead[0] if ahead else None)
    if chosen is None:
        return None
    return {k: chosen[k] for k in ("start_date", "mode", "city", "price_eur")}


def net_price_from(offerings: list[dict], today: date, fits: Callable[[dict], bool] | None,
                   schemes: list[tuple[str, Decimal | None]]) -> dict | None:
    """What may remain to pay (``contracts.courses.net_price_from``) from the lowest price of the
    open offerings ahead that the search's offering filters hold for (without filters, or none
    holding: of every open one ahead)."""
    ahead = [o for o in offerings if o["status"] == "open" and date.fromisoformat(o["start_date"]) >= today]
    found_by = [o for o in ahead if fits(o)] if fits else []
    return net_price(([Decimal(o["price_eur"]) for o in found_by or ahead]), schemes)


# an e-mail address, or eight digits and more (a phone number, a BSN): someone typed what is
# theirs into the search box; the search answers, but the words are not kept in search_performed
PERSONAL = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}|\+?\d(?:[\s.-]?\d){7,}", re.IGNORECASE)


def looks_personal(q: str | None) -> bool:
    return bool(q) and PERSONAL.search(q) is not None
