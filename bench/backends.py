"""The quickstart end to end per Keras backend, and ``lstm-sweep validate``'s start-up.

What a new user waits for: ``lstm-sweep run sweeps/quickstart.yaml --backend B`` as a fresh
process, in a fresh temporary folder (its own sqlite MLflow store and tuner state), for

* ``tensorflow``;
* ``jax (cold cache)``: an empty JAX compile cache (``JAX_COMPILATION_CACHE_DIR`` in the run's
  folder): a first run on a new machine, every program compiled;
* ``jax (warm cache)``: a compile cache filled by one earlier run of the same sweep (lstm-sweep
  keeps compiled programs on disk between processes: a second run, a resume, a recycled process).

After a warm-up run of each, ``--rounds`` rounds (default 2) run the candidates one after the
other, alternating; each round's ratio to TensorFlow pairs runs a minute apart, and the median
over rounds is reported. Then ``lstm-sweep validate sweeps/quickstart.yaml`` (and ``python -c
pass``), round robin, as bench/startup.py times it, with its heaviest imports.

Targets (issue 11): the quickstart at least 1.5x faster end to end on JAX than on TensorFlow;
``lstm-sweep validate`` under 0.3 s.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common
from _common import PROJECT_ROOT, Samples, Target, table

QUICKSTART = PROJECT_ROOT / "sweeps" / "quickstart.yaml"
SPEEDUP_TARGET = 1.5
VALIDATE_TARGET = 0.3
# --quick: the same sweep, small enough for a smoke run.
QUICK_SETS = ["tuner.max_trials=2", "training.epochs=2", "final_model.top_k=1",
              "final_model.seeds=1", "final_model.refit=false"]


def lstm_sweep() -> list[str]:
    """This checkout's CLI (``python -m lstm_automl`` with the project root on the path)."""
    return [sys.executable, "-m", "lstm_automl"]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TF_CPP_MIN_LOG_LEVEL": "2", "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("KERAS_BACKEND", None)
    return {**env, **(extra or {})}


def run_quickstart(backend: str, cache: Path | None, sets: list[str]) -> tuple[float, str]:
    """One ``lstm-sweep run`` in a fresh folder; returns (wall seconds, the backend line)."""
    folder = Path(tempfile.mkdtemp(prefix=f"bench-backends-{backend}-"))
    try:
        sweep = folder / "quickstart.yaml"
        shutil.copy(QUICKSTART, sweep)
        extra = {}
        if backend == "jax":
            extra["JAX_COMPILATION_CACHE_DIR"] = str(cache or folder / "jax-cache")
        command = [*lstm_sweep(), "run", str(sweep), "--backend", backend,
                   *[item for s in sets for item in ("--set", s)]]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=child_env(extra), capture_output=True,
                              text=True, timeout=3600)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode}):\n"
                             f"{(done.stdout + done.stderr)[-1500:]}")
        said = re.search(r"backend: (\S+) \(([^)]*)\)", done.stdout)
        return elapsed, said.group(0) if said else "?"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def quickstart(rounds: int, sets: list[str]) -> tuple[dict[str, Samples], dict[str, Samples],
                                                       dict[str, str]]:
    """Warm-ups, then ``rounds`` rounds of the candidates; seconds and ratios to TensorFlow."""
    warm = Path(tempfile.mkdtemp(prefix="bench-backends-jax-warm-cache-"))
    candidates = {"tensorflow": ("tensorflow", None), "jax (cold cache)": ("jax", None),
                  "jax (warm cache)": ("jax", warm)}
    said: dict[str, str] = {}
    try:
        for name, (backend, cache) in candidates.items():
            print(f"warm-up: {name}", flush=True)  # file cache; fills the warm compile cache
            _, said[name] = run_quickstart(backend, cache, sets)
        seconds = {name: Samples() for name in candidates}
        ratios = {name: Samples() for name in candidates}
        for index in range(rounds):
            order = list(candidates) if index % 2 == 0 else list(reversed(candidates))
            this = {}
            for name in order:
                backend, cache = candidates[name]
                this[name], _ = run_quickstart(backend, cache, sets)
                seconds[name].add(this[name])
            for name in candidates:
                ratios[name].add(this[name] / this["tensorflow"])
            print(f"  round {index + 1}/{rounds}: " + ", ".join(
                f"{n} {s:.1f}s" for n, s in this.items()), flush=True)
        return seconds, ratios, said
    finally:
        shutil.rmtree(warm, ignore_errors=True)


def validate_times(runs: int) -> tuple[dict[str, Samples], list[list[str]]]:
    """``python -c pass`` and ``lstm-sweep validate`` of the quickstart, round robin after a
    warm-up (which writes the .pyc files, as an installed package has them)."""
    import startup  # bench/startup.py: the same measurement, one command fewer

    pycache = tempfile.mkdtemp(prefix="lstm-sweep-pycache-")
    env = child_env({"PYTHONPYCACHEPREFIX": pycache})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "lstm-sweep validate sweeps/quickstart.yaml":
                    [*lstm_sweep(), "validate", "sweeps/quickstart.yaml"]}
    try:
        for argv in commands.values():
            startup.run_once(argv, env)
        seconds = {name: Samples() for name in commands}
        for _ in range(runs):
            for name, argv in commands.items():
                seconds[name].add(startup.run_once(argv, env))
        imports = startup.heaviest_imports(commands["lstm-sweep validate sweeps/quickstart.yaml"],
                                           env, count=10)
    finally:
        shutil.rmtree(pycache, ignore_errors=True)
    return seconds, imports


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, help="timed rounds of the quickstart (default 2; quick 1)")
    p.add_argument("--validate-runs", type=int, help="timed validate runs (default 10; quick 3)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a --set override for every quickstart run (repeatable)")
    args = p.parse_args()
    started = time.perf_counter()
    rounds = args.rounds or (1 if args.quick else 2)
    sets = [*(QUICK_SETS if args.quick else []), *args.set]
    seconds, ratios, said = quickstart(rounds, sets)
    rows = [[name, f"{s.median:.1f}", s.spread, f"{ratios[name].median:.2f}x",
             ratios[name].spread, said[name]] for name, s in seconds.items()]
    body = ["`lstm-sweep run sweeps/quickstart.yaml --backend B`, each run a fresh process in a "
            "fresh folder and store" + (f" (--set {' '.join(sets)})" if sets else "") + ":", "",
            table(["backend", "median s", "min..max s", "x TensorFlow (paired)", "min..max",
                   "the run said"], rows)]
    val, imports = validate_times(args.validate_runs or (3 if args.quick else 10))
    python = val["python -c pass"].median
    body += ["", table(["command", "median s", "min..max s", "minus python start-up s"],
                       [[f"`{n}`", f"{s.median:.3f}", s.spread,
                         "-" if n == "python -c pass" else f"{s.median - python:.3f}"]
                        for n, s in val.items()])]
    if imports:
        body += ["", "Heaviest imports of `lstm-sweep validate sweeps/quickstart.yaml` "
                 "(`python -X importtime`, one run, cumulative):", "",
                 table(["module", "s"], imports)]
    targets = []
    for name in ("jax (cold cache)", "jax (warm cache)"):
        speedup = 1 / ratios[name].median
        met = None if args.quick else speedup >= SPEEDUP_TARGET
        targets.append(Target(f"quickstart on {name} >= {SPEEDUP_TARGET}x faster than on "
                              f"TensorFlow end to end", f"measured {speedup:.2f}x", met))
    value = val["lstm-sweep validate sweeps/quickstart.yaml"].median
    targets.append(Target(f"`lstm-sweep validate sweeps/quickstart.yaml` under "
                          f"{VALIDATE_TARGET}s", f"median {value:.3f}s",
                          None if args.quick else value < VALIDATE_TARGET,
                          "" if value < VALIDATE_TARGET else VALIDATE_WHY))
    settings = (f"{rounds} rounds after one warm-up run of each, the order reversed every other "
                f"round; {_backend_versions()}; this checkout's CLI as `python -m lstm_automl`")
    notes = ["'x TensorFlow' < 1: faster than TensorFlow; the wall time includes starting Python, "
             "importing the framework, the data, every trial, the final ensemble with its refits, "
             "the baselines and the registry"]
    _common.report(args, "backends: the quickstart end to end per backend, and validate",
                   settings, body, targets, notes, started)


VALIDATE_WHY = ("what remains is import work: the sweep-file schema (pydantic builds ~27 model "
                "classes at import, ~0.1s here), numpy (~0.1s, needed to load and split the "
                "data), yaml and the interpreter; `--no-data` skips numpy; next: a numpy-free "
                "check of builtin sources")


def _backend_versions() -> str:
    from importlib import metadata

    found = []
    for package in ("tensorflow", "jax", "keras"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return ", ".join(found)


if __name__ == "__main__":
    main()
