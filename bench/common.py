"""What the benchmarks share: a platform of their own on the test profile's RabbitMQ and
PostgreSQL (throw-away vhost and databases, every service a process), and a provider's key."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.infra import ADMIN_TOKEN, Platform, Postgres, Rabbit, free_port  # noqa: E402


def bench_platform() -> tuple[Platform, Postgres]:
    """Not started yet; the caller starts and stops it."""
    rabbit = Rabbit(os.environ["AMQP_URI"], os.environ["RABBIT_API_URI"])
    postgres = Postgres(os.environ["PG_ADMIN_URL"])
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    # as `make run` deploys it (deploy/local/env.sh says how many search processes)
    processes = {"search": int(os.environ.get("SEARCH_PROCESSES", "1"))}
    return Platform(rabbit, postgres, log_dir, processes=processes), postgres


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory in MiB (``VmHWM``: its peak), NaN once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@contextlib.contextmanager
def mail_catcher():
    """The mail catcher as its own process on a free port (what `make run` gives notify), for a
    benchmark whose platform sends mail: ``(port, folder of .eml files)``; stopped by its PID."""
    port, folder = free_port(), Path(tempfile.mkdtemp(prefix="bench-mail-"))
    catcher = subprocess.Popen([sys.executable, "-m", "services.notify.mailcatcher", "--port", str(port),
                                "--dir", str(folder)], stdout=subprocess.DEVNULL)
    try:
        yield port, folder
    finally:
        catcher.terminate()
        catcher.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) each process has used, and the whole machine's."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            out[name] = 0.0
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    out["machine"] = (sum(int(v) for v in cpu) - int(cpu[3]) - int(cpu[4])) / tick   # less idle and iowait
    return out


class MachineCpu:
    """CPU time the whole machine spent (user + system, every process: the platform, RabbitMQ,
    PostgreSQL and the benchmark's own clients) between ``with`` and its end: ``ms_per(units)``
    is what one unit of work cost. On this 2-core machine, 2,000 ms of CPU a second is all there is."""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> "MachineCpu":
        self.started = cpu_seconds({})["machine"]
        return self

    def stop(self) -> None:
        self.used = cpu_seconds({})["machine"] - self.started

    def ms_per(self, units: float) -> float:
        return self.used / units * 1000 if units else float("nan")


@contextlib.contextmanager
def profiled(pids: dict[str, int], folder: Path, rate: int = 200):
    """py-spy samples each process (``pids``: name -> PID) while the block runs, then prints where
    each spent its time: the functions most often on top of the stack, and the platform's own
    functions (``services/``) most often anywhere on it. The raw stacks stay in ``folder``
    (``<name>.txt``, collapsed: flamegraph.pl or speedscope read them)."""
    folder.mkdir(parents=True, exist_ok=True)
    spies = {name: subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
                                     "--rate", str(rate), "--format", "raw", "--nonblocking",
                                     "--output", str(folder / f"{name}.txt")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for name, pid in pids.items()}
    try:
        yield
    finally:
        for spy in spies.values():
            spy.send_signal(signal.SIGINT)      # py-spy writes what it sampled, then exits
        for spy in spies.values():
            spy.wait(timeout=60)
    for name in pids:
        print(hot_spots(folder / f"{name}.txt", name))


def hot_spots(path: Path, name: str, top: int = 8) -> str:
    """The summary ``profiled`` prints for one process's collapsed stacks."""
    if not path.exists():
        return f"{name}: no samples"
    own, ours, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(f for f in frames if "services/" in f):
            ours[frame] += n
    idle = sum(n for frame, n in own.items() if "wait" in frame.split(" ")[0] or "select" in frame or "poll" in frame)
    lines = [f"{name}: {total} samples ({idle / max(total, 1):.0%} waiting)"]
    lines += [f"  on top  {n / total:5.1%}  {frame}" for frame, n in own.most_common(top)]
    lines += [f"  ours    {n / total:5.1%}  {frame}" for frame, n in ours.most_common(top)]
    return "\n".join(lines)


def provider_key(platform: Platform, name: str) -> str:
    """Register a provider through the gateway; its API key."""
    answer = requests.post(f"{platform.url}/api/v1/providers", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"name": name, "kind": "opleider"}, timeout=30)
    answer.raise_for_status()
    return answer.json()["api_key"]


FIGURES = Path(os.environ.get("BENCH_FIGURES") or ROOT / ".run" / "test" / "bench-figures.jsonl")
COMPARE = {"<": lambda v, t: v < t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t, ">=": lambda v, t: v >= t}


def figure(bench: str, name: str, value: float, unit: str, *, target: str | None = None,
           baseline: float | None = None, baseline_name: str | None = None) -> dict:
    """Record one measured figure for `make bench`'s summary (bench/summary.py): appended as a
    JSON line to BENCH_FIGURES (default .run/test/bench-figures.jsonl). ``target`` is an
    operator and a number in ``unit`` ("< 100", ">= 5000"); ``baseline`` is the same-run
    baseline in the same unit, and the ratio is value / baseline."""
    met = None
    if target is not None:
        operator, number = target.split()
        met = COMPARE[operator](value, float(number))
    row = {"bench": bench, "figure": name, "value": round(float(value), 3), "unit": unit, "target": target,
           "met": met, "baseline": None if baseline is None else round(float(baseline), 3),
           "baseline_name": baseline_name,
           "ratio": round(value / baseline, 6) if baseline else None}
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
    return row
