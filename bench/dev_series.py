"""Write the development series of the quality benchmark (bench/dev/): the series on which
recipe and blend-rule choices are made, so that the held-out series (datasets/heldout/) stay
unseen. Three are generated (fixed seeds, so the files are reproducible byte for byte), one is
the last 30 years of the shipped monthly sunspots; airline and Nile are read as built in.

    python bench/dev_series.py           # check the committed files match
    python bench/dev_series.py --write   # (re)write them
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

DEV = Path(__file__).resolve().parent / "dev"
SUNSPOTS = Path(__file__).resolve().parent.parent / "datasets" / "sunspots_monthly.csv"


def _months(count: int, first_year: int = 2000) -> list[str]:
    return [f"{first_year + i // 12}-{i % 12 + 1:02d}" for i in range(count)]


def _ar_noise(rng: np.random.Generator, count: int, phi: float, scale: float) -> np.ndarray:
    noise = np.zeros(count)
    shocks = rng.normal(0.0, scale, count)
    for t in range(1, count):
        noise[t] = phi * noise[t - 1] + shocks[t]
    return noise


def trend_season(count: int = 240) -> tuple[list[str], np.ndarray]:
    """Monthly: a linear trend, a 12-month season and AR(1) noise (a retail-like series)."""
    rng = np.random.default_rng(101)
    t = np.arange(count)
    values = 100 + 0.3 * t + 10 * np.sin(2 * np.pi * t / 12) + _ar_noise(rng, count, 0.5, 3.0)
    return _months(count), values


def ar2(count: int = 300) -> tuple[list[str], np.ndarray]:
    """Monthly dates, no season: a stationary AR(2) with a quasi-cycle (phi 1.2, -0.5)."""
    rng = np.random.default_rng(202)
    values = np.zeros(count + 50)
    shocks = rng.normal(0.0, 1.0, count + 50)
    for t in range(2, count + 50):
        values[t] = 1.2 * values[t - 1] - 0.5 * values[t - 2] + shocks[t]
    return _months(count), 50 + values[50:]


def regime_shift(count: int = 300) -> tuple[list[str], np.ndarray]:
    """Monthly dates, no season: AR(1) noise around a level that jumps by 5 after 60 % of the
    rows (a break the training rows have not seen the end of)."""
    rng = np.random.default_rng(303)
    level = np.where(np.arange(count) < int(0.6 * count), 20.0, 25.0)
    return _months(count), level + _ar_noise(rng, count, 0.5, 1.0)


def sunspots_last360() -> tuple[list[str], np.ndarray]:
    """The last 360 months of the shipped monthly sunspots (1954-1983)."""
    rows = [line.split(",") for line in SUNSPOTS.read_text().splitlines()[1:] if line.strip()]
    rows = rows[-360:]
    return [r[0] for r in rows], np.array([float(r[1]) for r in rows])


SERIES: dict[str, tuple[str, Callable[[], tuple[list[str], np.ndarray]]]] = {
    "synth_season.csv": ("month,value", trend_season),
    "synth_ar.csv": ("month,value", ar2),
    "synth_regime.csv": ("month,value", regime_shift),
    "sunspots_last360.csv": ("month,sunspots", sunspots_last360),
}


def text_of(header: str, make: Callable[[], tuple[list[str], np.ndarray]]) -> str:
    times, values = make()
    return header + "\n" + "".join(f"{t},{v:.4f}\n" for t, v in zip(times, values, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the files")
    args = parser.parse_args()
    stale = []
    for name, (header, make) in SERIES.items():
        text, path = text_of(header, make), DEV / name
        if args.write:
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            stale.append(name)
    if stale:
        print(f"stale: {', '.join(stale)}; run python bench/dev_series.py --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
