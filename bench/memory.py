"""Resident memory across many small trials of one sweep in one process.

Runs ``lstm-sweep run`` in-process (``lstm_automl.cli.main``) on a generated sweep of tiny models
(builtin:nile, every cell family, 1-2 layers, 2 epochs, random search) with its own sqlite
MLflow store in a temporary folder, and records the resident set size (VmRSS from
/proc/self/status) when each trial ends, through a wrapper around
``lstm_automl.console.Reporter.on_trial``. Python's gc-tracked object count is recorded next to
it, to tell growth of Python objects from growth inside TensorFlow's native allocations, and
the object types that grew most between the last two checkpoints.

The sweep runs with ``training.recycle_every: 0`` (one process), so what is measured is what a
process keeps per trial; recycling (lstm_automl/recycle.py) is only the backstop. Objects
frozen by ``gc.freeze`` at the start of the search (lstm_automl/trial_memory.py) are counted.

``--backend jax`` runs the same sweep on Keras' JAX backend (issue 11: what a long JAX sweep
keeps, such as jitted functions and device arrays); the live JAX arrays are counted beside RSS.

Target (issue 6): RSS growth from trial 10 to trial 30 under 10%.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import _common
from _common import Target, rss_mib, table

_common.quiet_env()

TARGET = 0.10

SWEEP = """\
name: bench_memory
seed: 3
data:
  source: builtin:nile
  lookback: 8
  horizon: 1
  split: {{validation: 12, test: 12}}
search:
  cell: {{choice: [lstm, gru, peephole, simple_rnn]}}
  layers: {{int: [1, 2]}}
  units: {{int: [4, 8], step: 4}}
  learning_rate: {{float: [1.0e-3, 1.0e-2], log: true}}
  batch_size: 16
tuner: {{algorithm: random, max_trials: {trials}, objective: val_loss, directory: {tuner_dir},
         max_consecutive_failures: 5}}
training: {{epochs: {epochs}, early_stopping_patience: null, recycle_every: 0,
           backend: {backend}}}
tracking: {{tracking_uri: "sqlite:///{db}", experiment: bench_memory, register: false}}
"""


def _kind(obj: object) -> str:
    kind = type(obj)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, help="trials (default 30; quick 3)")
    p.add_argument("--epochs", type=int, help="epochs per trial (default 2; quick 1)")
    p.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow",
                   help="Keras backend of the sweep (default tensorflow)")
    args = p.parse_args()
    os.environ["KERAS_BACKEND"] = args.backend
    started = time.perf_counter()
    trials = args.trials or (3 if args.quick else 30)
    epochs = args.epochs or (1 if args.quick else 2)
    checkpoints = sorted({1, min(10, trials), trials} if trials >= 10 else
                         {1, max(1, trials // 2), trials})
    early, late = checkpoints[-2], checkpoints[-1]

    from lstm_automl import console
    from lstm_automl.cli import main as cli_main
    from lstm_automl.framework_logs import import_tensorflow_quietly

    if args.backend == "tensorflow":
        import_tensorflow_quietly()
    import keras  # noqa: F401
    import keras_tuner  # noqa: F401
    import mlflow  # noqa: F401

    def live_arrays() -> int:
        """Device arrays JAX still holds (0 on TensorFlow)."""
        if args.backend != "jax":
            return 0
        import jax

        return len(jax.live_arrays())

    baseline_rss = rss_mib()
    samples: dict[int, tuple[float, int, str]] = {}
    arrays: dict[int, int] = {}
    kinds: dict[int, Counter[str]] = {}
    original = console.Reporter.on_trial

    def on_trial(reporter: Any, event: str, record: Any) -> None:
        original(reporter, event, record)
        if event == "end":
            objects = gc.get_objects()
            count = len(objects) + gc.get_freeze_count()
            samples[record.number] = (rss_mib(), count, record.status)
            arrays[record.number] = live_arrays()
            if record.number in (early, late):  # what kinds of objects pile up, for the fix
                kinds[record.number] = Counter(_kind(o) for o in objects)
            del objects
            print(f"  trial {record.number}/{trials}: RSS {samples[record.number][0]:.0f} MiB",
                  file=sys.__stdout__, flush=True)  # sys.stdout is captured during the run

    console.Reporter.on_trial = on_trial  # type: ignore[method-assign, assignment]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        folder = Path(tmp)
        path = folder / "sweep.yaml"
        path.write_text(SWEEP.format(trials=trials, epochs=epochs, tuner_dir=folder / "tuner",
                                     db=folder / "mlflow.db", backend=args.backend))
        cwd = os.getcwd()
        os.chdir(folder)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = cli_main(["run", str(path), "-q"])
        finally:
            os.chdir(cwd)
            console.Reporter.on_trial = original  # type: ignore[method-assign]
        if code != 0:
            raise SystemExit(f"lstm-sweep run failed (exit {code}):\n{out.getvalue()[-3000:]}")
    end_rss = rss_mib()

    missing = [n for n in checkpoints if n not in samples]
    if missing:
        raise SystemExit(f"no RSS sample after trial(s) {missing}; got {sorted(samples)}")
    frameworks = "TensorFlow" if args.backend == "tensorflow" else "Keras on JAX"
    rows = [[f"after importing {frameworks}, keras-tuner, MLflow", f"{baseline_rss:.0f}", "-",
             "-", "-"]]
    shown = sorted(set(checkpoints) | set(range(5, trials + 1, 5)))
    for number in shown:
        rss, objects, status = samples[number]
        rows.append([f"after trial {number} ({status.lower()})", f"{rss:.0f}",
                     f"{rss - baseline_rss:+.0f}", f"{objects}",
                     f"{arrays[number]}" if args.backend == "jax" else "-"])
    rows.append(["after the sweep (best model evaluated)", f"{end_rss:.0f}",
                 f"{end_rss - baseline_rss:+.0f}", "-", "-"])
    body = [table(["when", "RSS MiB", "vs after imports MiB", "gc-tracked objects",
                   "live JAX arrays"], rows)]
    rss_early, objects_early, _ = samples[early]
    rss_late, objects_late, _ = samples[late]
    growth = (rss_late - rss_early) / rss_early
    per_trial = (rss_late - rss_early) / (late - early)
    objects_per_trial = (objects_late - objects_early) / (late - early)
    body += ["", f"Growth from trial {early} to {late}: {growth:+.1%} ({rss_late - rss_early:+.0f} "
             f"MiB, {per_trial:+.1f} MiB per trial; gc-tracked objects {objects_per_trial:+.0f} "
             f"per trial)."]
    if early in kinds and late in kinds:
        grown = (kinds[late] - kinds[early]).most_common(12)
        body += ["", f"Object types that grew most from trial {early} to {late} (gc-tracked, "
                 f"per trial):", "",
                 table(["type", "per trial", f"count after trial {late}"],
                       [[name, f"{count / (late - early):+.0f}", kinds[late][name]]
                        for name, count in grown])]
    met = None if args.quick else growth < TARGET
    reason = ""
    if met is False:
        reason = f"memory keeps growing by about {per_trial:.1f} MiB per trial"
        graph_ops = "tensorflow.python.framework.ops.Operation"
        if early in kinds and late in kinds:
            ops_per_trial = (kinds[late][graph_ops] - kinds[early][graph_ops]) / (late - early)
            if ops_per_trial > 100:
                reason += (f", and {ops_per_trial:.0f} TensorFlow graph Operations per trial "
                           f"stay alive: the traced train/test functions of finished trials' "
                           f"models are still referenced somewhere (clear_session cannot free "
                           f"what is still referenced)")
        reason += ("; next: find what else each trial leaves (gc.get_referrers from an old "
                   "trial's objects; see lstm_automl/trial_memory.py for the one found); "
                   "meanwhile training.recycle_every bounds it by restarting the process")
    targets = [Target(f"RSS growth trial {early} -> {late} under {TARGET:.0%}",
                      f"measured {growth:+.1%}", met, reason)]
    settings = (f"backend {args.backend}; {trials} trials x {epochs} epochs of tiny models "
                f"(builtin:nile, lookback 8, 1-2 layers of 4-8 units, every family), random "
                f"search, in-process CLI")
    _common.report(args, "memory: resident memory across trials", settings, body, targets,
                   started=started)


if __name__ == "__main__":
    main()
