"""What ``lstm-sweep run`` prints: progress a person can follow, then where to look.

Plain lines, not a live display, so logs of CI jobs and batch schedulers read the same. All of
the run's console presentation lives here; the session's steps only call it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lstm_automl.config.names import direction
from lstm_automl.config.params import split_layer_key
from lstm_automl.model.backend import current_choice, jax_cache_state
from lstm_automl.redaction import redact
from lstm_automl.results.blend_text import (
    BLEND_MEANING,
    chosen_text,
    network_sentence,
    weights_text,
)
from lstm_automl.results.target_verdict import TargetsVerdict
from lstm_automl.results.trial_record import SCORED, TrialRecord, failure_reason
from lstm_automl.results.verdict import Verdict
from lstm_automl.tracking.store import display_uri
from lstm_automl.tracking.ui_link import experiment_url, ui_command

if TYPE_CHECKING:
    from lstm_automl.data.base import SweepData
    from lstm_automl.results.sweep_result import SweepResult
    from lstm_automl.sweep_file.loader import LoadedSweep

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
        if self.verbosity >= level:  # every console line: no password of a URI shown
            print(redact(text), file=self.stream, flush=True)

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



@contextlib.contextmanager
def silenced(reporter: Reporter, when: bool) -> Iterator[None]:
    """Print nothing in the block ``when`` true (errors still reach stderr)."""
    shown = reporter.verbosity
    if when:
        reporter.verbosity = -1
    try:
        yield
    finally:
        reporter.verbosity = shown


def print_header(loaded: LoadedSweep, data: SweepData, uri: str, reporter: Reporter,
                 direction: str, variants: Any = None) -> None:
    """What will run: budget, objective, data, space, store, and the loader's notes."""
    # defers pydantic
    from lstm_automl.config.space_summary import budget_text, space_text, sweep_space

    config = loaded.config
    budget = f"{reporter.total} trials" if reporter.total else "hyperband brackets"
    reporter.line(f"lstm-sweep: sweep '{config.name}': {budget} of {config.tuner.algorithm} "
                  f"search, objective {config.tuner.objective} ({direction}), seed {config.seed}")
    reporter.line(f"  data: {data.describe()}")
    for line in variants.described() if variants is not None else []:
        reporter.line(f"    or {line}")
    rows, size = sweep_space(config)
    searched = "; ".join(f"{n} ({t})" for n, t in rows) or "nothing searched"
    reporter.line(f"  space: {searched}; {space_text(config, size)}")
    spending = budget_text(config)
    if spending:
        reporter.line(f"  budget: {spending}")
    reporter.line(f"  tracking: {display_uri(uri)}")
    choice = current_choice()
    cache = f"; {jax_cache_state()}" if choice.name == "jax" else ""
    reporter.line(f"  {choice.line()}{cache}")
    if loaded.preset_choices:
        reporter.line(f"  preset {loaded.preset}: {len(loaded.preset_choices)} values the file "
                      f"leaves out ({', '.join(c.split(':')[0] for c in loaded.preset_choices)}"
                      f"); `lstm-sweep validate` says why")
    for note in loaded.notes:
        reporter.line(f"  note: {note}")


def lost_store_message(reason: str, folder: Path, rerun: str) -> str:
    """The tracking store went away mid-sweep: what is kept, and how to go on."""
    return (f"{reason}\nThe sweep stopped; every trial that finished is kept in "
            f"{folder}. Once the tracking store is back, run `{rerun}` again: it "
            f"resumes where it stopped (the interrupted trial is retried).")


def interrupted_message(folder: Path, rerun: str, fresh: str | None = None) -> str:
    """Ctrl-C or SIGTERM: what was closed, what is kept, and how to resume or start over
    (``fresh``: the command that starts over, when it is not ``rerun --fresh``)."""
    if not folder.exists():
        return "\ninterrupted before the sweep started; nothing to resume"
    return (f"\ninterrupted: the running trial's MLflow run was closed as KILLED; finished trials "
            f"are kept in {folder}.\nRun `{rerun}` again to resume (the interrupted trial is "
            f"retried), or `{fresh or rerun + ' --fresh'}` to start over.")


def print_result(loaded: LoadedSweep, reporter: Reporter, result: SweepResult) -> None:
    """The end of a run: leaderboard, test metrics against the baselines, the verdict, the
    registered version, and how to compare and load."""
    from lstm_automl.config.space_summary import searched_names  # defers pydantic

    config = loaded.config
    counts = result.counts
    if result.already_complete:
        reporter.line(f"lstm-sweep: sweep '{config.name}' is already complete (sweep run "
                      f"{result.parent_run_id}, finished {result.finished_at}); nothing to run. "
                      f"Raise tuner.max_trials to add trials, or add --fresh to start over.",
                      QUIET)
        reporter.objective = config.tuner.objective
        reporter.minimise = _minimise(loaded)
        reporter.searched = searched_names(config)
    reporter.line()
    extra = "".join(f", {counts[k]} {k}" for k in ("pruned", "failed", "retried")
                    if counts.get(k))
    reporter.line(f"Leaderboard ({counts['completed']} of {len(result.records)} trials completed"
                  f"{extra}; {reporter.objective}, "
                  f"{'lower' if reporter.minimise else 'higher'} is better)")
    for line in reporter.leaderboard(result.records):
        reporter.line(line)
    if result.mattered:
        reporter.line(f"What mattered: {result.mattered}")
    verdict = result.verdict
    several = isinstance(verdict, TargetsVerdict)
    shown_metrics = (_headline(result.test_metrics, verdict)
                     if isinstance(verdict, TargetsVerdict) else result.test_metrics)
    metrics = "  ".join(f"{k} {v:.4g}" for k, v in shown_metrics.items())
    units = "" if result.higher_is_better else " in original units"
    if several:
        units = ", mean over targets of each error / its training std"
    what = f" ({result.final_model})" if result.final_model and \
        result.final_model != f"{result.best.name} as trained" else ""
    reporter.line(f"\nBest: {result.best.name}{what}; test split{units}: {metrics}", QUIET)
    if isinstance(verdict, TargetsVerdict):
        for line in _per_target_lines(result, verdict):
            reporter.line(line)
    for name, values in ({} if several else result.baselines).items():
        label = result.baseline_labels.get(name, "")
        shown = f"{name} ({label})" if label and label != name else name
        mark = "  <- strongest" if name == verdict.baseline else ""
        reporter.line(f"  baseline {shown}: "
                      + "  ".join(f"{k} {v:.4g}" for k, v in values.items()) + mark)
    for note in result.baseline_notes:
        reporter.line(f"  note: {note}")
    reporter.line(f"  {verdict.sentence()}", QUIET)
    if result.blend_weights and not several:
        _blend_lines(reporter, result)
    if result.model_version:
        state = ("now 'champion'" if result.champion
                 else "not champion")
        verb = "Registered"
        if result.already_complete:
            verb, state = "Was registered as", ("'champion' then" if result.champion
                                                else "not champion then")
        reporter.line(f"{verb} '{result.model_name}' version {result.model_version} "
                      f"({state}; {result.champion_reason})", QUIET)
    for line in compare_lines(result.tracking_uri, result.experiment_id,
                              config.experiment_name):
        reporter.line(line)
    if result.model_version:
        if result.champion:
            reporter.line(f"Load the champion: mlflow.pyfunc.load_model('models:/"
                          f"{result.model_name}@champion')")
        else:
            reporter.line(f"Load this sweep's model: mlflow.pyfunc.load_model('models:/"
                          f"{result.model_name}/{result.model_version}')  (no 'champion' alias "
                          f"was given to it)")
    reporter.line(f"Done in {reporter.elapsed()}.")


def compare_lines(tracking_uri: str, experiment_id: str, experiment: str) -> list[str]:
    """How to open the sweep's runs in the MLflow UI: the command a local store needs, then the
    link to the runs view (MLflow 3 otherwise opens an experiment in its GenAI overview)."""
    command = ui_command(tracking_uri)
    first = f"\nCompare the trials: {command or 'open the MLflow UI'}  (experiment '{experiment}')"
    if not experiment_id:
        return [first]
    verb = "then open" if command else "at"
    return [first, f"  {verb} {experiment_url(tracking_uri, experiment_id)}"]


def _blend_lines(reporter: Reporter, result: SweepResult) -> None:
    """A blend's weights and the network alone beside it, judged by the same rule."""
    assert isinstance(result.verdict, Verdict)
    reporter.line(f"  {chosen_text(result.blend_rule)}: {weights_text(result.blend_weights)}",
                  QUIET)
    reporter.line(f"  {network_sentence(result.verdict, result.network_metrics)}", QUIET)
    reporter.line(f"  note: {BLEND_MEANING}")


def _headline(metrics: dict[str, float], verdict: TargetsVerdict) -> dict[str, float]:
    """The metrics that are not one target's."""
    own = {key for t in verdict.per_target for key in _target_keys(metrics, t)}
    return {k: v for k, v in metrics.items() if k not in own}


def _target_keys(metrics: dict[str, float], target: str) -> dict[str, str]:
    """``{rmse_load: rmse, ...}``: one target's keys among forecast metrics."""
    return {f"{m}_{target}": m for m in _FORECAST_METRICS if f"{m}_{target}" in metrics}


_FORECAST_METRICS = ("rmse", "mae", "mape")


def _per_target_lines(result: SweepResult, verdict: TargetsVerdict) -> list[str]:
    """Each target's test metrics in its own units, then its baselines, its strongest marked."""
    lines = []
    for target, judged in verdict.per_target.items():
        own = {m: result.test_metrics[k] for k, m in _target_keys(result.test_metrics,
                                                                   target).items()}
        lines.append(f"  {target} (original units): "
                     + "  ".join(f"{k} {v:.4g}" for k, v in own.items()))
        for name, values in result.baselines.items():
            scores = {m: values[k] for k, m in _target_keys(values, target).items()}
            if not scores:
                continue
            label = result.baseline_labels.get(f"{name}/{target}") or \
                result.baseline_labels.get(name, "")
            shown = f"{name} ({label})" if label and label != name else name
            mark = "  <- strongest" if name == judged.baseline else ""
            lines.append(f"    baseline {shown}: "
                         + "  ".join(f"{k} {v:.4g}" for k, v in scores.items()) + mark)
    return lines


def _minimise(loaded: LoadedSweep) -> bool:
    tuner = loaded.config.tuner
    return direction(tuner.objective, tuner.direction) == "min"
