"""Packing trials onto one device: trials per hour against concurrent trials (issue 24).

For each count k (default 1, 2, 4, 8) one real sweep runs ``lstm-sweep run SWEEP --workers k``
on this CPU, or with ``--gpu`` ``--gpus 0,0,...`` (k workers on GPU 0, each with its share of
the GPU's memory: ``model/backend.py packed_gpu_env``), or with ``--ray`` on a local Ray
instance (``--ray --workers k``, and ``--gpus-per-trial 1/k`` with ``--gpu``). The sweep is
the quickstart's search space with fixed epochs (no early stopping) and ``--trials`` trials;
``--model large``: 256-unit LSTM or GRU over 500 steps (the adding problem, 1024 sequences).

Trials per hour = completed trials / the search's span, from the first trial run's start to
the last one's end as MLflow recorded them: start-up, the final model and the baselines are
left out, since they do not depend on k. The ratio is against k = 1 measured in the same run.
Each sweep runs in a fresh folder with its own sqlite store, one after the other.

    python bench/packing.py                          # CPU, --workers 1,2,4,8
    python bench/packing.py --gpu --backend jax      # one GPU (bench/gpu_check.py runs this)
    python bench/packing.py --quick --no-record      # smoke run
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common
from _common import PROJECT_ROOT, Target, table

_common.quiet_env()

SWEEP = PROJECT_ROOT / "sweeps" / "quickstart.yaml"
# Fixed work per trial: no early stopping, one final member (the search is what is measured).
COMMON_SETS = ["training.early_stopping_patience=null", "final_model.top_k=1",
               "final_model.seeds=1", "final_model.refit=false"]
LARGE = """\
name: packing-large
seed: 3
data:
  source: generate:adding
  task: regress
  generate: {length: 500, samples: 1024}
  split: {validation: 0.1, test: 0.1}
search:
  cell: {choice: [lstm, gru]}
  units: 256
  learning_rate: {float: [1.0e-3, 1.0e-2], log: true}
  batch_size: 64
tuner: {algorithm: random, max_trials: 8, objective: val_loss}
training: {epochs: 2, early_stopping_patience: null}
"""
GPU_TARGET = 3.0  # issue 24: at least 3x the trials per hour of one trial per GPU, at k >= 4


def sweep_command(k: int, args: Any, sweep: Path) -> list[str]:
    sets = [*COMMON_SETS, f"tuner.max_trials={args.trials}", f"training.epochs={args.epochs}"]
    if args.backend:
        sets.append(f"training.backend={args.backend}")
    placement: list[str]
    if args.ray:
        placement = ["--ray", "--workers", str(k)]
        if args.gpu:
            placement += ["--gpus-per-trial", f"{1 / k:.4f}"]
    elif args.gpu:
        placement = ["--gpus", ",".join(["0"] * k)]
    else:
        placement = ["--workers", str(k)]
    return [sys.executable, "-m", "lstm_automl", "run", str(sweep), "-q", "--fresh",
            *[item for s in sets for item in ("--set", s)], *placement]


def search_span(db: Path) -> dict[str, Any]:
    """Completed trials, the span from the first trial's start to the last one's end, and
    the failures' reasons, from the sweep's sqlite store."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    runs: list[Any] = []
    for experiment in client.search_experiments():
        runs += client.search_runs([experiment.experiment_id],
                                   "tags.`lstm_sweep.kind` = 'trial'", max_results=1000)
    done = [r for r in runs if r.info.status == "FINISHED" and r.info.end_time]
    if not done:
        return {"completed": 0, "span_s": None, "failures": _failures(runs)}
    start = min(r.info.start_time for r in runs) / 1000
    end = max(r.info.end_time for r in done) / 1000
    kernels = sorted({r.data.tags.get("kernel", "?") for r in done})
    return {"completed": len(done), "span_s": end - start, "failures": _failures(runs),
            "kernels": kernels}


def _failures(runs: list[Any]) -> list[str]:
    return [r.data.tags.get("failure", r.info.status) for r in runs
            if r.info.status != "FINISHED"]


def measure(k: int, args: Any, work: Path) -> dict[str, Any]:
    folder = work / f"k{k}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "LSTM_SWEEP_PRESET": "none", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION":
           "false", "XDG_CACHE_HOME": str(work / "cache")}  # one JAX compile cache for all k
    env.pop("MLFLOW_TRACKING_URI", None)
    sweep = SWEEP
    if args.model == "large":
        sweep = folder / "large.yaml"
        sweep.write_text(LARGE)
    command = sweep_command(k, args, sweep)
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=args.limit)
        code, out = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        code, out = 124, ""
    figures = {"k": k, "exit": code, "wall_s": time.monotonic() - start,
               **search_span(folder / "mlflow.db")}
    if code != 0:
        figures["tail"] = " / ".join(out.strip().splitlines()[-3:])[-400:]
    span = figures.get("span_s")
    figures["trials_per_hour"] = 3600 * figures["completed"] / span if span else None
    print(f"[packing] k={k}: {json.dumps({k2: v for k2, v in figures.items() if k2 != 'tail'})}",
          flush=True)
    return figures


def main() -> None:
    parser = _common.parser(__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1,2,4,8", help="concurrent trials to measure")
    parser.add_argument("--trials", type=int, default=8, help="trials per sweep (default 8)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per trial (default 5)")
    parser.add_argument("--model", choices=["quickstart", "large"], default="quickstart")
    parser.add_argument("--gpu", action="store_true", help="pack the workers on GPU 0")
    parser.add_argument("--ray", action="store_true", help="place them with a local Ray instance")
    parser.add_argument("--backend", default=None, help="training.backend (default: the file's)")
    parser.add_argument("--limit", type=float, default=300, help="seconds per sweep at most")
    parser.add_argument("--json", type=Path, help="also write the figures here (gpu_check.py)")
    args = parser.parse_args()
    if args.quick:
        args.counts, args.trials, args.epochs = "1,2", 2, 1
    started = time.perf_counter()
    counts = [int(c) for c in args.counts.split(",")]
    with tempfile.TemporaryDirectory(prefix="packing-") as scratch:
        results = [measure(k, args, Path(scratch)) for k in counts]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    base = next((r["trials_per_hour"] for r in results if r["k"] == 1), None)
    rows = []
    for r in results:
        rate = r["trials_per_hour"]
        rows.append([r["k"], f"{r['completed']}/{args.trials}",
                     f"{r['span_s']:.0f}" if r["span_s"] else "-",
                     f"{rate:.0f}" if rate else "-",
                     f"{rate / base:.2f}x" if rate and base else "-",
                     f"{r['wall_s']:.0f}", ", ".join(r.get("kernels", [])) or "-"])
    device = "GPU 0" if args.gpu else "this CPU"
    how = "a local Ray instance" if args.ray else "--gpus 0,0,..." if args.gpu else "--workers k"
    body = [table(["concurrent trials", "completed", "search span s", "trials/hour",
                   "vs 1", "sweep wall s", "kernels"], rows)]
    notes = [f"{device}, placed with {how}; quickstart space, {args.model} model, "
             f"{args.trials} trials x {args.epochs} epochs (fixed), LSTM_SWEEP_PRESET=none"]
    notes += [f"k={r['k']}: exit {r['exit']}: {r['tail']}" for r in results if "tail" in r]
    notes += [f"k={r['k']}: failed trials: {'; '.join(r['failures'])[:300]}"
              for r in results if r["failures"]]
    targets = []
    if args.gpu:
        packed = [r for r in results if r["k"] >= 4 and r["trials_per_hour"] and base]
        best = max((r["trials_per_hour"] / base for r in packed), default=None)
        targets.append(Target("3x trials per hour at 4+ per GPU",
                              f"{best:.2f}x" if best else "not measured",
                              None if best is None or args.quick else best >= GPU_TARGET))
    settings = (f"device {'gpu' if args.gpu else 'cpu'}; placement "
                f"{'ray' if args.ray else 'workers'}; model {args.model}; counts {args.counts}")
    _common.report(args, "packing: trials per hour against concurrent trials on one device",
                   settings, body, targets, notes, started)


if __name__ == "__main__":
    main()
