"""The summary of `make bench`: every figure the benchmarks recorded (bench/common.py
``figure``), with its target, the same-run baseline and the ratio, printed and written as
markdown and JSON to bench/results/summary.md and summary.json.

    python bench/summary.py [FIGURES.jsonl] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import FIGURES  # noqa: E402
from bench.reliability import RESULTS, table  # noqa: E402

COLUMNS = [("bench", "benchmark"), ("figure", "figure"), ("shown", "measured"), ("target", "target"),
           ("verdict", "met"), ("baseline_shown", "same-run baseline"), ("ratio_shown", "ratio")]


def latest(rows: list[dict]) -> list[dict]:
    """Each figure once: its last measurement (a benchmark run twice keeps its newest)."""
    kept: dict[tuple, dict] = {}
    for row in rows:
        kept.pop((row["bench"], row["figure"]), None)
        kept[(row["bench"], row["figure"])] = row
    return list(kept.values())


def shown(row: dict) -> dict:
    unit = row["unit"]
    return {**row, "shown": f"{row['value']:,.1f} {unit}",
            "target": f"{row['target']} {unit}" if row["target"] else None,
            "verdict": {True: "yes", False: "**no**", None: None}[row["met"]],
            "baseline_shown": f"{row['baseline']:,.1f} {unit} ({row['baseline_name']})" if row["baseline"] else None,
            "ratio_shown": f"{row['ratio']:.0%}" if row["ratio"] is not None else None}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("figures", nargs="?", type=Path, default=FIGURES)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where summary.md and summary.json go")
    args = parser.parse_args(argv)
    source, out = args.figures, args.out
    if not source.exists():
        print(f"no benchmark recorded a figure in {source}: run `make bench` (or one `make bench-...`)",
              file=sys.stderr)
        return 1
    rows = latest([json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()])
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    missed = [r for r in rows if r["met"] is False]
    markdown = (f"Benchmarks, {when} (`make bench`; 2 cores)\n\n{table([shown(r) for r in rows], COLUMNS)}\n\n"
                f"{len(rows)} figures, {sum(r['met'] is not None for r in rows)} with a target, {len(missed)} of "
                f"those not met.\n")
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(markdown, encoding="utf-8")
    (out / "summary.json").write_text(json.dumps({"at": when, "figures": rows}, indent=2) + "\n",
                                          encoding="utf-8")
    print(markdown)
    print(f"written to {out / 'summary.md'} and summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
