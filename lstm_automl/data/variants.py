"""Searched data settings as ready variants, for every task.

Forecasting searches ``lookback``, ``transform``, ``scaling`` and ``features``; classification and
regression ``window``, ``scaling``, ``features`` and a text input's ``kmer`` (``config.schema``
lists them per task), and a classification whose classes come from a series (``data.label_from``)
its ``lookback`` and ``horizon`` too. Each combination is prepared once, on first use, and shared by
every trial that picks it; all are checked before the first trial, so a lookback or window too long
for the data fails up front.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from lstm_automl.config.params import DATA_PREFIX as HP_PREFIX
from lstm_automl.config.params import decode_data as decode
from lstm_automl.config.schema import (
    DetectDataConfig,
    ForecastDataConfig,
    LabelDataConfig,
)
from lstm_automl.data.base import SweepData
from lstm_automl.data.forecast import prepare_forecast
from lstm_automl.data.forward_labels import prepare_forward_labels
from lstm_automl.data.reconstruction import prepare_detector
from lstm_automl.data.sequences import prepare_sequences
from lstm_automl.data.step_labels import prepare_step_labels
from lstm_automl.data.text import prepare_text


def prepare_variant(config: Any, base_dir: Path, seed: int,
                    objective: str | None = None) -> SweepData:
    """One concrete data section (nothing searched left in it) prepared for its task
    (``objective``: the sweep's, which chooses the verdict's metric of ``data.label_from``)."""
    if isinstance(config, DetectDataConfig):
        return prepare_detector(config, base_dir)
    if isinstance(config, ForecastDataConfig):
        return prepare_forecast(config, base_dir)
    if isinstance(config, LabelDataConfig):
        return prepare_step_labels(config, base_dir, seed)
    if getattr(config, "label_from", None) is not None:
        return prepare_forward_labels(config, base_dir, seed, objective)
    if getattr(config, "text", None) is not None:  # a searched data.kmer
        return prepare_text(config, base_dir, seed)
    return prepare_sequences(config, base_dir, seed)


class DataVariants:
    """The data variants of a sweep whose ``data`` section searches settings (any task).

    ``seed``: the sweep's, which fixes how whole sequences are split; every variant splits them
    alike, so trials on different variants are scored on the same cases.
    """

    def __init__(self, config: Any, base_dir: Path, seed: int = 0,
                 objective: str | None = None) -> None:
        self.config = config
        self.base_dir = base_dir
        self.seed = seed
        self.objective = objective
        self.searched = config.searched_data()
        self._cache: dict[tuple[Any, ...], SweepData] = {}

    def get(self, **values: Any) -> Any:
        concrete = self.config.variant(**values)
        key = tuple(str(concrete.setting(name)) for name in self.searched)
        if key not in self._cache:
            self._cache[key] = prepare_variant(concrete, self.base_dir, self.seed,
                                                self.objective)
        return self._cache[key]

    def default(self) -> Any:
        return self.get()

    def check_all(self) -> None:
        """Prepare every combination now, so that bad ones fail before any training."""
        self.all()

    def all(self) -> list[Any]:
        """Every combination, prepared (once; later calls reuse them)."""
        return [self.get(**dict(zip(self.searched, combo, strict=True)))
                for combo in itertools.product(*self.searched.values())]

    def described(self, limit: int = 8) -> list[str]:
        """One line per variant after the first (whose shapes the header already shows):
        its searched values and its windows; at most ``limit`` lines, then how many more."""
        combos = list(itertools.product(*self.searched.values()))
        if len(combos) < 2:
            return []
        lines = []
        for combo in combos[1:limit + 1]:
            values = dict(zip(self.searched, combo, strict=True))
            named = ", ".join(f"data.{name} {value}" for name, value in values.items())
            lines.append(f"{named}: {self.get(**values).describe()}")
        more = len(combos) - 1 - limit
        return [*lines, f"... and {more} more variants"] if more > 0 else lines

    def count(self) -> int:
        total = 1
        for values in self.searched.values():
            total *= len(values)
        return total

    def from_hp_values(self, hp_values: dict[str, Any]) -> Any:
        """The variant a trial's hyperparameter values name."""
        chosen = {name: decode(name, hp_values[HP_PREFIX + name]) for name in self.searched
                  if HP_PREFIX + name in hp_values}
        return self.get(**chosen)


# The name forecasting sweeps knew it by.
ForecastVariants = DataVariants
