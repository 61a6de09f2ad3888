"""Quality: every example sweep on shipped data, its champion against every baseline.

Each sweep runs as `lstm-sweep run` in a subprocess, in its own temporary folder (own sqlite
MLflow store and tuner state), with a wall-clock budget; its `summary.json` is then read back
from the sweep run. The table says, per sweep, the champion's primary test metric, every
baseline's, the strongest baseline, the verdict, the issue's goal where it set one, and the wall
time. A sweep that runs past its budget is reported as such, not dropped.

    python bench/quality.py                 # every sweep, as its file says (can take hours)
    python bench/quality.py --only airline-24 --only nile
    python bench/quality.py --quick         # 2 trials x 3 epochs each: a smoke run
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import PROJECT_ROOT, Target, parser, quiet_env, report, table

SWEEPS = PROJECT_ROOT / "sweeps"


@dataclass(frozen=True)
class Case:
    """One example sweep and the goal the quality issue set for it (None: beat the strongest)."""

    key: str
    file: str
    goal: float | None = None  # champion's primary metric must be below (error) / at least (score)
    goal_text: str = ""


CASES = (
    Case("quickstart", "quickstart.yaml"),
    Case("airline-1", "airline.yaml", 15.3, "rmse < 15.3 (SARIMA one-step)"),
    Case("nile", "nile.yaml"),
    Case("italy-power", "italy_power.yaml", 0.965, "accuracy >= 0.965"),
    Case("gunpoint", "gunpoint.yaml", 0.99, "accuracy >= 0.99"),
    Case("japanese-vowels", "japanese_vowels.yaml", 0.98, "accuracy >= 0.98"),
    Case("airline-24", "airline_24.yaml", 32.5, "rmse < 32.5 (Holt-Winters)"),
    Case("adding", "adding_problem.yaml"),
    Case("sunspots", "sunspots_families.yaml"),
)


def quick_copy(source: Path, folder: Path) -> Path:
    """The sweep with a smoke budget: 2 trials of at most 3 epochs, a single final model."""
    import yaml

    config = yaml.safe_load(source.read_text())
    config.setdefault("tuner", {})["max_trials"] = 2
    config.setdefault("training", {})["epochs"] = 3
    config["final_model"] = {}
    path = folder / source.name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_case(case: Case, budget_s: int, quick: bool) -> dict[str, Any]:
    """Run one sweep in a fresh folder; its summary plus wall time, or why there is none."""
    with tempfile.TemporaryDirectory(prefix=f"quality-{case.key}-") as tmp:
        folder = Path(tmp)
        sweep = SWEEPS / case.file
        if quick:
            sweep = quick_copy(sweep, folder)
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "lstm_automl", "run", "-q", str(sweep)],
                                  cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=budget_s)
        except subprocess.TimeoutExpired:
            return {"error": f"over the {budget_s} s budget", "seconds": budget_s}
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            return {"error": f"exit {done.returncode}: {tail[0][:200]}", "seconds": seconds}
        summary = read_summary(folder)
        summary["seconds"] = seconds
        return summary


def read_summary(folder: Path) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiments = client.search_experiments()
    runs = client.search_runs([e.experiment_id for e in experiments],
                              "tags.`lstm_sweep.kind` = 'sweep'")
    path = client.download_artifacts(runs[0].info.run_id, "summary.json", str(folder))
    return json.loads(Path(path).read_text())


def row_of(case: Case, result: dict[str, Any]) -> tuple[list[Any], Target]:
    if "error" in result:
        return ([case.key, "-", "-", "-", result["error"], case.goal_text or "beat strongest",
                 f"{result['seconds']:.0f}"],
                Target(case.key, result["error"], False, "see the row"))
    metric = result["primary_metric"]
    higher = bool(result["higher_is_better"])
    champion = result["test_metrics"].get(metric)
    baselines = {n: v.get(metric) for n, v in result["baselines"].items()}
    strongest = result.get("strongest_baseline")
    shown = ", ".join(f"{n} {v:.4g}" for n, v in baselines.items() if v is not None)
    beats = result.get("lift_over_best_baseline")
    beats_text = "beats" if beats is not None and beats > 0 else "LOSES"
    met: bool | None = beats is not None and beats > 0
    goal = case.goal_text or "beat the strongest baseline"
    if case.goal is not None and champion is not None:
        met = bool(met) and (champion >= case.goal if higher else champion < case.goal)
    final = result.get("final_model") or result.get("best_trial")
    row = [case.key, f"{metric} {champion:.4g}" if champion is not None else "-", final, shown,
           f"{beats_text} {strongest}", goal, f"{result['seconds']:.0f}"]
    gap = ""
    if not met and champion is not None:
        ref = case.goal if case.goal is not None else baselines.get(strongest or "")
        if ref is not None:
            gap = f"missed by {abs(champion - ref):.4g} {metric}"
    return row, Target(case.key, f"{metric} {champion:.4g} vs {strongest}", met, gap)


def main() -> None:
    quiet_env()
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", action="append", default=[],
                   help="run only this case (repeatable): " + ", ".join(c.key for c in CASES))
    p.add_argument("--budget", type=int, default=900,
                   help="seconds allowed per sweep (default 900: the issue's 15 minutes)")
    args = p.parse_args()
    cases = [c for c in CASES if not args.only or c.key in args.only]
    started = time.perf_counter()
    rows, targets, notes = [], [], []
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill: record what finished
    try:
        for case in cases:
            print(f"running {case.key} ({case.file}) ...", flush=True)
            result = run_case(case, args.budget, args.quick)
            row, target = row_of(case, result)
            print("  " + " | ".join(str(v) for v in row), flush=True)
            rows.append(row)
            targets.append(target)
    except KeyboardInterrupt:
        notes.append(f"interrupted after {len(rows)} of {len(cases)} sweeps; not run: "
                     + ", ".join(c.key for c in cases[len(rows):]))
    body = [table(["sweep", "champion (test)", "final model", "baselines (test, same metric)",
                   "verdict", "goal", "wall s"], rows)]
    report(args, "quality: champions against the strongest baselines",
           f"budget {args.budget} s per sweep; sweeps as in sweeps/"
           + (" with 2 trials x 3 epochs" if args.quick else ""), body, targets, notes,
           started=started)


if __name__ == "__main__":
    main()
