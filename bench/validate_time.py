"""``lstm-sweep validate sweeps/quickstart.yaml`` against ``python -c pass`` (issue 25: < 0.3 s).

Fresh subprocesses, round robin (pass, validate, and the other checkout's validate when
``--against`` names one), after one warm-up round; prints the medians, each validate's ratio to
the bare interpreter and what the package adds on top of it. On a shared machine compare only
numbers from one run: the rounds alternate so that load drifts hit every command alike.

    python bench/validate_time.py --rounds 15 --against /work/main
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.3


# Bytecode as an installed package has it: written once (warm-up round) under a temporary
# prefix, also where the environment sets PYTHONDONTWRITEBYTECODE (else every run compiles the
# project's sources again, ~0.1 s that no installed copy pays).
PYCACHE = tempfile.mkdtemp(prefix="lstm-sweep-pycache-")


def timed(argv: list[str], pythonpath: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run; on a loaded machine the CPU
    time is the steadier figure, the wall time is what a user waits."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath),  # run in that checkout, on its code
           "PYTHONPYCACHEPREFIX": PYCACHE}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=pythonpath, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {proc.returncode}): {proc.stderr[-600:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def commands(against: Path | None, sweep: str) -> dict[str, tuple[list[str], Path]]:
    validate = [sys.executable, "-m", "lstm_automl", "validate", sweep]
    found = {"python -c pass": ([sys.executable, "-c", "pass"], ROOT),
             "validate (this checkout)": (validate, ROOT)}
    if against is not None:
        found[f"validate ({against})"] = (validate, against)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--sweep", default="sweeps/quickstart.yaml")
    parser.add_argument("--against", type=Path, help="another checkout to time alongside")
    args = parser.parse_args()
    runs = commands(args.against, args.sweep)
    for argv, path in runs.values():  # warm-up: OS file cache and bytecode
        timed(argv, path)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (argv, path) in runs.items():
            samples[name].append(timed(argv, path))
    print(f"{args.rounds} rounds, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    for column, label in ((0, "wall"), (1, "cpu")):
        floor = statistics.median(s[column] for s in samples["python -c pass"])
        for name, pairs in samples.items():
            values = [pair[column] for pair in pairs]
            median = statistics.median(values)
            print(f"{label:<4} {name:<36} median {median:.3f} s (min {min(values):.3f}, "
                  f"max {max(values):.3f})  {median / floor:5.1f}x pass, +{median - floor:.3f} s")
    shutil.rmtree(PYCACHE, ignore_errors=True)
    mine = statistics.median(wall for wall, _ in samples["validate (this checkout)"])
    print(f"target < {TARGET} s wall: {'met' if mine < TARGET else 'missed'} ({mine:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
