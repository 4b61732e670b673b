"""The reports: what each asks (checked), which rollup answers it, and which of its counts are
counts of people (hidden when small: domain.hide)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, get_args

from pydantic import Field, model_validator

from services.analytics import domain
from services.analytics.facts import DEMAND
from services.analytics.store import AnalyticsStore
from services.chassis.texts import today
from services.contracts.courses import Province, Sector, Strict


class Period(Strict):
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _order(self):
        self.to = self.to or today()      # the Dutch day, as the facts' days are
        self.from_ = self.from_ or self.to - timedelta(days=89)
        if self.from_ > self.to:
            raise ValueError("from must not be after to")
        if (self.to - self.from_).days > 3 * 366:
            raise ValueError("a report covers at most three years")
        return self


class DemandQuery(Period):
    group_by: Literal["sector", "level", "province", "situation", "week", "month"] = "week"
    province: Province | None = None
    sector: Sector | None = None


class ZeroQuery(Period):
    province: Province | None = None
    sector: Sector | None = None
    limit: int = Field(default=50, ge=1, le=500)


class FunnelQuery(Period):
    group_by: Literal["sector", "province", "situation"] | None = None


class SupplyQuery(Period):
    group_by: Literal["province", "sector"] = "province"


FUNNEL_DERIVED = {
    "intakes": ["intake_rate", "advice_rate", "search_to_intake_p50_s", "intake_to_advice_p50_s"],
    "advice": ["advice_rate", "enrolled_rate", "intake_to_advice_p50_s", "advice_to_enrolled_p50_s"],
    "enrolled": ["enrolled_rate", "advice_to_enrolled_p50_s"],
}
QUERIES = {"demand": DemandQuery, "zero-results": ZeroQuery, "funnel": FunnelQuery, "supply-demand": SupplyQuery}
# the counts of people in each report's rows (searches, clicks and views are not people)
# what the supply-demand report sets beside the supply: these counts of the demand rollup
SUPPLY_BESIDE = tuple(c for c in DEMAND if c.column in ("searches", "zero_result_searches", "intakes"))
PEOPLE = {"demand": [c.column for c in DEMAND if c.people], "zero-results": [],
          "funnel": ["intakes", "advice", "enrolled"], "supply-demand": [c.column for c in SUPPLY_BESIDE if c.people]}
COLUMNS = {
    "demand": ["key", *(c.column for c in DEMAND)],
    "zero-results": ["query", "example", "kind", "searches", "nearest_place", "provinces"],
    "funnel": ["key", "searches", "views", "intakes", "advice", "enrolled", "view_rate", "intake_rate",
               "advice_rate", "enrolled_rate", "search_to_view_p50_s", "search_to_intake_p50_s",
               "intake_to_advice_p50_s", "advice_to_enrolled_p50_s"],
    "supply-demand": ["key", "open_offerings", "courses", *(c.column for c in SUPPLY_BESIDE)],
}


def report(tx: AnalyticsStore, name: str, query, min_group: int, min_searchers: int | None = None) -> dict:
    since, until = query.from_, query.to
    if name == "demand":
        rows = tx.demand(since, until, query.group_by, province=query.province, sector=query.sector)
    elif name == "zero-results":
        rows = tx.zero_results(since, until, query.province, query.sector, query.limit,
                               min_group if min_searchers is None else min_searchers)
    elif name == "funnel":
        rows = [_funnel_row(r) for r in tx.funnel(since, until, query.group_by)]
    else:
        rows = tx.supply_demand(since, until, today(), query.group_by, SUPPLY_BESIDE,
                                get_args(Province if query.group_by == "province" else Sector))
    shown, totals = domain.hide(rows, PEOPLE[name], min_group)
    if name == "funnel":      # a rate or a time of a hidden count would give it away
        for row in shown:
            for count, derived in FUNNEL_DERIVED.items():
                if row[count] is None:
                    for field in derived:
                        if field in row:
                            row[field] = None
                        if field.endswith("_p50_s"):
                            row["time_between_steps_s"][field.removesuffix("_p50_s")] = None
    return {"report": name, "from": since.isoformat(), "to": until.isoformat(),
            **{k: v for k, v in query.model_dump(exclude={"from_", "to"}).items()},
            "min_group": min_group, "columns": COLUMNS[name], "rows": shown, "totals": totals}


def _funnel_row(r: dict) -> dict:
    def rate(part, whole):
        return round(part / whole, 4) if whole else None

    def p50(values):
        return None if not values or values[0] is None else round(values[0])

    return {"key": r["key"], "searches": r["searches"], "views": r["views"], "intakes": r["intakes"],
            "advice": r["advice"], "enrolled": r["enrolled"], "view_rate": rate(r["views"], r["searches"]),
            "intake_rate": rate(r["intakes"], r["searches"]), "advice_rate": rate(r["advice"], r["intakes"]),
            "enrolled_rate": rate(r["enrolled"], r["advice"]),
            "search_to_view_p50_s": p50(r.get("search_to_view")), "search_to_intake_p50_s": p50(r.get("search_to_intake")),
            "intake_to_advice_p50_s": p50(r.get("intake_to_advice")),
            "advice_to_enrolled_p50_s": p50(r.get("advice_to_enrolled")),
            "time_between_steps_s": {name: None if not r.get(name) or r[name][0] is None else
                                     {"p50": round(r[name][0]), "p90": round(r[name][1])}
                                     for name in ("search_to_view", "search_to_intake", "intake_to_advice",
                                                  "advice_to_enrolled")}}
