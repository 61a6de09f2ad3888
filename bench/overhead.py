"""Framework overhead: ``lstm-sweep run`` against a plain script training exactly the same models.

One process per backend, Keras imported and warmed up first. Each repetition runs, side by side:

* **sweep**: ``lstm_automl.cli.main(["run", SWEEP, "-q"])`` on a generated sweep of N small
  trials (builtin:airline, random search, fixed seed, early stopping off, fixed epochs) with its
  own sqlite MLflow store in a temporary folder: validation, data, keras-tuner, MLflow trial
  runs, per-epoch metrics, checkpoints, test evaluation, model registration;
* **plain**: the same N models built with ``lstm_automl.model.hypermodel.build_model`` from the
  arguments the sweep passed to it in each trial (values sampled by keras-tuner, input shape,
  seed, compile options such as jit_compile; recorded in-process), trained with
  ``model.fit`` on the same windows (``lstm_automl.data.prepare_forecast``), epochs and batch
  size: no tuner, no tracking, no evaluation, no registry.

Reported: the median total-time ratio sweep / plain, the overhead per trial in seconds, where the
sweep's extra time sits (before the first trial, inside trials, between trials, after the last),
and a cProfile of one more sweep run listing the known suspects (keras-tuner's clear_session and
gc.collect, checkpoint saves, MLflow logging, registry, test evaluation).

Backends (issue 11): ``--backend tensorflow|jax|both`` (default both). Each backend runs in its
own process (bench/_backends.py), warmed up first; then every repetition runs the sweep and the
plain script on TensorFlow, then on JAX, so the JAX / TensorFlow ratios pair runs minutes apart.

Target (issue 6): at most 1.10x on small trials.
"""

from __future__ import annotations

import contextlib
import copy
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _backends
import _common
from _common import BENCH_DIR, Samples, Target, table

_common.quiet_env()

TARGET = 1.10

SWEEP = """\
name: bench_overhead
seed: 11
data:
  source: builtin:airline
  lookback: 12
  horizon: 1
  transform: log_diff
  split: {{validation: 24}}
search:
  cell: {{choice: [lstm, gru, peephole, simple_rnn]}}
  units: {{int: [8, 32], step: 8}}
  learning_rate: {{float: [1.0e-3, 1.0e-2], log: true}}
  batch_size: {batch}
tuner: {{algorithm: random, max_trials: {trials}, objective: val_loss, directory: {tuner_dir}}}
training: {{epochs: {epochs}, early_stopping_patience: null, recycle_every: 0}}
tracking: {{tracking_uri: "sqlite:///{db}", experiment: bench_overhead,
           register_as: bench_overhead}}
"""

# (label, filename part, function name): where profiled sweep time goes, beyond model.fit.
SUSPECTS = [
    ("model.fit (training itself)", "keras/src/backend/tensorflow/trainer.py", "fit"),
    ("build_model (build + compile)", "lstm_automl/model/hypermodel.py", "build_model"),
    ("keras-tuner _try_build: clear_session + gc.collect", "keras_tuner/src/engine/tuner.py",
     "_try_build"),
    ("lstm-sweep _try_build: clear_session + one gc.collect",
     "lstm_automl/tuning/_keras_tuner_private.py", "_try_build"),
    ("  gc.collect + gc.freeze at search start", "lstm_automl/tuning/trial_memory.py",
     "freeze_survivors"),
    ("  keras.backend.clear_session", "keras/src/backend/common/global_state.py",
     "clear_session"),
    ("  gc.collect (all callers)", "~", "<built-in method gc.collect>"),
    ("keras-tuner SaveBestEpoch checkpoint (save_weights)", "keras_tuner/src/engine/tuner_utils.py",
     "_save_model"),
    ("best-epoch checkpoint write (BestEpochInMemory, once per trial)",
     "lstm_automl/tuning/tuners.py",
     "on_train_end"),
    ("keras-tuner oracle.create_trial", "keras_tuner/src/engine/oracle.py", "create_trial"),
    ("keras-tuner oracle/tuner state saves (trial.json, oracle.json)",
     "keras_tuner/src/engine/base_tuner.py", "save"),
    ("keras-tuner on_trial_end (oracle.end_trial, saves)", "keras_tuner/src/engine/base_tuner.py",
     "on_trial_end"),
    ("MLflow per-epoch metrics (EpochBuffer.flush, batched)", "lstm_automl/tuning/tuners.py",
     "flush"),
    ("MLflow trial run start (start_run + log_params)", "lstm_automl/tracking/runs.py",
     "start_trial"),
    ("MLflow trial run end (metrics, tags, end_run)", "lstm_automl/tracking/runs.py", "end_trial"),
    ("MLflow sweep run start", "lstm_automl/tracking/runs.py", "start_sweep"),
    ("MLflow store check", "lstm_automl/tracking/store.py", "check_store"),
    ("tuner.load_model (best checkpoint)", "keras_tuner/src/engine/tuner.py", "load_model"),
    ("test evaluation + baselines (model.predict...)", "keras/src/backend/tensorflow/trainer.py",
     "predict"),
    ("registry: log model + register + alias", "lstm_automl/tracking/registry.py",
     "log_champion_candidate"),
    ("  MLflow model save (save_sweep_model)", "lstm_automl/serving/model_saving.py",
     "save_sweep_model"),
    ("MLflow sweep run finish (summary.json)", "lstm_automl/tracking/runs.py", "finish_sweep"),
    ("sweep file + data load", "lstm_automl/data/__init__.py", "load_data"),
]


class TrialClock:
    """Time-stamps every trial's begin and end (wraps ``Reporter.on_trial``) and records the
    arguments of every ``build_model`` call made inside a trial, so the plain script can make
    exactly the same calls (values, input shape, seed, compile options such as jit_compile)."""

    def __init__(self) -> None:
        from lstm_automl import console
        self.events: list[tuple[str, int, float, float]] = []  # (event, number, t, seconds)
        self._console = console
        self._original = console.Reporter.on_trial
        clock = self

        def on_trial(reporter: Any, event: str, record: Any) -> None:
            clock.events.append((event, record.number, time.perf_counter(), record.seconds))
            clock._original(reporter, event, record)

        console.Reporter.on_trial = on_trial  # type: ignore[method-assign, assignment]

        from lstm_automl.model import hypermodel
        self.builds: list[tuple[dict[str, Any], Any, dict[str, Any]]] = []
        build_model = hypermodel.build_model

        def recording_build_model(values: dict[str, Any], shape: Any, *args: Any,
                                  **kwargs: Any) -> Any:
            if clock.in_trial():  # not tuner.load_model's rebuild of the best model
                clock.builds.append((copy.deepcopy(values), shape, {"args": args, **kwargs}))
            return build_model(values, shape, *args, **kwargs)

        recording_build_model.__wrapped_build__ = build_model  # type: ignore[attr-defined]
        hypermodel.build_model = recording_build_model  # SweepHyperModel looks it up per call

    def in_trial(self) -> bool:
        return bool(self.events) and self.events[-1][0] == "begin"

    def reset(self) -> None:
        self.events.clear()
        self.builds.clear()


def write_sweep(folder: Path, trials: int, epochs: int, batch: int) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(SWEEP.format(trials=trials, epochs=epochs, batch=batch,
                                 tuner_dir=folder / "tuner", db=folder / "mlflow.db"))
    return path


def run_sweep_cli(path: Path, clock: TrialClock) -> dict[str, float]:
    """One ``lstm-sweep run -q``; returns total seconds and its phases."""
    from lstm_automl.cli import main

    shutil.rmtree(path.parent / "tuner", ignore_errors=True)  # a new sweep, not a resumed one
    clock.reset()
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["run", str(path), "-q"])
    end = time.perf_counter()
    if code != 0:
        raise SystemExit(f"lstm-sweep run failed (exit {code}):\n{out.getvalue()}")
    begins = [t for e, _, t, _ in clock.events if e == "begin"]
    ends = [(t, s) for e, _, t, s in clock.events if e == "end"]
    in_trials = sum(s for _, s in ends)
    return {
        "total": end - start,
        "before first trial": begins[0] - start,
        "inside trials (tuner-timed)": in_trials,
        "between trials": (ends[-1][0] - begins[0]) - in_trials,
        "after last trial (test eval, registry)": end - ends[-1][0],
    }


def run_plain(path: Path, builds: list[tuple[dict[str, Any], Any, dict[str, Any]]],
              epochs: int) -> tuple[float, list[float]]:
    """The plain script: the sweep's build_model calls again, each followed by model.fit.

    Same values, input shape, seed and compile options; same windows (prepare_forecast), epochs,
    batch size, shuffling and per-trial seeding, fed the way the sweep feeds them (the shared
    tf.data pipelines of ``lstm_automl.model.training.TrialTrainer``). No tuner, no tracking, no
    evaluation, no registry. Returns (seconds, each trial's best val_loss).
    """
    import keras

    from lstm_automl.data import prepare_forecast
    from lstm_automl.model import hypermodel
    from lstm_automl.model.training import TrialTrainer
    from lstm_automl.sweep_file.loader import load_sweep

    build_model = getattr(hypermodel.build_model, "__wrapped_build__", hypermodel.build_model)
    start = time.perf_counter()
    loaded = load_sweep(path)
    config = loaded.config
    data = prepare_forecast(config.data, loaded.base_dir)  # type: ignore[arg-type]
    train, val = data.splits["train"], data.splits["validation"]
    scores = []
    trainer = TrialTrainer()  # one per sweep, as SweepHyperModel keeps it

    def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
        return model.fit(*args, **kwargs)

    for number, (values, shape, options) in enumerate(builds, start=1):
        keras.utils.set_random_seed(config.seed + number)  # as the sweep seeds each trial
        kwargs = dict(options)
        model = build_model(values, shape, *kwargs.pop("args"), **kwargs)
        history = trainer.fit(fit, model, train.x, train.y, (val.x, val.y),
                              int(values["batch_size"]), config.training.shuffle, [],
                              {"epochs": epochs, "verbose": 0})
        scores.append(min(history.history["val_loss"]))
    return time.perf_counter() - start, scores


def compile_modes(builds: list[tuple[dict[str, Any], Any, dict[str, Any]]]) -> str:
    modes = sorted({str(options.get("jit_compile", "Keras default")) for _, _, options in builds})
    return "jit_compile=" + "/".join(modes)


MLFLOW_TRIAL_ITEMS = ("MLflow per-epoch", "MLflow trial run start", "MLflow trial run end")
MLFLOW_TARGET = 0.02  # MLflow logging under 2% of trial time


def profile_sweep(path: Path, clock: TrialClock, backend: str = "tensorflow"
                  ) -> tuple[list[list[Any]], list[list[Any]], float, float]:
    profiler = cProfile.Profile()
    profiler.enable()
    phases = run_sweep_cli(path, clock)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = phases["total"]
    suspects = []
    for label, file_part, func in SUSPECTS:
        file_part = file_part.replace("/backend/tensorflow/", f"/backend/{backend}/")
        calls, cum = 0, 0.0
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in raw.items():
            if name == func and (file_part in filename.replace(os.sep, "/")):
                calls += nc
                cum = max(cum, ct)  # recursive entries repeat the same cumulative time
        if calls:
            suspects.append([label, calls, f"{cum:.2f}", f"{100 * cum / total:.1f}%"])
    by_own = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    top = [[f"{Path(f).name}:{line} {name}"[:80], nc, f"{tt:.2f}", f"{ct:.2f}"]
           for (f, line, name), (_cc, nc, tt, ct, _c) in by_own]
    return suspects, top, total, phases["inside trials (tuner-timed)"]


def serve_child(args: Any) -> None:
    """One backend's process (KERAS_BACKEND set by the parent): a temporary folder with the
    generated sweep; commands run the sweep, the plain script or the profiled sweep once."""
    trials, epochs, _ = settings_of(args)
    t0 = time.perf_counter()
    from lstm_automl.framework_logs import import_frameworks_quietly

    import_frameworks_quietly()  # Keras on this backend, keras-tuner; TensorFlow only on it
    import keras
    import mlflow  # noqa: F401

    backend = keras.backend.backend()
    import_seconds = time.perf_counter() - t0
    clock = TrialClock()
    tmp = tempfile.TemporaryDirectory(prefix=f"bench-overhead-{backend}-")
    folder = Path(tmp.name)
    os.chdir(folder)  # anything MLflow or keras-tuner writes by default lands here
    path = write_sweep(folder, trials, epochs, args.batch)
    state: dict[str, Any] = {}

    def setup(_: dict[str, Any]) -> dict[str, Any]:
        first = run_sweep_cli(path, clock)  # creates the store, traces, fills caches
        state["builds"] = list(clock.builds)
        if len(state["builds"]) != trials:
            raise RuntimeError(f"expected {trials} models built in trials, saw "
                               f"{len(state['builds'])}")
        if not args.quick:
            run_plain(path, state["builds"], epochs)
        return {"import_s": import_seconds, "first_s": first["total"], "backend": backend,
                "compile_mode": compile_modes(state["builds"])}

    def sweep(_: dict[str, Any]) -> dict[str, float]:
        return run_sweep_cli(path, clock)

    def plain(_: dict[str, Any]) -> dict[str, Any]:
        seconds, scores = run_plain(path, state["builds"], epochs)
        return {"seconds": seconds, "scores": [float(v) for v in scores]}

    def scores(_: dict[str, Any]) -> list[float]:
        return [float(v) for v in _sweep_scores(folder)]

    def profile(_: dict[str, Any]) -> list[Any]:
        return list(profile_sweep(path, clock, backend))

    try:
        _backends.serve({"setup": setup, "sweep": sweep, "plain": plain, "scores": scores,
                         "profile": profile})
    finally:
        os.chdir(BENCH_DIR)
        tmp.cleanup()


def settings_of(args: Any) -> tuple[int, int, int]:
    return (args.trials or (2 if args.quick else 6), args.epochs or (2 if args.quick else 15),
            args.repeats or (1 if args.quick else 3))


@dataclass
class BackendRuns:
    """What the parent collects from one backend's process."""

    setup: dict[str, Any]
    sweep_s: Samples = field(default_factory=Samples)
    plain_s: Samples = field(default_factory=Samples)
    ratios: Samples = field(default_factory=Samples)
    phases: dict[str, Samples] = field(default_factory=dict)
    scores_plain: list[float] = field(default_factory=list)
    scores_sweep: list[float] = field(default_factory=list)
    profile: list[Any] | None = None


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, help="trials per sweep (default 6; quick 2)")
    p.add_argument("--epochs", type=int, help="epochs per trial (default 15; quick 2)")
    p.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    p.add_argument("--repeats", type=int, help="timed repetitions of each (default 3; quick 1)")
    p.add_argument("--no-profile", action="store_true",
                   help="skip the cProfile run (always skipped with --quick)")
    _backends.add_options(p)
    args = p.parse_args()
    if args.serve:
        return serve_child(args)
    started = time.perf_counter()
    trials, epochs, repeats = settings_of(args)
    backends = _backends.chosen(args)
    runs: dict[str, BackendRuns] = {}
    with _backends.children(__file__, backends, sys.argv[1:]) as children:
        for backend, child in children.items():
            print(f"warm-up on {backend}: sweep of {trials} trials x {epochs} epochs, then the "
                  f"plain script{' (quick: the sweep only)' if args.quick else ''}", flush=True)
            runs[backend] = BackendRuns(child.ask("setup"))
        for index in range(repeats):  # sweep and plain, each backend in turn, every repetition
            for backend, child in children.items():
                run = runs[backend]
                phase = child.ask("sweep")
                plain = child.ask("plain")
                run.sweep_s.add(phase["total"])
                run.plain_s.add(plain["seconds"])
                run.ratios.add(phase["total"] / plain["seconds"])
                run.scores_plain = plain["scores"]
                for key, value in phase.items():
                    run.phases.setdefault(key, Samples()).add(value)
                print(f"  repetition {index + 1}/{repeats} on {backend}: sweep "
                      f"{phase['total']:.1f}s, plain {plain['seconds']:.1f}s, ratio "
                      f"{phase['total'] / plain['seconds']:.2f}", flush=True)
        for backend, child in children.items():
            runs[backend].scores_sweep = child.ask("scores")
            if not (args.no_profile or args.quick):
                runs[backend].profile = child.ask("profile")
    body: list[str] = []
    targets: list[Target] = []
    notes: list[str] = []
    if len(runs) > 1:
        body += cross_backend(runs, backends)
    for backend, run in runs.items():
        section, target, note = backend_section(backend, run, trials, args.quick)
        body += section
        targets += target
        notes += note
    notes.append("the sweep includes what the plain script does not: validation, MLflow runs and "
                 "metrics, keras-tuner state and checkpoints, test-split evaluation, "
                 "registration")
    modes = "; ".join(f"{b}: {r.setup['compile_mode']}" for b, r in runs.items())
    settings = (f"{trials} trials x {epochs} epochs, builtin:airline (lookback 12), batch "
                f"{args.batch}, random search over cell/units/learning_rate, models compiled "
                f"as the sweep does ({modes}), {repeats} repetitions after a warm-up, sweep and "
                f"plain alternating; one process per backend "
                f"({_backends.backend_versions(backends)}), taking turns")
    _common.report(args, "overhead: lstm-sweep run vs plain build_model + fit, per backend",
                   settings, body, targets, notes, started)


def cross_backend(runs: dict[str, BackendRuns], backends: list[str]) -> list[str]:
    """JAX against TensorFlow, paired per repetition: the sweep, and the plain script."""
    a, b = runs[backends[1]], runs[backends[0]]
    rows = []
    for label, mine, theirs in (("lstm-sweep run", a.sweep_s, b.sweep_s),
                                ("plain build_model + fit", a.plain_s, b.plain_s)):
        paired = Samples([x / y for x, y in zip(mine.values, theirs.values, strict=True)])
        rows.append([label, f"{theirs.median:.2f}", f"{mine.median:.2f}",
                     f"{paired.median:.2f}x", paired.spread])
    return [f"{backends[1]} against {backends[0]} (same sweep, same plain script; ratio paired "
            f"per repetition):", "",
            table(["what", f"{backends[0]} s", f"{backends[1]} s",
                   f"{backends[1]} / {backends[0]}", "min..max"], rows), ""]


def backend_section(backend: str, run: BackendRuns, trials: int, quick: bool
                    ) -> tuple[list[str], list[Target], list[str]]:
    """One backend's tables (as before backends), its targets and notes."""
    sweep_s, plain_s, ratios, phases = run.sweep_s, run.plain_s, run.ratios, run.phases
    ratio = ratios.median
    per_trial = (sweep_s.median - plain_s.median) / trials
    body = [f"### {backend}", "", table(
        ["measure", "median", "min..max"],
        [["sweep: lstm-sweep run (s)", f"{sweep_s.median:.2f}", sweep_s.spread],
         ["plain: build_model + fit (s)", f"{plain_s.median:.2f}", plain_s.spread],
         ["ratio sweep / plain (paired)", f"{ratio:.2f}x", ratios.spread],
         ["overhead per trial (s)", f"{per_trial:.2f}", "-"],
         ["plain time per trial (s)", f"{plain_s.median / trials:.2f}", "-"]])]
    body += ["", "Where the sweep's time goes (median seconds per sweep run):", "",
             table(["phase", "seconds", "share of sweep"],
                   [[k, f"{v.median:.2f}", f"{100 * v.median / sweep_s.median:.0f}%"]
                    for k, v in phases.items() if k != "total"])]
    in_trial = phases["inside trials (tuner-timed)"].median
    body += ["", f"Inside trials the sweep spends {in_trial:.2f}s against {plain_s.median:.2f}s "
             f"for the whole plain script ({in_trial / plain_s.median:.2f}x); the rest is set-up, "
             f"between-trial bookkeeping and the end of the sweep.", ""]
    profile = run.profile
    if profile is not None:
        suspects, top, total, _ = profile
        body += [f"cProfile of one more sweep run ({total:.1f}s under the profiler, which "
                 f"slows Python-heavy code; use the shares, not the seconds): known suspects, "
                 f"cumulative time", "",
                 table(["item", "calls", "cum s", "share"], suspects),
                 "", "Top functions by own time (tottime):", "",
                 table(["function", "calls", "own s", "cum s"], top), ""]
    met = None if quick else ratio <= TARGET
    reason = ""
    if met is False:
        reason = f"each small trial carries ~{per_trial:.2f}s of extra cost"
        if profile is not None:
            biggest = sorted((row for row in profile[0] if not row[0].startswith(
                ("model.fit", "build_model", "  "))), key=lambda r: float(r[2]), reverse=True)
            reason += "; the profile's biggest items: " + ", ".join(
                f"{row[0]} {row[3]}" for row in biggest[:4])
        reason += ("; what is left per trial is mostly keras-tuner and MLflow bookkeeping "
                   "(trial.json/oracle.json saves, one MLflow run opened and closed) and "
                   "clear_session's collection; see the profile above")
    targets = [Target(f"{backend}: sweep <= {TARGET:.2f}x plain on small trials",
                      f"measured {ratio:.2f}x, {per_trial:.2f}s per trial", met, reason)]
    if profile is not None:
        targets.append(mlflow_target(profile[0], profile[3], quick, backend))
    notes = [f"{backend}: excluded from both: importing Keras, keras-tuner and MLflow "
             f"({run.setup['import_s']:.1f}s here) and the warm-up runs (the first sweep, which "
             f"also creates the sqlite store, took {run.setup['first_s']:.1f}s)",
             f"{backend}: ratio per repetition, in order: "
             + ", ".join(f"{r:.2f}" for r in ratios.values)]
    if run.scores_plain and len(run.scores_sweep) == len(run.scores_plain):
        diff = max(abs(a - b) for a, b in zip(run.scores_sweep, run.scores_plain, strict=True))
        notes.append(f"{backend}: same models check: max |best val_loss sweep - plain| over the "
                     f"{trials} trials = {diff:.2g} (sweep median "
                     f"{statistics.median(run.scores_sweep):.3g})")
    return body, targets, notes


def mlflow_target(suspects: list[list[Any]], in_trials: float, quick: bool,
                  backend: str = "") -> Target:
    """MLflow's per-trial logging (run start, per-epoch metrics, run end) against trial time,
    both from the profiled run."""
    seconds = sum(float(row[2]) for row in suspects if row[0].startswith(MLFLOW_TRIAL_ITEMS))
    share = seconds / in_trials if in_trials else 0.0
    met = None if quick else share < MLFLOW_TARGET
    reason = "" if met is not False else (
        "opening and closing each trial's run (a few sqlite commits) is most of it; per-epoch "
        "metrics are already batched every few seconds")
    return Target(f"{backend + ': ' if backend else ''}MLflow logging < {MLFLOW_TARGET:.0%} of "
                  f"trial time (profiled run)",
                  f"measured {share:.1%} ({seconds:.2f}s of {in_trials:.1f}s inside trials)",
                  met, reason)


def _sweep_scores(folder: Path) -> list[float]:
    """Each trial's best val_loss from the last sweep (keras-tuner's trial.json, trial order)."""
    import json

    scores = []
    for trial_json in sorted((folder / "tuner" / "bench_overhead").glob("trial_*/trial.json")):
        score = json.loads(trial_json.read_text()).get("score")
        scores.append(float("nan") if score is None else float(score))
    return scores


if __name__ == "__main__":
    main()
