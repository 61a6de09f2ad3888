"""A stand-in for the lent GPU machine's Python, built here for the GPU check's dry run.

The GPU machine has no TensorFlow, Keras, keras-tuner, MLflow or pydantic, and no package
registry: only what ``bench/gpu_machine.txt`` lists, plus the wheels ``bench/gpu_bundle.sh``
carries. A ``venv --system-site-packages`` would see everything installed here and prove
nothing, so this makes a bare venv (no pip, no system site packages) and links into its
site-packages only the distributions of that list that this interpreter has installed (JAX,
numpy, pandas, pytest, ...). A module the bundle forgot then fails to import in the dry run as it
would on the GPU machine.

    python bench/gpu_env.py DIR        # prints DIR/bin/python

Run it with the project's interpreter (it reads that interpreter's installed distributions).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

MACHINE_LIST = Path(__file__).resolve().parent / "gpu_machine.txt"


def normalise(name: str) -> str:
    """PEP 503 form, so 'PyYAML', 'pyyaml' and 'py_yaml' compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def machine_packages(path: Path = MACHINE_LIST) -> set[str]:
    """The distribution names the GPU machine holds (comments and blanks skipped)."""
    lines = path.read_text().splitlines()
    return {normalise(s) for s in (line.split("#", 1)[0].strip() for line in lines) if s}


def installed_here() -> dict[str, metadata.Distribution]:
    """This interpreter's distributions by normalised name (first found wins, as import does)."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = normalise(dist.metadata["Name"] or "")
        found.setdefault(name, dist)
    return found


def top_level_entries(dist: metadata.Distribution) -> set[str]:
    """The names a distribution puts directly in site-packages (packages, modules, .libs,
    dist-info, .pth files); entries outside site-packages (scripts) are skipped."""
    tops: set[str] = set()
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if parts and parts[0] not in ("..", "bin", "__pycache__"):
            tops.add(parts[0])
    return tops


def build(target: Path, extra: tuple[str, ...] = ()) -> tuple[Path, list[str], list[str]]:
    """Make the stand-in venv at ``target``; returns (its python, linked names, names of the
    list not installed here). ``extra`` links more distributions (to try what a bundle needs
    before downloading it)."""
    if not (target / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(target),
                                                    "platbase": str(target)}))
    here = installed_here()
    linked, missing = [], []
    for name in sorted(machine_packages() | {normalise(n) for n in extra}):
        dist = here.get(name)
        if dist is None:
            missing.append(name)
            continue
        root = Path(str(dist.locate_file("")))
        for entry in sorted(top_level_entries(dist)):
            origin, link = root / entry, site / entry
            if origin.exists() and not link.exists() and not link.is_symlink():
                link.symlink_to(origin)
        linked.append(name)
    return target / "bin" / "python", linked, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="folder of the stand-in venv")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME",
                        help="also link this locally installed distribution (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    python, linked, missing = build(args.target.resolve(), tuple(args.extra))
    if args.verbose:
        print(f"linked {len(linked)}: {' '.join(linked)}", file=sys.stderr)
        print(f"on the GPU machine, not installed here ({len(missing)}): {' '.join(missing)}",
              file=sys.stderr)
    print(python)


if __name__ == "__main__":
    main()
