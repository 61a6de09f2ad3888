"""Quality: every example sweep on shipped data, its champion against every baseline.

Each sweep runs as `lstm-sweep run` in a subprocess, in its own temporary folder (own sqlite
MLflow store and tuner state), with a wall-clock budget; its `summary.json` is then read back
from the sweep run. The table says, per sweep, the champion's primary test metric, every
baseline's, the strongest baseline, the verdict, the issue's goal where it set one, and the wall
time. A sweep that runs past its budget is reported as such, not dropped. With ``--seeds N``
each sweep runs N times (sweep seed, seed + 1, ...) and the table gives the median, the spread
and the wins out of N against the strongest baseline (``--seed-list 1,2``: exactly those
seeds, so runs already recorded need not be repeated). ``--heldout`` runs the held-out series
(bench/heldout/*.yaml: data and a small search space only, so the preset decides the rest;
never tune anything on them) and prints a verdict for each. ``--dev`` runs the development
series (bench/dev/*.yaml and airline-first, written the same way; bench/dev_series.py makes
them), the ones recipe and blend-rule choices are made on.

    python bench/quality.py                 # every sweep, as its file says (can take hours)
    python bench/quality.py --only airline-24 --only nile
    python bench/quality.py --quick         # 2 trials x 3 epochs each: a smoke run
    python bench/quality.py --dev --seeds 2 --backend tensorflow --keep /tmp/dev  # choose here
    python bench/blend_rules.py /tmp/dev/*/                           # then weight rules offline
    python bench/quality.py --heldout --seeds 3 --backend tensorflow --no-record
    python bench/quality.py --dev --seed-list 2,3 --keep /tmp/dev   # seeds not yet recorded
    python bench/quality.py --only airline-first --preset none   # a file's bare defaults
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, PROJECT_ROOT, Target, parser, quiet_env, report, table

SWEEPS = PROJECT_ROOT / "sweeps"
HELDOUT = BENCH_DIR / "heldout"
FIRST = BENCH_DIR / "first_sweeps"  # shipped data, written as a first user would
DEV = BENCH_DIR / "dev"  # development series: choices are made on these, not the held-out ones


@dataclass(frozen=True)
class Case:
    """One example sweep and the goal the quality issue set for it (None: beat the strongest)."""

    key: str
    file: str
    goal: float | None = None  # champion's primary metric must be below (error) / at least (score)
    goal_text: str = ""
    folder: Path = SWEEPS


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
    Case("airline-first", "airline.yaml", folder=FIRST),
)
HELDOUT_CASES = tuple(Case(f"heldout-{p.stem}", p.name, folder=HELDOUT)
                      for p in sorted(HELDOUT.glob("*.yaml")))
DEV_CASES = (Case("airline-first", "airline.yaml", folder=FIRST),
             *(Case(f"dev-{p.stem}", p.name, folder=DEV) for p in sorted(DEV.glob("*.yaml"))))
QUICK = ("tuner.max_trials=2", "training.epochs=3", "final_model.top_k=1",
         "final_model.seeds=1", "final_model.refit=false")


def case_overrides(args: Any, seed: int | None) -> list[str]:
    """The ``--set`` items every run of a case gets: smoke budget, preset, the command line's
    own ``--set`` items, seed."""
    items = list(QUICK) if args.quick else []
    items += getattr(args, "set", None) or []
    if args.preset:
        items.append(f"preset={args.preset}")
    if seed is not None:
        items.append(f"seed={seed}")
    return items


def seed_list(text: str) -> list[int]:
    """``--seed-list``'s value: comma-separated integers, at least one, no repeats."""
    import argparse

    try:
        seeds = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected integers like 1,2") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r}: expected distinct integers like 1,2")
    return seeds


def seeds_of(args: Any, first: int) -> list[int | None]:
    """The seeds a case runs with: ``--seed-list`` as given, else ``--seeds N`` counted from
    the file's own seed, else [None] (the file's seed, not overridden)."""
    if args.seed_list:
        return list(args.seed_list)
    return [None] if args.seeds <= 1 else [first + i for i in range(args.seeds)]


def sweep_seed(case: Case) -> int:
    import yaml

    return int((yaml.safe_load((case.folder / case.file).read_text()) or {}).get("seed", 42))


def budget_of(case: Case, overrides: list[str]) -> str:
    """The resolved budget (trials x epochs, final model), as the loader reads the file."""
    from lstm_automl.sweep_file.loader import load_sweep

    config = load_sweep(case.folder / case.file, overrides).config
    final = config.final_model
    trials = "hyperband" if config.tuner.algorithm == "hyperband" else \
        f"{config.tuner.max_trials} {config.tuner.algorithm}"
    return (f"{trials} x {config.training.max_epochs()} ep; final {final.top_k}x{final.seeds}"
            f"{' refit' if final.refit else ''}")


def run_case(case: Case, budget_s: int, overrides: list[str],
             backend: str | None, keep: Path | None = None) -> dict[str, Any]:
    """Run one sweep in a fresh folder; its summary plus wall time, or why there is none.
    ``keep``: a folder to copy the sweep's ``summary.json`` and ``blend/members.npz`` into, the
    files ``bench/blend_rules.py`` compares weight rules on."""
    with tempfile.TemporaryDirectory(prefix=f"quality-{case.key}-") as tmp:
        folder = Path(tmp)
        sweep = case.folder / case.file
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        command = [sys.executable, "-m", "lstm_automl", "run", "-q", str(sweep)]
        command += [arg for item in overrides for arg in ("--set", item)]
        if backend:
            command += ["--backend", backend]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=budget_s)
        except subprocess.TimeoutExpired:
            return {"error": f"over the {budget_s} s budget", "seconds": budget_s}
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            return {"error": f"exit {done.returncode}: {tail[0][:200]}", "seconds": seconds}
        summary = read_summary(folder, keep)
        summary["seconds"] = seconds
        return summary


def read_summary(folder: Path, keep: Path | None = None) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiments = client.search_experiments()
    runs = client.search_runs([e.experiment_id for e in experiments],
                              "tags.`lstm_sweep.kind` = 'sweep'")
    run_id = runs[0].info.run_id
    path = client.download_artifacts(run_id, "summary.json", str(folder))
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, keep / "summary.json")
        try:
            members = client.download_artifacts(run_id, "blend/members.npz", str(folder))
            shutil.copy(members, keep / "members.npz")
        except Exception:  # noqa: BLE001 - no blend in this sweep: nothing to compare
            pass
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


def seeded_row(case: Case, results: list[dict[str, Any]], budget: str) -> tuple[list[Any],
                                                                           Target]:
    """One row for N seeded runs: median and spread of the champion, wins out of N against the
    strongest baseline (each run's own), its median, budget and total wall time."""
    scored = [r for r in results if "error" not in r]
    seconds = sum(r["seconds"] for r in results)
    failed = [r["error"] for r in results if "error" in r]
    if not scored:
        return ([case.key, "-", "-", f"0/{len(results)}", "-", budget, f"{seconds:.0f}"],
                Target(case.key, failed[0], False, "no run finished"))
    metric = scored[0]["primary_metric"]
    champions = [r["test_metrics"][metric] for r in scored]
    strongest = [r["baselines"][r["strongest_baseline"]][metric] for r in scored
                 if r.get("strongest_baseline")]
    wins = sum(1 for r in scored if (r.get("lift_over_best_baseline") or 0) > 0)
    median, ref = statistics.median(champions), statistics.median(strongest) if strongest else None
    names = sorted({r.get("strongest_baseline") or "?" for r in scored})
    margin = "" if ref is None else f" ({(median - ref) / abs(ref) * 100:+.1f} % vs it)"
    row = [case.key, f"{metric} {median:.4g}", f"{min(champions):.4g}..{max(champions):.4g}",
           f"{wins}/{len(results)}", f"{'/'.join(names)} {ref:.4g}{margin}" if ref else "-",
           budget, f"{seconds:.0f}"]
    beats = wins * 2 > len(results)
    verdict = f"{metric} {median:.4g} vs {'/'.join(names)} {ref:.4g}" if ref else metric
    note = "" if not failed else f"{len(failed)} run(s) failed: {failed[0]}"
    return row, Target(case.key, verdict + f", wins {wins}/{len(results)}", beats, note)


def main() -> None:
    quiet_env()
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", action="append", default=[],
                   help="run only this case (repeatable): " + ", ".join(
                       c.key for c in (*CASES, *DEV_CASES[1:], *HELDOUT_CASES)))
    p.add_argument("--budget", type=int, default=900,
                   help="seconds allowed per sweep (default 900: the issue's 15 minutes)")
    p.add_argument("--seeds", type=int, default=1,
                   help="run each sweep with this many seeds (its seed, +1, ...): median, "
                   "spread and wins out of N")
    p.add_argument("--seed-list", type=seed_list, default=None, metavar="N,N,...",
                   help="run each sweep with exactly these seeds (e.g. 1,2: the ones not yet "
                   "recorded); replaces --seeds")
    p.add_argument("--heldout", action="store_true",
                   help="run the held-out series (bench/heldout/*.yaml) instead of sweeps/")
    p.add_argument("--dev", action="store_true",
                   help="run the development series (bench/dev/*.yaml, airline-first)")
    p.add_argument("--keep", type=Path, default=None, metavar="DIR",
                   help="copy each sweep's summary.json and blend/members.npz to DIR/KEY-sSEED/ "
                   "(what bench/blend_rules.py reads)")
    p.add_argument("--backend", choices=("tensorflow", "jax"), default=None,
                   help="Keras backend of every run (default: each file's / auto)")
    p.add_argument("--preset", choices=("none", "fast", "good", "best"), default=None,
                   help="set every file's preset (default: what the file says, else good)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a --set override for every sweep (repeatable), e.g. "
                   "'search.fcn_branch=false' to compare a default against its absence")
    args = p.parse_args()
    if args.only:
        known = {c.key: c for c in (*CASES, *DEV_CASES, *HELDOUT_CASES)}
        cases = [known[k] for k in dict.fromkeys(args.only) if k in known]
    elif args.dev:
        cases = list(DEV_CASES)
    else:
        cases = [c for c in (HELDOUT_CASES if args.heldout else CASES) if c.folder != FIRST]
    started = time.perf_counter()
    rows, targets, notes = [], [], []
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill: record what finished
    try:
        for case in cases:
            print(f"running {case.key} ({case.file}) ...", flush=True)
            first = sweep_seed(case)
            seeds = seeds_of(args, first)
            results = []
            for seed in seeds:
                kept = None if args.keep is None else \
                    args.keep / f"{case.key}-s{seed if seed is not None else first}"
                result = run_case(case, args.budget, case_overrides(args, seed), args.backend,
                                  kept)
                if len(seeds) > 1:
                    shown = result.get("error") or "{} {:.4g}".format(
                        result["primary_metric"], result["test_metrics"][result["primary_metric"]])
                    print(f"  seed {seed}: {shown} ({result['seconds']:.0f} s)", flush=True)
                results.append(result)
            if len(seeds) > 1:
                row, target = seeded_row(case, results, budget_of(case, case_overrides(
                    args, None)))
            else:
                row, target = row_of(case, results[0])
            print("  " + " | ".join(str(v) for v in row), flush=True)
            rows.append(row)
            targets.append(target)
    except KeyboardInterrupt:
        notes.append(f"interrupted after {len(rows)} of {len(cases)} sweeps; not run: "
                     + ", ".join(c.key for c in cases[len(rows):]))
    header = (["sweep", "champion median (test)", "spread", "wins", "strongest baseline "
               "(median)", "budget", "wall s"] if len(seeds_of(args, 0)) > 1 else
              ["sweep", "champion (test)", "final model", "baselines (test, same metric)",
               "verdict", "goal", "wall s"])
    where = ", ".join(sorted({str(c.folder.relative_to(PROJECT_ROOT)) for c in cases}))
    report(args, "quality: champions against the strongest baselines",
           f"budget {args.budget} s per sweep; sweeps as in {where}/"
           + (f"; preset {args.preset}" if args.preset else "")
           + "".join(f"; --set {item}" for item in args.set)
           + (f"; seeds {','.join(map(str, args.seed_list))}" if args.seed_list else
              f"; {args.seeds} seeds" if args.seeds > 1 else "")
           + (f"; backend {args.backend}" if args.backend else "")
           + (" with 2 trials x 3 epochs" if args.quick else ""), [table(header, rows)],
           targets, notes, started=started)


if __name__ == "__main__":
    main()
