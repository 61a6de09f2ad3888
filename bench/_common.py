"""Shared helpers for the benchmarks: machine facts, timing, tables, appending to bench/runs/.

Every benchmark measures a *ratio* against a baseline run side by side in the same process
(interleaved repetitions after a warm-up, medians), because absolute times on a shared machine
move with whatever else is running. Importing this module never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
# Each run is appended verbatim to this month's runs file; bench/RESULTS.md, the current figures,
# is regenerated from those files (tools/bench_summary.py).
RUNS_DIR = BENCH_DIR / "runs"
RESULTS = RUNS_DIR / f"{_dt.datetime.now(_dt.timezone.utc):%Y-%m}.md"
SUMMARY_TOOL = PROJECT_ROOT / "tools" / "bench_summary.py"
PACKAGES = ("tensorflow", "keras", "keras-tuner", "mlflow", "numpy")

if str(PROJECT_ROOT) not in sys.path:  # `python bench/X.py` from a checkout without install
    sys.path.insert(1, str(PROJECT_ROOT))


def quiet_env() -> None:
    """Keep TensorFlow and MLflow chatter off the table (before they are imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("mlflow", "absl", "tensorflow", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)


# ---------------------------------------------------------------------------- machine facts

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cores() -> str:
    logical = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = logical
    return f"{usable} usable of {logical} logical"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


_STARTED_AT = _dt.datetime.now().astimezone()
_LOAD_AT_START = load_average()


def machine_lines() -> list[str]:
    now = _STARTED_AT.strftime("%Y-%m-%d %H:%M %Z")
    ver = ", ".join(f"{k} {v}" for k, v in versions().items())
    return [
        f"- date (start): {now}",
        f"- machine: {cpu_model()}; {cores()} cores; {memory_total()} RAM; "
        f"{platform.system()} {platform.release()}",
        f"- load average (1/5/15 min) at start: {_LOAD_AT_START}; at the end: {load_average()}",
        f"- versions: {ver}",
    ]


# ---------------------------------------------------------------------------- timing

@dataclass
class Samples:
    """Repeated measurements of one thing (seconds, or ratios)."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def spread(self) -> str:
        """min..max, so a reader sees how noisy the median is."""
        if not self.values:
            return "-"
        return f"{min(self.values):.3g}..{max(self.values):.3g}"

    def __len__(self) -> int:
        return len(self.values)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def interleaved(candidates: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1,
                baseline: str | None = None) -> tuple[dict[str, Samples], dict[str, Samples]]:
    """Time each candidate ``repeats`` times, round robin (A B C, A B C, ...), after warm-ups.

    Returns (seconds per candidate, ratio to ``baseline`` per candidate, paired within a round).
    Pairing within a round cancels most of the drift a busy shared machine causes.
    """
    baseline = baseline or next(iter(candidates))
    for _ in range(warmup):
        for fn in candidates.values():
            fn()
    seconds = {name: Samples() for name in candidates}
    ratios = {name: Samples() for name in candidates}
    for _ in range(repeats):
        this_round = {}
        for name, fn in candidates.items():
            _, elapsed = timed(fn)
            this_round[name] = elapsed
            seconds[name].add(elapsed)
        for name, elapsed in this_round.items():
            ratios[name].add(elapsed / this_round[baseline])
    return seconds, ratios


def rss_mib() -> float:
    """Resident set size of this process now (VmRSS), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, not current


# ---------------------------------------------------------------------------- output

def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (also readable as plain text on the terminal)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


@dataclass
class Target:
    """One target of issue 6: what, the measured value, met or not, and why / what next."""

    name: str
    measured: str
    met: bool | None  # None: could not be judged (e.g. quick mode)
    reason: str = ""

    def line(self) -> str:
        verdict = {True: "MET", False: "MISSED", None: "NOT JUDGED"}[self.met]
        text = f"- target {self.name}: {verdict} ({self.measured})"
        return text + (f". {self.reason}" if self.reason else "")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="tiny settings for a smoke run (under a minute; figures not meaningful)")
    p.add_argument("--results", type=Path, default=RESULTS,
                   help=f"Markdown file the figures are appended to (default {RESULTS})")
    p.add_argument("--no-record", action="store_true",
                   help="print the table only, append nothing")
    return p


def report(args: argparse.Namespace, title: str, settings: str, body: Sequence[str],
           targets: Sequence[Target] = (), notes: Sequence[str] = (),
           started: float | None = None) -> str:
    """Print the section and append it to the results file (unless --no-record)."""
    mode = "quick (smoke settings: figures are not meaningful)" if args.quick else "default"
    lines = [f"## {title}", "", *machine_lines(), f"- mode: {mode}; settings: {settings}"]
    if started is not None:
        lines.append(f"- benchmark wall time: {time.perf_counter() - started:.0f} s")
    command = " ".join(["python", f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    lines.append(f"- command: `{command}`")
    lines += ["", *body]
    if targets:
        lines += ["", *[t.line() for t in targets]]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not args.no_record:
        path: Path = args.results
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8") as out:
            if new and path.resolve() == RESULTS:
                out.write(f"# Benchmark runs, {_dt.datetime.now(_dt.timezone.utc):%B %Y}\n\n"
                          "The dated raw runs, verbatim, newest at the end (see "
                          "bench/README.md); bench/RESULTS.md is generated from them.\n\n")
            out.write(text + "\n")
        print(f"(appended to {path})")
        if path.resolve().parent == RUNS_DIR:
            import subprocess

            subprocess.run([sys.executable, str(SUMMARY_TOOL), "--write"], check=False)
    return text
