"""The leaderboard of one sweep: rows built from trial runs, rendered as table, CSV, JSON or
Markdown, with a footer on the champion's test metrics against the strongest baseline.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lstm_automl.config.names import higher_is_better
from lstm_automl.config.params import split_layer_key
from lstm_automl.console import fmt_value as fmt  # one cell format for console and report
from lstm_automl.results.blend_text import BLEND_MEANING, chosen_text, network_sentence
from lstm_automl.results.target_verdict import TargetsVerdict, verdict_of
from lstm_automl.results.verdict import Verdict
from lstm_automl.tracking.read_back import SCORED, Sweep, Trial, parse_value
from lstm_automl.tracking.tags import BASELINE_LABEL_TAG, BLEND_RULE_TAG, BLEND_TAG, STOPPED_TAG

FORMATS = ("table", "csv", "json", "markdown")
SHOWN_APART = ("cell", "layers", "units", "bidirectional")
_BASELINE = re.compile(r"^baseline_(.+?)_test_([a-z0-9]+(?:_.+)?)$")  # _<target>: several
_LIFT = re.compile(r"^test_([a-z0-9]+)_lift_over_best_baseline$")


def base_key(key: str) -> str:
    """``units_1`` → ``units``: per-layer params group under their base name."""
    split = split_layer_key(key)
    return split[0] if split else key


def param_value(params: dict[str, str], key: str) -> Any:
    """A param, or its per-layer values joined with '/' (``units`` → ``8/4``)."""
    if key in params:
        return parse_value(params[key])
    layers = sorted((s[1], v) for k, v in params.items()
                    if (s := split_layer_key(k)) and s[0] == key)
    if not layers:
        return None
    values = [parse_value(v) for _, v in layers]
    return values[0] if len(values) == 1 else "/".join(fmt(v) for v in values)


def searched_keys(trials: list[Trial]) -> list[str]:
    """Params whose values differ between trials (the searched ones), per-layer ones grouped,
    minus those with their own column and keras-tuner's bookkeeping (``tuner/...``)."""
    keys = dict.fromkeys(base_key(k) for t in trials for k in t.params
                         if not k.startswith("tuner/"))
    varying = []
    for key in keys:  # a value absent from some trials (a layer that does not exist) is no sign
        seen = {repr(v) for t in trials if (v := param_value(t.params, key)) is not None}
        if len(seen) > 1 and key not in SHOWN_APART:
            varying.append(key)
    return varying


HYPERBAND_KEYS = ("tuner/bracket", "tuner/round", "tuner/initial_epoch", "tuner/epochs")


def hyperband_budget(params: dict[str, str]) -> dict[str, int] | None:
    """Hyperband's bookkeeping of a trial (keras-tuner's ``tuner/...`` values, logged as params):
    its bracket, its round in it, and the epochs it trains from and up to."""
    if not all(key in params for key in HYPERBAND_KEYS):
        return None
    try:
        return {key.removeprefix("tuner/"): int(params[key]) for key in HYPERBAND_KEYS}
    except ValueError:
        return None


def budget_text(budget: dict[str, int] | None) -> str:
    """``b1 r0 ep1-1``: bracket 1, round 0, epochs 1 to 1 (counted from 1)."""
    if budget is None:
        return "-"
    return (f"b{budget['bracket']} r{budget['round']} "
            f"ep{budget['initial_epoch'] + 1}-{budget['epochs']}")


@dataclass
class Row:
    """One line of the leaderboard."""

    rank: int | None
    trial: str
    cell: str
    depth: Any
    units: Any
    bidirectional: bool
    others: dict[str, Any]
    score: float | None
    epochs: int | None
    seconds: float | None
    status: str
    failure: str | None
    run_id: str
    attempt: int = 1
    final: bool = True  # False: an earlier attempt of a retried trial (``--all-attempts``)
    stopped: str | None = None  # why it ended early: "pruned at epoch 3: ...", a time limit
    budget: dict[str, int] | None = None  # Hyperband's bracket, round and epochs


def build_rows(sweep: Sweep) -> tuple[list[Row], list[str]]:
    """Rows best first (failed trials last) and the names of the other searched params."""
    keys = searched_keys(sweep.trials)
    rows = []
    rank = 0
    for trial in sweep.ranked():
        ranked = trial.final and trial.status in SCORED and trial.score is not None
        rank += ranked
        epochs = trial.metrics.get("epochs_trained")
        rows.append(Row(
            rank=rank if ranked else None, trial=trial.name, cell=trial.cell,
            depth=param_value(trial.params, "layers"), units=param_value(trial.params, "units"),
            bidirectional=trial.bidirectional,
            others={k: param_value(trial.params, k) for k in keys}, score=trial.score,
            epochs=int(epochs) if epochs is not None else None,
            seconds=trial.metrics.get("trial_seconds"), status=trial.status,
            failure=trial.tags.get("failure"), run_id=trial.run_id, attempt=trial.attempt,
            final=trial.final, stopped=trial.tags.get(STOPPED_TAG),
            budget=hyperband_budget(trial.params)))
    return rows, keys


@dataclass
class Outcome:
    """The champion's test metrics next to the baselines, as the sweep run recorded them."""

    test: dict[str, float]
    baselines: dict[str, dict[str, float]]
    primary: str | None
    lift: float | None
    best_baseline: str | None  # the strongest baseline: the one the verdict is about
    labels: dict[str, str] = field(default_factory=dict)
    # final_model.blend with_baselines: the networks alone on the test split, and the weights
    network: dict[str, float] = field(default_factory=dict)
    blend: str = ""
    blend_rule: str = ""

    @property
    def beats_baselines(self) -> bool | None:
        return None if self.lift is None else self.lift > 0

    @property
    def verdict(self) -> Verdict | TargetsVerdict | None:
        if self.primary is None:
            return None
        return verdict_of(self.test, self.baselines, self.primary, higher_is_better(self.primary),
                     self.labels)


def outcome(sweep: Sweep) -> Outcome:
    """Test metrics, baselines and the verdict against the strongest of them, from the parent
    run's metrics and tags."""
    metrics = sweep.metrics
    baselines: dict[str, dict[str, float]] = {}
    primary = None
    test = {}
    network: dict[str, float] = {}
    for key, value in metrics.items():
        if key.startswith("network_test_"):
            network[key.removeprefix("network_test_")] = value
        elif match := _BASELINE.match(key):
            baselines.setdefault(match.group(1), {})[match.group(2)] = value
        elif match := _LIFT.match(key):
            primary = match.group(1)
        elif key.startswith("test_"):
            test[key.removeprefix("test_")] = value
    if primary is None and "rmse" in test:
        primary = "rmse"
    labels = {k.removeprefix(BASELINE_LABEL_TAG): v for k, v in sweep.tags.items()
              if k.startswith(BASELINE_LABEL_TAG)}
    result = Outcome(test=test, baselines=baselines, primary=primary, lift=None,
                     best_baseline=None, labels=labels, network=network,
                     blend=sweep.tags.get(BLEND_TAG, ""),
                     blend_rule=sweep.tags.get(BLEND_RULE_TAG, ""))
    verdict = result.verdict
    if verdict is not None:
        result.lift, result.best_baseline = verdict.lift, verdict.baseline
    return result


def registered_version(client: Any, sweep: Sweep) -> tuple[str, str, bool] | None:
    """(model name, version, holds the champion alias) registered from this sweep, if any."""
    try:
        versions = client.search_model_versions(f"run_id = '{sweep.run_id}'")
    except Exception:  # a store without a registry (or no permission): just say nothing
        return None
    if not versions:
        return None
    version = max(versions, key=lambda v: int(v.version))
    try:
        aliases = client.get_model_version(version.name, version.version).aliases
    except Exception:
        aliases = []
    return str(version.name), str(version.version), "champion" in (aliases or [])


def footer_lines(sweep: Sweep, registered: tuple[str, str, bool] | None = None) -> list[str]:
    """What a reader wants after the table: the champion, its test metrics, the lift."""
    champion = sweep.champion
    lines = []
    if champion is not None:
        lines.append(f"Champion: {champion.name} ({sweep.objective} {_num(champion.score)})")
    result = outcome(sweep)
    if not result.test:
        lines.append(f"No test metrics: the sweep run is {sweep.run.info.status} "
                     f"(a finished sweep evaluates its champion on the test split).")
    else:
        lines.append("Test split, original units: " + metric_text(result.test))
        for name, values in result.baselines.items():
            label = result.labels.get(name)
            mark = "  <- strongest" if name == result.best_baseline else ""
            lines.append(f"  baseline {name}{f' ({label})' if label else ''}: "
                         + metric_text(values) + mark)
        lines.append(lift_sentence(result))
        lines += blend_lines(result)
    if registered is not None:
        name, version, is_champion = registered
        state = "holds the 'champion' alias" if is_champion else "not the registry's champion"
        lines.append(f"Registered: '{name}' version {version} ({state})")
    if note := attempts_note(sweep):
        lines.append(note)
    if note := hyperband_note(sweep):
        lines.append(note)
    return lines


def is_hyperband(sweep: Sweep) -> bool:
    return any(hyperband_budget(t.params) is not None for t in sweep.trials)


def hyperband_note(sweep: Sweep) -> str | None:
    """Why Hyperband's trials train for different numbers of epochs."""
    if not is_hyperband(sweep):
        return None
    return ("Hyperband: each bracket (b) starts many trials on a few epochs and trains the best "
            "of each round (r) further, continuing from their weights; the hyperband column "
            "gives the epochs a trial trained (ep first-last), so short trials are early rounds, "
            "not failures.")


def attempts_note(sweep: Sweep) -> str | None:
    """Says that retried trials' earlier runs are hidden (or shown), when there are any."""
    earlier = sweep.superseded
    if not earlier:
        return None
    retried = len({t.trial_id for t in earlier})
    runs = f"{len(earlier)} earlier attempt{'s' if len(earlier) != 1 else ''}"
    trials = f"{retried} retried trial{'s' if retried != 1 else ''}"
    if sweep.all_attempts:
        return f"Every run is listed: {runs} of {trials} (unranked, below their final attempt)."
    return f"One row per trial (its final attempt); {runs} of {trials} hidden (--all-attempts)."


def lift_sentence(result: Outcome) -> str:
    """One plain sentence on whether the model beats the strongest baseline (verdict.py)."""
    verdict = result.verdict
    if verdict is None or verdict.beats is None:
        return "Verdict: no baseline was recorded; the result is unjudged."
    return ("Verdict: " if verdict.beats else "WARNING: ") + verdict.sentence()


def blend_lines(result: Outcome) -> list[str]:
    """A blend's weights and its networks alone, judged against the same strongest baseline."""
    verdict = result.verdict
    if not result.blend or not isinstance(verdict, Verdict):
        return []
    return [f"{chosen_text(result.blend_rule)}: {result.blend}; {BLEND_MEANING}.",
            network_sentence(verdict, result.network)]


def metric_text(values: dict[str, float]) -> str:
    """``rmse 128.4  mae 104  mape 12.45%``."""
    return "  ".join(f"{k} {_num(v)}{'%' if k == 'mape' else ''}" for k, v in values.items())


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def row_cells(row: Row, keys: list[str], attempts: bool = False,
              hyperband: bool = False) -> list[str]:
    """A row as display strings, in column order (``attempts``: with the attempt column,
    ``hyperband``: with the bracket and round column)."""
    status = row.status + (f": {row.failure}" if row.failure else "")
    if row.stopped:  # "pruned at epoch 3: val_loss 0.41 > median 0.22" says its status itself
        status = row.stopped if row.stopped.startswith(row.status) else (
            f"{status} ({row.stopped})")
    seconds = "-" if row.seconds is None else f"{row.seconds:.1f}s"
    return [fmt(row.rank), row.trial, *([str(row.attempt)] if attempts else []), row.cell,
            fmt(row.depth), fmt(row.units), fmt(row.bidirectional),
            *(fmt(row.others[k]) for k in keys), _num(row.score), fmt(row.epochs),
            *([budget_text(row.budget)] if hyperband else []), seconds, status]


def headers(sweep: Sweep, keys: list[str]) -> list[str]:
    """Column names; an ``attempt`` column when every attempt is listed, a ``hyperband`` one
    for Hyperband's brackets and rounds."""
    return ["rank", "trial", *(["attempt"] if sweep.all_attempts else []), "cell", "depth",
            "units", "bidirectional", *keys, sweep.objective, "epochs",
            *(["hyperband"] if is_hyperband(sweep) else []), "time", "status"]


def title(sweep: Sweep) -> str:
    done = sum(t.status == "completed" for t in sweep.trials)
    pruned = sum(t.status == "pruned" for t in sweep.trials)
    better = "lower" if sweep.minimise else "higher"
    retried = len({t.trial_id for t in sweep.superseded})
    again = f", {retried} retried" if retried else ""
    return (f"Sweep '{sweep.name}' (experiment '{sweep.experiment_name}', run {sweep.run_id}, "
            f"{sweep.run.info.status}): {done} of {len(sweep.trials)} trials completed"
            f"{f', {pruned} pruned' if pruned else ''}{again}; "
            f"{sweep.objective}, {better} is better")


def render(sweep: Sweep, fmt_name: str, registered: tuple[str, str, bool] | None = None) -> str:
    """The leaderboard in one of FORMATS."""
    rows, keys = build_rows(sweep)
    if fmt_name == "json":
        return json.dumps(as_json(sweep, rows, keys, registered), indent=2) + "\n"
    if fmt_name == "csv":
        return _csv(sweep, rows, keys)
    head = headers(sweep, keys)
    cells = [row_cells(r, keys, sweep.all_attempts, is_hyperband(sweep)) for r in rows]
    foot = footer_lines(sweep, registered)
    if fmt_name == "markdown":
        lines = [f"**{title(sweep)}**", "", "| " + " | ".join(head) + " |",
                 "|" + "|".join("---:" if h in _NUMERIC or h == sweep.objective else "---"
                                for h in head) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells]
        lines.append("")
        lines += [f"- **{f}**" if f.startswith("WARNING") else f"- {f.strip()}" for f in foot]
        return "\n".join(lines) + "\n"
    return _table(title(sweep), head, cells, foot)


_NUMERIC = {"rank", "attempt", "depth", "epochs", "time"}


def _table(heading: str, head: list[str], cells: list[list[str]], foot: list[str]) -> str:
    last = len(head) - 1  # the status column may hold a long failure reason: never pad it
    widths = [max([len(h), *(len(r[i]) for r in cells)]) if i < last else 0
              for i, h in enumerate(head)]
    right = {i for i, h in enumerate(head) if h in _NUMERIC or i == head.index("epochs") - 1}

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if i in right else v.ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [heading, "", line(head), *(line(r) for r in cells), "", *foot]
    return "\n".join(out) + "\n"


def _csv(sweep: Sweep, rows: list[Row], keys: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    hyperband = [k.removeprefix("tuner/") for k in HYPERBAND_KEYS] if is_hyperband(sweep) else []
    writer.writerow(["rank", "trial", "cell", "depth", "units", "bidirectional", *keys,
                     sweep.objective, "epochs", "seconds", "status", "failure", "run_id",
                     "attempt", "stopped", *hyperband])
    for r in rows:
        writer.writerow([_plain(v) for v in (
            r.rank, r.trial, r.cell, r.depth, r.units, r.bidirectional,
            *(r.others[k] for k in keys), r.score, r.epochs,
            None if r.seconds is None else round(r.seconds, 3), r.status, r.failure, r.run_id,
            r.attempt, r.stopped, *((r.budget or {}).get(k) for k in hyperband))])
    return buffer.getvalue()


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_json(sweep: Sweep, rows: list[Row], keys: list[str],
            registered: tuple[str, str, bool] | None) -> dict[str, Any]:
    """A machine-readable leaderboard (values typed: numbers, booleans, null)."""
    result = outcome(sweep)
    champion = sweep.champion
    return {
        "sweep": sweep.name, "experiment": sweep.experiment_name, "run_id": sweep.run_id,
        "status": sweep.run.info.status, "objective": sweep.objective,
        "direction": "min" if sweep.minimise else "max", "searched": keys,
        "trials": [{
            "rank": r.rank, "trial": r.trial, "cell": r.cell, "depth": r.depth,
            "units": r.units, "bidirectional": r.bidirectional, **r.others,
            sweep.objective: r.score, "epochs": r.epochs, "seconds": r.seconds,
            "status": r.status, "failure": r.failure, "run_id": r.run_id,
            "attempt": r.attempt, "final_attempt": r.final, "stopped": r.stopped,
            **({"hyperband": r.budget} if r.budget is not None else {}),
        } for r in rows],
        "all_attempts": sweep.all_attempts,
        "champion": {
            "trial": champion.name if champion else None,
            "test_metrics": result.test, "baselines": result.baselines,
            "primary_metric": result.primary, "best_baseline": result.best_baseline,
            "lift_over_best_baseline": result.lift, "beats_baselines": result.beats_baselines,
            "registered": None if registered is None else {
                "name": registered[0], "version": registered[1], "champion": registered[2]},
        },
    }
