"""CLI start-up: ``lstm-sweep --help`` and ``lstm-sweep validate`` against ``python -c pass``.

Each command runs as a fresh subprocess (what a user waits for at the terminal), round robin
after one warm-up round (so the OS file cache is warm for all of them); medians over the rounds.
Reported absolute and minus the bare interpreter start-up (``python -c pass``, same interpreter),
which is what the package itself adds. ``python -X importtime`` of the slowest command lists the
heaviest imports, for the next step when the target is missed.

Target (issue 6): under 0.3 s.
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

TARGET = 0.3


def lstm_sweep_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m lstm_automl``."""
    script = Path(sys.executable).with_name("lstm-sweep")
    if script.exists():
        return [str(script)]
    found = shutil.which("lstm-sweep")
    return [found] if found else [sys.executable, "-m", "lstm_automl"]


def run_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {proc.returncode}): {proc.stderr[-800:]}")
    return elapsed


def heaviest_imports(argv: list[str], env: dict[str, str], count: int = 12) -> list[list[str]]:
    """Heaviest imports of one run under ``python -X importtime`` (cumulative seconds)."""
    if Path(argv[0]).name == "lstm-sweep":
        argv = [sys.executable, "-X", "importtime", "-m", "lstm_automl", *argv[1:]]
    else:
        argv = [argv[0], "-X", "importtime", *argv[1:]]
    proc = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    rows = []
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            rows.append((int(cumulative_us), len(indent), name))
    # Packages (numpy, pydantic, yaml, ...) wherever they are first imported, and the project's
    # own modules; cumulative times nest, so the table shows what to make lazy, not a sum.
    wanted = [r for r in rows if "." not in r[2] or r[2].startswith("lstm_automl.")]
    wanted.sort(reverse=True)
    return [[name, f"{us / 1e6:.3f}"] for us, _, name in wanted[:count]]


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, help="timed runs of each command (default 10; quick 2)")
    args = p.parse_args()
    started = time.perf_counter()
    runs = args.runs or (2 if args.quick else 10)
    # Bytecode as an installed package has it: the warm-up round writes the project's .pyc
    # files (into a temporary prefix, not the working tree) even where the environment sets
    # PYTHONDONTWRITEBYTECODE; with it, every run would compile the project's sources again.
    pycache = tempfile.mkdtemp(prefix="lstm-sweep-pycache-")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MLFLOW_DISABLE_TELEMETRY": "true",
           "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    no_pyc_env = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": ""}
    cli = lstm_sweep_command()
    sweep = "sweeps/quickstart.yaml"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "lstm-sweep --help": [*cli, "--help"],
        f"lstm-sweep validate {sweep} --no-data": [*cli, "validate", sweep, "--no-data"],
        f"lstm-sweep validate {sweep}": [*cli, "validate", sweep],
    }
    no_pyc = f"lstm-sweep validate {sweep}, no .pyc (compiles every run)"
    commands[no_pyc] = commands[f"lstm-sweep validate {sweep}"]
    envs = {name: no_pyc_env if name == no_pyc else env for name in commands}
    for name, argv in commands.items():  # warm-up round: file cache, .pyc files
        run_once(argv, envs[name])
    seconds = {name: Samples() for name in commands}
    for index in range(runs):
        for name, argv in commands.items():
            seconds[name].add(run_once(argv, envs[name]))
        print(f"  round {index + 1}/{runs}: " + ", ".join(
            f"{n.split(' ', 1)[-1][:22]} {s.values[-1]:.3f}s" for n, s in seconds.items()),
            flush=True)
    python = seconds["python -c pass"].median
    rows = []
    for name, samples in seconds.items():
        net = "-" if name == "python -c pass" else f"{samples.median - python:.3f}"
        rows.append([f"`{name}`", f"{samples.median:.3f}", samples.spread, net])
    body = [table(["command", "median s", "min..max s", "minus python start-up s"], rows)]
    slowest = max((n for n in commands if n not in ("python -c pass", no_pyc)),
                  key=lambda n: seconds[n].median)
    imports = heaviest_imports(commands[slowest], env)
    shutil.rmtree(pycache, ignore_errors=True)
    if imports:
        body += ["", f"Heaviest imports of `{slowest}` (`python -X importtime`, one run; "
                 f"cumulative, so nested modules are counted in their parents too):", "",
                 table(["module", "s"], imports)]
    targets = []
    for name in commands:
        if name in ("python -c pass", no_pyc):  # no_pyc: shown for comparison, not judged
            continue
        value = seconds[name].median
        met = None if args.quick else value < TARGET
        reason = "" if met or met is None else (
            f"{value - python:.2f}s is the package's own import work (see the import table); "
            f"next: numpy-free checks of builtin sources, pydantic models built on first use")
        targets.append(Target(f"`{name}` under {TARGET}s", f"median {value:.3f}s, "
                              f"{value - python:.3f}s above bare python", met, reason))
    settings = (f"{runs} runs of each command round robin after 1 warm-up round; "
                f"console script {cli[0]}; the project's .pyc files written in the warm-up "
                f"(PYTHONPYCACHEPREFIX in a temporary folder), except the 'no .pyc' row")
    _common.report(args, "startup: CLI start-up time", settings, body, targets, started=started)


if __name__ == "__main__":
    main()
