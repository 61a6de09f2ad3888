"""``tuner.warm_start: SWEEP``: a new sweep starts from the finished trials of an earlier one.

The earlier sweep is read from the tracking store when the run starts (step 1, before anything is
created: an unknown name or another objective is a config error). When the search starts, each
of its completed or pruned trials whose values fit the new space becomes a COMPLETED trial of the
new oracle, with its old score and without training: Bayesian search fits its model to them, and
no search proposes them again (the oracle remembers tried values). A trial that does not fit is
dropped, saying why: a hyperparameter the new space lacks or has no value for, or a value outside
its range or choices.

Seeded trials are marked (``SEEDED_METRIC``) and are not this sweep's own: they have no MLflow
run or checkpoint here, so they never become its best trial, never stop it at ``tuner.target``
(oracle_controls.py) and do not count against ``tuner.max_trials``. The whole seeding is saved
with the oracle, so a resumed sweep keeps it and does not seed again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lstm_automl.config.params import SEARCH_PARAMS, encode_null, short_list, split_layer_key
from lstm_automl.errors import ConfigError
from lstm_automl.tracking.read_back import load_sweep_runs, parse_value
from lstm_automl.tracking.runs import latest_sweep_run, named_experiment_ids, sweep_runs
from lstm_automl.tuning._keras_tuner_private import add_completed_trial, is_duplicate

KEY = "tuner.warm_start"
SEEDED_METRIC = "lstm_sweep.seeded_from"  # the earlier sweep's trial number
SCORED = ("completed", "pruned")


@dataclass
class EarlierTrial:
    """One finished trial of the earlier sweep, as its MLflow run recorded it."""

    number: int
    name: str
    params: dict[str, str]
    score: float
    pruned: bool


@dataclass
class Earlier:
    """The earlier sweep: its finished trials, and how many others it had (failed, killed)."""

    name: str
    run_id: str
    experiment: str
    trials: list[EarlierTrial]
    unfinished: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Seeding:
    """What seeding took and dropped, for the console and the sweep run's warm_start.txt."""

    earlier: Earlier
    taken: list[tuple[EarlierTrial, dict[str, Any]]] = field(default_factory=list)
    dropped: list[tuple[EarlierTrial, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The console's account: what was taken, what was dropped and why."""
        earlier = self.earlier
        head = (f"warm start from sweep '{earlier.name}' (run {earlier.run_id[:8]}, experiment "
                f"'{earlier.experiment}'): took {len(self.taken)} of "
                f"{len(earlier.trials)} finished trials")
        if self.taken:
            head += ": " + short_list([t.name.split()[0] for t, _ in self.taken], limit=10)
        lines = [head]
        lines += [f"  dropped {t.name.split()[0]}: {why}" for t, why in self.dropped]
        if earlier.unfinished:
            lines.append(f"  not used: {earlier.unfinished} trial(s) of '{earlier.name}' that "
                         f"failed or did not finish")
        return lines + [f"  note: {note}" for note in earlier.notes]

    def text(self) -> str:
        """warm_start.txt: every earlier trial with its fate."""
        out = self.lines() + ["", "taken (earlier trial: score; values as seeded):"]
        out += [f"  {t.name}: {t.score:.6g}{' (pruned)' if t.pruned else ''}; {values}"
                for t, values in self.taken]
        return "\n".join(out) + "\n"


# --- step 1: find the earlier sweep (no TensorFlow) --------------------------------------------

def read_earlier(client: Any, name: str, experiment: str, objective: str, minimise: bool,
                 source: str, data_source: str | None = None) -> Earlier:
    """The earlier sweep named ``name`` (its latest run; this sweep's experiment first, then any
    other), or a ConfigError naming ``tuner.warm_start``."""

    where = f"tags.sweep = '{name}'"
    if "'" in name:
        raise ConfigError(source, [f"{KEY}: '{name}' is not a sweep name"])
    everywhere = [e.experiment_id for e in client.search_experiments(max_results=1000)]
    run = latest_sweep_run(client, named_experiment_ids(client, experiment), where) \
        or latest_sweep_run(client, everywhere, where)
    if run is None:
        known = list(dict.fromkeys(r.data.tags.get("sweep", "?") for r in
                                   sweep_runs(client, everywhere, limit=200)))[:10]
        there = f"sweeps there: {', '.join(known)}" if known else "it has no sweeps yet"
        raise ConfigError(source, [f"{KEY}: no sweep named '{name}' in the tracking store "
                                   f"({there})"])
    sweep = load_sweep_runs(client, run)
    if sweep.objective != objective or sweep.minimise != minimise:
        way = lambda m: "min" if m else "max"  # noqa: E731
        raise ConfigError(source, [
            f"{KEY}: sweep '{name}' optimised {sweep.objective} ({way(sweep.minimise)}), this "
            f"one {objective} ({way(minimise)}); its scores cannot seed this search"])
    trials, unfinished = [], 0
    for trial in sweep.trials:
        if trial.status not in SCORED or trial.score is None or not math.isfinite(trial.score):
            unfinished += 1
            continue
        params = {k: v for k, v in trial.params.items() if not k.startswith("tuner/")}
        trials.append(EarlierTrial(trial.number or 0, trial.name, params, float(trial.score),
                                   trial.status == "pruned"))
    trials.sort(key=lambda t: t.number)
    earlier = Earlier(name, sweep.run_id, sweep.experiment_name, trials, unfinished)
    old_source = sweep.params.get("data.source")
    if data_source and old_source and old_source != data_source:
        earlier.notes.append(f"'{name}' trained on {old_source}, this sweep on {data_source}: "
                             f"its scores are a guide, not a result")
    return earlier


# --- step 3: fit to the new space and seed the oracle -------------------------------------------

def fit(params: dict[str, str], space: list[Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The trial's values in the new space (keras-tuner names and codes), or None and why not."""
    import keras_tuner as kt

    names = {hp.name for hp in space}
    extra = sorted(k for k in params if k not in names)
    if extra:
        return None, f"{extra[0]} is not a hyperparameter of the new space"
    hps = kt.HyperParameters()
    for hp in space:
        hps.merge([hp])
        if not hps.is_active(hp):
            continue
        raw = params.get(hp.name)
        if raw is None:
            return None, f"no value for {hp.name}, which the new space searches"
        value, why = convert(hp, raw)
        if why is not None:
            return None, f"{hp.name}={raw}: {why}"
        hps.values[hp.name] = value
    return dict(hps.values), None


def convert(hp: Any, raw: str) -> tuple[Any, str | None]:
    """A logged param (text) as ``hp``'s value, or why it is not one ``hp`` can take."""
    value = parse_value(raw)
    split = split_layer_key(hp.name)
    domain = SEARCH_PARAMS.get(hp.name) or (SEARCH_PARAMS.get(split[0]) if split else None)
    if domain is not None:
        value = encode_null(domain, value)
    kind = type(hp).__name__
    if kind == "Fixed":
        return hp.value, None if _same(value, hp.value) else (
            f"the new sweep fixes it at {hp.value!r}")
    if kind == "Boolean":
        return value, None if isinstance(value, bool) else "not true or false"
    if kind == "Choice":
        found = next((c for c in hp.values if str(c) == raw or _same(value, c)), None)
        return found, None if found is not None else (
            f"not one of the choices of the new space: {short_list(hp.values)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value, "not a number"
    low, high = float(hp.min_value), float(hp.max_value)
    if value < low - 1e-12 * max(1.0, abs(low)) or value > high + 1e-12 * max(1.0, abs(high)):
        return value, f"outside the new range {low:g}..{high:g}"
    step = getattr(hp, "step", None)
    if step and kind == "Int" and (int(value) - int(low)) % int(step):
        return value, f"between the new steps of {step:g} from {low:g}"
    return (int(value) if kind == "Int" else float(value)), None


def _same(value: Any, other: Any) -> bool:
    if isinstance(value, bool) or isinstance(other, bool):
        return value is other or value == other and type(value) is type(other)
    if isinstance(value, (int, float)) and isinstance(other, (int, float)):
        return math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12)
    return bool(value == other)


def is_seeded(trial: Any) -> bool:
    """A trial that came from the earlier sweep (never trained in this one)."""
    return bool(trial.metrics.exists(SEEDED_METRIC))


def seeded_count(oracle: Any) -> int:
    return sum(is_seeded(t) for t in oracle.trials.values())


def seed(oracle: Any, earlier: Earlier) -> Seeding:
    """Add the earlier trials that fit as COMPLETED trials of ``oracle`` and save it."""
    from lstm_automl.tuning.pruning import PRUNED_METRIC  # defers keras

    seeding = Seeding(earlier)
    space = list(oracle.hyperparameters.space)
    for old in earlier.trials:
        values, why = fit(old.params, space)
        if values is None:
            seeding.dropped.append((old, why or "does not fit"))
            continue
        if is_duplicate(oracle, values):
            seeding.dropped.append((old, "the same values as a trial taken already"))
            continue
        metrics = {oracle.objective.name: old.score, SEEDED_METRIC: float(old.number)}
        if old.pruned:
            metrics[PRUNED_METRIC] = 0.0
        add_completed_trial(oracle, values, metrics, old.score)
        seeding.taken.append((old, values))
    oracle.save()
    return seeding
