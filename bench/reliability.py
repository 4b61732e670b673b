"""The tables of ``make reliability``: the fault scenarios (rows recorded by tests/conftest.py
``reliability``) and the attacks of the outside security test (rows recorded by ``attack`` once a
hostile test's assertions held), printed and written as markdown and JSON to
bench/results/reliability.md and .json.

    python bench/reliability.py .run/test/reliability.jsonl
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
COLUMNS = [("scenario", "scenario"), ("injected", "injected"), ("accepted", "accepted"),
           ("found", "found after recovery"), ("duplicates", "duplicates"), ("refused", "refused (503/412)"),
           ("recover_seconds", "time to recover (s)")]


ATTACK_COLUMNS = [("name", "attack"), ("tried", "what it tried"), ("held", "what held")]


def table(rows: list[dict], columns=COLUMNS) -> str:
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        cells = ["–" if row.get(key) is None else str(row[key]).replace("|", "\\|") for key, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {row['scenario']}: {row['note']}" for row in rows if row.get("note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def attacks_of(rows: list[dict]) -> list[dict]:
    """The attacks, each once (a parametrised test records one row a case)."""
    seen, out = set(), []
    for row in rows:
        if row.get("kind") == "attack" and row["name"] not in seen:
            seen.add(row["name"])
            out.append(row)
    return sorted(out, key=_finding)


def _finding(row: dict) -> tuple:
    number = row["name"].split(".", 1)[0]
    return (int(number), row["name"]) if number.isdigit() else (99, row["name"])


def main(argv: list[str]) -> int:
    source = Path(argv[0] if argv else ".run/test/reliability.jsonl")
    if not source.exists():
        print(f"no scenario recorded its figures in {source}: did the fault tests run?", file=sys.stderr)
        return 1
    everything = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in everything if r.get("kind") != "attack"]
    attacks = attacks_of(everything)
    lost = [r for r in rows if r.get("found") is not None and r.get("accepted") is not None
            and r["found"] < r["accepted"]]
    RESULTS.mkdir(exist_ok=True)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    markdown = f"Fault scenarios, {when} (`make reliability`)\n\n{table(rows)}\n"
    if attacks:
        markdown += f"\nAttacks of the outside security test, each tried again\n\n{table(attacks, ATTACK_COLUMNS)}\n"
    (RESULTS / "reliability.md").write_text(markdown, encoding="utf-8")
    (RESULTS / "reliability.json").write_text(json.dumps({"at": when, "scenarios": rows, "attacks": attacks},
                                                         indent=2) + "\n", encoding="utf-8")
    print(markdown)
    print(f"written to {RESULTS / 'reliability.md'} and reliability.json")
    if lost:
        print(f"!! {len(lost)} scenarios found fewer than they accepted", file=sys.stderr)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
