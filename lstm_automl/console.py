"""What ``lstm-sweep run`` prints: progress a person can follow, then where to look.

Plain lines, not a live display, so logs of CI jobs and batch schedulers read the same.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from lstm_automl.config.params import split_layer_key
from lstm_automl.tracking.runs import SCORED, TrialRecord, failure_reason

QUIET, NORMAL, VERBOSE = 0, 1, 2


def fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if value is None:
        return "-"
    return str(value)


def fmt_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Reporter:
    """Prints sweep progress at a chosen verbosity (quiet: only the end result and errors)."""

    def __init__(self, verbosity: int = NORMAL, stream: TextIO | None = None,
                 debug: bool = False) -> None:
        self.verbosity = verbosity
        self.debug = debug
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.total: int | None = None
        self.objective = "val_loss"
        self.minimise = True
        self.best: TrialRecord | None = None
        self.searched: list[str] = []
        self.progress: Callable[[], str] | None = None  # time left and to go (tuning/budgets.py)

    def line(self, text: str = "", level: int = NORMAL) -> None:
        if self.verbosity >= level:
            print(text, file=self.stream, flush=True)

    def elapsed(self) -> str:
        return fmt_seconds(time.perf_counter() - self.started)

    def _position(self, record: TrialRecord) -> str:
        return f"[{record.number}/{self.total}]" if self.total else f"[{record.number}]"

    def on_trial(self, event: str, record: TrialRecord) -> None:
        """Called by the tuner at the start and end of every trial."""
        if event == "begin":
            shown = {k: v for k, v in record.values.items()
                     if self.verbosity >= VERBOSE or _searched_key(k, self.searched)}
            detail = "  ".join(f"{k}={fmt_value(v)}" for k, v in shown.items())
            retry = f"  (retry, attempt {record.attempt})" if record.attempt > 1 else ""
            self.line(f"{self._position(record)} {record.name}  {detail}".rstrip() + retry)
            return
        pad = " " * len(self._position(record))
        progress = self.progress() if self.progress is not None else ""
        if record.status in SCORED and record.score is not None:
            if self.best is None or self._better(record.score, self.best.score):
                self.best = record
            best = self.best
            what = (f"trial {record.number} {record.stopped}" if record.status == "PRUNED"
                    else f"{self.objective} {record.score:.4g} after {record.epochs} epochs"
                    + (f" ({record.stopped})" if record.stopped else ""))
            self.line(f"{pad} {what} in {record.seconds:.1f}s; best so far {best.score:.4g} "
                      f"(trial {best.number}); elapsed {self.elapsed()}{progress}")
        else:
            self.line(f"{pad} {record.status.lower()}: {failure_reason(record.message)}; "
                      f"elapsed {self.elapsed()}{progress}")

    def _better(self, score: float, other: float | None) -> bool:
        if other is None:
            return True
        return score < other if self.minimise else score > other

    def leaderboard(self, records: list[TrialRecord], limit: int = 10) -> list[str]:
        """The best trials first, failed ones last."""
        done = [r for r in records if r.status in SCORED and r.score is not None]
        done.sort(key=lambda r: float(r.score or 0.0) * (1 if self.minimise else -1))
        failed = [r for r in records if r not in done]
        keys = [k for k in self.searched if k not in ("cell", "layers", "bidirectional")]
        head = f"  {'rank':>4}  {'trial':<24} {self.objective:>10} {'epochs':>6} {'time':>7}"
        lines = [head + ("  other values" if keys else "")]
        for rank, r in enumerate(done[:limit], start=1):
            extra = "".join(
                f"  {k}={fmt_value(_value_of(r.values, k))}" for k in keys
            )
            pruned = "  pruned" if r.status == "PRUNED" else ""
            lines.append(f"  {rank:>4}  {r.name:<24} {r.score:>10.4g} {r.epochs:>6} "
                         f"{r.seconds:>6.1f}s{pruned}{extra}")
        for r in failed:
            lines.append(f"  {'-':>4}  {r.name:<24} {r.status.lower():>10}")
        return lines


def _searched_key(key: str, searched: list[str]) -> bool:
    split = split_layer_key(key)
    return key in searched or (split[0] if split else key) in searched


def _value_of(values: dict[str, Any], key: str) -> Any:
    if key in values:
        return values[key]
    layers = sorted(((s[1], v) for k, v in values.items()
                     if (s := split_layer_key(k)) and s[0] == key), key=lambda pair: pair[0])
    per_layer = [v for _, v in layers]
    return "/".join(fmt_value(v) for v in per_layer) if per_layer else None

