"""The GPU check (issue 11): what lstm-sweep does on JAX on a lent GPU machine, in one run.

Started by ``bench/gpu_check.sh``, which installs the wheel bundle offline first. Steps, each in
its own processes with a time limit, under one overall budget (the machine is lent for minutes):

1. preflight (bench/gpu_probe.py): every module a JAX run imports, and the devices JAX sees;
2. kernels (bench/gpu_probe.py): which recurrent layers Keras hands to cuDNN on JAX (LSTM, GRU,
   peephole, bidirectional LSTM and GRU), in float32 and under mixed precision, against the
   ``kernel`` tag lstm-sweep predicts (``model/kernel_tags.py``);
3. the cell contract tests (``pytest -m backend_contract tests/model``) on JAX;
4. ``lstm-sweep run bench/gpu_sweep.yaml`` (every family, bidirectional or not) on the GPU, and
5. the same sweep with ``JAX_PLATFORMS=cpu``: trials per hour, GPU against CPU;
6. ``--gpus 0``: one worker process pinned to GPU 0 (``CUDA_VISIBLE_DEVICES``), behind the local
   mlflow server, and whether its trials saw the GPU;
7. the sweep's first three trials with ``training.mixed_precision: true`` on the GPU;
8. packing (bench/packing.py, issue 24): trials per hour with 1, 2, 4 and 8 quickstart-size
   trials at once on GPU 0 (``--gpus 0,0,...``, each worker with its share of the memory).
   It runs when the budget leaves room after the others; ``--only packing`` runs it alone
   (with the preflight) in a device call of its own.

Writes ``gpu_check.md`` (bench/gpu_report.py; ready to paste into bench/runs/YYYY-MM.md) and
``gpu_check.log`` (every step's output) into ``$OUT`` when set (the device tool's folder), else
``bench/``. ``--dry-run``
runs the same steps on the CPU with tiny settings, to prove the check works before a GPU is lent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gpu_report import Step, report

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SWEEP = BENCH / "gpu_sweep.yaml"
# Sweep settings per mode: (--set items, seconds the step may take at most).
GPU_SETS = ["training.epochs=3"]
DRY_SETS = ["data.generate.length=20", "data.generate.samples=256", "training.epochs=2",
            "search.units=8"]
# The sum of the typical step times must stay inside --budget (default 420 s, so that install and
# all fit in 8 minutes); a step that runs long is cut at its limit, and one that would start with
# under 25 s left is skipped.
STEP_LIMITS = {"preflight": 60, "kernels": 90, "contracts": 100, "sweep on GPU": 100,
               "sweep on CPU": 100, "--gpus 0": 90, "mixed precision on GPU": 80,
               "packing": 300}


class Check:
    """Runs the steps against one deadline and keeps their output for the log."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dry = args.dry_run
        self.work = Path(args.work).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.deadline = time.monotonic() + args.budget
        self.log: list[str] = []
        self.steps: list[Step] = []
        self.env = dict(os.environ)
        # Nothing written to ~/.cache; each sweep compiles from scratch (a fair trials per hour).
        self.env["XDG_CACHE_HOME"] = str(self.work / "cache")
        self.env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        self.env.setdefault("DO_NOT_TRACK", "true")
        # The local mlflow server's GenAI job runner needs huey (not bundled): without this it
        # restarts a consumer process many times a second for the whole sweep.
        self.env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        self.env["PYTHONUNBUFFERED"] = "1"
        self.env.pop("KERAS_BACKEND", None)  # the sweep file says jax; tests get it below

    # ------------------------------------------------------------------ running things
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, step: Step, command: list[str], cwd: Path, env: dict[str, str] | None = None,
            limit: float | None = None) -> tuple[int, str]:
        """Run a command with the step's time limit (cut to the overall deadline); its output
        goes to the log. Returns (exit code, output); 124 when it ran out of time."""
        limit = min(limit or STEP_LIMITS.get(step.name, 120), self.remaining() - 5)
        self.log.append(f"\n===== {step.name}: {' '.join(command)} (cwd {cwd}, limit "
                        f"{limit:.0f}s)")
        print(f"[gpu-check] {step.name}: {' '.join(command[1:4])} ... (limit {limit:.0f}s)",
              flush=True)
        try:
            done = subprocess.run(command, cwd=cwd, env=env or self.env, capture_output=True,
                                  text=True, timeout=max(limit, 1))
            code, out = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as stopped:
            raw = (stopped.stdout or b"") + (stopped.stderr or b"")
            code = 124
            out = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        self.log.append(out)
        return code, out

    def step(self, name: str, fn: Any) -> Step:
        step = Step(name)
        self.steps.append(step)
        if self.remaining() < 25:
            step.notes.append("skipped: the overall budget ran out")
            return step
        start = time.monotonic()
        try:
            step.status = fn(step) or "ok"
        except Exception as error:  # a broken step must not stop the others
            step.status = "failed"
            step.notes.append(f"{type(error).__name__}: {error}")
        step.seconds = time.monotonic() - start
        print(f"[gpu-check] {name}: {step.status} in {step.seconds:.0f}s", flush=True)
        return step

    # ------------------------------------------------------------------ the steps
    def preflight(self, step: Step) -> str:
        code, out = self.run(step, [sys.executable, str(BENCH / "gpu_probe.py"), "preflight"],
                             ROOT, {**self.env, "KERAS_BACKEND": "jax"})
        facts = _last_json(out)
        if facts:
            step.figures.update(facts)
        if code != 0 or not facts:
            step.notes.append(_tail(out))
            return "failed"
        missing = facts.get("missing") or []
        if missing:
            step.notes.append(f"cannot import: {', '.join(missing)}")
            return "failed"
        if not self.dry and facts.get("jax_backend") != "gpu":
            step.notes.append("JAX sees no GPU: every GPU figure below is a CPU figure")
            return "failed"
        return "ok"

    def kernels(self, step: Step) -> str:
        code, out = self.run(step, [sys.executable, str(BENCH / "gpu_probe.py"), "probe",
                                    *(["--dry-run"] if self.dry else [])],
                             ROOT, {**self.env, "KERAS_BACKEND": "jax"})
        rows = _last_json(out)
        if code != 0 or not rows:
            step.notes.append(_tail(out))
            return "failed" if code != 124 else "timed out"
        step.figures["rows"] = rows["rows"]
        failed = [r for r in rows["rows"] if "error" in r]
        disagree = [r for r in rows["rows"] if not r["agrees"] and "error" not in r]
        if disagree:
            step.notes.append("kernel tag differs from what Keras ran for: " + ", ".join(
                f"{r['layer']} ({r['precision']})" for r in disagree))
        if failed:
            step.notes.append("failed to train: " + ", ".join(
                f"{r['layer']} ({r['precision']}): {r['error']}" for r in failed))
            return "failed"
        return "ok"

    def contracts(self, step: Step) -> str:
        if not _importable("pytest", self.env):
            step.notes.append("pytest is not installed here")
            return "skipped"
        env = {**self.env, "KERAS_BACKEND": "jax", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
        workers = ["-n", "4"] if not self.dry and _importable("xdist", self.env) else ["-n", "0"]
        code, out = self.run(step, [sys.executable, "-m", "pytest", "-q", "-p",
                                    "no:cacheprovider", *workers, "-m", "backend_contract",
                                    "tests/model"], ROOT, env)
        summary = [line for line in out.splitlines() if " passed" in line or " failed" in line
                   or " error" in line]
        step.figures["pytest"] = summary[-1].strip("= ") if summary else _tail(out, 1)
        return {0: "ok", 124: "timed out"}.get(code, "failed")

    def sweep(self, step: Step, extra: list[str], cpu: bool = False,
              workers: list[str] | None = None) -> str:
        folder = self.work / step.name.replace(" ", "_").replace("-", "")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        env = {**self.env, "XDG_CACHE_HOME": str(folder / "cache")}  # compiles from cold
        if cpu:
            env["JAX_PLATFORMS"] = "cpu"
        sets = [*(DRY_SETS if self.dry else GPU_SETS), *extra]
        limit = STEP_LIMITS.get(step.name, 120)
        # Stop starting trials in time to finish the last one and the registry inside the limit.
        sets.append(f"tuner.max_time={max(int(limit * 0.6), 20)}s")
        command = [sys.executable, "-m", "lstm_automl", "run", str(SWEEP), "-q",
                   *[item for s in sets for item in ("--set", s)], *(workers or [])]
        start = time.monotonic()
        code, out = self.run(step, command, folder, env, limit)
        step.figures["wall_s"] = time.monotonic() - start
        step.figures.update(trial_figures(folder / "mlflow.db"))
        if code != 0:
            step.notes.append(_tail(out))
            return "timed out" if code == 124 else "failed"
        return "ok"

    def pinned(self, step: Step) -> str:
        status = self.sweep(step, ["tuner.max_trials=2", "training.epochs=2"],
                            workers=["--gpus", "0"])
        tuner_ids = step.figures.get("tuner_ids", [])
        kernels = step.figures.get("kernels", {})
        if status == "ok":
            if tuner_ids != ["worker-0"]:
                step.notes.append(f"trials ran on {tuner_ids}, expected worker-0 alone")
                status = "failed"
            saw_gpu = any(k != "cpu" for k in kernels.values())
            step.figures["worker_saw_gpu"] = saw_gpu
            if not self.dry and not saw_gpu:
                step.notes.append("the pinned worker's trials are tagged kernel=cpu: it saw no "
                                  "GPU")
                status = "failed"
        return status

    def packing(self, step: Step) -> str:
        """bench/packing.py on GPU 0 under JAX: one sweep per count, trials per hour each."""
        figures = self.work / "packing.json"
        limit = min(STEP_LIMITS["packing"], self.remaining() - 10)
        per_sweep = max(30, int(limit / 4) - 5)
        quick = ["--quick"] if self.dry else ["--counts", "1,2,4,8", "--trials", "8",
                                              "--epochs", "3"]
        code, out = self.run(step, [sys.executable, str(BENCH / "packing.py"), "--gpu",
                                    "--backend", "jax", "--no-record", "--json", str(figures),
                                    "--limit", str(per_sweep), *quick], ROOT, limit=limit)
        if figures.exists():
            step.figures["packing"] = json.loads(figures.read_text())
        if code != 0 or not figures.exists():
            step.notes.append(_tail(out))
            return "timed out" if code == 124 else "failed"
        return "ok"


# ---------------------------------------------------------------------- reading a sweep back
def trial_figures(db: Path) -> dict[str, Any]:
    """Per-trial figures from the sweep's sqlite MLflow store: trials, seconds, kernel tags."""
    if not db.exists():
        return {}
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    runs: list[Any] = []
    for experiment in client.search_experiments():
        runs += client.search_runs([experiment.experiment_id],
                                   "tags.`lstm_sweep.kind` = 'trial'", max_results=1000)
    done = [r for r in runs if r.data.tags.get("status") == "completed"]
    seconds = [float(r.data.metrics.get("trial_seconds", 0.0)) for r in done]
    kernels, by_label, epoch_by_label = {}, {}, {}
    for r in runs:
        p = r.data.params
        label = f"{p.get('cell', '?')}{' bi' if str(p.get('bidirectional')) == 'True' else ''}"
        kernels[label] = r.data.tags.get("kernel", "?")
        if r.data.tags.get("status") == "completed":
            by_label[label] = float(r.data.metrics.get("trial_seconds", 0.0))
            epoch = steady_epoch_seconds(client, r.info.run_id)
            if epoch is not None:
                epoch_by_label[label] = epoch
    sweeps = [r for e in client.search_experiments() for r in client.search_runs(
        [e.experiment_id], "tags.`lstm_sweep.kind` = 'sweep'")]
    best = min((r.data.metrics.get("val_loss", float("inf")) for r in done), default=None)
    return {
        "trials": len(runs), "completed": len(done),
        "trial_s_median": statistics.median(seconds) if seconds else None,
        "trial_s_sum": sum(seconds),
        "trials_per_hour": 3600 * len(seconds) / sum(seconds) if seconds and sum(seconds) else None,
        "best_val_loss": best, "kernels": kernels, "seconds_by_trial": by_label,
        "epoch_s_by_trial": epoch_by_label,
        "overrides": sweeps[0].data.tags.get("lstm_sweep.overrides", "") if sweeps else "",
        "backends": sorted({r.data.tags.get("backend", "?") for r in runs}),
        "tuner_ids": sorted({r.data.tags.get("lstm_sweep.tuner_id", "in-process")
                             for r in runs}),
        "failures": [r.data.tags.get("failure", "") for r in runs
                     if r.data.tags.get("status") not in ("completed", None)],
    }


def steady_epoch_seconds(client: Any, run_id: str) -> float | None:
    """Median seconds between a trial's epoch-end metrics after the first epoch (which holds
    the compile): the trial's steady pace. lstm-sweep stamps each epoch's metrics when the
    epoch ends, even though it writes them in batches."""
    stamps = sorted((m.step, m.timestamp) for m in client.get_metric_history(run_id, "loss"))
    gaps = [(b[1] - a[1]) / 1000 for a, b in zip(stamps, stamps[1:], strict=False)]
    return statistics.median(gaps) if gaps else None


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " / ".join(kept)[-400:]


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                return None
    return None


def _importable(module: str, env: dict[str, str]) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], env=env,
                          capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="the same steps on the CPU, tiny")
    parser.add_argument("--work", default="/tmp/gpu-check", help="scratch folder")
    parser.add_argument("--budget", type=float, default=420.0,
                        help="seconds for all steps together (default 420: the check must end "
                             "within 8 minutes on the GPU machine, installing included)")
    parser.add_argument("--only", help="comma-separated step names to run (default all)")
    args = parser.parse_args()
    started = dt.datetime.now().astimezone()
    check = Check(args)
    plan = [("preflight", check.preflight), ("kernels", check.kernels),
            ("contracts", check.contracts),
            ("sweep on GPU", lambda s: check.sweep(s, [])),
            ("sweep on CPU", lambda s: check.sweep(s, [], cpu=True)),
            ("--gpus 0", check.pinned),
            ("mixed precision on GPU", lambda s: check.sweep(
                s, ["training.mixed_precision=true", "tuner.max_trials=3"])),
            ("packing", check.packing)]
    wanted = {n.strip() for n in args.only.split(",")} if args.only else None
    for name, fn in plan:
        if wanted is None or name in wanted or name == "preflight":
            check.step(name, fn)
        if name == "preflight" and check.steps[-1].status != "ok":
            break  # nothing else can run
    text = report(check.steps, check.dry, args.budget, started,
                  DRY_SETS if args.dry_run else GPU_SETS, audit=not args.only)
    out = Path(os.environ["OUT"]) if os.environ.get("OUT") else BENCH
    out.mkdir(parents=True, exist_ok=True)
    suffix = "-dry-run" if args.dry_run else ""
    (out / f"gpu_check{suffix}.md").write_text(text)
    (out / f"gpu_check{suffix}.log").write_text("\n".join(check.log))
    print("\n" + text)
    print(f"(written to {out / f'gpu_check{suffix}.md'} and gpu_check{suffix}.log)")
    failed = [s.name for s in check.steps if s.status in ("failed", "timed out")]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
