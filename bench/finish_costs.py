"""The finish of one quickstart (final model, baselines, registry, pictures) per checkout, side by
side (issue 25: fixed costs per sweep down, each measured before and after).

Each round runs ``lstm-sweep run sweeps/quickstart.yaml`` once per checkout, in a fresh folder
with its own sqlite store, alternating so that load drifts hit both alike. A small driver times
the finish's steps in that process (wall and CPU seconds of this process; a child process's
CPU is not in them): the whole finish, the final model, the wait for the baselines, the
registration and the pictures. It also prints the registered verdict, which must not change.

    python bench/finish_costs.py --rounds 2 --against <checkout of the commit before>
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the checkout's own interpreter: wraps the finish's steps with timers, runs the CLI.
DRIVER = r"""
import functools, json, sys, time
import lstm_automl.session as session
from lstm_automl.session import finish
from lstm_automl.data.base import SweepData
spent = {}
def timed(owner, name, label):
    inner = getattr(owner, name)
    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            done = spent.setdefault(label, [0.0, 0.0])
            done[0] += time.perf_counter() - wall
            done[1] += time.process_time() - cpu
    setattr(owner, name, wrapper)
timed(session, "finish_sweep", "finish")  # the name SweepSession.finish calls
timed(finish, "_final_model", "final model")
timed(SweepData, "baseline_report", "baselines (wait)")
timed(finish, "_register", "register")
timed(finish, "_log_pictures", "pictures")
from lstm_automl.cli import main
code = main(["run", "quickstart.yaml", *sys.argv[1:]])
print("FINISH_COSTS=" + json.dumps({"code": code, "spent": spent}))
"""


def run_once(checkout: Path, sets: list[str]) -> tuple[dict[str, list[float]], str]:
    """One quickstart in a fresh folder on ``checkout``'s code: (step -> [wall, cpu], verdict)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-finish-"))
    try:
        shutil.copy(ROOT / "sweeps" / "quickstart.yaml", folder / "quickstart.yaml")
        env = {**os.environ, "PYTHONPATH": str(checkout), "TF_CPP_MIN_LOG_LEVEL": "2",
               "MLFLOW_DISABLE_TELEMETRY": "true",
               "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        args = [item for s in sets for item in ("--set", s)]
        done = subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=3600)
        line = [x for x in done.stdout.splitlines() if x.startswith("FINISH_COSTS=")]
        if done.returncode != 0 or not line:
            raise SystemExit(f"{checkout}: the quickstart failed (exit {done.returncode}):\n"
                             f"{(done.stdout + done.stderr)[-1500:]}")
        verdict = " | ".join(x.strip() for x in done.stdout.splitlines()
                             if x.strip().startswith(("Beats", "Does not beat", "Registered")))
        return json.loads(line[0].split("=", 1)[1])["spent"], verdict
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", type=Path, help="another checkout to time alongside")
    parser.add_argument("--set", action="append", default=[], dest="sets",
                        help="KEY=VALUE for both runs (e.g. training.epochs=10)")
    args = parser.parse_args()
    checkouts = {"this checkout": ROOT}
    if args.against is not None:
        checkouts[str(args.against)] = args.against
    spent: dict[str, list[dict[str, list[float]]]] = {name: [] for name in checkouts}
    verdicts: dict[str, set[str]] = {name: set() for name in checkouts}
    for index in range(args.rounds):
        for name, path in checkouts.items():
            steps, verdict = run_once(path, args.sets)
            spent[name].append(steps)
            verdicts[name].add(verdict)
            print(f"  round {index + 1}, {name}: finish {steps.get('finish', [0])[0]:.2f} s "
                  f"wall; {verdict}", flush=True)
    print(f"{args.rounds} rounds, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores; "
          f"median wall s (cpu s of the sweep's process)")
    steps = ["finish", "final model", "baselines (wait)", "register", "pictures"]
    print(f"{'step':<18}" + "".join(f"{name[:30]:>34}" for name in checkouts))
    for step in steps:
        cells = []
        for name in checkouts:
            pairs = [run.get(step, [0.0, 0.0]) for run in spent[name]]
            wall = statistics.median(p[0] for p in pairs)
            cpu = statistics.median(p[1] for p in pairs)
            cells.append(f"{wall:8.2f} ({cpu:6.2f})")
        print(f"{step:<18}" + "".join(f"{cell:>34}" for cell in cells))
    for name, said in verdicts.items():
        print(f"verdict ({name}): {' / '.join(sorted(said))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
