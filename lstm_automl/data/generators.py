"""The classic long-lag benchmarks, generated on the fly (nothing is downloaded).

* Adding problem (Hochreiter & Schmidhuber 1997): two channels, random values in [0, 1] and a
  marker with two ones; the target is the sum of the two marked values. Always answering 1 gives
  MSE 1/6 (about 0.167); MSE <= 0.01 is commonly taken as solved.
* Copy (memory) task: ten symbols from an alphabet of 8, then T blanks and a delimiter; the model
  must recall the ten symbols. Here it predicts the ten symbols at once (a label per position), so
  guessing scores accuracy 1/8 and cross-entropy ln 8 (about 2.08) per symbol.
* Regimes (``task: label``): one channel of increments whose regime changes now and then (a
  sticky Markov chain: calm, rising, volatile); the label of every step is its regime. A step
  alone says little (calm and volatile both centre on 0), a few steps around it say much more,
  so a model that reads context should beat both the majority class and a window classifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

COPY_SYMBOLS = 8
COPY_LENGTH = 10


def adding_problem(length: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x: (samples, length, 2), y: (samples,) the sum of the two marked values."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(samples, length))
    markers = np.zeros((samples, length))
    half = max(1, length // 2)
    first = rng.integers(0, half, size=samples)
    second = rng.integers(half, length, size=samples)
    second = np.where(second == first, (first + 1) % length, second)
    rows = np.arange(samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), y


def copy_task(length: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x: (samples, 10 + length + 1, 10) one-hot symbols; y: (samples, 10) labels 0..7."""
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, COPY_SYMBOLS, size=(samples, COPY_LENGTH))
    steps = COPY_LENGTH + length + 1
    blank, delimiter = COPY_SYMBOLS, COPY_SYMBOLS + 1
    codes = np.full((samples, steps), blank)
    codes[:, :COPY_LENGTH] = symbols
    codes[:, -1] = delimiter
    x = np.eye(COPY_SYMBOLS + 2)[codes]
    return x, symbols


REGIMES = ("calm", "rising", "volatile")
REGIME_MEAN = (0.0, 0.8, 0.0)
REGIME_SCALE = (0.3, 0.3, 1.5)
REGIME_STAY = 0.95  # chance a step keeps the regime of the step before


def regimes(length: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x: (samples, length, 1) increments, y: (samples, length) the regime (0..2) of each step."""
    rng = np.random.default_rng(seed)
    y = np.empty((samples, length), dtype=int)
    y[:, 0] = rng.integers(0, len(REGIMES), size=samples)
    for t in range(1, length):
        switch = rng.random(samples) > REGIME_STAY
        other = (y[:, t - 1] + rng.integers(1, len(REGIMES), size=samples)) % len(REGIMES)
        y[:, t] = np.where(switch, other, y[:, t - 1])
    mean, scale = np.array(REGIME_MEAN)[y], np.array(REGIME_SCALE)[y]
    x = mean + scale * rng.standard_normal((samples, length))
    return x[:, :, None], y


@dataclass(frozen=True)
class Generator:
    task: str
    make: Callable[[int, int, int], tuple[np.ndarray, np.ndarray]]
    channels: list[str]
    description: str
    classes: tuple[str, ...] = ()  # names of the integer labels it makes (task: label)


GENERATORS: dict[str, Generator] = {
    "adding": Generator("regress", adding_problem, ["value", "marker"],
                        "adding problem: sum of two marked values (Hochreiter & Schmidhuber 1997)"),
    "copy": Generator("classify", copy_task,
                      [f"symbol_{i}" for i in range(COPY_SYMBOLS)] + ["blank", "delimiter"],
                      "copy memory task: recall ten symbols after a long gap"),
    "regimes": Generator("label", regimes, ["value"],
                         "regime of every step of a series whose regime changes now and then",
                         REGIMES),
}


def generate(kind: str, params: Any, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(x, y, where it came from) of ``generate:<kind>`` with ``data.generate``'s length,
    sample count and seed (the sweep seed where it names none); shared by every task that
    reads a generator, so the defaults and the source text agree."""
    length = params.length if params else 100
    samples = params.samples if params else 2000
    data_seed = params.seed if params and params.seed is not None else seed
    x, y = GENERATORS[kind].make(length, samples, data_seed)
    return x, y, f"generate:{kind} (T={length}, {samples} sequences, seed {data_seed})"


# Anomaly kinds of ``anomaly_series``, each written into the series over its window.
ANOMALY_KINDS = ("spike", "dip", "level_shift", "noise_burst", "flat")


def anomaly_series(rows: int, seed: int, every: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """An hourly-looking series with labelled anomalies: (values, 0/1 flags), both ``rows`` long.

    A daily cycle (24 rows) times a weekly one (168), a slow trend and Gaussian noise; about
    one anomaly window per ``every`` rows, its kind drawn from ``ANOMALY_KINDS`` and its length
    from 1 (spikes, dips) to 12 rows (the others). Every step of a window is flagged 1. The
    shipped ``datasets/anomalies_hourly.csv`` is ``anomaly_series(2400, 11)`` (a test checks).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float64)
    daily = 10.0 * np.sin(2 * np.pi * t / 24.0)
    weekly = 1.0 + 0.3 * np.sin(2 * np.pi * t / 168.0)
    values = 50.0 + 0.002 * t + daily * weekly + rng.normal(0.0, 1.0, rows)
    flags = np.zeros(rows, dtype=np.int64)
    start = min(200, rows // 8)  # the first window after some normal history
    while start < rows - 30:
        kind = ANOMALY_KINDS[int(rng.integers(len(ANOMALY_KINDS)))]
        length = 1 if kind in ("spike", "dip") else int(rng.integers(4, 13))
        window = slice(start, start + length)
        if kind == "spike":
            values[window] += rng.uniform(8.0, 14.0)
        elif kind == "dip":
            values[window] -= rng.uniform(8.0, 14.0)
        elif kind == "level_shift":
            values[window] += rng.choice([-1.0, 1.0]) * rng.uniform(6.0, 10.0)
        elif kind == "noise_burst":
            values[window] += rng.normal(0.0, 6.0, length)
        else:  # flat: a stuck sensor repeats one value
            values[window] = values[start - 1]
        flags[window] = 1
        start += length + int(rng.integers(every // 2, every * 3 // 2))
    return np.round(values, 3), flags
