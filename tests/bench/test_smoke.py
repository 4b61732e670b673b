"""Every benchmark, run small: each must start its platform, measure, record its figures for
`make bench` and stop what it started, so none can rot between the runs that measure for real.
The figures of a run this small mean nothing; that they are there, finite and positive does."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from tests.infra import ROOT

# each benchmark at a smoke size, and words of the figures it must record (written here, not
# read from the benchmarks, so a figure that goes missing fails this test)
SMOKE = {
    "catalogue_import": (["--offerings", "500"], ["import of 500 offerings", "catalogue peak RSS", "machine CPU per offering imported"]),
    "search": (["--offerings", "500", "--seconds", "0.5", "--warm-up", "0.3", "--freshness-samples", "3"],
               ["searches/s through the gateway (computed), 8 client(s)", "p99 through the gateway (cached), 8 client(s)",
                "freshness p99", "machine CPU per search (computed), 8 clients"]),
    "intake": (["--seconds", "1", "--open-intakes", "2000"],
               ["intakes/s through the gateway, 8 client(s)", "p99 through the gateway, 8 client(s)",
                "CPU per intake", "deadline sweep"]),
    "notify": (["--mails", "60", "--webhooks", "20"], ["events to confirmation mails", "events to signed webhooks", "machine CPU per intake event"]),
    "analytics": (["--events", "3000", "--year", "20000", "--rounds", "2"],
                  ["events archived and rolled up", "funnel by situation, p95", "machine CPU per event"]),
    "pages": (["--seconds", "1"], ["results pages/s", "results page p99"]),
    "scale": (["--providers", "6", "--courses", "10", "--seconds", "0.5", "--warm-up", "0.3", "--freshness-samples", "2"],
              ["300 offerings imported and searchable", "search p99 (computed), 8 client(s)", "search peak RSS",
               "catalogue RSS at the end of the load",
               "machine CPU per offering published and searchable", "machine CPU per search (cached), 8 clients"]),
}


@pytest.mark.parametrize("bench", sorted(SMOKE))
def test_benchmark_runs_small_and_records_its_figures(bench, rabbit, postgres, tmp_path):
    args, expected = SMOKE[bench]
    figures = tmp_path / "figures.jsonl"
    env = {**os.environ, "AMQP_URI": rabbit.amqp_uri, "RABBIT_API_URI": rabbit.api_uri,
           "PG_ADMIN_URL": postgres.admin_url, "BENCH_FIGURES": str(figures)}
    run = subprocess.run([sys.executable, f"bench/{bench}.py", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"bench/{bench}.py failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    rows = [json.loads(line) for line in figures.read_text().splitlines()]
    for words in expected:
        assert any(words in row["figure"] for row in rows), f"no figure with {words!r} in {[r['figure'] for r in rows]}"
    for row in rows:
        assert row["bench"] and row["unit"], row
        assert math.isfinite(row["value"]) and row["value"] > 0, row
        if row["baseline"] is not None:
            assert row["ratio"] == pytest.approx(row["value"] / row["baseline"], rel=1e-3), row
        if row["target"] is not None:
            assert row["met"] in (True, False), row
    assert "Traceback" not in run.stderr

    summary = subprocess.run([sys.executable, "bench/summary.py", str(figures), "--out", str(tmp_path / "results")],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert summary.returncode == 0, summary.stderr
    table = (tmp_path / "results" / "summary.md").read_text()
    written = json.loads((tmp_path / "results" / "summary.json").read_text())["figures"]
    assert len(written) == len({(r["bench"], r["figure"]) for r in rows})
    for row in written:
        assert row["figure"] in table
