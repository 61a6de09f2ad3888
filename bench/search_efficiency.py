"""Search efficiency: epochs and wall time each search needs to reach a validation target, with
and without pruning.

Searches: random, bayesian and hyperband, each with ``tuner.pruning`` none, median and asha (the
product's defaults: min_epochs 2, min_trials 3, reduction factor 3), over several seeds, on two
problems:

* ``adding``: the adding problem (``generate:adding``, T=100, 1024 training sequences, no
  scaling, so val_loss is the raw MSE), space cell x units x log learning rate (``--space``:
  ``wide`` by default, where most trials never leave the plateau, so a search needs many of
  them; ``narrow``, the first runs', where a search ends after 1-3 trials), early stopping off
  (the problem sits on a plateau at MSE ~0.17 before it drops); target val MSE 0.01, budget
  400 epochs (20 full trials).
* ``airline``: ``sweeps/airline.yaml`` as shipped (its data, space, epochs and patience), with
  the search settings above; target its validation loss ``--airline-target``.

Every search is the product's own (``lstm_automl.session``: prepare, open the sweep run, the
MLflow-aware tuner with its pruning), each in its own folder and MLflow store, with one callback
added that counts the epochs of every trial and ends the search at the first epoch that reaches
the target or when the epoch budget is spent. The final step (test split, baselines, registry)
is skipped: it costs the same with or without pruning and comes after the target.

Reported per problem and search: seeds reaching the target, the median epochs and seconds to
reach it with their spread (min..max; a seed that did not reach counts as more than the budget),
the median best validation loss when the search ended, trials and pruned trials; then what
pruning saved against the same algorithm without it.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common
from _common import PROJECT_ROOT, Target, table

_common.quiet_env()

ALGORITHMS = ("random", "bayesian", "hyperband")
PRUNINGS = ("none", "median", "asha")
PROBLEMS = ("adding", "airline")
AIRLINE = PROJECT_ROOT / "sweeps" / "airline.yaml"
ADDING = """\
name: adding
seed: {seed}
data:
  source: generate:adding
  task: regress
  scaling: none
  generate: {{length: {steps}, samples: {samples}, seed: 0}}
  split: {{validation: 0.11, test: 0.05}}
search:
{space}
  batch_size: 64
  loss: mse
  clipnorm: 1.0
tuner: {{algorithm: {algorithm}, max_trials: 1000, objective: val_loss, pruning: {pruning}}}
training: {{epochs: {epochs}, early_stopping_patience: null, recycle_every: 0}}
tracking: {{register_best: false}}
"""

SPACES = {
    # as in the first runs: about one trial in two reaches MSE 0.01 within 20 epochs, so a search
    # ends after 1-3 trials, before any pruning rule has the 3 finished trials it compares with
    "narrow": """\
  cell: {choice: [lstm, gru, peephole, simple_rnn]}
  units: {choice: [16, 32, 64]}
  learning_rate: {float: [1.0e-3, 5.0e-2], log: true}""",
    # a learning-rate range users write (1e-5..1e-2 and 1e-4..1e-1 are in tests/real_spaces)
    # and smaller widths: most trials stay on the plateau for their 20 epochs, so a search
    # takes many trials, and what a rule saves on the losing ones shows
    "wide": """\
  cell: {choice: [lstm, gru, peephole, simple_rnn]}
  units: {choice: [8, 16, 32, 64]}
  learning_rate: {float: [1.0e-5, 5.0e-2], log: true}""",
}


@dataclass
class Outcome:
    """One search: when it reached the target (None: not within the budget) and what it spent."""

    reached_epochs: int | None
    reached_seconds: float | None
    epochs: int
    seconds: float
    trials: int
    pruned: int
    best: float
    error: str = ""


def epoch_counter(tuner: Any, budget: int, target: float) -> Any:
    """A callback shared by every trial of one search (keras-tuner deep-copies callbacks, so it
    returns itself): counts epochs, notes the first one at or under ``target``, and stops the
    search there or when ``budget`` epochs are spent."""
    import keras

    class EpochCounter(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.started = time.perf_counter()
            self.epochs = 0
            self.best = float("inf")
            self.reached: tuple[int, float] | None = None

        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            return self

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epochs += 1
            value = float((logs or {}).get("val_loss", float("inf")))
            self.best = min(self.best, value)
            if value <= target and self.reached is None:
                self.reached = (self.epochs, time.perf_counter() - self.started)
            if self.reached is not None or self.epochs >= budget:
                self.model.stop_training = True
                oracle = tuner.oracle
                oracle.max_trials = len(oracle.trials)  # no trial after this one

    return EpochCounter()


def sweep_file(problem: str, folder: Path, algorithm: str, pruning: str, seed: int,
               args: Any) -> tuple[Path, list[str]]:
    """The sweep file and --set overrides of one search: its own name (so its own experiment
    and tuner folder), one MLflow store for the whole benchmark (a new sqlite store costs
    seconds of schema migrations)."""
    search = [f"seed={seed}", f"tuner.algorithm={algorithm}", f"tuner.pruning={pruning}",
              "tuner.max_trials=1000", "training.recycle_every=0",
              "tracking.register_best=false", f"name={problem}-{algorithm}-{pruning}-{seed}",
              f"tracking.tracking_uri=sqlite:///{folder / 'mlflow.db'}",
              f"tuner.directory={folder / 'tuner'}"]
    if problem == "airline":
        return AIRLINE, search + ([f"training.epochs={args.airline_epochs}"]
                                  if args.airline_epochs else [])
    path = folder / f"adding-{seed}.yaml"
    path.write_text(ADDING.format(seed=seed, steps=args.steps, samples=args.samples,
                                  space=SPACES[args.space],
                                  algorithm=algorithm, pruning=pruning, epochs=args.epochs))
    return path, search


def run_search(problem: str, algorithm: str, pruning: str, seed: int, budget: int,
               target: float, args: Any, folder: Path) -> Outcome:
    """One search with the product's code path: its own sweep and tuner folder in ``folder``."""
    from lstm_automl.console import QUIET, Reporter
    from lstm_automl.session import SweepSession
    from lstm_automl.session.search import make_sweep_tuner, search_arguments, seed_everything
    from lstm_automl.sweep_file.loader import load_sweep

    path, overrides = sweep_file(problem, folder, algorithm, pruning, seed, args)
    reporter = Reporter(QUIET, stream=io.StringIO())
    session = SweepSession.prepare(load_sweep(path, overrides), reporter, fresh=True)
    session.open()
    prep = session.prep
    started = time.perf_counter()
    error = ""
    with contextlib.redirect_stdout(io.StringIO()):
        seed_everything(prep)
        tuner = make_sweep_tuner(prep, reporter)
        search_args, kwargs = search_arguments(prep, reporter)
        counter = epoch_counter(tuner, budget, target)
        kwargs["callbacks"] = [*kwargs["callbacks"], counter]
        try:
            tuner.search(*search_args, **kwargs)
        except RuntimeError as exc:  # keras-tuner's "consecutive failures"
            error = str(exc).splitlines()[0]
    seconds = time.perf_counter() - started
    prep.tracker.abort("FINISHED")
    records = tuner.trial_records
    reached = counter.reached
    return Outcome(reached[0] if reached else None, reached[1] if reached else None,
                   counter.epochs, seconds, len(records),
                   sum(r.status == "PRUNED" for r in records), counter.best, error)


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _spread(values: list[float], budget: int | None = None) -> str:
    """``min..max``; past ``budget`` a value reads ``> budget`` (that seed did not reach)."""
    if not values:
        return "-"

    def text(value: float) -> str:
        return f"> {budget}" if budget is not None and value > budget else f"{value:.0f}"

    low, high = text(min(values)), text(max(values))
    return low if low == high else f"{low}..{high}"


def summarise(problem: str, budget: int, target: float,
              runs: dict[tuple[str, str], list[Outcome]]) -> tuple[list[str], list[Target]]:
    """The per-search table and what pruning saved, for one problem."""
    rows, saved, targets = [], [], []
    medians: dict[tuple[str, str], tuple[float, float, float]] = {}
    for (algorithm, pruning), outcomes in runs.items():
        keyed = [o.reached_epochs if o.reached_epochs is not None else budget + 1
                 for o in outcomes]
        median = _median(keyed)
        seconds = [o.reached_seconds for o in outcomes if o.reached_seconds is not None]
        best = _median([o.best for o in outcomes])
        # The sum over seeds shows what the hard seeds cost, which the median hides when most
        # seeds find a winner among their first trials.
        medians[(algorithm, pruning)] = (median, best, float(sum(keyed)))
        rows.append([algorithm, pruning,
                     f"{sum(o.reached_epochs is not None for o in outcomes)}/{len(outcomes)}",
                     f"{median:g}" if median <= budget else f"> {budget}",
                     _spread(keyed, budget),
                     f"{_median(seconds):.0f}" if seconds else "-",
                     _spread(seconds) if seconds else "-",
                     f"{best:.4g}", f"{_median([o.trials for o in outcomes]):g}",
                     f"{_median([o.pruned for o in outcomes]):g}",
                     f"{_median([o.seconds for o in outcomes]):.0f}"])
    for algorithm in dict.fromkeys(a for a, _ in runs):
        base = medians.get((algorithm, "none"))
        for pruning in PRUNINGS[1:]:
            mine = medians.get((algorithm, pruning))
            if base is None or mine is None:
                continue
            ratio = base[0] / mine[0] if mine[0] else float("nan")
            total = base[2] / mine[2] if mine[2] else float("nan")
            saved.append([algorithm, pruning, f"{base[0]:g}", f"{mine[0]:g}", f"{ratio:.2f}x",
                          f"{base[2]:g}", f"{mine[2]:g}", f"{total:.2f}x",
                          f"{base[1]:.4g}", f"{mine[1]:.4g}"])
            targets.append(Target(
                f"{problem}: {algorithm} with {pruning} pruning needs at most half the epochs "
                f"to the target, at the same final quality",
                f"{ratio:.2f}x fewer epochs; best {mine[1]:.4g} vs {base[1]:.4g}",
                ratio >= 2 and mine[1] <= base[1] * 1.1 if base[0] <= budget else None,
                "" if ratio >= 2 else "the rule stops too few losing trials, or stops a "
                "winner on the plateau; see the per-search table"))
    body = [f"### {problem}: target val_loss <= {target:g}, budget {budget} epochs per search",
            "", table(["algorithm", "pruning", "seeds reaching", "median epochs to reach",
                       "epochs min..max", "median s to reach", "s min..max",
                       "median best val_loss", "median trials", "median pruned",
                       "median s in all"], rows),
            "", "What pruning saved (epochs to reach, the median over seeds and the sum over "
            f"seeds; a seed that did not reach counts as {budget + 1}, one more than the "
            "budget, so a sum with such seeds understates the saving):", "",
            table(["algorithm", "pruning", "median without", "median with", "saved (median)",
                   "sum without", "sum with", "saved (sum)", "best without", "best with"],
                  saved) if saved else
            "(no algorithm ran both with and without pruning here)", ""]
    return body, targets


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--problems", default=",".join(PROBLEMS))
    p.add_argument("--algorithms", default=",".join(ALGORITHMS))
    p.add_argument("--prunings", default=",".join(PRUNINGS))
    p.add_argument("--seeds", type=int, help="seeds per search (default 5; quick 1)")
    p.add_argument("--steps", type=int, help="adding: sequence length T (default 100; quick 20)")
    p.add_argument("--samples", type=int, help="adding: sequences (default 1152; quick 288)")
    p.add_argument("--epochs", type=int, help="adding: max epochs per trial (default 20; quick 3)")
    p.add_argument("--budget", type=int, help="adding: epochs per search (default 400; quick 12)")
    p.add_argument("--target", type=float, default=0.01, help="adding: val MSE to reach (0.01)")
    p.add_argument("--space", choices=sorted(SPACES), default="wide",
                   help="adding: the search space (default wide; narrow: the first runs')")
    p.add_argument("--airline-epochs", type=int,
                   help="airline: max epochs per trial (default: the file's 60; quick 5)")
    p.add_argument("--airline-budget", type=int,
                   help="airline: epochs per search (default 400; quick 20)")
    p.add_argument("--airline-target", type=float, default=0.015,
                   help="airline: val_loss to reach (default 0.015, MSE of the scaled log "
                        "series; 2 of 6 random trials of the shipped sweep reached it)")
    args = p.parse_args()
    started = time.perf_counter()
    args.seeds = args.seeds or (1 if args.quick else 5)
    args.steps = args.steps or (20 if args.quick else 100)
    args.samples = args.samples or (288 if args.quick else 1152)
    args.epochs = args.epochs or (3 if args.quick else 20)
    args.budget = args.budget or (12 if args.quick else 400)
    args.airline_epochs = args.airline_epochs or (5 if args.quick else None)
    args.airline_budget = args.airline_budget or (20 if args.quick else 400)
    problems = [x.strip() for x in args.problems.split(",") if x.strip()]
    searches = [(a.strip(), q.strip()) for a in args.algorithms.split(",")
                for q in args.prunings.split(",")]
    if args.quick and args.algorithms == ",".join(ALGORITHMS) and \
            args.prunings == ",".join(PRUNINGS):
        searches = list(zip(ALGORITHMS, PRUNINGS, strict=True))  # each once: does it run?

    from lstm_automl.model.backend import select_backend

    backend = select_backend()  # as `lstm-sweep run` would (auto: JAX where installed)
    print(f"  {backend.line()}", flush=True)
    import keras  # noqa: F401  (the backend loads before the first timed search)

    goals = {"adding": (args.budget, args.target),
             "airline": (args.airline_budget, args.airline_target)}
    body, targets, per_seed = [], [], []
    here = Path.cwd()
    work = tempfile.TemporaryDirectory(prefix="bench-search-")
    os.chdir(work.name)  # anything a search writes beside its store lands here
    for problem in problems:
        budget, target = goals[problem]
        runs: dict[tuple[str, str], list[Outcome]] = {s: [] for s in searches}
        for seed in range(args.seeds):  # seeds outermost: load changes hit every search alike
            for algorithm, pruning in searches:
                o = run_search(problem, algorithm, pruning, seed, budget, target, args,
                               Path(work.name))
                runs[(algorithm, pruning)].append(o)
                said = (f"reached at epoch {o.reached_epochs} ({o.reached_seconds:.0f}s)"
                        if o.reached_epochs is not None else f"not reached in {o.epochs} epochs")
                print(f"  {problem} {algorithm}/{pruning} seed {seed}: {said}, {o.trials} trials "
                      f"({o.pruned} pruned), best {o.best:.4g}, {o.seconds:.0f}s"
                      + (f", stopped: {o.error}" if o.error else ""), flush=True)
                per_seed.append([problem, algorithm, pruning, seed,
                                 o.reached_epochs or f"not within {o.epochs}",
                                 f"{o.reached_seconds:.0f}" if o.reached_seconds else "-",
                                 o.trials, o.pruned, f"{o.best:.4g}", f"{o.seconds:.0f}"])
        section, judged = summarise(problem, budget, target, runs)
        body += section
        targets += judged
    os.chdir(here)
    work.cleanup()
    if args.quick:
        targets = [Target(t.name, t.measured, None) for t in targets]
    body += ["Per search and seed:", "",
             table(["problem", "algorithm", "pruning", "seed", "epochs to reach", "s to reach",
                    "trials", "pruned", "best val_loss", "s"], per_seed)]
    settings = (f"backend {backend.name}; problems {', '.join(problems)}; searches {len(searches)} "
                f"(algorithm x pruning); {args.seeds} seed(s); adding T={args.steps}, "
                f"{args.space} space, "
                f"{args.samples} sequences (89% train), {args.epochs} epochs per trial, budget "
                f"{args.budget} epochs, target {args.target}; airline: sweeps/airline.yaml, "
                f"{args.airline_epochs or 60} epochs per trial, budget {args.airline_budget} "
                f"epochs, target val_loss {args.airline_target}")
    notes = ["epochs are counted over every trial of a search (hyperband's short rungs count "
             "for what they train); a search stops at the first epoch at or under the target",
             "seconds are wall time from the start of the search (model builds, MLflow logging "
             "and pruning checks included) on a shared machine: compare within one run",
             "pruning uses the product's defaults (min_epochs 2, min_trials 3, asha reduction "
             "factor 3); a pruned trial is scored with the best value it reached",
             "hyperband may end before the budget: one iteration of its brackets is all it runs"]
    _common.report(args, "search_efficiency: epochs and time to a validation target, with and "
                   "without pruning", settings, body, targets, notes, started)


if __name__ == "__main__":
    main()
