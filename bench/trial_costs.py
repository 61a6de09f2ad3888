"""What one trial costs per backend: the fixed part (build, compile or trace) and each training
step, the two figures behind ``training.backend: auto`` (``model/backend.py``, ``AUTO_COSTS``).

One child process per backend (Keras fixes its backend at import), run one after the other,
``--rounds`` times alternating; each child trains ``--trials`` fresh models of the quickstart's
shape (25 steps x 1 channel, 71 training and 24 validation windows, batch 8, a 16-unit LSTM or
GRU) through the sweep's own pipelines (``TrialTrainer``: padded batches on JAX) with JAX's
persistent compile cache off, so every trial compiles as in a first sweep. A trial trains one
epoch (fixed cost + one epoch), then ``--epochs`` more (steps only): step = the second part per
step, fixed = the first part less one epoch's steps; in wall seconds and in the process's CPU
seconds (steadier on a loaded machine).

    python bench/trial_costs.py --rounds 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN, VALIDATION, STEPS, BATCH = 71, 24, 25, 8


def child(trials: int, epochs: int) -> dict[str, float]:
    """Runs under the backend of ``KERAS_BACKEND``; fixed and per-step seconds, medians."""
    import keras
    import numpy as np

    from lstm_automl.model.backend import prepare_backend
    from lstm_automl.model.padded_batches import compiled_metrics
    from lstm_automl.model.training import TrialTrainer

    prepare_backend()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(TRAIN, STEPS, 1)).astype("float32"), rng.normal(size=(TRAIN, 1))
    xv, yv = rng.normal(size=(VALIDATION, STEPS, 1)).astype("float32"), rng.normal(
        size=(VALIDATION, 1))
    trainer, steps = TrialTrainer(), math.ceil(TRAIN / BATCH)
    fixed, step, fixed_cpu, step_cpu = [], [], [], []
    for trial in range(trials):
        cell = (keras.layers.LSTM, keras.layers.GRU)[trial % 2]
        start, cpu = time.perf_counter(), time.process_time()
        model = keras.Sequential([keras.Input((STEPS, 1)), cell(16, dropout=0.1 * trial),
                                  keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse",
                      **compiled_metrics(["mae"]))
        trainer.fit(keras.Model.fit, model, x, y, (xv, yv), BATCH, True, [],
                    {"epochs": 1, "verbose": 0})
        first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        trainer.fit(keras.Model.fit, model, x, y, (xv, yv), BATCH, True, [],
                    {"epochs": epochs, "verbose": 0})
        per_step = (time.perf_counter() - start) / (epochs * steps)
        per_step_cpu = (time.process_time() - cpu) / (epochs * steps)
        fixed.append(first - steps * per_step)
        step.append(per_step)
        fixed_cpu.append(first_cpu - steps * per_step_cpu)
        step_cpu.append(per_step_cpu)
    return {"fixed_s": statistics.median(fixed), "step_s": statistics.median(step),
            "fixed_cpu_s": statistics.median(fixed_cpu), "step_cpu_s": statistics.median(step_cpu)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT=" + json.dumps(child(args.trials, args.epochs)))
        return 0
    found: dict[str, list[dict[str, float]]] = {"tensorflow": [], "jax": []}
    for _ in range(args.rounds):
        for backend in found:
            env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT),
                   "JAX_ENABLE_COMPILATION_CACHE": "false"}
            out = subprocess.run([sys.executable, __file__, "--child", "--trials",
                                  str(args.trials), "--epochs", str(args.epochs)], env=env,
                                 capture_output=True, text=True, timeout=900, check=True).stdout
            found[backend].append(json.loads(out.split("RESULT=")[-1]))
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores; medians of "
          f"{args.rounds} rounds x {args.trials} trials")
    for backend, rows in found.items():
        for kind in ("", "_cpu"):
            fixed = statistics.median(r[f"fixed{kind}_s"] for r in rows)
            step = statistics.median(r[f"step{kind}_s"] for r in rows)
            print(f"{backend:<10} {'cpu ' if kind else 'wall'} fixed per trial {fixed:6.2f} s   "
                  f"per step {1000 * step:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
